//! `validate` as text: one configuration (model, checkpoints, directions,
//! verdict) or a suite (one line per configuration).

use std::fmt::Write as _;

use gdshrink::gd::Precision;
use gdshrink::output::table::sci;
use gdshrink::precision::RESOLVE;
use gdshrink::studies::validate::suite::Suite;
use gdshrink::studies::validate::{
    CheckpointReport, Measured, ReferenceRoute, SpaceErrors, ValidateReport,
};

fn cell(m: &Measured) -> String {
    format!(
        "{:>9} {:>9} {:<4}",
        sci(m.err),
        sci(m.tol.rel),
        if m.ok { "ok" } else { "FAIL" }
    )
}

/// A check that may not exist (no evaluation grid for a user's matrix).
fn cell_opt(m: Option<&Measured>) -> String {
    m.map_or_else(|| format!("{:>9} {:>9} {:<4}", "-", "-", ""), cell)
}

/// log-spaced direction indices 0, 1, 2, 3, 5, 8, … up to r − 1, at most `count`.
fn shown_directions(r: usize, count: usize) -> Vec<usize> {
    if r == 0 || count == 0 {
        return Vec::new();
    }
    let mut ks: Vec<usize> = (0..count)
        .map(|i| {
            let t = i as f64 / (count.max(2) - 1) as f64;
            (((r as f64).ln() * t).exp().round() as usize).saturating_sub(1)
        })
        .collect();
    ks.push(0);
    ks.sort_unstable();
    ks.dedup();
    ks.retain(|&k| k < r);
    ks
}

/// The report of one configuration as text.
pub(super) fn render(r: &ValidateReport, show: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "validate: {}, signal {}, alpha = {:.4e} (alpha*s_max^2 = {:.4}), s_max = {:.6e}",
        r.design, r.signal, r.alpha, r.alpha_s_max2, r.s_max
    );
    if r.engine.contains(&r.device) {
        let _ = writeln!(o, "engine:   {}", r.engine);
    } else {
        let _ = writeln!(o, "engine:   {} on {}", r.engine, r.device);
    }
    if let Some(d) = &r.divergence {
        let _ = writeln!(
            o,
            "\nDIVERGENT: alpha = {:.4e} >= 2/s_max^2 = {:.4e} (alpha*s_max^2 = {:.4})",
            d.alpha, d.limit, d.alpha_s_max2
        );
        let _ = writeln!(
            o,
            "  growth of ||y - A w|| per iteration: measured {} ({}), predicted |1 - alpha*s_max^2| = {:.6}",
            d.measured_growth
                .map_or("n/a".into(), |g| format!("{g:.6}")),
            d.source,
            d.predicted_growth
        );
        return o;
    }
    model_lines(&mut o, r);
    checkpoint_lines(&mut o, r);
    direction_lines(&mut o, r, show);
    verdict_lines(&mut o, r);
    o
}

/// The error model and the reference.
fn model_lines(o: &mut String, r: &ValidateReport) {
    let md = &r.model;
    let _ = writeln!(
        o,
        "model:    {:?} {:?} sums, operator {:?}, u = {:.3e}, eps_A = {:.3e} ({:.1} u), eps_A(eval) = {:.3e}, safety {}, SVD backward error {:.2e}",
        md.precision,
        md.summation,
        md.operator,
        md.u,
        md.eps_a,
        md.eps_a / md.u,
        md.eps_a_eval,
        md.safety,
        md.problem.svd_backward_error
    );
    let _ = writeln!(
        o,
        "reference: gd_exact from {}; eval grid {} points; f64 CPU sanity line {}",
        match r.reference {
            ReferenceRoute::Streamed => format!(
                "the streamed f64 spectrum (TSQR for s and U, w = A^T z over blocks of {} columns; \
                 A never stored; ||A_e||_2 and ||A~ - A||_2 bounded by Frobenius norms)",
                gdshrink::studies::validate::STREAM_BLOCK
            ),
            ReferenceRoute::TopK => match &r.topk {
                Some(t) => format!(
                    "the {} leading f64 components (block Krylov: {} passes, largest residual \
                     {:.1e}·s_0{}; A never stored; the components left out are bounded in every \
                     tolerance's truncation term)",
                    t.k,
                    t.passes,
                    t.max_residual,
                    if t.converged { "" } else { ", NOT converged" }
                ),
                None => "the leading f64 components".to_string(),
            },
            _ => "the f64 thin SVD of the stored A".to_string(),
        },
        r.eval_points,
        match r.cpu_checked_to {
            Some(q) => format!("up to q = {q}"),
            None if r.model.precision == Precision::F64 => {
                "= the engine itself".into()
            }
            None => "not run".into(),
        }
    );
}

/// One row per checkpoint: errors next to tolerances in every space.
fn checkpoint_lines(o: &mut String, r: &ValidateReport) {
    let _ = writeln!(
        o,
        "\n{:>8} | {:^24} | {:^24} | {:^24} | {:^19} | {:^19} | {:>8}",
        "",
        "f at samples",
        "f on eval grid",
        "w (weight space)",
        "gd_flow - gd_exact",
        "f64 CPU vs exact",
        "m_hat"
    );
    let _ = writeln!(
        o,
        "{:>8} | {:>9} {:>9} {:<4} | {:>9} {:>9} {:<4} | {:>9} {:>9} {:<4} | {:>9} {:>9} | {:>9} {:>9} | {:>8}",
        "q", "err", "tol", "", "err", "tol", "", "err", "tol", "", "f", "w", "f", "w", "resolved"
    );
    for c in &r.checkpoints {
        let (cf, cw) = c
            .cpu
            .map_or(("-".into(), "-".into()), |x| (sci(x.f.err), sci(x.w.err)));
        let _ = writeln!(
            o,
            "{:>8} | {} | {} | {} | {:>9} {:>9} | {:>9} {:>9} | {:>8}",
            c.q,
            cell(&c.engine.f),
            cell_opt(c.engine.f_eval.as_ref()),
            cell(&c.engine.w),
            sci(c.flow_gap.f),
            sci(c.flow_gap.w),
            cf,
            cw,
            c.resolved
        );
    }
}

