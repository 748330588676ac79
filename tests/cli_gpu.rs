//! `gdshrink gd --device gpu` against `--device cpu`, and `gdshrink devices`.
//!
//! These tests need a GPU adapter — Mesa's lavapipe (software Vulkan) is
//! enough — and FAIL with the CLI's "no GPU adapter" message when there is
//! none; they never skip. Until the GPU gradient-descent engine lands
//! (`gdshrink::gpu::run_gd` is still a stub), `gd_gpu_matches_cpu` fails with
//! its "not implemented yet" error: that is expected.
//!
//! Tolerance (function space, relative): the GPU iterates in f32
//! (u = 6e-8). Each step forms r = y − A w and Aᵀ r with dot products of
//! length ≤ 96, i.e. ≲ √96·u ≈ 6e-7 relative rounding per step (random-walk
//! model); A itself is rounded to f32 (≲ u per entry). With α = 1/s_max²
//! every factor |1 − αs²| ≤ 1, so GD is non-expansive in function space and
//! the per-step errors add at most linearly: ≲ 100 · 6e-7 = 6e-5 after
//! q = 100. 1e-3 keeps a margin > 10x. Weight space is not compared: the
//! directions with tiny s amplify f32 rounding there (SPEC §3).

mod cli_common;
use cli_common::{has_keys, json, ok, vecf};
use gdshrink::trajectory::rel_error;

const F_TOL: f64 = 1e-3;

#[test]
fn devices_lists_an_adapter() {
    let j = json(&["devices"]);
    let adapters = j["adapters"].as_array().expect("adapters array");
    assert!(
        !adapters.is_empty(),
        "no GPU adapter: install mesa-vulkan-drivers libvulkan1"
    );
    for a in adapters {
        has_keys(
            a,
            &[
                "index",
                "name",
                "device_type",
                "backend",
                "software",
                "max_storage_buffer_binding_size",
                "max_buffer_size",
                "max_compute_workgroup_size_x",
            ],
        );
        assert!(a["max_storage_buffer_binding_size"].as_u64().unwrap() > 0);
    }
    let table = ok(&["devices"]);
    assert!(
        table.contains("max binding") && table.contains("index"),
        "{table}"
    );
}

#[test]
fn gd_gpu_matches_cpu() {
    let common = [
        "gd",
        "-a",
        "tanh",
        "-n",
        "48",
        "-m",
        "96",
        "--signal",
        "heavisine,doppler",
        "--q",
        "1,10,100",
        "--eval-points",
        "33",
    ];
    let cpu = json(&[&common[..], &["--device", "cpu"]].concat());
    for strategy in ["auto", "primal", "dual", "matrix-free"] {
        let gpu = json(&[&common[..], &["--device", "gpu", "--strategy", strategy]].concat());
        assert_eq!(gpu["device"], "gpu");
        assert_eq!(gpu["strategy"], strategy);
        assert_eq!(gpu["ok"], true, "{strategy}: {}", gpu["runs"]);
        assert!(
            gpu["adapter"]["name"].is_string(),
            "the output names the adapter"
        );
        assert_ne!(gpu["engine"], cpu["engine"]);
        assert_eq!(gpu["q"], cpu["q"]);
        for b in 0..2 {
            for i in 0..3 {
                let ef = rel_error(&vecf(&gpu["f"][b][i]), &vecf(&cpu["f"][b][i]));
                let ee = rel_error(&vecf(&gpu["f_eval"][b][i]), &vecf(&cpu["f_eval"][b][i]));
                assert!(
                    ef <= F_TOL && ee <= F_TOL,
                    "{strategy}, run {b}, q = {}: rel error f {ef:e}, f_eval {ee:e} (tol {F_TOL:e})",
                    cpu["q"][i]
                );
            }
        }
    }
}
