"""The IMO sensitivity tool reproduces the paper's qualitative findings on HAR: width and skip move IMO
least (they are the parameters Guideline 1 drops), and block 0 moves it most (Guideline 2)."""

from __future__ import annotations

import numpy as np
import pytest

from tinas.platform import load_platform
from tinas.sensitivity.analysis import analyse, write_outputs


def test_har_sensitivity(tmp_path):
    res = analyse("HAR", load_platform(), samples=8, seed=1)
    r = {k: v["imo_range"] for k, v in res["parameters"].items()}
    assert r["skip"] < min(r["exp"], r["kernel"], r["layers"])
    assert r["width"] < min(r["exp"], r["kernel"], r["layers"])
    assert res["per_block"]["0"] > res["per_block"]["2"]
    md = write_outputs(res, tmp_path)
    # the table holds the analysis's numbers, widest range first; the plot is a real, non-blank image
    rows = [l.split("|")[1:3] for l in md.read_text().splitlines() if l.startswith("| ") and l.count("|") == 4]
    table = {name.strip(): float(v) for name, v in rows if name.strip() in r}
    assert table == {k: pytest.approx(v, abs=0.005) for k, v in r.items()}
    assert list(table) == sorted(r, key=lambda k: -r[k])
    import matplotlib.image

    img = matplotlib.image.imread(tmp_path / "sensitivity.png")
    assert img.shape[0] > 100 and img.shape[1] > 300 and len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 3
