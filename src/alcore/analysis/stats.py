"""Paired comparison of two strategies across seeds (same seed = same initial labelled set)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats


@dataclass(frozen=True)
class PairedTest:
    """A paired, two-sided comparison of ``a - b`` over n pairs.

    mean_diff: mean of the differences d = a - b. sd_diff: their standard deviation (ddof=1).
    t: the paired t statistic mean_diff / (sd_diff / sqrt(n)). p_value: two-sided p of
    ``scipy.stats.ttest_rel`` with n - 1 degrees of freedom. d_z: Cohen's d_z =
    mean_diff / sd_diff. n_pairs: n. With fewer than 2 pairs every statistic but mean_diff is
    NaN; when all differences are equal (sd_diff = 0), t and d_z are ±inf (NaN if they are all 0).
    """

    mean_diff: float
    sd_diff: float
    t: float
    p_value: float
    d_z: float
    n_pairs: int


def paired_test(a: np.ndarray, b: np.ndarray) -> PairedTest:
    """Paired t-test and effect size of ``a - b``.

    a, b: (n,) values of the two strategies, pair i from the same seed; NaN pairs are dropped.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a {a.shape} and b {b.shape} must be 1-D of the same length (pairs)")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    n = int(a.size)
    diff = a - b
    mean = float(diff.mean()) if n else float("nan")
    if n < 2:
        return PairedTest(mean, float("nan"), float("nan"), float("nan"), float("nan"), n)
    sd = float(diff.std(ddof=1))
    with warnings.catch_warnings():
        # scipy warns about precision loss when all differences are (nearly) equal
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_rel(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            d_z = float(np.float64(mean) / np.float64(sd))
    return PairedTest(mean, sd, float(result.statistic), float(result.pvalue), d_z, n)


def paired_power(d_z: float, n_pairs: ArrayLike, alpha: float = 0.05) -> NDArray[np.float64]:
    """The power of the two-sided paired t-test at level ``alpha`` with ``n_pairs`` pairs when the
    true standardised effect is ``d_z``: P(|T| > t_crit) for T ~ noncentral t(n - 1, d_z sqrt(n)).

    n_pairs: an int or an array of ints >= 2 (the result has its shape); 0 < alpha < 1; d_z
    finite (its sign does not matter).
    """
    n = np.asarray(n_pairs, dtype=np.float64)
    if np.any(n < 2) or not 0 < alpha < 1 or not np.isfinite(d_z):
        raise ValueError(
            f"need n_pairs >= 2, 0 < alpha < 1, finite d_z; got {n_pairs!r}, {alpha}, {d_z}"
        )
    df = n - 1
    noncentrality = abs(d_z) * np.sqrt(n)
    critical = stats.t.ppf(1 - alpha / 2, df)
    upper = stats.nct.sf(critical, df, noncentrality)
    # P(T < -critical) as P(-T > critical), -T ~ nct(df, -noncentrality): scipy's cdf returns NaN
    # for this far tail once the noncentrality passes about 9 (d_z 6.67 with 2 pairs)
    lower = stats.nct.sf(critical, df, -noncentrality)
    return np.asarray(upper + lower, dtype=np.float64)


def pairs_for_power(d_z: float, power: float = 0.8, alpha: float = 0.05, most: int = 1000) -> float:
    """The fewest pairs (seeds) with which the two-sided paired t-test at level ``alpha`` detects
    an effect of size ``d_z`` with probability ``power`` (:func:`paired_power`).

    NaN when d_z is NaN; inf when d_z is 0 or more than ``most`` pairs would be needed. d_z is the
    measured one, so the answer is an estimate as uncertain as d_z itself.
    """
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")
    if np.isnan(d_z):
        return float("nan")
    if np.isinf(d_z):
        return 2.0
    if d_z == 0:
        return float("inf")
    candidates = np.arange(2, most + 1)  # power rises with n
    reached = np.flatnonzero(paired_power(d_z, candidates, alpha) >= power)
    return float(candidates[reached[0]]) if reached.size else float("inf")
