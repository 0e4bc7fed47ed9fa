"""Paired tests across seeds and the per-strategy summary."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alcore.analysis.arms import Role
from alcore.analysis.stats import paired_power, paired_test, pairs_for_power
from alcore.analysis.summary import summarize

SQRT3 = math.sqrt(3.0)


def test_paired_test_hand_case() -> None:
    # differences 1, 2, 3: mean 2, sd sqrt(((-1)^2 + 0 + 1^2) / 2) = 1, d_z = 2 / 1 = 2,
    # t = 2 / (1 / sqrt 3) = 2 sqrt 3 = 3.4641; with 2 df the t distribution has the closed form
    # P(|T| > t) = 1 - t / sqrt(t^2 + 2) = 1 - 3.4641 / sqrt(14) = 0.074180
    result = paired_test(np.array([11.0, 12.0, 13.0]), np.array([10.0, 10.0, 10.0]))
    assert result.mean_diff == pytest.approx(2.0)
    assert result.sd_diff == pytest.approx(1.0)
    assert result.d_z == pytest.approx(2.0)
    assert result.t == pytest.approx(2 * SQRT3)
    assert result.p_value == pytest.approx(1 - 2 * SQRT3 / math.sqrt(14.0))
    assert result.p_value == pytest.approx(0.0741799, abs=1e-6)
    assert result.p_value == pytest.approx(2 * stats.t.sf(2 * SQRT3, df=2))
    assert result.n_pairs == 3


def test_paired_test_small_and_degenerate_samples() -> None:
    one = paired_test(np.array([2.0]), np.array([1.0]))
    assert one.mean_diff == 1.0 and one.n_pairs == 1
    assert math.isnan(one.p_value) and math.isnan(one.d_z) and math.isnan(one.t)
    nan_pair = paired_test(np.array([2.0, np.nan, 4.0]), np.array([1.0, 1.0, 1.0]))
    assert nan_pair.n_pairs == 2 and nan_pair.mean_diff == pytest.approx(2.0)
    same = paired_test(np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    assert same.mean_diff == 0.0 and math.isnan(same.d_z)
    with pytest.raises(ValueError, match="same length"):
        paired_test(np.array([1.0]), np.array([1.0, 2.0]))


# settings of the arms below: (kind, weighted, beam_width)
ARMS = {
    "random": ("random", False, 1),
    "greedy": ("coreset", False, 1),
    "pweighted_beam20": ("coreset", True, 20),
    "a": ("coreset", True, 4),
}


def flat_runs(
    strategy: str, levels: list[float], n_labels: list[int], arm: str | None = None
) -> list[dict[str, object]]:
    """One run per seed whose accuracy is ``levels[seed]`` at every n_labels (AULC = level),
    under the name ``strategy`` with the settings of ``ARMS[arm or strategy]``."""
    kind, weighted, beam_width = ARMS[arm or strategy]
    return [
        {"dataset": "d", "strategy": strategy, "seed": seed, "round": r, "n_labels": n,
         "test_accuracy": level, "kind": kind, "weighted": weighted, "beam_width": beam_width,
         "passes": 20}
        for seed, level in enumerate(levels)
        for r, n in enumerate(n_labels)
    ]  # fmt: skip


def test_summarize_hand_case() -> None:
    n = [100, 200, 300]
    rows = flat_runs("random", [0.50, 0.60, 0.70], n)
    rows += flat_runs("pweighted_beam20", [0.51, 0.62, 0.73], n)  # differences .01 .02 .03
    rows += flat_runs("greedy", [0.50, 0.60], n)  # only seeds 0 and 1
    summary = summarize(pd.DataFrame(rows)).set_index("strategy")
    pw = summary.loc["pweighted_beam20"]
    assert pw["n_seeds"] == 3 and pw["final_n_labels"] == 300
    # final accuracies .51 .62 .73: mean .62, sd = 0.11
    assert pw["final_accuracy_mean"] == pytest.approx(0.62)
    assert pw["final_accuracy_std"] == pytest.approx(0.11)
    assert pw["aulc_mean"] == pytest.approx(0.62)
    # the same paired case as above, scaled by 0.01: mean .02, d_z 2, p 0.074180
    assert pw["aulc_diff_vs_random"] == pytest.approx(0.02)
    assert pw["d_z_vs_random"] == pytest.approx(2.0)
    assert pw["p_vs_random"] == pytest.approx(1 - 2 * SQRT3 / math.sqrt(14.0))
    assert pw["n_pairs_vs_random"] == 3
    # d_z 2 needs 5 pairs for 80% power (4 give 0.52, 5 give 0.91: test_pairs_for_power)
    assert pw["seeds_for_power_vs_random"] == 5
    # against greedy only seeds 0 and 1 pair: differences .01 and .02
    assert pw["n_pairs_vs_greedy"] == 2
    assert pw["aulc_diff_vs_greedy"] == pytest.approx(0.015)
    # the default target is random's final mean accuracy, 0.60: pweighted seeds 1, 2 reach it
    # at 100 labels, seed 0 (0.51) never does -> NaN
    assert pw["target_accuracy"] == pytest.approx(0.60)
    assert math.isnan(pw["labels_to_target"]) and pw["n_seeds_reached"] == 2
    random = summary.loc["random"]
    assert math.isnan(random["aulc_diff_vs_random"]) and random["n_pairs_vs_random"] == 0
    assert random["aulc_diff_vs_greedy"] == pytest.approx(0.0)
    assert (random["kind"], pw["kind"], pw["weighted"], pw["beam_width"]) == (
        "random", "coreset", True, 20,
    )  # fmt: skip


def test_references_are_found_by_settings_not_by_name() -> None:
    n = [100, 200, 300]
    named = flat_runs("random", [0.50, 0.60, 0.70], n)
    named += flat_runs("pweighted_beam20", [0.51, 0.62, 0.73], n)
    named += flat_runs("greedy", [0.50, 0.60], n)
    renamed = flat_runs("uniform", [0.50, 0.60, 0.70], n, arm="random")
    renamed += flat_runs("my_beam", [0.51, 0.62, 0.73], n, arm="pweighted_beam20")
    renamed += flat_runs("sener", [0.50, 0.60], n, arm="greedy")
    before = summarize(pd.DataFrame(named)).set_index("strategy")
    after = summarize(pd.DataFrame(renamed)).set_index("strategy")
    columns = ["aulc_diff_vs_random", "n_pairs_vs_random", "aulc_diff_vs_greedy",
               "n_pairs_vs_greedy", "target_accuracy", "n_seeds_reached"]  # fmt: skip
    mine, theirs = after.loc["my_beam", columns], before.loc["pweighted_beam20", columns]
    assert mine.tolist() == theirs.tolist()
    assert after.loc["my_beam", "n_pairs_vs_greedy"] == 2  # "sener" plays greedy
    assert after.loc["sener", "n_pairs_vs_greedy"] == 0  # not compared with itself


def test_a_custom_reference_and_bad_references() -> None:
    n = [100, 200]
    rows = flat_runs("random", [0.5, 0.6], n) + flat_runs("a", [0.6, 0.8], n)
    rows += flat_runs("pweighted_beam20", [0.7, 0.7], n)
    widest = {"widest": Role("coreset", weighted=True, beam="search")}
    summary = summarize(pd.DataFrame(rows), references=widest).set_index("strategy")
    # "a" (beam 4) comes before pweighted_beam20 (beam 20) in the canonical order: it is the
    # reference, so pweighted_beam20 is compared with it: differences .1 and -.1
    assert summary.loc["pweighted_beam20", "aulc_diff_vs_widest"] == pytest.approx(0.0)
    assert summary.loc["pweighted_beam20", "n_pairs_vs_widest"] == 2
    assert summary.loc["a", "n_pairs_vs_widest"] == 0
    assert "aulc_diff_vs_greedy" not in summary.columns
    with pytest.raises(TypeError, match="must map a column name to a Role"):
        summarize(pd.DataFrame(rows), references=("greedy",))  # type: ignore[arg-type]


def test_summarize_needs_the_arm_settings() -> None:
    rows = pd.DataFrame(flat_runs("random", [0.5], [10, 20])).drop(columns=["kind"])
    with pytest.raises(ValueError, match=r"no column\(s\) \['kind'\].*with_arms"):
        summarize(rows)


def test_summarize_with_a_target_and_unequal_schedules() -> None:
    rows = [
        {"dataset": "d", "strategy": "a", "seed": 0, "round": r, "n_labels": n,
         "test_accuracy": acc, "kind": "coreset", "weighted": True, "beam_width": 4,
         "passes": 20}
        for r, (n, acc) in enumerate([(10, 0.2), (20, 0.4), (30, 0.9)])
    ]  # fmt: skip
    rows += [
        {"dataset": "d", "strategy": "random", "seed": 0, "round": r, "n_labels": n,
         "test_accuracy": acc, "kind": "random", "weighted": False, "beam_width": 1,
         "passes": 20}
        for r, (n, acc) in enumerate([(10, 0.2), (20, 0.2)])
    ]  # fmt: skip
    summary = summarize(pd.DataFrame(rows), target_accuracy=0.4).set_index("strategy")
    assert summary.loc["a", "labels_to_target"] == 20
    assert math.isnan(summary.loc["random", "labels_to_target"])
    # paired AULC on the shared n_labels 10, 20: a = 0.3, random = 0.2
    assert summary.loc["a", "aulc_diff_vs_random"] == pytest.approx(0.1)
    assert summary.loc["a", "n_pairs_vs_random"] == 1
    assert math.isnan(summary.loc["a", "p_vs_random"])
    # its own AULC covers 10..30: (10*(.2+.4)/2 + 10*(.4+.9)/2) / 20 = (3 + 6.5) / 20
    assert summary.loc["a", "aulc_mean"] == pytest.approx(0.475)
    assert "aulc_diff_vs_greedy" in summary.columns  # stable schema without greedy runs
    assert summary.loc["a", "n_pairs_vs_greedy"] == 0


def test_summarize_refuses_empty_metrics() -> None:
    empty = pd.DataFrame(columns=["dataset", "strategy", "seed", "round", "n_labels",
                                  "test_accuracy"])  # fmt: skip
    with pytest.raises(ValueError, match="no runs"):
        summarize(empty)


def test_paired_power_is_alpha_without_effect_and_matches_a_simulation() -> None:
    assert paired_power(0.0, 7) == pytest.approx(0.05, abs=1e-12)
    # the obvious reference: draw paired differences with mean d_z and sd 1, t-test each sample
    rng = np.random.default_rng(0)
    for d_z, n in [(1.0, 10), (0.5, 34), (2.0, 4)]:
        diffs = rng.normal(d_z, 1.0, size=(100_000, n))
        t = diffs.mean(axis=1) / (diffs.std(axis=1, ddof=1) / math.sqrt(n))
        simulated = float(np.mean(np.abs(t) > stats.t.ppf(0.975, n - 1)))
        assert paired_power(d_z, n) == pytest.approx(simulated, abs=0.005)
        assert paired_power(-d_z, n) == pytest.approx(paired_power(d_z, n))


def test_pairs_for_power() -> None:
    # Cohen's tables (paired t, two-sided 5%, 80%): d 0.5 -> 34, 0.8 -> 15, 1.0 -> 10
    assert [pairs_for_power(d) for d in (0.5, 0.8, 1.0, -1.0)] == [34, 15, 10, 10]
    # the fewest: one pair fewer misses the target
    assert paired_power(2.0, 5) >= 0.8 > paired_power(2.0, 4)
    assert pairs_for_power(2.0) == 5
    assert pairs_for_power(0.0) == math.inf and pairs_for_power(0.01) == math.inf
    assert math.isnan(pairs_for_power(math.nan)) and pairs_for_power(math.inf) == 2
    assert pairs_for_power(0.5, power=0.9) > 34
    with pytest.raises(ValueError, match="power"):
        pairs_for_power(0.5, power=1.0)


def test_power_is_finite_and_monotone_for_large_effects() -> None:
    # noncentrality past ~9, where scipy's noncentral t cdf returns NaN in the lower tail
    for d_z in (5.24, 6.67, 7.0, 20.0):
        power = paired_power(d_z, np.arange(2, 12))
        assert np.isfinite(power).all() and (np.diff(power) >= 0).all()
    # the lower tail obeys its bound P(T < -c) <= P(Z < -noncentrality), so power > upper tail
    assert paired_power(6.67, 2) == pytest.approx(
        stats.nct.sf(stats.t.ppf(0.975, 1), 1, 6.67 * math.sqrt(2)), abs=1e-15
    )
    needed = [pairs_for_power(d) for d in np.linspace(0.3, 20.0, 80)]
    assert all(a >= b for a, b in itertools.pairwise(needed))  # larger effects never need more
    assert pairs_for_power(6.67) == 3
    with pytest.raises(ValueError, match="n_pairs >= 2"):
        paired_power(0.5, 1)
