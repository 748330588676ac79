//! `gdshrink reproduce` at smoke-test sizes: the files and plots it writes,
//! the report listing every claim, `--only`, bad figure names and images, and
//! Fig. 6 on a row of a user image.

use std::path::Path;

use crate::common::cli::gdshrink;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command writes data, PNG and SVG plots and a report that lists every claim.
#[test]
fn command_writes_files_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = gdshrink()
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
    assert!(
        md.contains("- route: dense SVD (min(N, M) = 256"),
        "report.md names no route"
    );
    assert!(
        html.contains("route: dense SVD"),
        "report.html names no route"
    );
    assert!(
        json["summary"]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["routes"].as_array().is_some_and(|r| !r.is_empty())),
        "claims.json names no route"
    );
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
        "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "penalty",
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
    // The extra figure comes after the paper's, under its own heading, with
    // one plot per activation.
    let extra = md
        .find("# Beyond the paper")
        .expect("report.md has no extra section");
    assert!(
        md.find("## Fig. 9").is_some_and(|f9| f9 < extra),
        "extra section before Fig. 9"
    );
    assert!(md[extra..].contains("penalty.exponents"));
    assert!(html.contains("Beyond the paper"));
    for a in ["penalty", "heaviside", "relu", "sinc", "wavepacket"] {
        assert!(
            out.join(format!("penalty/{a}.png")).is_file(),
            "penalty/{a}.png"
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
    gdshrink()
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

    let e = gdshrink()
        .args(["reproduce", "--only", "fig1"])
        .assert()
        .failure();
    let err = String::from_utf8(e.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("fig1") && err.contains("fig9") && err.contains("penalty"),
        "{err}"
    );

    let e = gdshrink()
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
        let v = (128.0 + 100.0 * (f64::from(x) * 0.3 + f64::from(y)).sin()) as u8;
        image::Rgb([v, v / 2, 255 - v])
    });
    img.save(&img_path).unwrap();
    let out = dir.path().join("o");
    let a = gdshrink()
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
