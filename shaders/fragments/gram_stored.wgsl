// Loader for gram.wgsl: P1 and P2 are stored row-major blocks of A (local
// indices, offsets o1_off/o2_off along o). OP_T reads columns (G = AᵀA).

@group(0) @binding(1) var<storage, read> op1: array<f32>;
@group(0) @binding(2) var<storage, read> op2: array<f32>;

fn p1_elem(o: u32, r: u32) -> f32 {
    if (OP_T) {
        return op1[(p.r_off + r) * p.ld1 + p.o1_off + o];
    }
    return op1[(p.o1_off + o) * p.ld1 + p.r_off + r];
}

fn p2_elem(o: u32, r: u32) -> f32 {
    if (OP_T) {
        return op2[(p.r_off + r) * p.ld2 + p.o2_off + o];
    }
    return op2[(p.o2_off + o) * p.ld2 + p.r_off + r];
}
