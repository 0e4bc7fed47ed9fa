"""Arms found by their settings: roles, the canonical order, and the settings columns."""

import dataclasses

import pandas as pd
import pytest

from alcore.analysis.arms import ARM_COLUMNS, Role, arm_table, find_arms, with_arms
from alcore.settings import StrategySettings


def arms(*rows: tuple[str, str, bool, int]) -> pd.DataFrame:
    """A table with one row per (strategy, kind, weighted, beam_width); passes the default."""
    table = pd.DataFrame(rows, columns=["strategy", "kind", "weighted", "beam_width"])
    return table.assign(passes=20)


ABLATION = arms(
    ("pw20", "coreset", True, 20), ("lc", "least_confidence", False, 1),
    ("greedy_beam1", "coreset", False, 1), ("uniform", "random", False, 1),
    ("pw1", "coreset", True, 1), ("greedy", "coreset", False, 1), ("g20", "coreset", False, 20),
)  # fmt: skip


def test_arm_columns_are_the_strategy_settings() -> None:
    # the table columns are read from StrategySettings by name (with_arms): they must agree
    fields = [f.name for f in dataclasses.fields(StrategySettings) if f.name != "name"]
    assert list(ARM_COLUMNS) == fields


def test_canonical_order_is_by_settings() -> None:
    table = pd.concat([ABLATION, ABLATION], ignore_index=True)  # repeated rows: one arm each
    assert list(arm_table(table)["strategy"]) == [
        "uniform", "greedy", "greedy_beam1", "g20", "pw1", "pw20", "lc",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "distinct", "expected"),
    [
        (Role("random"), True, ["uniform"]),
        (Role("coreset", weighted=False), False, ["greedy", "greedy_beam1", "g20"]),
        (Role("coreset", weighted=False), True, ["greedy", "g20"]),  # greedy_beam1 = greedy
        (Role("coreset", beam="search"), True, ["g20", "pw20"]),
        (Role("coreset", weighted=True, beam="greedy"), True, ["pw1"]),
        (Role("entropy"), True, []),
    ],
)
def test_roles_pick_arms_by_settings(role: Role, distinct: bool, expected: list[str]) -> None:
    names, unmatched = find_arms(arm_table(ABLATION), [role], distinct)
    assert names == expected
    assert unmatched == ([] if expected else [role])


def test_each_name_once_across_roles() -> None:
    roles = [Role("random"), Role("coreset", weighted=False, beam="greedy"), Role("coreset")]
    names, _ = find_arms(arm_table(ABLATION), roles)
    assert names == ["uniform", "greedy", "g20", "pw1", "pw20"]


def test_with_arms_fills_the_settings_by_name() -> None:
    table = pd.DataFrame({"strategy": ["b", "a", "b"], "round": [0, 0, 1]})
    settings = {
        "a": StrategySettings("a", "random"),
        "b": StrategySettings("b", "coreset", weighted=True, beam_width=4),
    }
    out = with_arms(table, settings)
    assert out[list(ARM_COLUMNS)].values.tolist() == [
        ["coreset", True, 4, 20], ["random", False, 1, 20], ["coreset", True, 4, 20],
    ]  # fmt: skip
    assert "kind" not in table.columns  # the input is left alone
    with pytest.raises(ValueError, match=r"no settings for strategies \['b'\] \(known: \['a'\]\)"):
        with_arms(table, {"a": settings["a"]})


def test_bad_tables_and_roles_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no column\(s\) \['weighted', 'beam_width'\]"):
        arm_table(ABLATION.drop(columns=["weighted", "beam_width"]))
    two = arms(("x", "coreset", False, 1), ("x", "coreset", True, 1))
    with pytest.raises(ValueError, match=r"strategies \['x'\] have rows with different settings"):
        arm_table(two)
    with pytest.raises(ValueError, match="beam='wide'"):
        Role("coreset", beam="wide")  # type: ignore[arg-type]
