// Skinny matrix product with B columns, one split of the reduction per
// workgroup z (the finish kernel sums the splits):
//
//   P[slot0 + z, o0 + o, b] = Σ_{r ∈ split z} op(o, r) · X[r0 + r, b]
//
// op is A (o = sample, r = bias), Aᵀ (OP_T: o = bias, r = sample), K = AAᵀ or
// G = AᵀA, read from a stored row block or recomputed from the grids (the
// loader, composed in by the host, defines `fn op_elem(o, r)`). f64 twin: the
// matrix products of cpu_gd::run.
//
// Tiling: a workgroup computes TI outputs × BT columns of X. Each k-tile of TK
// reduction indices is staged in shared memory (op once for all B columns), each
// thread accumulates RI × RB outputs with fma over the tile, and the per-tile
// sums are added into Kahan-compensated accumulators: the rounding error is
// ≈ (TK + 2)·ε·Σ|op·x| whatever the reduction length (see src/gpu/mod.rs).
//
// Host constants: RI, RB, CG (column groups), TI = (256/CG)·RI, BT = CG·RB,
// ACC = RI·RB, AS_LEN = TK·(TI+1), XS_LEN = TK·BT, OP_T (coalesce along o).
//
// Fused epilogue (FUSED, when the reduction is not split: one slot): instead
// of the raw sum, v = c_y·Y + c_p·sum is written to `partial` (bound to the
// output, e.g. R) and/or added in place, dst += coef_b·v — the finish kernel's
// job done without a second dispatch.

struct SkinnyParams {
    n_out: u32,      // outputs o in this dispatch
    n_red: u32,      // reduction length r in this dispatch
    nb: u32,         // columns B of X
    split_len: u32,  // reduction indices per split (a multiple of TK)
    slot0: u32,      // partial slot of split 0
    p_stride: u32,   // elements per partial slot
    o0: u32,         // global index of output 0
    r0: u32,         // global row of X for r = 0
    ld: u32,         // leading dimension of a stored operand
    opaque_zero: u32,
    sigma: f32,      // for the matrix-free loader
    epi: u32,        // FUSED | HAS_Y | WRITE | UPDATE | USE_ALPHA
    c_y: f32,
    c_p: f32,
    pad0: u32,
    pad1: u32,
}

const FUSED: u32 = 1u;
const HAS_Y: u32 = 2u;
const WRITE: u32 = 4u;
const UPDATE: u32 = 8u;
const USE_ALPHA: u32 = 16u;

const WG: u32 = 256u;
const TK: u32 = 16u;
const RG: u32 = WG / CG;
const AS_LD: u32 = TI + 1u;

@group(0) @binding(0) var<uniform> p: SkinnyParams;
@group(0) @binding(1) var<storage, read> xin: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<storage, read> yin: array<f32>;
@group(0) @binding(6) var<storage, read> alpha: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst: array<f32>;

var<workgroup> a_tile: array<f32, AS_LEN>;
var<workgroup> x_tile: array<f32, XS_LEN>;

// Writes one finished sum: the raw split sum, or the fused epilogue.
fn emit(slot_base: u32, idx: u32, b: u32, sum: f32) {
    if ((p.epi & FUSED) == 0u) {
        partial[slot_base + idx] = sum;
        return;
    }
    var val = p.c_p * sum;
    if ((p.epi & HAS_Y) != 0u) {
        val = p.c_y * yin[idx] + val;
    }
    if ((p.epi & WRITE) != 0u) {
        partial[idx] = val;
    }
    if ((p.epi & UPDATE) != 0u) {
        var coef = 1.0;
        if ((p.epi & USE_ALPHA) != 0u) {
            coef = alpha[b];
        }
        dst[idx] = fma(coef, val, dst[idx]);
    }
}

