"""Core-set radii: how far the worst-covered unlabelled point is from the labelled set."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from alcore.select._checks import (
    check_block_size,
    check_doubt,
    check_features,
    check_labelled,
)
from alcore.select.distances import (
    DEFAULT_BLOCK_SIZE,
    ProgressFn,
    _min_distances,
    in_feature_units,
    make_workspace,
)


@dataclass(frozen=True)
class Radii:
    """``radius = max_u m(u)`` and ``weighted_radius = max_u doubt(u) * m(u)`` over the
    unlabelled points u (docs/method.md section 7); both 0 when nothing is unlabelled, and
    ``weighted_radius`` is None without doubt."""

    radius: float
    weighted_radius: float | None


def radii_from_min_distance(min_distance: Tensor, labelled: Tensor, doubt: Tensor | None) -> Radii:
    """Radii from precomputed min distances (N,), the labelled mask (N,) and doubt (N,)."""
    unlabelled = ~labelled
    if not bool(unlabelled.any()):
        return Radii(0.0, None if doubt is None else 0.0)
    radius = float(min_distance[unlabelled].max())
    if doubt is None:
        return Radii(radius, None)
    return Radii(radius, float((doubt * min_distance)[unlabelled].max()))


def coreset_radii(
    features: Tensor,
    labelled: Tensor,
    doubt: Tensor | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: ProgressFn | None = None,
) -> Radii:
    """The core-set radius δ and doubt-weighted radius δ̂ of ``labelled`` over the pool.

    features: (N, D) float; labelled: (N,) bool with at least one True; doubt: (N,) in [0, 1).
    progress: ``progress("min-distance", tiles done, tiles)`` after each tile of the pass.
    Both radii are in the features' units.
    """
    check_features(features)
    check_labelled(labelled, features.shape[0], features.device)
    block = check_block_size(block_size)
    if doubt is not None:
        check_doubt(doubt, features.shape[0], features.device)
    centers = labelled.nonzero().squeeze(1)
    space = make_workspace(features)
    start = _min_distances(space, centers, block, progress)
    return radii_from_min_distance(in_feature_units(space, start.distance), labelled, doubt)
