"""Synthetic experiment tables with the pipeline's columns, for tests, demos and previews.

The learning curves are saturating exponentials with a gain that depends on the arm's settings
(never on its name, so a renamed arm gets the same curve) and per-seed noise; they look like
results but mean nothing. The columns are those of
:data:`~alcore.stages.schemas.EXPERIMENT_METRICS` and
:data:`~alcore.stages.schemas.EXPERIMENT_ACQUISITIONS`, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from alcore.files import Column
from alcore.settings import StrategySettings
from alcore.stages.schemas import ARM, EXPERIMENT_ACQUISITIONS, EXPERIMENT_METRICS

Arm = str | StrategySettings

# The arms of the paper under the names config.yaml gives them, so that tests can say "greedy";
# any other arm is passed as a StrategySettings.
PAPER_ARMS: dict[str, StrategySettings] = {
    arm.name: arm
    for arm in (
        StrategySettings("random", "random"),
        StrategySettings("greedy", "coreset"),
        StrategySettings("greedy_beam1", "coreset"),
        StrategySettings("greedy_beam20", "coreset", beam_width=20),
        StrategySettings("pweighted_beam1", "coreset", weighted=True),
        StrategySettings("pweighted_beam10", "coreset", weighted=True, beam_width=10),
        StrategySettings("pweighted_beam20", "coreset", weighted=True, beam_width=20),
        StrategySettings("least_confidence", "least_confidence"),
        StrategySettings("entropy", "entropy"),
        StrategySettings("margin", "margin"),
    )
}
_DEFAULT = ("random", "greedy", "pweighted_beam20")
_BASELINE_GAIN = {"random": 0.0, "least_confidence": -0.04, "entropy": -0.05, "margin": 0.01}


def arm_settings(strategies: Sequence[Arm]) -> list[StrategySettings]:
    """Settings of each arm: a StrategySettings as given, a name from :data:`PAPER_ARMS`."""
    if isinstance(strategies, str):
        raise TypeError(f"strategies must be a sequence of arms, not the string {strategies!r}")
    arms = []
    for arm in strategies:
        if isinstance(arm, StrategySettings):
            arms.append(arm)
        elif arm in PAPER_ARMS:
            arms.append(PAPER_ARMS[arm])
        else:
            raise ValueError(
                f"unknown arm {arm!r} (named arms: {sorted(PAPER_ARMS)}); pass "
                f"StrategySettings({arm!r}, kind, weighted, beam_width) for any other"
            )
    return arms


def _gain(arm: StrategySettings) -> float:
    """Accuracy gain over random, as a fraction of the remaining headroom per round."""
    if arm.kind != "coreset":
        return _BASELINE_GAIN.get(arm.kind, 0.0)
    beam = min(arm.beam_width - 1, 19) / 19  # 0 for greedy, 1 from beam width 20 up
    return 0.05 + 0.04 * beam if arm.weighted else 0.02 + 0.005 * beam


def synthetic_metrics(
    datasets: Sequence[str] = ("cifar10",),
    strategies: Sequence[Arm] = _DEFAULT,
    seeds: int = 3,
    rounds: int = 6,
    initial: int = 1000,
    budget: int = 400,
    n_classes: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """An experiment metrics table of ``rounds`` rounds for every dataset, arm and seed
    0..seeds-1; ``n_labels = initial + round·budget``. strategies: names of :data:`PAPER_ARMS`
    or StrategySettings. As in the pipeline, ``weighted_radius`` is NaN for arms without an
    embedding (kind random). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    rows = []
    for d, dataset in enumerate(datasets):
        ceiling = 0.9 - 0.25 * d
        for arm in arm_settings(strategies):
            gain = _gain(arm)
            for s in range(seeds):
                offset = rng.normal(0, 0.01)
                for r in range(rounds):
                    n = initial + r * budget
                    base = ceiling * (1 - 0.6 * np.exp(-n / (2.0 * initial)))
                    accuracy = base + gain * (ceiling - base) * r + offset + rng.normal(0, 0.006)
                    radius = 3.0 * (n / initial) ** -0.35 * (1 - 0.05 * gain) + rng.normal(0, 0.02)
                    rows.append(
                        {
                            "dataset": dataset,
                            "strategy": arm.name,
                            "seed": s,
                            "round": r,
                            "n_labels": n,
                            "test_accuracy": float(np.clip(accuracy, 0, 1)),
                            "test_loss": float(2.3 * (1 - accuracy) + rng.normal(0, 0.02)),
                            "mean_doubt": float((1 - accuracy) * 0.8),
                            "radius": float(radius),
                            "weighted_radius": (
                                float(radius * 0.3) if arm.needs_embedding else np.nan
                            ),
                            "per_class_accuracy": list(
                                np.clip(accuracy + rng.normal(0, 0.05, n_classes), 0, 1)
                            ),
                            **_arm_columns(arm),
                        }
                    )
    frame = pd.DataFrame(rows, columns=[c.name for c in EXPERIMENT_METRICS])
    return _typed(frame, EXPERIMENT_METRICS)


def synthetic_acquisitions(
    n_pool: int,
    strategies: Sequence[Arm] = _DEFAULT,
    dataset: str = "toy",
    seeds: int = 2,
    rounds: int = 4,
    budget: int = 20,
    beams: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """An experiment acquisitions table: per run and round, ``beams`` beams of ``budget``
    distinct pool indices never picked in an earlier round of the run; beam rank 1 has the
    highest U; radii NaN. Requires ``rounds * budget * beams <= n_pool``."""
    if rounds * budget * beams > n_pool:
        raise ValueError(f"rounds*budget*beams={rounds * budget * beams} exceeds n_pool={n_pool}")
    rng = np.random.default_rng(seed)
    rows = []
    for arm in arm_settings(strategies):
        for s in range(seeds):
            order = rng.permutation(n_pool)
            cursor = 0
            for r in range(rounds):
                us = np.sort(rng.uniform(0.2, 1.0, beams))[::-1]
                for k in range(beams):
                    picks = order[cursor : cursor + budget]
                    cursor += budget
                    for j, index in enumerate(picks):
                        rows.append(
                            {
                                "dataset": dataset,
                                "strategy": arm.name,
                                "seed": s,
                                "round": r,
                                "beam_rank": k + 1,
                                "pick_order": j,
                                "index": int(index),
                                "score": float(rng.uniform()),
                                "u": float(us[k]),
                                **_arm_columns(arm),
                            }
                        )
    frame = pd.DataFrame(rows, columns=[c.name for c in EXPERIMENT_ACQUISITIONS])
    return _typed(frame, EXPERIMENT_ACQUISITIONS)


def _arm_columns(arm: StrategySettings) -> dict[str, object]:
    return {column.name: getattr(arm, column.name) for column in ARM}


def _typed(frame: pd.DataFrame, schema: Sequence[Column]) -> pd.DataFrame:
    """``frame`` with the dtypes the same table has when read back from parquet."""
    dtypes = {
        c.name: "str" if pa.types.is_string(c.type) else c.type.to_pandas_dtype()
        for c in schema
        if not pa.types.is_list(c.type)
    }
    return frame.astype(dtypes)
