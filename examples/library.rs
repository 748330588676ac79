//! Library use: one SVD predicts gradient descent, and literal GD agrees.
use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem, rel_error};
use gdshrink::spectral::{gd_exact_masks, shrink, thin_svd};
use gdshrink::{Activation, Design, Signal};

pub fn main() -> gdshrink::Result<()> {
    // f(x) = sum_j w_j tanh(sigma (x - b_j)), sigma = M: N = 64 samples, M = 128 biases on [0, 1].
    let design = Design::spec(Activation::Tanh)
        .sigma(128.0)
        .n(64)
        .m(128)
        .build()?;
    let a = design.matrix(); // A_ij = tanh(sigma (x_i - b_j)), 64 x 128, f64
    let y = Signal::default().values(design.x())?; // heavisine, scaled to [0, 1]

    // One thin SVD gives f_q for every q: f_q = U diag(1 - (1 - alpha s^2)^q) U^T y.
    let svd = thin_svd(a.as_ref())?;
    let alpha = 1.0 / (svd.s_max() * svd.s_max());
    let qs = [10, 100, 1000];
    let closed = shrink(&svd, &y, &gd_exact_masks(alpha, &qs))?;

    // Literal gradient descent (f64) from w = 0 reaches the same f_q.
    let batch = GdBatch::new(vec![y.clone()], vec![alpha], qs.to_vec());
    let problem = Problem::from_design(&design)
        .with_matrix(a.as_ref())
        .with_s_max(svd.s_max());
    let gd = CpuEngine.run(&problem, &batch, &NoProgress)?.into_result()?;
    for (cp, solution) in gd.checkpoints.iter().zip(&closed) {
        let err = rel_error(&cp.f[0], &solution.f);
        println!(
            "q = {:4}: loss {:.6}, |f_gd - f_svd| / |f_svd| = {err:.1e}",
            cp.q, cp.loss[0]
        );
        assert!(err < 1e-9, "closed form and GD disagree at q = {}", cp.q);
    }
    Ok(())
}
