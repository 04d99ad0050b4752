"""The IMO sensitivity tool reproduces the paper's qualitative findings on HAR: width and skip move IMO
least (they are the parameters Guideline 1 drops), and block 0 moves it most (Guideline 2)."""

from __future__ import annotations

from tinas.platform import load_platform
from tinas.sensitivity.analysis import analyse, write_outputs


def test_har_sensitivity(tmp_path):
    res = analyse("HAR", load_platform(), samples=8, seed=1)
    r = {k: v["imo_range"] for k, v in res["parameters"].items()}
    assert r["skip"] < min(r["exp"], r["kernel"], r["layers"])
    assert r["width"] < min(r["exp"], r["kernel"], r["layers"])
    assert res["per_block"]["0"] > res["per_block"]["2"]
    md = write_outputs(res, tmp_path)
    assert md.is_file() and (tmp_path / "sensitivity.png").is_file()
