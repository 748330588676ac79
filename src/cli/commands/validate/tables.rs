//! The `--out` tables of `validate`.

use gdshrink::output::Table;
use gdshrink::studies::validate::{CheckpointReport, DirectionRow, SpaceErrors, ValidateReport};

/// One row per checkpoint (`--out` beside the direction table); the
/// evaluation-grid columns are NaN without a grid (a user's matrix).
pub(super) fn checkpoint_table(r: &ValidateReport) -> Table {
    let col = |f: &dyn Fn(&CheckpointReport) -> f64| -> Vec<f64> {
        r.checkpoints.iter().map(f).collect()
    };
    let cpu = |f: fn(&SpaceErrors) -> f64| col(&|c| c.cpu.as_ref().map_or(f64::NAN, f));
    Table::new()
        .with("q", col(&|c| c.q as f64))
        .with("f_err", col(&|c| c.engine.f.err))
        .with("f_tol", col(&|c| c.engine.f.tol.rel))
        .with(
            "f_eval_err",
            col(&|c| c.engine.f_eval.map_or(f64::NAN, |m| m.err)),
        )
        .with(
            "f_eval_tol",
            col(&|c| c.engine.f_eval.map_or(f64::NAN, |m| m.tol.rel)),
        )
        .with("w_err", col(&|c| c.engine.w.err))
        .with("w_tol", col(&|c| c.engine.w.tol.rel))
        .with("cpu_f_err", cpu(|s| s.f.err))
        .with(
            "cpu_f_eval_err",
            cpu(|s| s.f_eval.map_or(f64::NAN, |m| m.err)),
        )
        .with("cpu_w_err", cpu(|s| s.w.err))
        .with("flow_gap_f", col(&|c| c.flow_gap.f))
        .with(
            "flow_gap_f_eval",
            col(&|c| c.flow_gap.f_eval.unwrap_or(f64::NAN)),
        )
        .with("flow_gap_w", col(&|c| c.flow_gap.w))
        .with("loss", col(&|c| c.loss))
        .with("loss_exact", col(&|c| c.loss_exact))
        .with("resolved", col(&|c| c.resolved as f64))
        .with("mask_max_dev", col(&|c| c.mask_max_dev))
}

/// One row per (checkpoint, direction): the `--out` table.
pub(super) fn direction_table(r: &ValidateReport) -> Table {
    let col =
        |f: &dyn Fn(&DirectionRow) -> f64| -> Vec<f64> { r.directions.iter().map(f).collect() };
    Table::new()
        .with("q", col(&|d| d.q as f64))
        .with("k", col(&|d| d.k as f64))
        .with("s", col(&|d| d.s))
        .with("s_rel", col(&|d| d.s / r.s_max))
        .with("uty", col(&|d| d.uty))
        .with("m_exact", col(&|d| d.m_exact))
        .with("m_flow", col(&|d| d.m_flow))
        .with("m_hat", col(&|d| d.m_hat))
        .with("m_hat_cpu", col(&|d| d.m_hat_cpu))
        .with("resolved", col(&|d| f64::from(u8::from(d.resolved))))
        .with("tol", col(&|d| d.tol))
}

/// One row per (case, checkpoint) of a suite.
pub(super) fn suite_table(reports: &[ValidateReport]) -> Table {
    let mut t = Table::new();
    let rows: Vec<(usize, &ValidateReport, &CheckpointReport)> = reports
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.checkpoints.iter().map(move |c| (i, r, c)))
        .collect();
    let col = |f: &dyn Fn(usize, &ValidateReport, &CheckpointReport) -> f64| {
        rows.iter()
            .map(|(i, r, c)| f(*i, r, c))
            .collect::<Vec<f64>>()
    };
    t.push("case", col(&|i, _, _| i as f64));
    t.push("n", col(&|_, r, _| r.n as f64));
    t.push("m", col(&|_, r, _| r.m as f64));
    t.push("q", col(&|_, _, c| c.q as f64));
    t.push("f_err", col(&|_, _, c| c.engine.f.err));
    t.push("f_tol", col(&|_, _, c| c.engine.f.tol.rel));
    t.push(
        "f_eval_err",
        col(&|_, _, c| c.engine.f_eval.map_or(f64::NAN, |m| m.err)),
    );
    t.push(
        "f_eval_tol",
        col(&|_, _, c| c.engine.f_eval.map_or(f64::NAN, |m| m.tol.rel)),
    );
    t.push("w_err", col(&|_, _, c| c.engine.w.err));
    t.push("w_tol", col(&|_, _, c| c.engine.w.tol.rel));
    t.push("flow_gap_f", col(&|_, _, c| c.flow_gap.f));
    t.push("passed", col(&|_, r, _| f64::from(u8::from(r.passed))));
    t
}
