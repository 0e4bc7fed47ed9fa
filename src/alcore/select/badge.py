"""BADGE (Ash et al., ICLR 2020): k-means++ seeding over the last layer's gradient embeddings.

The gradient of the cross-entropy with respect to the final linear layer's weights, at the
model's own predicted label, is ``g_i = a_i (x) h_i`` with ``a_i = p_i - onehot(argmax p_i)``
(C,) and ``h_i`` (F,) the input of that layer (the pool features): a C*F vector, 8 GB for the
paper's N = 50,000, F = 4,096, C = 10. It is never materialised. Distances use the rank-one
structure exactly:

* **screen**: ``|g_k - g_c|^2 = |a_k|^2 |h_k|^2 + |a_c|^2 |h_c|^2 - 2 (a_k.a_c)(h_k.h_c)``, one
  matrix-vector product over the features per pick, under a rigorous error margin (the
  rounding of ``h_k.h_c`` in the working dtype, ``gamma_F |g_k||g_c|``, and the float64 rest);
  it only rules rows out (rows whose new distance surely is not below their current one);
* **decision** (the rows left): with ``alpha = h_k.h_c / |h_c|^2`` (any alpha works: the
  identity below holds for every value) and ``r = h_k - alpha h_c``,
  ``g_k - g_c = v (x) h_c + a_k (x) r`` with ``v = alpha a_k - a_c``, so
  ``|g_k - g_c|^2 = |v|^2 |h_c|^2 + |a_k|^2 |r|^2 + 2 (v.a_k)(r.h_c)``:
  two sums of squares of direct differences plus a cross term that is ~0 (``r.h_c`` vanishes for
  the exact alpha). All in float64, O(F + C) per row, relative error ~ (F + C) 2^-53 of the
  distance itself (the cross term's error is at most gamma_F times the two squares): the same
  direct-difference quality as the engine's ``exact_to_point``.

So each pick costs one pass over the (N, F) features plus the direct rows, memory O(N + chunk).

Draws (:func:`alcore.select.kmeans.d2_sample`): the first centre is the unlabelled point with
the largest ``|g| = |a| |h|`` (the authors' code; ties to the smaller index, no draw); each
later pick draws one float64 uniform and samples an unlabelled, unpicked point with probability
proportional to its squared distance D^2 to the nearest pick so far (inverse CDF over the
cumulative D^2 in index order; all D^2 = 0: the smallest remaining index). ``budget - 1``
uniforms in all, drawn at once: ``torch.rand(budget - 1, dtype=float64, generator)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import check_budget, check_probs, check_seeded_pool, working_dtype
from alcore.select.distances import chunk_rows
from alcore.select.kmeans import _SERIAL_ROWS, _draw


@dataclass(frozen=True)
class BadgeSelection:
    """picks: (b,) int64 pool indices in draw order. distances: (b,) float64 each pick's
    gradient-embedding distance to the nearest earlier pick when drawn (the first: its norm
    ``|g|``, its distance to a zero gradient)."""

    picks: Tensor
    distances: Tensor


def gradient_factors(probs: Tensor) -> Tensor:
    """``a = p - onehot(argmax p)``: (N, C) -> (N, C) float64 (argmax ties: the smaller class)."""
    a = probs.to(torch.float64, copy=True)
    top = probs.argmax(dim=1)  # first maximum
    a[torch.arange(a.shape[0], device=a.device), top] -= 1.0
    return a


def badge(
    features: Tensor,
    probs: Tensor,
    labelled: Tensor,
    budget: SupportsIndex,
    generator: torch.Generator,
) -> BadgeSelection:
    """BADGE picks: k-means++ over the gradient embeddings of the unlabelled points.

    features: (N, F) floating (the input of the final linear layer). probs: (N, C) softmax.
    labelled: (N,) bool (may be all False). generator: a seeded CPU ``torch.Generator``.
    Returns (budget,) distinct unlabelled pool indices in draw order with their distances.
    """
    check_seeded_pool(features, labelled, generator, "badge")
    check_probs(probs, features.shape[0], device=labelled.device)
    count = check_budget(budget, int((~labelled).sum()))
    return _badge(features, probs, labelled, count, generator)


def _badge(
    features: Tensor, probs: Tensor, labelled: Tensor, budget: int, generator: torch.Generator
) -> BadgeSelection:
    device = features.device
    picks = torch.empty(budget, dtype=torch.int64, device=device)
    distances = torch.empty(budget, dtype=torch.float64, device=device)
    if budget == 0:
        return BadgeSelection(picks, distances)
    uniforms = torch.rand(budget - 1, generator=generator, dtype=torch.float64).tolist()
    space = _GradientSpace.of(features, probs)
    available = ~labelled
    first = int(space.g_sq.masked_fill(labelled, -1.0).argmax())  # first maximum: smaller index
    picks[0], distances[0] = first, math.sqrt(float(space.g_sq[first]))
    available[first] = False
    d2 = torch.full_like(space.g_sq, float("inf"))  # (N,) squared distance to the nearest pick
    weights = torch.zeros_like(d2)  # (N,) the draw weights: d2 on available rows, 0 elsewhere
    cumulative = torch.empty_like(d2)
    space.lower(d2, weights, available, first)
    for step in range(1, budget):
        pick = _draw(weights, available, uniforms[step - 1], cumulative)
        picks[step], distances[step] = pick, math.sqrt(max(float(d2[pick]), 0.0))
        available[pick] = False
        weights[pick] = 0.0
        space.lower(d2, weights, available, pick)
    return BadgeSelection(picks, distances)


@dataclass(frozen=True)
class _GradientSpace:
    """The factors of the gradient embeddings.

    h: (N, F) the features in the working dtype (the caller's tensor when it already is).
    a: (N, C) float64 ``p - onehot``. h_sq, a_sq: (N,) float64 squared norms.
    g_sq: (N,) float64 ``a_sq * h_sq``, the squared norms of the gradient embeddings.
    gamma: bound on the screen's relative error, times ``|g_k|^2 + |g_c|^2``.
    """

    h: Tensor
    a: Tensor
    h_sq: Tensor
    a_sq: Tensor
    g_sq: Tensor
    gamma: float

    @staticmethod
    def of(features: Tensor, probs: Tensor) -> _GradientSpace:
        h = features.to(working_dtype(features.dtype))
        a = gradient_factors(probs)
        h_sq = torch.empty(h.shape[0], dtype=torch.float64, device=h.device)
        step = chunk_rows(h.shape[1])
        for start in range(0, h.shape[0], step):
            h_sq[start : start + step] = h[start : start + step].to(torch.float64).square().sum(1)
        n_features, n_classes = h.shape[1], a.shape[1]
        u, u64 = float(torch.finfo(h.dtype).eps) / 2.0, 2.0**-53
        gamma_f = n_features * u / (1.0 - n_features * u)  # h_k.h_c in the working dtype
        # 2 (a.a)(h.h): (gamma_F + gamma_C + u) |g_k||g_c| <= half that times the squares;
        # |a|^2 |h|^2 and the three additions: (F + C + 12) u64 of the squares; all doubled
        rest = (n_classes + 2) * u64 + (n_features + n_classes + 12) * u64
        a_sq = a.square().sum(dim=1)
        return _GradientSpace(h, a, h_sq, a_sq, a_sq * h_sq, 2.0 * (gamma_f + rest))

    def lower(self, d2: Tensor, weights: Tensor, available: Tensor, center: int) -> None:
        """``d2 = min(d2, |g - g_center|^2)`` in place on the ``available`` rows (N,), and
        ``weights`` (N,) set to the new ``d2`` on the rows computed directly.

        The screen's O(N) elementwise steps go a slice of :data:`_SERIAL_ROWS` rows at a time
        (each on the calling thread); the two matrix-vector products cover all rows at once.
        """
        h_c = self.h[center]  # (F,)
        a_c = self.a[center]  # (C,)
        g_c_sq = float(self.g_sq[center])
        hh = self.h @ h_c  # (N,) screening products, working dtype
        aa = self.a @ a_c  # (N,)
        found = []
        for start in range(0, hh.shape[0], _SERIAL_ROWS):
            part = slice(start, start + _SERIAL_ROWS)
            g_sq = self.g_sq[part]
            screened = g_sq + g_c_sq - 2.0 * aa[part] * hh[part].to(torch.float64)
            margin = self.gamma * (g_sq + g_c_sq)
            keep = (screened - margin < d2[part]) & available[part]
            found.append(keep.nonzero().squeeze(1) + start)
        rows = torch.cat(found)
        if rows.shape[0] == 0:
            return
        lowered = torch.minimum(d2.index_select(0, rows), self._direct(rows, center))
        d2.index_copy_(0, rows, lowered)
        weights.index_copy_(0, rows, lowered)

    def _direct(self, rows: Tensor, center: int) -> Tensor:
        """(R,) float64 ``|g_row - g_center|^2`` from direct differences (module docstring)."""
        h_c = self.h[center].to(torch.float64)  # (F,)
        a_c = self.a[center]  # (C,)
        h_c_sq = float(self.h_sq[center])
        out = torch.empty(rows.shape[0], dtype=torch.float64, device=rows.device)
        # (R, F) slices below ATen's parallel grain: each step on the calling thread (a row's
        # value does not depend on the slice it is in)
        step = max(1, _SERIAL_ROWS // self.h.shape[1])
        for start in range(0, rows.shape[0], step):
            chunk = rows[start : start + step]
            h_k = self.h.index_select(0, chunk).to(torch.float64)  # (R, F)
            a_k = self.a.index_select(0, chunk)  # (R, C)
            alpha = (h_k @ h_c) / h_c_sq if h_c_sq > 0.0 else h_k.new_zeros(h_k.shape[0])
            r = h_k.sub_(alpha[:, None] * h_c[None, :])  # (R, F) h_k - alpha h_c
            v = alpha[:, None] * a_k - a_c[None, :]  # (R, C)
            along = v.square().sum(dim=1) * h_c_sq
            across = a_k.square().sum(dim=1) * r.square().sum(dim=1)
            cross = 2.0 * (v * a_k).sum(dim=1) * (r @ h_c)
            out[start : start + chunk.shape[0]] = (along + across + cross).clamp_(min=0.0)
        return out
