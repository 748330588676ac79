// Per-run residual norm for the divergence watch (cpu_gd::ResidualWatch), one
// workgroup per run b over an n×B row-major matrix R:
//   out[3b] = m = max_i |R[i,b]|,  out[3b+1] = Σ_i (R[i,b]/m)²,
//   out[3b+2] = 1 if any R[i,b] is NaN/±∞ (tested on the bits, which no
//   compiler may assume away), so ‖R_b‖ = m·√out[3b+1] never overflows.
// Tree reduction in shared memory; per-thread Kahan sums.

struct NormParams {
    n: u32,
    nb: u32,
    out0: u32,
    opaque_zero: u32,
}

@group(0) @binding(0) var<uniform> p: NormParams;
@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;
var<workgroup> bad: array<u32, 256>;

fn opaque(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | p.opaque_zero);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
    let b = wg.x;
    var m = 0.0;
    var nonfinite = 0u;
    for (var i = t; i < p.n; i += 256u) {
        let v = r[i * p.nb + b];
        if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) {
            nonfinite = 1u;
        } else {
            m = max(m, abs(v));
        }
    }
    red[t] = m;
    bad[t] = nonfinite;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h >> 1u) {
        if (t < h) {
            red[t] = max(red[t], red[t + h]);
            bad[t] = bad[t] | bad[t + h];
        }
        workgroupBarrier();
    }
    let mx = red[0];
    let any_bad = bad[0];
    workgroupBarrier();
    var s = 0.0;
    var c = 0.0;
    if (mx > 0.0 && any_bad == 0u) {
        for (var i = t; i < p.n; i += 256u) {
            let q = r[i * p.nb + b] / mx;
            let y = q * q - c;
            let tt = opaque(s + y);
            c = (tt - s) - y;
            s = tt;
        }
    }
    red[t] = s - c;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h >> 1u) {
        if (t < h) {
            red[t] = red[t] + red[t + h];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        out[p.out0 + 3u * b] = mx;
        out[p.out0 + 3u * b + 1u] = red[0];
        out[p.out0 + 3u * b + 2u] = f32(any_bad);
    }
}
