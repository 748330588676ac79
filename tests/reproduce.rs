//! `gdshrink reproduce` at smoke-test sizes: the claims that must hold, the
//! files and plots, and the report.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use gdshrink::experiments::{self, Claim, ClaimKind, Experiment, NoProgress, Settings, Size};

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
        experiments::run_all(&Experiment::ALL, &settings, dir.path(), &NoProgress, "test").unwrap();
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

    // Ids are unique.
    let ids: BTreeSet<&str> = claims.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), claims.len());
}

/// A user-supplied row (not built-in) turns the Fig. 6 data claims into observations.
#[test]
fn user_row_claims_are_observations() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(Size::Quick);
    let l = 96;
    let values: Vec<f64> = (0..l).map(|p| 0.5 + 0.4 * (p as f64 * 0.2).sin()).collect();
    settings.fig6 = settings.fig6.with_signal(experiments::fig6::RowSignal {
        label: "synthetic".into(),
        values,
        builtin: false,
    });
    let fig =
        experiments::run_experiment(Experiment::Fig6, &settings, dir.path(), &NoProgress).unwrap();
    let c = claim(&fig.claims, "fig6b.sinc_tracks_dst");
    assert_eq!(c.kind, ClaimKind::Observation);
    assert_eq!(
        claim(&fig.claims, "fig6.closed_form_equals_gd").kind,
        ClaimKind::Hard
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command writes data, PNG and SVG plots and a report that lists every claim.
#[test]
fn command_writes_files_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("gdshrink")
        .unwrap()
        .args(["reproduce", "--quick", "--no-progress", "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&stdout).expect("--json prints one JSON object");
    let claims = json["claims"].as_array().unwrap();
    assert!(claims.len() >= 25, "{} claims", claims.len());
    assert_eq!(json["summary"]["hard"]["failed"], 0);

    let md = read(&out.join("report.md"));
    let html = read(&out.join("report.html"));
    let cj: serde_json::Value = serde_json::from_str(&read(&out.join("claims.json"))).unwrap();
    assert_eq!(cj["claims"].as_array().unwrap().len(), claims.len());
    for c in claims {
        let id = c["id"].as_str().unwrap();
        assert!(md.contains(id), "report.md does not list {id}");
        assert!(html.contains(id), "report.html does not list {id}");
        assert!(
            c["measured"].as_str().is_some_and(|m| !m.is_empty()),
            "{id}: no numbers"
        );
    }
    // Plots are inlined, so the HTML stands alone.
    assert!(html.contains("data:image/png;base64,"));
    assert!(
        !html.contains("src=\"fig"),
        "report.html links a plot instead of inlining it"
    );

    for fig in [
        "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9",
    ] {
        let d = out.join(fig);
        let files: Vec<String> = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let has = |ext: &str| files.iter().any(|f| f.ends_with(ext));
        assert!(
            has(".png") && has(".svg"),
            "{fig}: plots missing in {files:?}"
        );
        assert!(
            has(".csv") || has(".npy"),
            "{fig}: data missing in {files:?}"
        );
        for f in &files {
            let len = std::fs::metadata(d.join(f)).unwrap().len();
            assert!(len > 50, "{fig}/{f} is {len} bytes");
        }
        assert!(
            md.contains(&format!("{fig}/")),
            "report.md does not reference {fig}"
        );
    }
    // PNG signature.
    let png = std::fs::read(out.join("fig2/fig2.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = read(&out.join("fig2/fig2.svg"));
    assert!(svg.starts_with("<svg"));
}

/// `--only` runs a subset; a bad figure name is a clear error.
#[test]
fn only_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    Command::cargo_bin("gdshrink")
        .unwrap()
        .args([
            "reproduce",
            "--quick",
            "--no-progress",
            "--only",
            "fig2,fig8",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("fig2").is_dir() && out.join("fig8").is_dir());
    assert!(!out.join("fig6").exists());
    let md = read(&out.join("report.md"));
    assert!(md.contains("fig8.heaviside_q") && !md.contains("fig6b."));

    let e = Command::cargo_bin("gdshrink")
        .unwrap()
        .args(["reproduce", "--only", "fig1"])
        .assert()
        .failure();
    let err = String::from_utf8(e.get_output().stderr.clone()).unwrap();
    assert!(err.contains("fig1") && err.contains("fig9"), "{err}");

    let e = Command::cargo_bin("gdshrink")
        .unwrap()
        .args([
            "reproduce",
            "--quick",
            "--only",
            "fig6",
            "--image",
            "/nonexistent/peppers.png",
        ])
        .assert()
        .failure();
    let err = String::from_utf8(e.get_output().stderr.clone()).unwrap();
    assert!(err.contains("peppers.png"), "{err}");
}

/// Fig. 6 on a row of a user image (PNG), the path the README documents.
#[test]
fn fig6_from_image_row() {
    let dir = tempfile::tempdir().unwrap();
    let img_path = dir.path().join("img.png");
    let (w, h) = (64u32, 8u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = (128.0 + 100.0 * ((x as f64) * 0.3 + y as f64).sin()) as u8;
        image::Rgb([v, v / 2, 255 - v])
    });
    img.save(&img_path).unwrap();
    let out = dir.path().join("o");
    let a = Command::cargo_bin("gdshrink")
        .unwrap()
        .args([
            "reproduce",
            "--no-progress",
            "--only",
            "fig6",
            "--width",
            "128",
            "--row",
            "3",
            "--channel",
            "g",
            "--image",
        ])
        .arg(&img_path)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("fig6b.sinc_tracks_dst"), "{stdout}");
    let md = read(&out.join("report.md"));
    assert!(md.contains("row 3 (g)"), "the report names the image row");
    let row = read(&out.join("fig6/row.csv"));
    assert_eq!(row.lines().count(), 1 + w as usize);
}
