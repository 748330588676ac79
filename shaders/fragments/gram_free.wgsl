// Loader for gram.wgsl, matrix-free: A recomputed from the grids as in
// design.wgsl. K: o indexes samples, r biases; G (OP_T): o biases, r samples.

@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> bs: array<f32>;

fn a_free(o: u32, r: u32) -> f32 {
    if (OP_T) {
        return eta(p.sigma * (xs[p.r_off + r] - bs[o]));
    }
    return eta(p.sigma * (xs[o] - bs[p.r_off + r]));
}

fn p1_elem(o: u32, r: u32) -> f32 {
    return a_free(p.o1_off + o, r);
}

fn p2_elem(o: u32, r: u32) -> f32 {
    return a_free(p.o2_off + o, r);
}
