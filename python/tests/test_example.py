"""The notebook-style example under examples/python/ runs as a test."""

import pathlib
import runpy

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "quickstart.py"


def test_quickstart_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "CPU GD vs closed form" in out and "q(K):" in out
