"""Slow, obvious float64 reference for the probcover strategy (Yehuda et al., NeurIPS 2022).

Dense N x N matrices, Python loops, every gain recomputed from scratch at every pick. It takes
the uniforms the strategy draws (``torch.rand(k + t, dtype=float64, generator)``: k for
k-means++, then one per random-tail pick) as an array, so the same draws can be replayed.
"""

from __future__ import annotations

import numpy as np
import reference_clustering as clustering


def normalise(features) -> np.ndarray:
    """Rows divided by their L2 norms in float64 (zero rows stay 0), rounded once to float32
    for float32 features (as the strategy's working copy), then widened to float64."""
    x = np.asarray(features, np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    if np.asarray(features).dtype != np.float64:
        x = x.astype(np.float32).astype(np.float64)
    return x


def pair_sq_matrix(x: np.ndarray) -> np.ndarray:
    """(N, N) squared distances, the squared coordinate differences summed in coordinate order
    (the strategy's rule, so the same bits)."""
    total = np.zeros((len(x), len(x)))
    for j in range(x.shape[1]):
        total += (x[:, None, j] - x[None, :, j]) ** 2
    return total


def pseudo_labels(x: np.ndarray, n_classes: int, uniforms) -> np.ndarray:
    """k-means (k-means++ then Lloyd) of all points, k = min(C, N)."""
    k = min(n_classes, len(x))
    _, labels = clustering.lloyd(x, clustering.kmeans_plusplus(x, k, uniforms[:k]))
    return labels


def pure_count(d2: np.ndarray, labels: np.ndarray, delta2: float) -> int:
    """Points whose ball ``d2 < delta2`` holds only their own pseudo-label (an empty ball is
    pure)."""
    other = labels[:, None] != labels[None, :]
    return int((~((d2 < delta2) & other).any(axis=1)).sum())


def delta_squared(d2: np.ndarray, labels: np.ndarray) -> float:
    """The largest delta^2 with purity >= 0.95, from the definition alone.

    Balls only grow with delta, so purity never rises; it changes only where delta^2 passes a
    pairwise d2, and a ball is strict, so the largest such delta^2 is one of the pairwise
    values (0 included, where every ball is empty) or inf. Bisection over those values.
    """
    values = np.append(np.unique(d2), np.inf)
    low, high = 0, len(values) - 1  # purity(values[0] = 0) = 1: values[low] is feasible
    while low < high:
        middle = (low + high + 1) // 2
        if 100 * pure_count(d2, labels, float(values[middle])) >= 95 * len(labels):
            low = middle
        else:
            high = middle - 1
    return float(values[low])


def probcover(features, labelled, n_classes, budget, uniforms):
    """(picks, newly covered counts, greedy picks, delta^2, labels)."""
    labelled = np.asarray(labelled, bool)
    x = normalise(features)
    n = len(x)
    k = min(n_classes, n)
    labels = pseudo_labels(x, n_classes, uniforms)
    d2 = pair_sq_matrix(x)
    delta2 = delta_squared(d2, labels)
    ball = d2 < delta2  # ball[i, j]: j in the ball of i
    covered = ball[labelled].any(axis=0)
    available = ~labelled
    picks, gains = [], []
    for _ in range(budget):
        best, best_gain = -1, 0
        for i in range(n):
            if available[i]:
                gain = int((ball[i] & ~covered).sum())
                if gain > best_gain:
                    best, best_gain = i, gain
        if best_gain == 0:
            break
        covered |= ball[best]
        available[best] = False
        picks.append(best)
        gains.append(float(best_gain))
    greedy = len(picks)
    remaining = [i for i in range(n) if available[i]]
    for u in uniforms[k : k + budget - greedy]:
        position = min(int(float(u) * len(remaining)), len(remaining) - 1)
        picks.append(remaining.pop(position))
        gains.append(0.0)
    return picks, gains, greedy, delta2, labels
