// Gram matrix block (dual strategy), 64×64 output tiles:
//
//   C[o1, out_col0 + o2] (+)= Σ_r P1(o1, r) · P2(o2, r)
//
// K = AAᵀ: P1, P2 = rows of A (o = sample, r = bias); G = AᵀA: OP_T, P = columns
// of A (o = bias, r = sample). The loader (gram_stored.wgsl / gram_free.wgsl)
// defines p1_elem and p2_elem. Each thread owns 4×4 outputs: fma over a k-tile
// of TK = 16, Kahan across k-tiles. f64 twin: a·aᵀ / aᵀ·a in faer.

struct GramParams {
    n1: u32,
    n2: u32,
    n_red: u32,
    ldc: u32,
    out_col0: u32,
    accumulate: u32,
    o1_off: u32,
    o2_off: u32,
    ld1: u32,
    ld2: u32,
    r_off: u32,
    opaque_zero: u32,
    sigma: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

const GT: u32 = 64u;
const GK: u32 = 16u;
const G_LD: u32 = 65u;

@group(0) @binding(0) var<uniform> p: GramParams;
@group(0) @binding(3) var<storage, read_write> cout: array<f32>;

var<workgroup> t1: array<f32, 1040>; // GK·G_LD
var<workgroup> t2: array<f32, 1040>;

fn opaque(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | p.opaque_zero);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
    let tx = t % 16u;
    let ty = t / 16u;
    let base1 = wg.y * GT;
    let base2 = wg.x * GT;
    var s: array<f32, 16>;
    var c: array<f32, 16>;
    for (var k0 = 0u; k0 < p.n_red; k0 += GK) {
        for (var e = t; e < GT * GK; e += 256u) {
            var o: u32;
            var kk: u32;
            if (OP_T) {
                o = e % GT;
                kk = e / GT;
            } else {
                kk = e % GK;
                o = e / GK;
            }
            let r = k0 + kk;
            var v1 = 0.0;
            var v2 = 0.0;
            if (r < p.n_red) {
                if (base1 + o < p.n1) {
                    v1 = p1_elem(base1 + o, r);
                }
                if (base2 + o < p.n2) {
                    v2 = p2_elem(base2 + o, r);
                }
            }
            t1[kk * G_LD + o] = v1;
            t2[kk * G_LD + o] = v2;
        }
        workgroupBarrier();
        var acc: array<f32, 16>;
        for (var kk = 0u; kk < GK; kk++) {
            for (var u = 0u; u < 4u; u++) {
                let a1 = t1[kk * G_LD + ty + 16u * u];
                for (var v = 0u; v < 4u; v++) {
                    acc[u * 4u + v] = fma(a1, t2[kk * G_LD + tx + 16u * v], acc[u * 4u + v]);
                }
            }
        }
        workgroupBarrier();
        for (var i = 0u; i < 16u; i++) {
            let y = acc[i] - c[i];
            let tt = opaque(s[i] + y);
            c[i] = (tt - s[i]) - y;
            s[i] = tt;
        }
    }
    for (var u = 0u; u < 4u; u++) {
        let o1 = base1 + ty + 16u * u;
        for (var v = 0u; v < 4u; v++) {
            let o2 = base2 + tx + 16u * v;
            if (o1 < p.n1 && o2 < p.n2) {
                let idx = o1 * p.ldc + p.out_col0 + o2;
                var val = s[u * 4u + v] - c[u * 4u + v];
                if (p.accumulate != 0u) {
                    val = val + cout[idx];
                }
                cout[idx] = val;
            }
        }
    }
}
