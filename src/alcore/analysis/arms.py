"""Arms (the config's named strategies) found by their settings, never by their names.

An experiment table carries, on every row, the settings of the arm that made it: the columns
:data:`alcore.stages.schemas.ARM` (``kind``, ``weighted``, ``beam_width``, ``passes``), written by
:func:`alcore.workflow.tables.aggregate`. A figure panel or a summary column asks for a
:class:`Role` ("the unweighted greedy core-set") and finds whatever arm the config gave those
settings, so renaming ``pweighted_beam10`` to ``my_beam`` changes a legend, not what is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from alcore.stages.schemas import ARM

if TYPE_CHECKING:
    from alcore.settings import StrategySettings

ARM_COLUMNS: tuple[str, ...] = tuple(column.name for column in ARM)
# canonical order of kinds in legends and tables: the baseline, the core-set, then the rest by name
_KIND_RANK = {"random": 0, "coreset": 1}
Beam = Literal["any", "greedy", "search"]
_BEAMS: tuple[Beam, ...] = ("any", "greedy", "search")


@dataclass(frozen=True)
class Role:
    """The arms with some settings: ``kind``, and optionally ``weighted`` and the beam.

    beam: "any" width, "greedy" (beam_width 1) or "search" (beam_width > 1).
    """

    kind: str
    weighted: bool | None = None  # None: weighted or not
    beam: Beam = "any"

    def __post_init__(self) -> None:
        if self.beam not in _BEAMS:
            raise ValueError(f"beam={self.beam!r}; use one of {_BEAMS}")

    def matches(self, kind: str, weighted: bool, beam_width: int) -> bool:
        """Whether an arm with these settings plays this role."""
        if kind != self.kind or (self.weighted is not None and bool(weighted) != self.weighted):
            return False
        if self.beam == "greedy":
            return int(beam_width) == 1
        if self.beam == "search":
            return int(beam_width) > 1
        return True

    def __str__(self) -> str:
        words = [f"kind={self.kind}"]
        if self.weighted is not None:
            words.append(f"weighted={self.weighted}")
        if self.beam != "any":
            words.append("beam_width=1" if self.beam == "greedy" else "beam_width>1")
        return ", ".join(words)


# the paper's two baselines, which figures and summaries compare every arm against
RANDOM = Role("random")
GREEDY = Role("coreset", weighted=False, beam="greedy")  # Sener & Savarese's greedy core-set


def with_arms(table: pd.DataFrame, strategies: Mapping[str, StrategySettings]) -> pd.DataFrame:
    """``table`` with the :data:`ARM_COLUMNS` of each row's ``strategy`` filled in from
    ``strategies`` (name -> settings, e.g. ``parse_config(config).strategies``).

    Returns a new frame (same rows, the arm columns appended or replaced); raises ValueError
    naming the strategies that ``strategies`` does not define.
    """
    names = sorted(set(map(str, table["strategy"])))
    unknown = [name for name in names if name not in strategies]
    if unknown:
        raise ValueError(
            f"no settings for strategies {unknown} (known: {sorted(strategies)}); pass the "
            "config's strategies (parse_config(config).strategies) that made the table"
        )
    out = table.copy()
    for column in ARM_COLUMNS:
        values = {name: getattr(strategies[name], column) for name in names}
        out[column] = out["strategy"].map(values)
    return out.astype({"weighted": bool, "beam_width": "int64", "passes": "int64"})


def arm_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy of ``table`` with its settings, in the canonical order.

    table: an experiment table (metrics or acquisitions) with a ``strategy`` column and the
    :data:`ARM_COLUMNS`. Returns columns ``strategy``, then the arm columns, ordered by
    kind (random, coreset, then the others by name), unweighted before weighted, by beam width,
    then by name; a fresh RangeIndex. Raises ValueError when the arm columns are missing or one
    strategy name has rows with two different settings.
    """
    missing = [c for c in ("strategy", *ARM_COLUMNS) if c not in table.columns]
    if missing:
        raise ValueError(
            f"the table has no column(s) {missing}: figures and summaries find arms by their "
            "settings; read an experiment table written by alcore.workflow.tables.aggregate, or "
            "add the columns with alcore.analysis.arms.with_arms(table, strategies)"
        )
    arms = table[["strategy", *ARM_COLUMNS]].drop_duplicates()
    arms = arms.astype(
        {"strategy": str, "kind": str, "weighted": bool, "beam_width": "int64", "passes": "int64"}
    )
    twice = sorted(set(arms.loc[arms["strategy"].duplicated(), "strategy"]))
    if twice:
        raise ValueError(
            f"strategies {twice} have rows with different settings; a name is one arm: "
            "aggregate the experiment again from one config"
        )
    order = arms.assign(
        _rank=arms["kind"].map(lambda k: _KIND_RANK.get(k, len(_KIND_RANK)))
    ).sort_values(["_rank", "kind", "weighted", "beam_width", "strategy"], kind="stable")
    return order.drop(columns="_rank").reset_index(drop=True)


def arm_settings(table: pd.DataFrame) -> dict[str, tuple[str, bool, int]]:
    """strategy -> (kind, weighted, beam_width) of ``table``'s arms; empty without the arm
    columns (a table of names only)."""
    if not all(c in table.columns for c in ("strategy", *ARM_COLUMNS)):
        return {}
    return {
        str(row.strategy): (str(row.kind), bool(row.weighted), int(row.beam_width))
        for row in arm_table(table).itertuples(index=False)
    }


def arm_order(table: pd.DataFrame) -> list[str]:
    """The strategy names of ``table`` in the canonical order of :func:`arm_table`."""
    return list(arm_table(table)["strategy"])


def find_arms(
    arms: pd.DataFrame, roles: Sequence[Role], distinct: bool = True
) -> tuple[list[str], list[Role]]:
    """The strategies of ``arms`` (from :func:`arm_table`) that play ``roles``, and the roles
    that no arm plays.

    The names come role by role, each role's arms in the canonical order, every name once.
    distinct: skip an arm whose settings equal those of an arm already found (equal settings
    make equal curves; ``greedy`` and ``greedy_beam1`` are the same algorithm).
    """
    chosen: list[str] = []
    seen: set[tuple[str, bool, int]] = set()
    unmatched: list[Role] = []
    for role in roles:
        found = False
        for row in arms.itertuples(index=False):
            settings = (str(row.kind), bool(row.weighted), int(row.beam_width))
            if not role.matches(*settings):
                continue
            found = True
            if row.strategy in chosen or (distinct and settings in seen):
                continue
            chosen.append(str(row.strategy))
            seen.add(settings)
        if not found:
            unmatched.append(role)
    return chosen, unmatched


def first_arm(arms: pd.DataFrame, role: Role) -> str | None:
    """The first strategy of ``arms`` (canonical order) that plays ``role``; None if none."""
    names, _ = find_arms(arms, [role])
    return names[0] if names else None