/// The empirical mask in log-spaced directions, next to m(s_k).
fn direction_lines(o: &mut String, r: &ValidateReport, show: usize) {
    let qs: Vec<u64> = r.checkpoints.iter().map(|c| c.q).collect();
    let Some(&q0) = qs.first() else {
        return;
    };
    let rank = r.directions.iter().filter(|d| d.q == q0).count();
    let ks = shown_directions(rank, show);
    if !ks.is_empty() && !qs.is_empty() {
        let _ = writeln!(
            o,
            "\nempirical mask m_hat_k = u_k^T f_q / u_k^T y next to m(s_k) = gd_exact; '-': not resolved (|u_k^T y| < {RESOLVE} E_f)"
        );
        let mut group = format!("{:>28}", "");
        let mut head = format!("{:>6} {:>10} {:>10}", "k", "s_k/s_0", "u_k^T y");
        for q in &qs {
            let _ = write!(group, " | {:^15}", format!("q = {q}"));
            let _ = write!(head, " | {:>7} {:>7}", "m", "m_hat");
        }
        let _ = writeln!(o, "{group}");
        let _ = writeln!(o, "{head}");
        for &k in &ks {
            let first = r.directions.iter().find(|d| d.q == qs[0] && d.k == k);
            let Some(d0) = first else { continue };
            let mut line = format!("{:>6} {:>10} {:>10}", k, sci(d0.s / r.s_max), sci(d0.uty));
            for q in &qs {
                if let Some(d) = r.directions.iter().find(|d| d.q == *q && d.k == k) {
                    // `+ 0.0` turns −0 into 0.
                    let mh = if d.resolved {
                        format!("{:.4}", d.m_hat + 0.0)
                    } else {
                        "-".into()
                    };
                    let _ = write!(line, " | {:>7.4} {:>7}", d.m_exact + 0.0, mh);
                }
            }
            let _ = writeln!(o, "{line}");
        }
    }
}

fn verdict_lines(o: &mut String, r: &ValidateReport) {
    let _ = writeln!(o);
    if r.passed {
        let _ = writeln!(
            o,
            "PASS: every checkpoint within the {:?} error model",
            r.model.precision
        );
    } else {
        let _ = writeln!(o, "FAIL: {} check(s)", r.failures.len());
        for f in &r.failures {
            let _ = writeln!(o, "  - {}", f.message);
        }
    }
}

fn worst_ratio(r: &ValidateReport, pick: impl Fn(&SpaceErrors) -> Option<Measured>) -> f64 {
    r.checkpoints
        .iter()
        .filter_map(|c| pick(&c.engine))
        .map(|m| m.err / m.tol.rel)
        .fold(0.0, |a, b| if b.is_nan() { f64::NAN } else { a.max(b) })
}

/// The reports of a suite as one table.
pub(super) fn render_suite(s: Suite, reports: &[ValidateReport]) -> String {
    let mut o = String::new();
    let dev = reports.first().map_or(String::new(), |r| r.device.clone());
    let _ = writeln!(
        o,
        "validate --suite {s}: {} configurations on {dev}",
        reports.len()
    );
    let _ = writeln!(
        o,
        "{:<40} {:>8} | {:>9} {:>9} {:>9} | {:>9} {:>9} | {:>10} | result",
        "configuration", "q max", "f", "f eval", "w", "max f err", "max w err", "flow gap",
    );
    let _ = writeln!(
        o,
        "{:<40} {:>8} | {:^29} | {:^19} | {:>10} |",
        "", "", "worst err/tol", "(engine)", "at q max"
    );
    for r in reports {
        let last = r.checkpoints.last();
        let maxe =
            |pick: fn(&CheckpointReport) -> f64| r.checkpoints.iter().map(pick).fold(0.0, f64::max);
        let _ = writeln!(
            o,
            "{:<40} {:>8} | {:>9.3} {:>9.3} {:>9.3} | {:>9} {:>9} | {:>10} | {}",
            r.design,
            last.map_or(0, |c| c.q),
            worst_ratio(r, |s| Some(s.f)),
            worst_ratio(r, |s| s.f_eval),
            worst_ratio(r, |s| Some(s.w)),
            sci(maxe(|c| c.engine.f.err)),
            sci(maxe(|c| c.engine.w.err)),
            sci(last.map_or(f64::NAN, |c| c.flow_gap.f)),
            if r.passed { "pass" } else { "FAIL" }
        );
    }
    let failed: Vec<_> = reports.iter().filter(|r| !r.passed).collect();
    let _ = writeln!(o);
    if failed.is_empty() {
        let _ = writeln!(o, "PASS: all {} configurations", reports.len());
    } else {
        let _ = writeln!(
            o,
            "FAIL: {} of {} configurations",
            failed.len(),
            reports.len()
        );
        for r in failed {
            for f in &r.failures {
                let _ = writeln!(o, "  - {}: {}", r.design, f.message);
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_selection() {
        assert_eq!(shown_directions(256, 12)[0], 0);
        assert_eq!(*shown_directions(256, 12).last().unwrap(), 255);
        assert!(shown_directions(256, 12).len() <= 13);
        assert_eq!(shown_directions(3, 12), vec![0, 1, 2]);
    }
}
