//! Every experiment at quick size through the library: the claims that must
//! hold, and user data turning data claims into observations.

use std::collections::BTreeSet;

use gdshrink::gd::NoProgress;
use gdshrink::studies::reproduce::{self, Claim, ClaimKind, Experiment, Settings, Size};

fn claim<'a>(claims: &'a [Claim], id: &str) -> &'a Claim {
    claims.iter().find(|c| c.id == id).unwrap_or_else(|| {
        panic!(
            "claim {id} missing; have {:?}",
            claims.iter().map(|c| &c.id).collect::<Vec<_>>()
        )
    })
}

fn assert_pass(c: &Claim) {
    assert!(
        c.passed,
        "{} failed: {}\n  criterion: {}\n  measured: {}",
        c.id, c.statement, c.criterion, c.measured
    );
}

/// Every experiment at quick size, through the library: every hard claim holds,
/// and the ones the brief names are checked explicitly with their numbers.
#[test]
fn quick_claims_hold() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::new(Size::Quick);
    let report =
        reproduce::run_all(&Experiment::ALL, &settings, dir.path(), &NoProgress, "test").unwrap();
    let claims: Vec<Claim> = report.claims().cloned().collect();

    for c in claims.iter().filter(|c| c.kind == ClaimKind::Hard) {
        assert_pass(c);
    }

    // Heaviside principal components are the DST basis (N = M = 256).
    let c = claim(&claims, "fig4.heaviside_dst");
    assert_pass(c);
    for m in c.numbers.as_array().unwrap() {
        assert!(m["abs_cos"].as_f64().unwrap() >= 0.999, "{m}");
    }

    // Grey zone of the flow mask: 15.12 dB for every q.
    let c = claim(&claims, "fig2.grey_zone_flow");
    for w in c.numbers["flow_db"].as_array().unwrap() {
        assert!((w.as_f64().unwrap() - 15.1204).abs() < 1e-4, "{w}");
    }

    // Fig. 6(b): sinc within 1.5 dB of the DST baseline in the interior (built-in signal).
    let c = claim(&claims, "fig6b.sinc_tracks_dst");
    assert_eq!(c.kind, ClaimKind::Hard, "built-in signal: a hard claim");
    assert_pass(c);
    assert!(c.numbers["max_abs_gap_db"].as_f64().unwrap() <= 1.5);

    // Prop. 4.1: literal GD equals the closed form.
    assert_pass(claim(&claims, "fig6.closed_form_equals_gd"));

    // Fig. 9: full-rank V orders smoothness.
    let c = claim(&claims, "fig9.full_rank_orders_smoothness");
    assert_pass(c);
    assert!(c.numbers["spearman"].as_f64().unwrap() >= 0.9);

    // Prop. 3.1: network = spline smoothing for r = 1, 2.
    assert_pass(claim(&claims, "fig7.network_equals_spline_r12"));
    assert_pass(claim(&claims, "fig7.ridge_equals_spline"));

    // Extra figure: the penalty exponents of heaviside, relu and relu2 (2, 4,
    // 6 within 0.1) and the closed forms hold at quick size too.
    let c = claim(&claims, "penalty.exponents");
    assert_pass(c);
    let ex = c.numbers.as_array().unwrap();
    assert_eq!(ex.len(), 3, "{ex:?}");
    for e in ex {
        let (got, want) = (
            e["exponent"].as_f64().unwrap(),
            e["expected"].as_f64().unwrap(),
        );
        assert!((got - want).abs() <= 0.1, "{e}");
    }
    assert_pass(claim(&claims, "penalty.closed_forms"));
    // Its observations are reported (pass or not) with their numbers.
    for id in [
        "penalty.spectrum_follows_penalty",
        "penalty.slopes_match",
        "penalty.gd_keeps_predicted",
        "penalty.band_limit",
    ] {
        let c = claim(&claims, id);
        assert_eq!(c.kind, ClaimKind::Observation, "{id}");
        assert!(!c.numbers.as_array().unwrap().is_empty(), "{id}");
    }

    // Ids are unique.
    let ids: BTreeSet<&str> = claims.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), claims.len());

    // The spectrum figures record their route: the dense SVD at this size.
    for f in &report.figures {
        let spectral = ["fig3", "fig4", "fig5", "fig8", "fig9"].contains(&f.id.as_str());
        assert_eq!(!f.routes.is_empty(), spectral, "{}: {:?}", f.id, f.routes);
        for r in &f.routes {
            assert!(r.starts_with("dense SVD (min(N, M) = "), "{}: {r}", f.id);
        }
    }
}

/// A user-supplied row (not built-in) turns the Fig. 6 data claims into observations.
#[test]
fn user_row_claims_are_observations() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(Size::Quick);
    let l = 96;
    let values: Vec<f64> = (0..l)
        .map(|p| 0.5 + 0.4 * (f64::from(p) * 0.2).sin())
        .collect();
    settings.fig6 = settings.fig6.with_signal(reproduce::fig6::RowSignal {
        label: "synthetic".into(),
        values,
        builtin: false,
    });
    let fig =
        reproduce::run_experiment(Experiment::Fig6, &settings, dir.path(), &NoProgress).unwrap();
    let c = claim(&fig.claims, "fig6b.sinc_tracks_dst");
    assert_eq!(c.kind, ClaimKind::Observation);
    assert_eq!(
        claim(&fig.claims, "fig6.closed_form_equals_gd").kind,
        ClaimKind::Hard
    );
}
