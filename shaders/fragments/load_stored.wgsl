// Loader for skinny.wgsl: op is a stored row-major block (A, K or G),
// indices local to the block. OP_T reads it transposed (Aᵀ).

@group(0) @binding(3) var<storage, read> op_buf: array<f32>;

fn op_elem(o: u32, r: u32) -> f32 {
    if (OP_T) {
        return op_buf[r * p.ld + o];
    }
    return op_buf[o * p.ld + r];
}
