"""The calibration report as Markdown: tables of errors before and after, links to the plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from hil.calibration.metrics import ErrorSummary


def table(rows: Sequence[Mapping[str, object]], floatfmt: str = "{:.3g}") -> str:
    """A GitHub-flavoured Markdown table from a list of uniform dicts."""
    if not rows:
        return "_(no rows)_\n"
    cols = list(rows[0].keys())

    def cell(v: object) -> str:
        if isinstance(v, float):
            return floatfmt.format(v)
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def before_after_rows(label: str, before: ErrorSummary, after: ErrorSummary) -> list[dict[str, object]]:
    return [
        {"quantity": label, "calibration": "before", **before.as_row()},
        {"quantity": label, "calibration": "after", **after.as_row()},
    ]


def summary_by(df: pd.DataFrame, key: str, quantity: str) -> list[dict[str, object]]:
    """MAPE before/after grouped by ``key`` (e.g. profile)."""
    rows = []
    for value, grp in df.groupby(key):
        m = grp[f"measured_{quantity}"]
        rows.append(
            {
                key: value,
                "n": len(grp),
                "MAPE before %": float((100 * (grp[f"before_{quantity}"] - m).abs() / m).mean()),
                "MAPE after %": float((100 * (grp[f"after_{quantity}"] - m).abs() / m).mean()),
            }
        )
    return rows
