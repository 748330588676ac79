// Loader for skinny.wgsl: matrix-free A (or Aᵀ with OP_T), recomputed from the
// grids exactly as design.wgsl stores it: η(σ·(x − b)).

@group(0) @binding(3) var<storage, read> xs: array<f32>;
@group(0) @binding(4) var<storage, read> bs: array<f32>;

fn op_elem(o: u32, r: u32) -> f32 {
    if (OP_T) {
        return eta(p.sigma * (xs[p.r0 + r] - bs[p.o0 + o]));
    }
    return eta(p.sigma * (xs[p.o0 + o] - bs[p.r0 + r]));
}
