"""TypiClust (Hacohen, Dekel & Weinshall, ICML 2022): the most typical point of each cluster.

"Active Learning on a Budget: Opposite Strategies Suit High and Low Budgets", Section 3 and
the authors' code (github.com/avihu111/TypiClust, ``deep-al/pycls/al/typiclust.py``), which this
follows where the two differ:

1. the features are L2-normalised (their ``load_features(normalized=True)``; an all-zero row
   stays 0), then the WHOLE pool is clustered by k-means into
   ``k = min(|L| + budget, MAX_CLUSTERS)`` clusters (here: exact k-means++ from the run's
   generator and Lloyd to convergence, :mod:`alcore.select.kmeans`; the authors use sklearn
   ``KMeans`` for k <= 50 and ``MiniBatchKMeans`` above);
2. clusters of at most MIN_CLUSTER_SIZE points (labelled ones included) are dropped; the rest
   are ordered by (labelled points ascending, size descending, cluster number: the k-means++
   draw order);
3. pick i takes the next cluster of that cycle (``i mod #clusters`` while every cluster has
   unlabelled points left; a cluster with none left is skipped; once all kept clusters are
   exhausted, the dropped ones follow in the same order) and picks its most typical remaining
   unlabelled point, which is then no longer "remaining".

Typicality (paper Equation 1; code ``calculate_typicality``): ``1 / (mean + 1e-5)`` with
``mean`` the mean SQUARED Euclidean distance (the code's faiss ``IndexFlatL2`` returns squared
distances; the paper writes the plain norm) to the point's K nearest neighbours among the
cluster's other remaining unlabelled points, ``K = min(K_NN, n // 2)`` for n of them (a cluster
with one point left gives it up with typicality nan). The most typical point has the smallest
mean, ties to the smaller pool index. The neighbours are found by a float64 expanded product in
blocks of rows and their distances recomputed directly (float64 differences), so the means are
exact to float64 rounding; the search is repeated for the picked cluster at every pick (its
remaining points change), O(n^2 D) for a cluster of n points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import check_budget, check_seeded_pool, working_dtype
from alcore.select.distances import chunk_rows, make_workspace
from alcore.select.kmeans import KMeansResult, kmeans_clusters

MAX_CLUSTERS = 500  # the authors' MAX_NUM_CLUSTERS
MIN_CLUSTER_SIZE = 5  # clusters of at most this many points are dropped (theirs)
K_NN = 20  # neighbours of the typicality (theirs)
_EPSILON = 1e-5  # typicality = 1 / (mean + _EPSILON), theirs
_BLOCK_ELEMENTS = 1 << 22  # (rows x cluster points) float64 values per kNN block


@dataclass(frozen=True)
class TypiclustSelection:
    """picks: (b,) int64 pool indices in pick order. typicality: (b,) float64 each pick's
    typicality when picked (nan: the last point of its cluster). clusters: the k-means of the
    normalised pool (labels, sizes)."""

    picks: Tensor
    typicality: Tensor
    clusters: KMeansResult | None


def typiclust(
    features: Tensor, labelled: Tensor, budget: SupportsIndex, generator: torch.Generator
) -> TypiclustSelection:
    """TypiClust picks (module docstring).

    features: (N, D) floating. labelled: (N,) bool (may be all False). generator: a seeded CPU
    ``torch.Generator`` (k uniforms for k-means++). Returns (budget,) distinct unlabelled pool
    indices in pick order with their typicality.
    """
    check_seeded_pool(features, labelled, generator, "typiclust")
    count = check_budget(budget, int((~labelled).sum()))
    return _typiclust(features, labelled, count, generator)


def normalised(features: Tensor) -> Tensor:
    """(N, D) rows divided by their L2 norms (float64 arithmetic, rounded once to the working
    dtype); all-zero rows stay 0."""
    out = torch.empty(features.shape, dtype=working_dtype(features.dtype), device=features.device)
    step = chunk_rows(features.shape[1])
    for start in range(0, features.shape[0], step):
        chunk = features[start : start + step].to(torch.float64)
        norms = torch.linalg.vector_norm(chunk, dim=1, keepdim=True)
        out[start : start + step] = chunk / torch.where(norms > 0.0, norms, 1.0)
    return out


def cluster_order(labels: Tensor, labelled: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """(kept clusters in pick order, dropped clusters in the same order): each sorted by
    (labelled points ascending, size descending, cluster number)."""
    sizes = torch.bincount(labels, minlength=k)
    counts = torch.bincount(labels[labelled], minlength=k)
    order = torch.arange(k, device=labels.device)
    order = order[torch.sort(-sizes[order], stable=True).indices]
    order = order[torch.sort(counts[order], stable=True).indices]
    kept = sizes[order] > MIN_CLUSTER_SIZE
    return order[kept], order[~kept]


def _typiclust(
    features: Tensor, labelled: Tensor, budget: int, generator: torch.Generator
) -> TypiclustSelection:
    device = features.device
    picks = torch.empty(budget, dtype=torch.int64, device=device)
    typicality = torch.empty(budget, dtype=torch.float64, device=device)
    if budget == 0:
        return TypiclustSelection(picks, typicality, None)
    points = normalised(features)  # (N, D) working dtype
    k = min(int(labelled.sum()) + budget, MAX_CLUSTERS)
    clusters = kmeans_clusters(make_workspace(points), k, generator)
    labels = clusters.labels
    kept, dropped = cluster_order(labels, labelled, k)
    remaining = ~labelled
    left = torch.bincount(labels[remaining], minlength=k).tolist()
    cycle, cursor = kept.tolist(), 0
    for step in range(budget):
        if not any(left[c] > 0 for c in cycle):
            cycle, cursor = dropped.tolist(), 0  # only dropped clusters have points left
        while left[cycle[cursor % len(cycle)]] == 0:
            cursor += 1
        cluster = cycle[cursor % len(cycle)]
        cursor += 1
        members = ((labels == cluster) & remaining).nonzero().squeeze(1)  # ascending
        best, value = _most_typical(points, members)
        picks[step], typicality[step] = int(members[best]), value
        remaining[members[best]] = False
        left[cluster] -= 1
    return TypiclustSelection(picks, typicality, clusters)


def _most_typical(points: Tensor, members: Tensor) -> tuple[int, float]:
    """(position in ``members`` of the most typical point, its typicality): the smallest mean
    squared distance to the K nearest other members, ties to the first position."""
    n = members.shape[0]
    neighbours = min(K_NN, n // 2)
    if neighbours == 0:
        return 0, float("nan")
    x = points.index_select(0, members).to(torch.float64)  # (n, D)
    sq = x.square().sum(dim=1)  # (n,)
    means = torch.empty(n, dtype=torch.float64, device=x.device)
    block = max(1, _BLOCK_ELEMENTS // n)
    for start in range(0, n, block):
        rows = x[start : start + block]  # (R, D)
        screened = torch.addmm(sq[start : start + block, None] + sq[None, :], rows, x.T, alpha=-2.0)
        local = torch.arange(rows.shape[0], device=x.device)
        screened[local, local + start] = float("inf")  # not its own neighbour
        nearest = torch.topk(screened, neighbours, dim=1, largest=False).indices  # (R, K)
        diff = rows[:, None, :] - x[nearest]  # (R, K, D)
        means[start : start + rows.shape[0]] = diff.square_().sum(dim=2).mean(dim=1)
    best = int(means.argmin())  # first minimum
    return best, 1.0 / (float(means[best]) + _EPSILON)
