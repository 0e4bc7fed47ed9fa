"""Render a DataFrame as a GitHub-flavoured Markdown table (no ``tabulate`` needed), and a
compact, human-readable view of :func:`~alcore.analysis.summary.summarize`."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from pandas.api import types


def _cell(value: object, float_format: str, na_rep: str) -> str:
    if value is None or (isinstance(value, Real) and math.isnan(float(value))):
        return na_rep
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return float_format.format(float(value))
    text = str(value)
    return text.replace("|", r"\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame, float_format: str = "{:.3f}", na_rep: str = "n/a") -> str:
    """The rows of ``df`` as a Markdown pipe table (the index is not shown; reset it first to
    keep it).

    Floats use ``float_format`` (a ``str.format`` pattern), integers are printed whole, NaN and
    None as ``na_rep``, ``|`` in text is escaped. Numeric columns are right-aligned. Returns the
    table with a trailing newline.
    """
    try:
        float_format.format(1.0)
    except (ValueError, IndexError, KeyError) as error:
        raise ValueError(
            f"float_format={float_format!r} is not a str.format pattern for one float, "
            "e.g. '{:.3f}'"
        ) from error
    header = [_cell(name, float_format, na_rep) for name in df.columns]
    align = [
        "---:" if types.is_numeric_dtype(df[name]) and not types.is_bool_dtype(df[name]) else "---"
        for name in df.columns
    ]
    body = [
        [_cell(value, float_format, na_rep) for value in row]
        for row in df.itertuples(index=False, name=None)
    ]
    lines = ["| " + " | ".join(cells) + " |" for cells in [header, align, *body]]
    return "\n".join(lines) + "\n"


def format_summary(summary: pd.DataFrame, float_format: str = "{:.3f}") -> pd.DataFrame:
    """A compact view of a :func:`~alcore.analysis.summary.summarize` table for reports:
    ``mean ± std`` text columns for final accuracy and AULC, labels to target, and per reference
    ``ΔAULC vs <ref>`` as ``diff (p=…, d_z=…, n80=…)``, n80 the seeds for 80% power. Returns a
    new DataFrame of strings and ints."""

    def pm(mean: float, std: float) -> str:
        if math.isnan(mean):
            return "n/a"
        text = float_format.format(mean)
        return text if math.isnan(std) else f"{text} ± {float_format.format(std)}"

    out = pd.DataFrame(
        {
            "dataset": summary["dataset"],
            "strategy": summary["strategy"],
            "seeds": summary["n_seeds"],
            "final labels": summary["final_n_labels"],
            "final accuracy": [
                pm(m, s)
                for m, s in zip(
                    summary["final_accuracy_mean"], summary["final_accuracy_std"], strict=True
                )
            ],
            "AULC": [
                pm(m, s) for m, s in zip(summary["aulc_mean"], summary["aulc_std"], strict=True)
            ],
            "labels to target": [
                "n/a" if math.isnan(v) else f"{v:.0f}" for v in summary["labels_to_target"]
            ],
        }
    )
    for column in summary.columns:
        if not column.startswith("aulc_diff_vs_"):
            continue
        reference = column.removeprefix("aulc_diff_vs_")
        cells = []
        for diff, p, d_z, n80 in zip(
            summary[column],
            summary[f"p_vs_{reference}"],
            summary[f"d_z_vs_{reference}"],
            summary[f"seeds_for_power_vs_{reference}"],
            strict=True,
        ):
            if math.isnan(diff):
                cells.append("")
            elif math.isnan(p):
                cells.append(f"{diff:+.3f}")
            else:
                seeds = "n/a" if math.isnan(n80) else ">1000" if math.isinf(n80) else f"{n80:.0f}"
                cells.append(f"{diff:+.3f} (p={p:.3g}, d_z={d_z:.2f}, n80={seeds})")
        out[f"ΔAULC vs {reference}"] = cells
    return out
