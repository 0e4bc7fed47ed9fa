"""Triangle-inequality pruning of the min-distance update, shared by greedy and beam search.

Adding a centre c lowers ``m(k)`` only where ``|x_k - c| < m(k)``. With a(k) the centre m(k) is
measured to, ``|x_k - c| >= |a(k) - c| - m(k)``, so a row with ``|a(k) - c| >= 2 m(k)`` cannot
change (Elkan's k-means bound): only the distances from the existing centres to the new one
are needed, not the N distances of the pool. Those are screened values (a matrix product), so
the bound uses their rigorous lower limits, and ``m(k)`` (a rounded direct distance) gets a
relative margin: pruning never skips a row that could change, so pruned and dense updates
store the same values.

On clustered data, as real embeddings are, most rows are skipped; on structureless data the
bound rules out little, and past :data:`_DENSE_FRACTION` of the rows one dense pass is cheaper
than gathering them, so callers fall back to it (and :class:`Backoff` stops trying for a while).
"""

from __future__ import annotations

from torch import Tensor

from alcore.select._backoff import Backoff
from alcore.select.distances import Workspace, error_bound, expanded_squared

# Above this fraction of candidate rows, one dense pass beats gathering the rows.
_DENSE_FRACTION = 0.3
# Relative margin on the pruning bound, for the rounding of the exact distances themselves.
_BOUND_MARGIN = 1e-5


def center_lower_limits(
    space: Workspace, points: Tensor, sq_norms: Tensor, centers: Tensor, center_sq: Tensor
) -> Tensor:
    """Rigorous lower limits of ``|p - c|`` between existing centres ``points`` (S, D) with
    squared norms (S,) and new centres ``centers`` (U, D) with (U,): (S, U)."""
    screened = expanded_squared(points, sq_norms, centers, center_sq)  # (S, U)
    margin = error_bound(space, sq_norms[:, None], center_sq[None, :])  # (S, U)
    return (screened - margin).clamp_(min=0.0).sqrt_()


def rows_to_update(bound: Tensor, min_distance: Tensor, backoff: Backoff) -> Tensor | None:
    """The pool rows whose min distance the new centres may lower, or None for a dense pass.

    bound: (B, N) lower limits of ``|a_b(k) - c_b|``, beam b's nearest centre of row k to its
    new centre. min_distance: (B, N) each beam's ``m``. A row is kept if it may change in any
    beam. Returns (R,) int64 ascending, or None when R is too large a share of N to pay off;
    ``backoff`` learns which.
    """
    within = bound < min_distance * (2.0 * (1.0 + _BOUND_MARGIN))  # (B, N)
    rows = within.any(dim=0).nonzero().squeeze(1)
    helped = rows.shape[0] <= _DENSE_FRACTION * min_distance.shape[1]
    backoff.record(helped)
    return rows if helped else None
