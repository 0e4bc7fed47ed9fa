"""One row per dataset and strategy: final accuracy, area under the curve, labels to a target,
and paired tests against reference arms.

Columns of :func:`summarize` (``<ref>`` is each key of ``references``):

================================  ==============================================================
``dataset``, ``strategy``         the group
``kind``, ``weighted``,           the arm's settings
``beam_width``, ``passes``
``n_seeds``                       number of runs (seeds)
``final_n_labels``                the largest n_labels of the group
``final_accuracy_mean`` / _std    test accuracy at ``final_n_labels``: mean, std (ddof=1) over
                                  the seeds that reached it
``aulc_mean`` / ``aulc_std``      area under each run's learning curve (trapezoid over n_labels
                                  divided by the n_labels range: a mean accuracy), over seeds
``target_accuracy``               the target used by the next columns
``labels_to_target``              mean over seeds of the first n_labels with accuracy >= target;
                                  NaN if some seed never reaches it
``n_seeds_reached``               seeds that reach the target
``aulc_diff_vs_<ref>``            mean over seeds of AULC(strategy) - AULC(ref), paired by seed
``p_vs_<ref>``                    two-sided paired t-test p (scipy.stats.ttest_rel)
``d_z_vs_<ref>``                  Cohen's d_z = mean(diff) / std(diff, ddof=1)
``n_pairs_vs_<ref>``              seeds run by both strategies
``seeds_for_power_vs_<ref>``      seeds a paired t-test at 5% would need to detect a difference
                                  of the measured d_z with 80% power (inf: d_z = 0 or > 1,000)
================================  ==============================================================

A reference is a :class:`~alcore.analysis.arms.Role` (arm settings), not a name: ``<ref>`` is the
role's name in ``references`` and the arm compared against is, per dataset, the first arm (in the
canonical order of :func:`~alcore.analysis.arms.arm_table`) with those settings, whatever the
config calls it. The paired columns are NaN (and n_pairs 0) for the reference arm itself and
where no arm plays the role. For a pair, both AULCs are taken over the n_labels values the two
runs share, so runs with different label schedules are compared on common ground (with
identical schedules this is the plain AULC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alcore.analysis.arms import ARM_COLUMNS, GREEDY, RANDOM, Role, arm_table, first_arm
from alcore.analysis.curves import area_under_curve, labels_to_reach, run_curves
from alcore.analysis.stats import paired_test, pairs_for_power

# the arms every other arm is compared against, by the name of their summary columns
REFERENCES: Mapping[str, Role] = {"greedy": GREEDY, "random": RANDOM}
TARGET_ROLE = RANDOM  # without a target: the final mean accuracy of this arm


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return float("nan"), float("nan")
    std = float(array.std(ddof=1)) if array.size > 1 else float("nan")
    return float(array.mean()), std


def _final(runs: Sequence[pd.DataFrame]) -> tuple[int, list[float]]:
    """The largest n_labels over runs and the accuracy of each run that reached it."""
    final = max(int(run["n_labels"].max()) for run in runs)
    accuracies = [
        float(run.loc[run["n_labels"] == final, "test_accuracy"].iloc[-1])
        for run in runs
        if (run["n_labels"] == final).any()
    ]
    return final, accuracies


def _paired_aulc(run: pd.DataFrame, reference: pd.DataFrame) -> tuple[float, float]:
    """AULC of ``run`` and ``reference`` over the n_labels values they share (NaN if none)."""
    shared = np.intersect1d(run["n_labels"].to_numpy(), reference["n_labels"].to_numpy())
    a = run[run["n_labels"].isin(shared)]
    b = reference[reference["n_labels"].isin(shared)]
    return (
        area_under_curve(a["n_labels"].to_numpy(), a["test_accuracy"].to_numpy()),
        area_under_curve(b["n_labels"].to_numpy(), b["test_accuracy"].to_numpy()),
    )


def summarize(
    metrics: pd.DataFrame,
    target_accuracy: float | None = None,
    references: Mapping[str, Role] = REFERENCES,
) -> pd.DataFrame:
    """Summarise every (dataset, strategy) of ``metrics``; the columns are listed in this
    module's docstring.

    metrics: an experiment metrics table, with the arm columns (``kind``, ``weighted``,
    ``beam_width``). target_accuracy: the accuracy for ``labels_to_target``; None uses, per
    dataset, the final mean accuracy of the arm of :data:`TARGET_ROLE` (random; NaN if the
    dataset has none). references: column name -> the Role of the arm to compare against.
    Returns one row per (dataset, strategy), sorted.
    """
    if not isinstance(references, Mapping) or not all(
        isinstance(role, Role) for role in references.values()
    ):
        raise TypeError(
            f"references={references!r} must map a column name to a Role (arm settings), e.g. "
            "{'greedy': Role('coreset', weighted=False, beam='greedy')}"
        )
    runs = run_curves(metrics)
    if not runs:
        raise ValueError("no runs in the metrics table; gather some metrics files first")
    settings = arm_table(metrics).set_index("strategy")
    groups: dict[tuple[str, str], dict[int, pd.DataFrame]] = {}
    for (dataset, strategy, seed), run in runs.items():
        groups.setdefault((dataset, strategy), {})[seed] = run
    roles = {"__target__": TARGET_ROLE, **references}
    played: dict[tuple[str, str], str | None] = {}  # (dataset, role name) -> the arm playing it
    for dataset in sorted({d for d, _ in groups}):
        arms = arm_table(metrics[metrics["dataset"] == dataset])
        for name, role in roles.items():
            played[(dataset, name)] = first_arm(arms, role)
    rows = []
    for (dataset, strategy), by_seed in groups.items():
        seeds = list(by_seed.values())
        final_n, finals = _final(seeds)
        final_mean, final_std = _mean_std(finals)
        aulc = [
            area_under_curve(r["n_labels"].to_numpy(), r["test_accuracy"].to_numpy()) for r in seeds
        ]
        aulc_mean, aulc_std = _mean_std(aulc)
        target = target_accuracy
        if target is None:
            target_arm = played[(dataset, "__target__")]
            reference_runs = groups.get((dataset, target_arm)) if target_arm else None
            target = (
                _mean_std(_final(list(reference_runs.values()))[1])[0]
                if reference_runs
                else float("nan")
            )
        reached = [
            labels_to_reach(r["n_labels"].to_numpy(), r["test_accuracy"].to_numpy(), target)
            for r in seeds
        ]
        n_reached = int(np.sum(~np.isnan(reached)))
        row: dict[str, object] = {
            "dataset": dataset,
            "strategy": strategy,
            **{column: settings.loc[strategy, column] for column in ARM_COLUMNS},
            "n_seeds": len(seeds),
            "final_n_labels": final_n,
            "final_accuracy_mean": final_mean,
            "final_accuracy_std": final_std,
            "aulc_mean": aulc_mean,
            "aulc_std": aulc_std,
            "target_accuracy": float(target),
            "labels_to_target": float(np.mean(reached)) if n_reached == len(seeds) else np.nan,
            "n_seeds_reached": n_reached,
        }
        for reference in references:
            reference_arm = played[(dataset, reference)]
            reference_runs = groups.get((dataset, reference_arm), {}) if reference_arm else {}
            pairs = [
                _paired_aulc(by_seed[seed], reference_runs[seed])
                for seed in sorted(set(by_seed) & set(reference_runs))
            ]
            if reference_arm == strategy:
                pairs = []
            test = paired_test(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
            row[f"aulc_diff_vs_{reference}"] = test.mean_diff
            row[f"p_vs_{reference}"] = test.p_value
            row[f"d_z_vs_{reference}"] = test.d_z
            row[f"n_pairs_vs_{reference}"] = test.n_pairs
            row[f"seeds_for_power_vs_{reference}"] = pairs_for_power(test.d_z)
        rows.append(row)
    summary = pd.DataFrame(rows)
    return summary.sort_values(["dataset", "strategy"], kind="stable").reset_index(drop=True)
