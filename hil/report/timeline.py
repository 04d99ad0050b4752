"""Timeline plot of one run: capacitor voltage, on/off, and the layer in progress."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tinas.records import atomic_path  # noqa: E402


def plot_timeline(tl: dict, out: Path) -> Path:
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True)
    v = tl.get("voltage", [])
    if v:
        ax1.plot([t for t, _, _ in v], [x for _, x, _ in v], "-", lw=1)
    ax1.set_ylabel("capacitor V")
    ev = tl.get("events", [])
    for t, kind, layer in ev:
        ax2.plot([t], [layer], "g^" if kind == "on" else ("rv" if kind == "off" else "ks"), ms=4)
    ax2.set_ylabel("layer in progress")
    ax2.set_xlabel("time (s)")
    ax1.set_title("power cycles (▲ on, ▼ off, ■ done)")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
    plt.close(fig)
    return out
