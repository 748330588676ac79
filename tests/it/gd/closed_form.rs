//! SPEC §3: iterated gradient descent equals the gd_exact closed form.

use gdshrink::gd::{GdBatch, half_sq_residual};
use gdshrink::model::signal::Builtin;
use gdshrink::spectral;
use gdshrink::{Activation, Design};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::cpu_run;
use crate::common::{assert_le, rel};

/// Iterated f64 GD equals the gd_exact closed form, f and w, for B = 3 runs with
/// different α (1, 0.5 and 1.5 /s_max² — the last in the alternating regime for
/// the top components) and different y (two built-ins and seeded noise), on wide
/// (N < M) and tall (N > M) designs of several activations, at q ∈ {0, 1, 7, 50, 400}.
/// Tolerance 1e−10 relative: rounding grows at most ~linearly in q
/// (≤ 400·few·ε ≈ 1e−13, see gd/golden.rs), measured ≤ 1e−13; the loss likewise.
/// A non-zero w₀ is the same with y ← y − A w₀ and w ← w₀ + w (paper App. B).
#[test]
fn iterated_gd_equals_closed_form() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x005e_ed6d);
    let qs = vec![0, 1, 7, 50, 400];
    let designs = [
        (Activation::Tanh, 100.0, 40, 100),
        (Activation::Relu, 1.0, 100, 40),
        (Activation::Gelu, 20.0, 60, 90),
        (Activation::Gaussian, 12.0, 90, 60),
        (Activation::Heaviside, 1.0, 70, 70),
    ];
    let mut worst: f64 = 0.0;
    for (act, sigma, n, m) in designs {
        let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
        let a = d.matrix();
        let svd = spectral::thin_svd(a.as_ref()).unwrap();
        let smax2 = svd.s_max() * svd.s_max();
        let noise: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ys = vec![
            Builtin::Heavisine.sample(d.x()),
            Builtin::Doppler.sample(d.x()),
            noise,
        ];
        let alphas = vec![1.0 / smax2, 0.5 / smax2, 1.5 / smax2];
        let w0: Vec<Vec<f64>> = (0..3)
            .map(|b| {
                (0..m)
                    .map(|_| {
                        if b == 2 {
                            rng.random_range(-0.1..0.1)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mut batch = GdBatch::new(ys.clone(), alphas.clone(), qs.clone());
        batch.record_w = true;
        batch.w0 = Some(w0.clone());
        let t = cpu_run(a.as_ref(), &batch, svd.s_max())
            .unwrap()
            .into_result()
            .unwrap();
        for b in 0..3 {
            // y ← y − A w₀
            let aw0 = d.eval(&w0[b], d.x()).unwrap();
            let yb: Vec<f64> = ys[b].iter().zip(&aw0).map(|(y, v)| y - v).collect();
            let closed =
                spectral::shrink(&svd, &yb, &spectral::gd_exact_masks(alphas[b], &qs)).unwrap();
            for (i, &q) in qs.iter().enumerate() {
                let cp = t.at(q).unwrap();
                let f_cf: Vec<f64> = closed[i].f.iter().zip(&aw0).map(|(f, v)| f + v).collect();
                let w_cf: Vec<f64> = closed[i].w.iter().zip(&w0[b]).map(|(w, v)| w + v).collect();
                let what = format!("{act} σ={sigma} {n}x{m} run {b} q={q}");
                let ef = rel(&cp.f[b], &f_cf);
                let ew = rel(&cp.w.as_ref().unwrap()[b], &w_cf);
                let el = (cp.loss[b] - half_sq_residual(&ys[b], &f_cf)).abs() / cp.loss[b];
                if q == 0 && b < 2 {
                    // w₀ = 0: f₀ = 0 exactly.
                    assert!(cp.f[b].iter().all(|v| *v == 0.0), "{what}");
                    continue;
                }
                assert_le(ef, 1e-10, &format!("{what}: f"));
                assert_le(ew, 1e-10, &format!("{what}: w"));
                assert_le(el, 1e-10, &format!("{what}: loss"));
                worst = worst.max(ef).max(ew).max(el);
            }
        }
    }
    eprintln!("iterated GD vs gd_exact closed form: worst relative error {worst:e}");
}
