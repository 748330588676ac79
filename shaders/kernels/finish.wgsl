// Sums the partial products of skinny.wgsl and applies them, elementwise over
// idx = o·B + b < n:
//
//   v = c_y·Y[idx] + c_p·Σ_slot P[slot, idx]      (Kahan over the slots)
//   out[idx] = v                                  (WRITE_OUT)
//   dst[idx] = (dst or src)[idx] + coef_b·v        (UPDATE; coef = α_b or 1)
//
// Used as R = Y − A W, W += α·Aᵀ R, C += α·R, D = H − G W, F = A_eval W, …
// f64 twin: the corresponding lines of cpu_gd::run.

struct FinishParams {
    n: u32,
    nb: u32,
    n_slots: u32,
    p_stride: u32,
    c_y: f32,
    c_p: f32,
    flags: u32,
    opaque_zero: u32,
}

const HAS_Y: u32 = 1u;
const WRITE_OUT: u32 = 2u;
const UPDATE: u32 = 4u;
const IN_PLACE: u32 = 8u;
const USE_ALPHA: u32 = 16u;

@group(0) @binding(0) var<uniform> p: FinishParams;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> yin: array<f32>;
@group(0) @binding(3) var<storage, read> alpha: array<f32>;
@group(0) @binding(4) var<storage, read> src: array<f32>;
@group(0) @binding(5) var<storage, read_write> outb: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;

fn opaque(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | p.opaque_zero);
}

// One Kahan step: (sum, compensation) + v.
fn kahan(sc: vec2<f32>, v: f32) -> vec2<f32> {
    let y = v - sc.y;
    let t = opaque(sc.x + y);
    return vec2<f32>(t, (t - sc.x) - y);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let stride = nwg.x * 256u;
    for (var idx = gid.x; idx < p.n; idx += stride) {
        // Slots in order, 8 loads issued before they are summed: a GPU thread
        // stalls at the first use of a load, so loads in flight together cost
        // one memory latency instead of eight. The Kahan order is unchanged.
        var sc = vec2<f32>(0.0, 0.0);
        let ps = p.p_stride;
        var k = 0u;
        for (; k + 8u <= p.n_slots; k += 8u) {
            let base = k * ps + idx;
            let v0 = partial[base];
            let v1 = partial[base + ps];
            let v2 = partial[base + 2u * ps];
            let v3 = partial[base + 3u * ps];
            let v4 = partial[base + 4u * ps];
            let v5 = partial[base + 5u * ps];
            let v6 = partial[base + 6u * ps];
            let v7 = partial[base + 7u * ps];
            sc = kahan(kahan(kahan(kahan(sc, v0), v1), v2), v3);
            sc = kahan(kahan(kahan(kahan(sc, v4), v5), v6), v7);
        }
        for (; k < p.n_slots; k++) {
            sc = kahan(sc, partial[k * ps + idx]);
        }
        let s = sc.x;
        let c = sc.y;
        var v = p.c_p * (s - c);
        if ((p.flags & HAS_Y) != 0u) {
            v = p.c_y * yin[idx] + v;
        }
        if ((p.flags & WRITE_OUT) != 0u) {
            outb[idx] = v;
        }
        if ((p.flags & UPDATE) != 0u) {
            var coef = 1.0;
            if ((p.flags & USE_ALPHA) != 0u) {
                coef = alpha[idx % p.nb];
            }
            if ((p.flags & IN_PLACE) != 0u) {
                dst[idx] = fma(coef, v, dst[idx]);
            } else {
                dst[idx] = fma(coef, v, src[idx]);
            }
        }
    }
}