// The compiler may not simplify Kahan's (t − s) − y to 0: `t` goes through an
// integer OR with a runtime zero it cannot see through.
fn opaque(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | p.opaque_zero);
}

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let rg = t % RG;
    let cg = t / RG;
    let b0 = wg.y * BT;
    let k_begin = wg.z * p.split_len;
    let k_end = min(k_begin + p.split_len, p.n_red);
    let n_tiles = (p.n_out + TI - 1u) / TI;
    let slot_base = (p.slot0 + wg.z) * p.p_stride;
    for (var tile = wg.x; tile < n_tiles; tile += nwg.x) {
        let o_base = tile * TI;
        var s: array<f32, ACC>;
        var c: array<f32, ACC>;
        for (var k0 = k_begin; k0 < k_end; k0 += TK) {
            for (var e = t; e < TI * TK; e += WG) {
                var o: u32;
                var kk: u32;
                if (OP_T) {
                    o = e % TI;
                    kk = e / TI;
                } else {
                    kk = e % TK;
                    o = e / TK;
                }
                let og = o_base + o;
                let r = k0 + kk;
                var v = 0.0;
                if (og < p.n_out && r < k_end) {
                    v = op_elem(og, r);
                }
                a_tile[kk * AS_LD + o] = v;
            }
            for (var e = t; e < TK * BT; e += WG) {
                let kk = e / BT;
                let b = b0 + e % BT;
                let r = k0 + kk;
                var v = 0.0;
                if (r < k_end && b < p.nb) {
                    v = xin[(p.r0 + r) * p.nb + b];
                }
                x_tile[e] = v;
            }
            workgroupBarrier();
            var acc: array<f32, ACC>;
            for (var kk = 0u; kk < TK; kk++) {
                for (var u = 0u; u < RI; u++) {
                    let av = a_tile[kk * AS_LD + rg + u * RG];
                    for (var v = 0u; v < RB; v++) {
                        acc[u * RB + v] = fma(av, x_tile[kk * BT + cg * RB + v], acc[u * RB + v]);
                    }
                }
            }
            workgroupBarrier();
            for (var i = 0u; i < ACC; i++) {
                let y = acc[i] - c[i];
                let tt = opaque(s[i] + y);
                c[i] = (tt - s[i]) - y;
                s[i] = tt;
            }
        }
        for (var u = 0u; u < RI; u++) {
            let og = o_base + rg + u * RG;
            for (var v = 0u; v < RB; v++) {
                let b = b0 + cg * RB + v;
                if (og < p.n_out && b < p.nb) {
                    emit(slot_base, (p.o0 + og) * p.nb + b, b, s[u * RB + v] - c[u * RB + v]);
                }
            }
        }
    }
}

// Barrier-free variant (entry point `main_direct`, for software adapters,
// where every workgroupBarrier costs a coroutine switch per SIMD group): one
// invocation per output o and group of RB columns streams op(o, ·) and X from
// memory, with the same fma-within-TK / Kahan-across-tiles summation.
@compute @workgroup_size(64)
fn main_direct(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let n_cb = (p.nb + RB - 1u) / RB;
    let total = p.n_out * n_cb;
    let k_begin = wg.z * p.split_len;
    let k_end = min(k_begin + p.split_len, p.n_red);
    let slot_base = (p.slot0 + wg.z) * p.p_stride;
    for (var g = gid.x; g < total; g += nwg.x * 64u) {
        let o = g % p.n_out;
        let b0 = (g / p.n_out) * RB;
        var s: array<f32, RB>;
        var c: array<f32, RB>;
        for (var k0 = k_begin; k0 < k_end; k0 += TK) {
            let k1 = min(k0 + TK, k_end);
            var acc: array<f32, RB>;
            for (var r = k0; r < k1; r++) {
                let av = op_elem(o, r);
                let row = (p.r0 + r) * p.nb;
                for (var v = 0u; v < RB; v++) {
                    if (b0 + v < p.nb) {
                        acc[v] = fma(av, xin[row + b0 + v], acc[v]);
                    }
                }
            }
            for (var v = 0u; v < RB; v++) {
                let y = acc[v] - c[v];
                let tt = opaque(s[v] + y);
                c[v] = (tt - s[v]) - y;
                s[v] = tt;
            }
        }
        for (var v = 0u; v < RB; v++) {
            if (b0 + v < p.nb) {
                emit(slot_base, (p.o0 + o) * p.nb + b0 + v, b0 + v, s[v] - c[v]);
            }
        }
    }
}
