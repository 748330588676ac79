//! The figure of a [`ValidateReport`]: the paper's Fig. 1/2 measured on real GD.
//!
//! Against s/s₀ on a log axis, one colour per checkpoint q (the legend names q):
//!
//! * the gd_exact mask $m(s) = 1 - (1 - \alpha s^2)^q$ (solid line),
//! * the gradient-flow mask $1 - e^{-\alpha q s^2}$ (dashed, thin),
//! * the empirical mask $\hat m_k = u_k^\top f_q / u_k^\top y$ of the engine at
//!   every resolved direction k (dots).
//!
//! Drawn through [`crate::output::plot`], so it is written as PNG and SVG like every
//! other figure of the project.

use super::ValidateReport;
use crate::output::plot::{Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::spectral::{gd_exact, gd_flow};

/// Samples of s/s₀ per mask curve (log-spaced).
const CURVE_POINTS: usize = 300;

/// Largest m̂_k shown: a direction GD overshoots far beyond 1 would squash
/// every other point against the axis.
const Y_CAP: f64 = 3.0;

/// The m̂_k-vs-m(s_k) figure of `r` (see the module docs). A divergent report
/// (no checkpoints) gives an empty panel.
pub fn mask_figure(r: &ValidateReport) -> Figure {
    let resolved = || r.directions.iter().filter(|d| d.resolved && d.s > 0.0);
    // Smallest resolved s/s₀, halved, sets the left edge.
    let s_lo = resolved()
        .map(|d| d.s / r.s_max)
        .fold(1.0f64, f64::min)
        .max(1e-12)
        / 2.0;
    let y_hi = resolved()
        .map(|d| d.m_hat.max(d.m_exact))
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max)
        .min(Y_CAP)
        + 0.1;
    let grid: Vec<f64> = (0..=CURVE_POINTS)
        .map(|i| s_lo * (1.0 / s_lo).powf(i as f64 / CURVE_POINTS as f64))
        .collect();
    let mut series = Vec::new();
    for (i, c) in r.checkpoints.iter().enumerate() {
        let q = c.q;
        let s = |x: f64| x * r.s_max;
        series.push(Series::new(
            format!("q = {q}"),
            grid.clone(),
            grid.iter().map(|&x| gd_exact(s(x), r.alpha, q)).collect(),
            i,
        ));
        series.push(
            Series::new(
                "",
                grid.clone(),
                grid.iter()
                    .map(|&x| gd_flow(s(x), r.alpha, q as f64))
                    .collect(),
                i,
            )
            .dash(Dash::Dashed)
            .width(1),
        );
        let (xs, ys): (Vec<f64>, Vec<f64>) = resolved()
            .filter(|d| d.q == q)
            .map(|d| (d.s / r.s_max, d.m_hat))
            .unzip();
        series.push(Series::new("", xs, ys, i).width(0));
    }
    let panel = LinePanel {
        title:
            "solid: gd_exact m(s); dashed: gd_flow; dots: m_hat_k = u_kᵀf_q / u_kᵀy (resolved k)"
                .into(),
        x_label: "s_k / s_0".into(),
        y_label: "mask m".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        x_range: Some((s_lo, 1.0)),
        y_range: Some((-0.05, y_hi)),
        series,
        bands: Vec::new(),
        legend: Legend::UpperLeft,
    };
    Figure::new(
        format!("empirical mask: {} — {}", r.design, r.engine),
        1,
        vec![Panel::Lines(panel)],
    )
    .panel_size(900, 560)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gd::{CpuEngine, LearningRate, NoProgress};
    use crate::studies::StudyConfig;
    use crate::studies::validate::{ValidateConfig, validate};
    use crate::{Activation, Design};

    #[test]
    fn one_line_pair_and_the_resolved_dots_per_checkpoint() {
        let d = Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(24)
            .m(48)
            .build()
            .unwrap();
        let y: Vec<f64> = d.x().iter().map(|x| (6.0 * x).sin()).collect();
        let study = StudyConfig::new(d, y, LearningRate::OverSmax2(1.0), vec![1, 100]);
        let r = validate(&ValidateConfig::new(study), &CpuEngine, &NoProgress).unwrap();
        let fig = mask_figure(&r);
        let Panel::Lines(p) = &fig.panels[0] else {
            panic!("not a line panel")
        };
        assert_eq!(p.series.len(), 3 * r.checkpoints.len());
        for (i, c) in r.checkpoints.iter().enumerate() {
            let dots = &p.series[3 * i + 2];
            let resolved = r
                .directions
                .iter()
                .filter(|d| d.q == c.q && d.resolved && d.s > 0.0)
                .count();
            assert!(resolved > 0);
            assert_eq!(dots.x.len(), resolved);
            assert_eq!(dots.width, 0, "dots are drawn without a line");
            assert_eq!(p.series[3 * i].label, format!("q = {}", c.q));
        }
        let dir = tempfile::tempdir().unwrap();
        let files = fig.save(&dir.path().join("mask.svg")).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.exists()));
    }
}
