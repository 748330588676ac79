// out[i] = η(z[i]): the activation alone, so that every WGSL η can be held
// against its f64 twin (Activation::eval) on the adapter.

@group(0) @binding(0) var<storage, read> zin: array<f32>;
@group(0) @binding(1) var<storage, read_write> eout: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&zin);
    let stride = nwg.x * 256u;
    for (var i = gid.x; i < n; i += stride) {
        eout[i] = eta(zin[i]);
    }
}
