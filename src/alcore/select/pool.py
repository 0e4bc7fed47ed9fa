"""What a strategy looks at and what it returns: :class:`Pool`, :class:`Options` and
:class:`Selection`, and the radii every kind's selection carries (:func:`with_diagnostics`).

A strategy is a function ``(pool, budget, options) -> Selection`` named by its catalogue entry
(:data:`alcore.catalog.strategies.KINDS`); :func:`alcore.select.select` checks the pool and
calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.catalog.strategies import BEAM_WIDTH, WEIGHTED
from alcore.select import baselines
from alcore.select.coreset import mean_log_confidence
from alcore.select.distances import (
    DEFAULT_BLOCK_SIZE,
    ProgressFn,
    _min_distances,
    in_feature_units,
    make_workspace,
)
from alcore.select.radii import Radii, radii_from_min_distance

__all__ = ["Options", "Pool", "Selection", "Strategy", "need", "with_diagnostics"]


@dataclass(frozen=True)
class Pool:
    """What a strategy may look at.

    labelled: (N,) bool. features: (N, D) embeddings or None. probs: (N, C) softmax or None.
    mc_probs: (T, N, C) softmax of T stochastic forward passes (dropout active) or None.
    All on one device; :func:`select` checks them (the dtypes may differ).
    """

    labelled: Tensor
    features: Tensor | None = None
    probs: Tensor | None = None
    mc_probs: Tensor | None = None

    def doubt(self) -> Tensor | None:
        """(N,) ``1 - max P(y|x)`` (:func:`~alcore.select.doubt_from_probs`, which checks
        the probabilities), or None without probabilities."""
        return None if self.probs is None else baselines.doubt_from_probs(self.probs)


@dataclass(frozen=True)
class Selection:
    """A strategy's acquisitions and diagnostics.

    picks: (b,) int64 pool indices in pick order. scores: (b,) float64 the strategy's score of
    each pick (core-set: m or doubt * m at pick time, in the features' units; uncertainty: its
    measure; random: nan).
    beam_u: (K,) float64 U of each final beam (one row for strategies without beams).
    before / after: core-set radii without / with the picks (None without features).
    beams: (K, b) int64 every final beam, best first, for the coreset kind (None otherwise).
    """

    picks: Tensor
    scores: Tensor
    beam_u: Tensor
    before: Radii | None
    after: Radii | None
    beams: Tensor | None = None

    @property
    def u(self) -> float:
        """U of the selection (mean -log confidence of the picks; 0 without probabilities)."""
        return float(self.beam_u[0])


@dataclass(frozen=True)
class Options:
    """Strategy parameters."""

    # the kinds that take each option: alcore.catalog.strategies.KINDS
    weighted: bool = WEIGHTED  # weight distances by doubt
    beam_width: SupportsIndex = BEAM_WIDTH  # 1 = greedy
    generator: torch.Generator | None = None  # the stochastic kinds: a seeded CPU generator
    # ``progress(phase, done, total)`` with Python ints, cheap to call often (rate-limit any
    # logging inside it). coreset: after every tile of the first min-distance pass
    # ("min-distance"), then every pick ("picks"). Other kinds with features, for their radii:
    # "min-distance" (to the labelled set), then "min-distance to picks".
    progress: ProgressFn | None = None


Strategy = Callable[[Pool, int, Options], Selection]


def with_diagnostics(
    pool: Pool, picks: Tensor, scores: Tensor, progress: ProgressFn | None
) -> Selection:
    """The :class:`Selection` of ``picks`` (their ``scores``) with U and, given features, the
    core-set radii before and after them (exact, in the features' units)."""
    doubt = None if pool.probs is None else baselines._doubt(pool.probs)  # checked in select
    u = mean_log_confidence(doubt, picks)
    if pool.features is None:
        return Selection(picks, scores, u, None, None)
    space = make_workspace(pool.features)
    labelled = pool.labelled
    before = _min_distances(
        space, labelled.nonzero().squeeze(1), DEFAULT_BLOCK_SIZE, progress
    ).distance
    after_labelled = labelled.clone()
    after_labelled[picks] = True
    after = before
    if picks.numel() > 0:  # one pass over the picks only: min over L + picks = min of the two
        to_picks = _min_distances(
            space, picks.sort().values, DEFAULT_BLOCK_SIZE, _renamed(progress, "to picks")
        )
        after = torch.minimum(before, to_picks.distance)
    # the kernels measured in the working copy's units: back to the features' (exact)
    before, after = in_feature_units(space, before), in_feature_units(space, after)
    return Selection(
        picks,
        scores,
        u,
        radii_from_min_distance(before, labelled, doubt),
        radii_from_min_distance(after, after_labelled, doubt),
    )


def _renamed(progress: ProgressFn | None, suffix: str) -> ProgressFn | None:
    """``progress`` with ``suffix`` appended to every phase name."""
    if progress is None:
        return None
    report = progress

    def renamed(phase: str, done: int, total: int) -> None:
        report(f"{phase} {suffix}", done, total)

    return renamed


def need(value: Tensor | None, kind: str, what: str) -> Tensor:
    """``value``, which the ``kind`` strategy reads as ``what``; ``ValueError`` when None."""
    if value is None:
        raise ValueError(f"the {kind} strategy needs {what}; pass them in the Pool")
    return value
