"""Slow, obvious float64 references for the clustering strategies: badge, kmeans, typiclust.

Written for clarity, not speed: materialised gradient embeddings, full distance matrices,
Python loops, everything recomputed from scratch at every step. They take the uniforms the
strategies draw (``torch.rand(n, dtype=float64, generator)``) as an array, so that the same
draws can be replayed.
"""

from __future__ import annotations

import numpy as np

MAX_LLOYD_ITERATIONS = 100
NEAREST_TOLERANCE = 1e-9  # near-ties of the point nearest a centre go to the smaller index


def sq_dist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, D), (M, D) -> (N, M) float64 squared distances from direct differences."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return np.stack([((row[None, :] - y) ** 2).sum(axis=1) for row in x])


def draw(weights: np.ndarray, available: np.ndarray, u: float) -> int:
    """Inverse CDF: the first available index whose running weight sum exceeds u * total."""
    total = sum(float(w) for w, a in zip(weights, available, strict=True) if a)
    if total == 0.0:
        return int(np.flatnonzero(available)[0])
    target, running = u * total, 0.0
    last = -1
    for i in range(len(weights)):
        if available[i]:
            running += float(weights[i])
            if weights[i] > 0:
                last = i
            if running > target:
                return i
    return last


def gradient_embeddings(features: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """(N, C * F) float64 ``(p - onehot(argmax p)) (x) h``, materialised."""
    h = np.asarray(features, np.float64)
    a = np.asarray(probs, np.float64).copy()
    a[np.arange(len(a)), a.argmax(axis=1)] -= 1.0
    return (a[:, :, None] * h[:, None, :]).reshape(len(h), -1)


def badge(features, probs, labelled, budget, uniforms) -> tuple[list[int], list[float]]:
    """k-means++ over the gradient embeddings of the unlabelled points: (picks, distances)."""
    g = gradient_embeddings(features, probs)
    available = ~np.asarray(labelled, bool)
    if budget == 0:
        return [], []
    norms = np.sqrt((g**2).sum(axis=1))
    first = int(np.argmax(np.where(available, norms, -1.0)))
    picks, distances = [first], [float(norms[first])]
    available[first] = False
    for step in range(1, budget):
        d2 = sq_dist(g, g[picks]).min(axis=1)
        pick = draw(d2, available, float(uniforms[step - 1]))
        picks.append(pick)
        distances.append(float(np.sqrt(d2[pick])))
        available[pick] = False
    return picks, distances


def kmeans_plusplus(x: np.ndarray, k: int, uniforms) -> list[int]:
    """k-means++: first centre with all weights 1, then D^2 draws."""
    available = np.ones(len(x), bool)
    seeds: list[int] = []
    for step in range(k):
        weights = np.ones(len(x)) if not seeds else sq_dist(x, x[seeds]).min(axis=1)
        pick = draw(weights, available, float(uniforms[step]))
        seeds.append(pick)
        available[pick] = False
    return seeds


def lloyd(x: np.ndarray, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(centres (k, D), labels (N,)): nearest centre (first on ties), means, until stable."""
    x = np.asarray(x, np.float64)
    centers = x[seeds].copy()
    labels = sq_dist(x, centers).argmin(axis=1)
    for _ in range(MAX_LLOYD_ITERATIONS):
        for c in range(len(centers)):
            if (labels == c).any():
                centers[c] = x[labels == c].mean(axis=0)
        new = sq_dist(x, centers).argmin(axis=1)
        if (new == labels).all():
            break
        labels = new
    return centers, labels


def kmeans(features, labelled, budget, uniforms) -> tuple[list[int], list[int]]:
    """k-means of the unlabelled points, k = budget; the nearest free point of each centre
    (near-ties to the smaller index), centres by size descending (then number):
    (picks, cluster sizes)."""
    candidates = np.flatnonzero(~np.asarray(labelled, bool))
    if budget == 0:
        return [], []
    x = np.asarray(features, np.float64)[candidates]
    centers, labels = lloyd(x, kmeans_plusplus(x, budget, uniforms))
    sizes = np.bincount(labels, minlength=budget)
    order = sorted(range(budget), key=lambda c: (-sizes[c], c))
    taken: set[int] = set()
    picks = []
    for c in order:
        d2 = sq_dist(centers[c : c + 1], x)[0]
        free = [i for i in range(len(x)) if i not in taken]
        smallest = min(d2[i] for i in free)
        row = min(i for i in free if d2[i] <= smallest * (1 + NEAREST_TOLERANCE))
        taken.add(row)
        picks.append(int(candidates[row]))
    return picks, [int(sizes[c]) for c in order]


def typiclust(features, labelled, budget, uniforms) -> tuple[list[int], list[float]]:
    """TypiClust on L2-normalised features: (picks, typicality)."""
    labelled = np.asarray(labelled, bool)
    if budget == 0:
        return [], []
    x = np.asarray(features, np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    k = min(int(labelled.sum()) + budget, 500)
    _, labels = lloyd(x, kmeans_plusplus(x, k, uniforms))
    sizes = np.bincount(labels, minlength=k)
    counts = np.bincount(labels[labelled], minlength=k)
    key = sorted(range(k), key=lambda c: (counts[c], -sizes[c], c))
    kept = [c for c in key if sizes[c] > 5]
    dropped = [c for c in key if sizes[c] <= 5]
    remaining = ~labelled
    cycle, cursor = kept, 0
    picks, values = [], []
    for _ in range(budget):
        if not any((remaining & (labels == c)).any() for c in cycle):
            cycle, cursor = dropped, 0
        while not (remaining & (labels == cycle[cursor % len(cycle)])).any():
            cursor += 1
        cluster = cycle[cursor % len(cycle)]
        cursor += 1
        members = np.flatnonzero(remaining & (labels == cluster))
        n = len(members)
        neighbours = min(20, n // 2)
        if neighbours == 0:
            best, value = 0, float("nan")
        else:
            d2 = sq_dist(x[members], x[members])
            np.fill_diagonal(d2, np.inf)
            means = np.sort(d2, axis=1)[:, :neighbours].mean(axis=1)
            best = int(np.argmin(means))
            value = 1.0 / (means[best] + 1e-5)
        picks.append(int(members[best]))
        values.append(value)
        remaining[members[best]] = False
    return picks, values
