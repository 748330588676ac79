// One row block of the design matrix (SPEC §1), row-major:
//   a[i·cols + j] = η(σ·(x[row0 + i] − b[j])),  i < rows, j < cols.
// σ·(x − b) is formed in this order, as on the CPU (src/design.rs), so a tie
// x = b gives z = 0 exactly. f64 twin: Design::matrix.

struct DesignParams {
    rows: u32,
    cols: u32,
    row0: u32,
    sigma: f32,
}

@group(0) @binding(0) var<uniform> p: DesignParams;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> bs: array<f32>;
@group(0) @binding(3) var<storage, read_write> a: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var i = gid.y; i < p.rows; i += nwg.y * 16u) {
        let x = xs[p.row0 + i];
        for (var j = gid.x; j < p.cols; j += nwg.x * 16u) {
            a[i * p.cols + j] = eta(p.sigma * (x - bs[j]));
        }
    }
}
