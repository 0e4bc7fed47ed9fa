"""Slow, obvious float64 references for the selection engine (docs/method.md sections 2-5).

Written for clarity, not speed: full distance matrices, Python loops, exact Fraction sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


def pairwise(x: np.ndarray) -> np.ndarray:
    """(N, D) -> (N, N) float64 Euclidean distances."""
    x = np.asarray(x, dtype=np.float64)
    return np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))


def squared_to_centers(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(N, L) float64 squared distances to the True entries of ``centers``, a row at a time
    (memory O(L x D), for high dimensions)."""
    x = np.asarray(x, dtype=np.float64)
    c = x[centers]
    return np.stack([((row[None, :] - c) ** 2).sum(axis=1) for row in x])


def min_distance(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """m(i) = min over the True entries of ``centers`` of |x_i - x_j|."""
    return pairwise(x)[:, centers].min(axis=1)


def scores(x: np.ndarray, centers: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """m, or weight * m, with -1 on the centres."""
    s = min_distance(x, centers)
    if weight is not None:
        s = s * weight
    return np.where(centers, -1.0, s)


def greedy(
    x: np.ndarray, labelled: np.ndarray, budget: int, weight: np.ndarray | None
) -> list[int]:
    """docs/method.md section 3/4, recomputing everything from scratch every pick."""
    centers = labelled.copy()
    picks = []
    for _ in range(budget):
        pick = int(np.argmax(scores(x, centers, weight)))  # first maximum on ties
        picks.append(pick)
        centers[pick] = True
    return picks


def log_confidence(doubt: np.ndarray) -> list[Fraction]:
    """-log(1 - doubt) per point as exact fractions of the float64 values."""
    return [Fraction(float(v)) for v in -np.log1p(-np.asarray(doubt, dtype=np.float64))]


@dataclass
class RefBeam:
    picks: list[int]
    u_sum: Fraction


def beam(
    x: np.ndarray,
    labelled: np.ndarray,
    budget: int,
    doubt: np.ndarray,
    weighted: bool,
    width: int,
) -> list[RefBeam]:
    """docs/method.md section 5, literally: candidates, children, set-dedup, rank, top ``width``."""
    log_conf = log_confidence(doubt)
    beams = [RefBeam([], Fraction(0))]
    for _ in range(budget):
        children = []
        for parent_rank, parent in enumerate(beams):
            centers = labelled.copy()
            centers[parent.picks] = True
            s = scores(x, centers, doubt if weighted else None)
            free = [i for i in range(len(s)) if not centers[i]]
            ranked = sorted(free, key=lambda i: (-s[i], i))[:width]
            for cand_rank, c in enumerate(ranked):
                child = RefBeam([*parent.picks, c], parent.u_sum + log_conf[c])
                children.append((-child.u_sum, parent_rank, cand_rank, child))
        children.sort(key=lambda t: (t[0], t[1], t[2]))
        seen: set[frozenset[int]] = set()
        beams = []
        for *_, child in children:
            key = frozenset(child.picks)
            if key not in seen:
                seen.add(key)
                beams.append(child)
            if len(beams) == width:
                break
    return beams
