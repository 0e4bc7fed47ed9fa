"""Paired comparison of two strategies across seeds (same seed = same initial labelled set)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
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
