"""The public core-set entry points: ``coreset`` (the picks) and ``coreset_search`` (everything).

``weighted=False, beam_width=1`` is Sener & Savarese's greedy core-set; ``weighted=True`` is the
paper's doubt-weighted Algorithm 2; ``beam_width=K`` is the beam search of docs/method.md section 5,
ranked by mean negative log confidence even when distances are not weighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import (
    check_beam_width,
    check_block_size,
    check_budget,
    check_doubt,
    check_features,
    check_flag,
    check_labelled,
)
from alcore.select.beam import U_SCALE, beam_search, fixed_point_log_confidence
from alcore.select.distances import (
    DEFAULT_BLOCK_SIZE,
    ProgressFn,
    Workspace,
    _min_distances,
    in_feature_units,
    make_workspace,
)
from alcore.select.greedy import MinDistanceState, greedy
from alcore.select.radii import Radii, radii_from_min_distance


@dataclass(frozen=True)
class CoresetResult:
    """A core-set selection with its diagnostics.

    picks: (b,) int64 pool indices in pick order (the rank-1 beam).
    scores: (b,) each pick's score (m or doubt * m) at the moment it was picked, in the
    features' units (float32, or float64 for float64 features).
    beams: (K, b) int64 the final beams best first (K = 1 for greedy); ``beams[0] == picks``.
    beam_u: (K,) float64 mean negative log confidence U of each beam (0 without doubt).
    before: radii of the labelled set over the unlabelled pool.
    after: radii of labelled + picks over the points still unlabelled.
    """

    picks: Tensor
    scores: Tensor
    beams: Tensor
    beam_u: Tensor
    before: Radii
    after: Radii

    @property
    def u(self) -> float:
        """U of the chosen (rank-1) beam."""
        return float(self.beam_u[0])


def coreset(
    features: Tensor,
    labelled: Tensor,
    budget: SupportsIndex,
    doubt: Tensor | None = None,
    weighted: bool = False,
    beam_width: SupportsIndex = 1,
) -> Tensor:
    """Pick ``budget`` pool indices by (doubt-weighted) greedy core-set, with optional beams.

    features: (N, D) float, any device. labelled: (N,) bool, at least one True.
    budget, beam_width: integers (int, numpy integer or one-element integer tensor).
    doubt: (N,) float in [0, 1), ``1 - max P(y|x)`` (:func:`alcore.select.doubt_from_probs`);
    required when ``weighted`` or ``beam_width > 1``. Returns (budget,) int64 indices in pick
    order on the features' device: unique, unlabelled, and (for greedy) each attaining the
    largest score when picked. The picks do not change when the features are multiplied by a
    power of two (the engine rescales them exactly).
    """
    return coreset_search(features, labelled, budget, doubt, weighted, beam_width).picks


def coreset_search(
    features: Tensor,
    labelled: Tensor,
    budget: SupportsIndex,
    doubt: Tensor | None = None,
    weighted: bool = False,
    beam_width: SupportsIndex = 1,
    *,
    block_size: SupportsIndex = DEFAULT_BLOCK_SIZE,
    lazy: bool | None = None,
    progress: ProgressFn | None = None,
    overwrite_features: bool = False,
) -> CoresetResult:
    """Like :func:`coreset`, returning the beams, their U and the radii as well.

    block_size: tile side of the initial min-distance pass (memory O(block_size^2)).
    lazy: bring a point's min distance up to date only when it could be a pick or a
    candidate (exactly the same picks and values; :mod:`alcore.select.greedy`). Default on
    for the CPU, off on CUDA where one eager pass over every row is cheaper than the host
    round trips lazy updates need.
    progress: called with Python ints (no device synchronisation of its own) as
    ``progress("min-distance", tiles done, tiles)`` after each tile of the first pass, then
    ``progress("picks", picks done, budget)`` after each pick (each beam step). Cheap enough
    to call every time: rate-limit any logging in the callback. It never changes the picks.
    overwrite_features: scale and centre ``features`` in place instead of in a working copy
    (float32 or float64 features): the same picks, and peak extra memory O(N + budget x D)
    instead of one more copy of the features; ``features`` is left holding the working copy.
    """
    count, is_weighted, width, block = _check_inputs(
        features, labelled, budget, doubt, weighted, beam_width, block_size
    )
    if lazy is None:
        lazy = features.device.type != "cuda"
    space = make_workspace(features, in_place=check_flag(overwrite_features, "overwrite_features"))
    start = _min_distances(space, labelled.nonzero().squeeze(1), block, progress)
    score_weight = doubt if is_weighted else None
    if width == 1:
        trace = greedy(space, start, labelled, count, score_weight, lazy, progress)
        beams, beam_scores, distances = trace.picks[None, :], trace.scores, trace.distances
        beam_u = mean_log_confidence(doubt, trace.picks)
    else:
        assert doubt is not None  # checked above
        beam = beam_search(
            space, start, labelled, count, score_weight, doubt, width, lazy, progress
        )
        beams, beam_scores, beam_u, distances = beam.picks, beam.scores[0], beam.u, beam.distances
    # the kernels measured in the working copy's units: back to the features' (exact)
    before = in_feature_units(space, start.distance)
    return CoresetResult(
        picks=beams[0],
        scores=in_feature_units(space, beam_scores),
        beams=beams,
        beam_u=beam_u,
        before=radii_from_min_distance(before, labelled, doubt),
        after=_radii_after(space, distances, doubt),
    )


def _radii_after(space: Workspace, distances: MinDistanceState, doubt: Tensor | None) -> Radii:
    """The radii after the picks, bringing up to date only the rows that attain them."""
    radius = distances.largest(None)
    if radius is None:
        return Radii(0.0, None if doubt is None else 0.0)
    m = in_feature_units(space, distances.upper[radius : radius + 1])
    if doubt is None:
        return Radii(float(m[0]), None)
    weighted = distances.largest(doubt)
    assert weighted is not None
    mw = in_feature_units(space, distances.upper[weighted : weighted + 1])
    return Radii(float(m[0]), float(doubt[weighted] * mw[0]))


def mean_log_confidence(doubt: Tensor | None, picks: Tensor) -> Tensor:
    """(1,) float64 U of one set of picks, summed exactly like the beam search does (0 for
    no picks or no doubt)."""
    if doubt is None or picks.numel() == 0:
        return torch.zeros(1, dtype=torch.float64, device=picks.device)
    total = fixed_point_log_confidence(doubt[picks]).sum()
    return (total.to(torch.float64) / U_SCALE / picks.numel()).view(1)


def _check_inputs(
    features: Tensor,
    labelled: Tensor,
    budget: object,
    doubt: Tensor | None,
    weighted: object,
    beam_width: object,
    block_size: object,
) -> tuple[int, bool, int, int]:
    """Validate everything; return budget, weighted, beam_width and block_size as Python
    values."""
    check_features(features)
    check_labelled(labelled, features.shape[0], features.device)
    count = check_budget(budget, int((~labelled).sum()))
    is_weighted = check_flag(weighted, "weighted")
    width = check_beam_width(beam_width)
    block = check_block_size(block_size)
    if doubt is None:
        fix = "pass doubt=alcore.select.doubt_from_probs(probs)"
        if is_weighted:
            raise ValueError(
                f"weighted=True needs doubt (1 - max P(y|x)) for every pool point; {fix}"
            )
        if width > 1:
            raise ValueError(f"beam_width={width} ranks beams by confidence: {fix}")
    else:
        check_doubt(doubt, features.shape[0], features.device)
    return count, is_weighted, width, block
