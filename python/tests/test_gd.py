"""Literal GD from Python on the CPU (f64) and the GPU (f32, lavapipe in CI)
against iterated numpy GD on a user-supplied A and on a design."""

import numpy as np
import pytest

import gdshrink as g
from conftest import numpy_gd


def test_cpu_gd_on_a_user_matrix_matches_numpy(features):
    A, y = features
    alpha = 0.8 / np.linalg.norm(A, 2) ** 2
    qs = [0, 1, 10, 100]
    out = g.gd(A, y, alpha=alpha, qs=qs, device="cpu", record_w=True)
    ref = numpy_gd(A, y, alpha, qs)
    assert out["q"] == qs and out["f"].shape == (4, 48) and out["w"].shape == (4, 80)
    assert out["status"] == "ok" and out["engine"]["precision"] == "f64"
    for k in range(len(qs)):
        # Same recurrence in f64, different summation order: each step adds a
        # few u relative to ||y|| and the iteration is contractive: 1e-11 at q = 100.
        assert np.linalg.norm(out["f"][k] - ref[k]) <= 1e-11 * np.linalg.norm(y)
    np.testing.assert_allclose(out["f"], out["w"] @ A.T, atol=1e-12)
    np.testing.assert_allclose(out["loss"], 0.5 * np.sum((y - out["f"]) ** 2, axis=1), rtol=1e-12)


def test_batched_runs_and_per_run_alpha(features):
    A, y = features
    Y = np.stack([y, -2 * y, np.cos(np.arange(48.0))])
    smax = np.linalg.norm(A, 2)
    alphas = [1 / smax**2, 0.5 / smax**2, 1.5 / smax**2]
    out = g.gd(A, Y, alpha=alphas, qs=[5, 40])
    assert out["f"].shape == (2, 3, 48) and out["loss"].shape == (2, 3)
    for b in range(3):
        ref = numpy_gd(A, Y[b], alphas[b], [5, 40])
        np.testing.assert_allclose(out["f"][:, b], ref, atol=1e-11 * np.linalg.norm(Y[b]))
    # "auto" is alpha = 1/s_max^2.
    auto = g.gd(A, y, alpha="auto", qs=[40])
    np.testing.assert_allclose(auto["f"][0], out["f"][1, 0], atol=1e-12)


@pytest.mark.parametrize("strategy", ["primal", "dual", "auto"])
def test_gpu_gd_on_a_user_matrix_matches_numpy(features, strategy):
    A, y = features
    alpha = 1.0 / np.linalg.norm(A, 2) ** 2
    qs = [1, 10, 200]
    out = g.gd(A.astype(np.float32), y, alpha=float(np.float32(alpha)), qs=qs, device="gpu", strategy=strategy)
    assert out["engine"]["precision"] == "f32" and out["status"] == "ok"
    ref = numpy_gd(A, y, float(np.float32(alpha)), qs)
    for k, q in enumerate(qs):
        # The library's error model for f32 GD (validate and the Rust GPU tests use it).
        tol = g.f32_tolerance(A, q)
        err = np.linalg.norm(out["f"][k] - ref[k]) / np.linalg.norm(ref[k])
        assert err <= tol, (q, err, tol)
        assert tol < 1e-3  # the bound is meaningful: far below a wrong result


def test_gpu_gd_on_a_design_matches_cpu():
    d = g.Design("tanh", sigma=30.0, x=64, b=96)
    y = np.sin(6 * d.x)
    qs = [1, 50, 500]
    cpu = g.gd(d, y, qs=qs)
    for strategy in ["matrix-free", "dual"]:
        gpu = g.gd(d, y, qs=qs, device="gpu", strategy=strategy)
        assert gpu["engine"]["strategy"] == strategy
        for k, q in enumerate(qs):
            # The design is rounded to f32 on the device: the error model bounds
            # the difference to f64 (twice, for the rounded grids and sigma).
            tol = 2 * g.f32_tolerance(d, q)
            err = np.linalg.norm(gpu["f"][k] - cpu["f"][k]) / np.linalg.norm(cpu["f"][k])
            assert err <= tol, (strategy, q, err, tol)


def test_progress_callback_and_ctrl_c(features):
    A, y = features
    seen = []
    g.gd(A, y, qs=[0, 300], progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[0] == ("cpu-f64", 0, 300) and seen[-1][1] == 300
    assert all(a[1] <= b[1] for a, b in zip(seen, seen[1:]))

    import signal

    calls = []

    def interrupt(stage, done, total):
        calls.append(done)
        if done >= 64:
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C does

    # Python turns SIGINT into KeyboardInterrupt only if SIGINT was not ignored
    # when it started, and a shell starts background jobs with SIGINT ignored:
    # install the handler a terminal's Python has, for this test only.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            g.gd(A, y, qs=[100_000], progress=interrupt)
    finally:
        signal.signal(signal.SIGINT, previous)
    # Stopped at the next check after the signal, not at q = 100000.
    assert max(calls) < 1000


def test_progress_true_uses_tqdm_when_installed(features, capsys):
    pytest.importorskip("tqdm")
    A, y = features
    g.gd(A, y, qs=[200], progress=True)
    assert "cpu-f64" in capsys.readouterr().err
