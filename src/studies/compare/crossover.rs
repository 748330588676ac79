//! Where the closed form overtakes iterating: GD's time t(q) interpolated
//! between measured q, against one SVD and a mask.

use super::report::{Crossover, GdTiming};

/// The crossover of GD timings `rows` (ascending q) with a closed form costing
/// `total` seconds: GD time is interpolated linearly in q between measured
/// points (an automatic strategy may change its per-iteration cost with q, so
/// no single line fits all of them), and extrapolated with the slope of the
/// nearest segment outside them.
pub fn crossover(rows: &[GdTiming], total: f64) -> Crossover {
    let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.q as f64, r.seconds)).collect();
    let slope = |i: usize| {
        let ((q0, t0), (q1, t1)) = (pts[i], pts[i + 1]);
        (t1 - t0) / (q1 - q0)
    };
    let line = |i: usize| {
        let b = slope(i);
        (pts[i].1 - b * pts[i].0, b)
    };
    let q_max = pts.last().map_or(0.0, |p| p.0);
    let (setup, per_iter, q_star) = match pts.len() {
        0 => (0.0, 0.0, None),
        1 => (pts[0].1, 0.0, (total <= pts[0].1).then_some(0.0)),
        l => {
            // The first segment whose end GD needs longer than the closed form.
            let seg = (0..l - 1).find(|&i| pts[i + 1].1 > total).unwrap_or(l - 2);
            let (a, b) = line(seg);
            let q = if total <= a {
                Some(0.0)
            } else if b > 0.0 {
                Some((total - a) / b)
            } else {
                None
            };
            (a, b, q)
        }
    };
    Crossover {
        setup_seconds: setup,
        seconds_per_iteration: per_iter,
        q_star,
        first_measured_win: rows.iter().find(|r| r.seconds > total).map(|r| r.q),
        extrapolated: q_star.is_none_or(|q| q > q_max || (q < pts[0].0 && q > 0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(f: impl Fn(f64) -> f64) -> Vec<GdTiming> {
        [10u64, 100, 1000, 10_000]
            .iter()
            .map(|&q| GdTiming {
                q,
                engine: "test".into(),
                strategy: crate::gd::Strategy::Primal,
                seconds: f(q as f64),
                rel_err: 0.0,
            })
            .collect()
    }

    #[test]
    fn crossover_of_a_line() {
        // t = 0.5 + 0.01 q; closed form 2.5 s → q* = 200.
        let r = rows(|q| 0.5 + 0.01 * q);
        let c = crossover(&r, 2.5);
        assert!((c.q_star.unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(c.first_measured_win, Some(1000));
        assert!(!c.extrapolated);
        let c = crossover(&r, 0.1);
        assert_eq!(c.q_star, Some(0.0));
        let c = crossover(&r, 1000.0);
        assert!(c.extrapolated && c.first_measured_win.is_none());
        assert!((c.q_star.unwrap() - 99_950.0).abs() < 1e-6);
    }

    #[test]
    fn crossover_follows_a_change_of_slope() {
        // 0.03 s/iteration up to q = 1000, then 0.01 s/iteration (a strategy switch).
        let r = rows(|q| {
            if q <= 1000.0 {
                0.03 * q
            } else {
                30.0 + 0.01 * (q - 1000.0)
            }
        });
        let c = crossover(&r, 2.7);
        assert!((c.q_star.unwrap() - 90.0).abs() < 1e-9, "{:?}", c.q_star);
        assert_eq!(c.first_measured_win, Some(100));
        let c = crossover(&r, 60.0);
        assert!((c.q_star.unwrap() - 4000.0).abs() < 1e-9, "{:?}", c.q_star);
    }
}
