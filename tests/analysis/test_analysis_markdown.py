"""Markdown tables."""

import numpy as np
import pandas as pd
import pytest

from alcore.analysis.markdown import format_summary, markdown_table
from alcore.analysis.summary import summarize
from alcore.analysis.synthetic import synthetic_metrics


def test_markdown_table_exact_output() -> None:
    df = pd.DataFrame({"strategy": ["greedy", "a|b"], "n": [3, 12], "acc": [0.81234, np.nan]})
    assert markdown_table(df) == (
        "| strategy | n | acc |\n"
        "| --- | ---: | ---: |\n"
        "| greedy | 3 | 0.812 |\n"
        "| a\\|b | 12 | n/a |\n"
    )
    assert "| 0.8 |" in markdown_table(df, float_format="{:.1f}")


def test_markdown_table_rejects_bad_format() -> None:
    with pytest.raises(ValueError, match="float_format"):
        markdown_table(pd.DataFrame({"x": [1.0]}), float_format="{:d}")


def test_format_summary_renders_every_row() -> None:
    summary = summarize(synthetic_metrics(seeds=3, rounds=3))
    table = format_summary(summary)
    assert len(table) == len(summary)
    assert {"final accuracy", "AULC", "ΔAULC vs greedy", "ΔAULC vs random"} <= set(table.columns)
    assert all(" ± " in cell for cell in table["AULC"])
    text = markdown_table(table)
    assert text.count("\n") == len(summary) + 2
    assert "p=" in text and "n80=" in text
