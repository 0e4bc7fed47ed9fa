"""Beam search over greedy core-set configurations (docs/method.md section 5, paper Equation 5).

A beam is a partial selection S with its own min-distance vector. Each step, every beam proposes
its K best candidates (highest score, ties to the smaller index); the children ``S + {c}`` that
are the same set are kept once; children are ranked by ``U(S) = mean_{x in S} -log(1 - I(x))``
(descending; ties by the parent's rank, then the candidate's rank) and the top K become the
beams. Width 1 is exactly the greedy algorithm.

Exactness details:
- ``U`` is summed in 2^-36 fixed point, so two orders of adding the same set give the same
  integer: equal sets always tie exactly, whatever order their picks came in.
- Duplicate children are found exactly, without hashing: two beams are distinct sets, so
  ``S_p + {c} == S_q + {d}`` (p != q) holds iff ``c in S_q``, ``d in S_p`` and the symmetric
  difference of S_p and S_q has exactly 2 elements. That size is kept for every pair of beams
  and updated in O(K^2) per step.
- The distances to the new centres are screened in one matrix product, and computed directly
  once per distinct centre and row that some beam may lower.

Lazy (the default on the CPU), as greedy is (:mod:`alcore.select.greedy`): the beams share a
*hot* set of rows, kept up to date in every beam at every step; each beam's other rows keep
stale min distances (upper bounds), all scoring below that beam's ``floor``. While every beam's
K-th best hot score reaches its floor, its candidates are all hot; otherwise the hot set is
rebuilt from each beam's highest stale scores, brought up to date in bulk. Between rebuilds a
beam's rows outside the set are those of its ancestor at the last rebuild, so a step copies
K x (hot rows), not K x N. Eager, the hot set is every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select._threads import bulk, one_thread
from alcore.select.distances import (
    MinDistances,
    ProgressFn,
    Workspace,
    error_bound,
    exact_to_point_pairs,
    expanded_squared,
    lower_gap,
    lower_squared,
)
from alcore.select.greedy import MinDistanceState, pairs_to_compute

# Each beam's share of the beams' hot set: a rebuild takes every beam's SHARE_ROWS highest stale
# scores (the beams share most of them). A quarter of greedy's HOT_ROWS: a beam step reads the
# hot rows' features and touches B x (hot rows) values in a dozen operations where a greedy
# pick reads one vector, so smaller hot sets and more rebuilds cost less (beam 20 at N = 50,000,
# D = 512, b = 2,000: 10 rebuilds instead of 3, the search 1.3x as fast as with 1,024).
SHARE_ROWS = 256
_ROW_CHUNK = 8192  # hot rows updated at a time (views)
# (row, centre) pairs screened at a time by a rebuild, so extra memory stays bounded.
_SCREEN_PAIRS = 1 << 22

# Fixed-point scale of the U sums: -log(confidence) <= 37 for any doubt < 1 in float64, so
# sums of up to 10^6 picks fit in int64.
U_SCALE = 2.0**36


@dataclass(frozen=True)
class BeamTrace:
    """The final beams of a search, best first.

    picks: (K, b) int64 pool indices, each row in pick order; row 0 is the selection.
    scores: (K, b) each pick's score (m or doubt * m) when it was picked.
    u: (K,) float64 mean negative log confidence of each beam's set (0 for b = 0).
    distances: the rank-1 beam's distance of every point to its nearest centre, up to date
    where asked (:class:`alcore.select.greedy.MinDistanceState`).
    """

    picks: Tensor
    scores: Tensor
    u: Tensor
    distances: MinDistanceState


def fixed_point_log_confidence(doubt: Tensor) -> Tensor:
    """``round(-log(1 - doubt) * 2^36)`` as int64: (N,) -> (N,)."""
    return torch.round(-torch.log1p(-doubt.to(torch.float64)) * U_SCALE).to(torch.int64)


def beam_search(
    space: Workspace,
    start: MinDistances,
    labelled: Tensor,
    budget: int,
    score_weight: Tensor | None,
    doubt: Tensor | None,
    width: int,
    lazy: bool,
    progress: ProgressFn | None = None,
) -> BeamTrace:
    """Beam search of ``width`` beams for ``budget`` picks from the labelled set's ``start``.

    score_weight: (N,) doubt to weight the scores with, or None for plain min distances.
    doubt: (N,) in [0, 1) to rank beams by U, or None for U = 0 (only sensible for width 1).
    lazy: keep only a hot set of rows up to date (same beams and values; module docstring).
    progress: called as ``progress("picks", steps done, budget)`` after each step.
    Inputs are assumed valid (see :func:`alcore.select.coreset`). The steps run on one
    intra-op thread, the rebuilds of the hot set on the caller's while the cores are free
    (:mod:`alcore.select._threads`).
    """
    n_points = space.points.shape[0]
    device = space.points.device
    log_conf = (
        fixed_point_log_confidence(doubt)
        if doubt is not None
        else torch.zeros(n_points, dtype=torch.int64, device=device)
    )
    beams = _Beams(space, start.distance, labelled, budget, width, score_weight, log_conf, lazy)
    n_unlabelled = int((~labelled).sum())
    with one_thread(device):  # the steps on one thread; the rebuilds take more (bulk)
        for step in range(budget):
            n_candidates = min(width, n_unlabelled - step)
            score, candidates = beams.candidates(n_candidates)  # (B, H), (B, k)
            parents, chosen = _rank_children(beams, candidates, width)
            beams.extend(parents, chosen, score[parents, chosen])
            if progress is not None:
                progress("picks", step + 1, budget)
    return _backtrack(beams, budget)


def _top_candidates(score: Tensor, k: int, top: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """Each row's k highest scores, ties to the smaller index: (B, N) -> (B, k) indices.

    top: ``torch.topk(score, min(k + 1, N), dim=1)`` when the caller has it already.
    """
    values, indices = torch.topk(score, min(k + 1, score.shape[1]), dim=1) if top is None else top
    if bool((values[:, 1:] < values[:, :-1]).all()):
        # strictly falling: no tie within the k best or across the cut, so topk's first k are
        # the set, already in order
        return indices[:, :k]
    threshold = values[:, k - 1 : k]  # (B, 1) k-th largest
    # no tie straddles the cut (the (k+1)-th is below the k-th): topk's first k are the set
    if values.shape[1] == k or bool((values[:, k] < values[:, k - 1]).all()):
        candidates = indices[:, :k].sort(dim=1).values
    else:
        above = score > threshold
        tied = score == threshold
        room = k - above.sum(dim=1, keepdim=True)
        take = above | (tied & (tied.cumsum(dim=1) <= room))  # exactly k per row
        candidates = take.nonzero()[:, 1].view(score.shape[0], k)  # ascending index per row
    order = torch.sort(score.gather(1, candidates), dim=1, descending=True, stable=True).indices
    return candidates.gather(1, order)


def _rank_children(beams: _Beams, candidates: Tensor, width: int) -> tuple[Tensor, Tensor]:
    """The top ``width`` distinct children as (parent beam rows, picked hot positions)."""
    n_beams, k = candidates.shape
    pick = candidates.reshape(-1)  # flat order = (parent rank, candidate rank)
    u_sum = beams.u_sum.repeat_interleave(k) + beams.hot_log_conf.index_select(0, pick)
    order = torch.sort(u_sum, descending=True, stable=True).indices
    parent = torch.div(order, k, rounding_mode="floor")  # the flat order's parent rank
    pick = pick.index_select(0, order)
    if n_beams == 1:  # children of one parent are distinct sets
        return parent[:width], pick[:width]
    window = min(2 * width, parent.shape[0])
    while True:
        keep = ~_duplicates(beams, parent[:window], pick[:window])
        if int(keep.sum()) >= width or window == parent.shape[0]:
            break
        window = min(2 * window, parent.shape[0])
    kept = keep.nonzero().squeeze(1)[:width]
    return parent.index_select(0, kept), pick.index_select(0, kept)


def _duplicates(beams: _Beams, parent: Tensor, pick: Tensor) -> Tensor:
    """(W,) bool: child j is the same set as some earlier child i < j in the given order."""
    # (W, B): pick_i in S_q (picks are never labelled)
    in_beam = (beams.score.index_select(1, pick) < 0.0).T
    in_parent = in_beam.index_select(1, parent)  # (W, W): pick_i in S_{parent_j}
    apart = beams.symmetric_difference.index_select(0, parent).index_select(1, parent)
    same = (
        (parent[:, None] != parent[None, :])
        & in_parent
        & in_parent.T  # pick_j in S_{parent_i}
        & (apart == 2)
    )  # (W, W)
    return torch.triu(same, diagonal=1).any(dim=0)


class _Beams:
    """The live beams, best first, over the hot rows.

    Per beam b (rows of each tensor): ``upper`` (B, H) its min distances on the hot rows, up
    to date; ``score`` (B, H) its scores there (``upper`` or ``weight * upper``, >= 0), -1 on
    the labelled set and its picks (so ``score < 0`` is that set); ``floor`` (B,) every
    row outside the hot set that b may still pick scores below it; ``origin`` (B,) its
    ancestor's row in the snapshot (``base_*``, (S, N), taken at the last rebuild), which
    holds its rows outside the hot set; ``u_sum`` (B,) the fixed-point sum of -log confidence;
    ``symmetric_difference`` (B, B) int64 size of S_p xor S_q.
    """

    def __init__(
        self,
        space: Workspace,
        start: Tensor,
        labelled: Tensor,
        budget: int,
        width: int,
        weight: Tensor | None,
        log_conf: Tensor,
        lazy: bool,
    ):
        device = start.device
        self.space = space
        self.lazy = lazy
        self.weight, self.log_conf = weight, log_conf
        self.step = 0
        # parent pointers, picks and scores of every step, preallocated: one long-lived buffer
        # instead of thousands of small tensors interleaved with the per-step temporaries
        self.history = _History.empty(budget, width, space.points)
        self.base_upper = start[None, :].clone()
        self.base_seen = torch.zeros((1, start.shape[0]), dtype=torch.int64, device=device)
        self.base_excluded = labelled[None, :].clone()
        self.origin = torch.zeros(1, dtype=torch.int64, device=device)
        self.u_sum = torch.zeros(1, dtype=torch.int64, device=device)
        self.symmetric_difference = torch.zeros((1, 1), dtype=torch.int64, device=device)
        self.floor = start.new_full((1,), -1.0)
        hot = torch.arange(start.shape[0] if not lazy else 0, device=device)  # eager: all rows
        self._use_hot(hot)
        self._stale = lazy  # lazy: built before the first step

    def _use_hot(self, hot: Tensor) -> None:
        """Make ``hot`` (H,) ascending the hot rows, the beams' values there from the snapshot."""
        self.hot = hot
        every = hot.shape[0] == self.base_upper.shape[1]
        space = self.space
        self.hot_points = space.points if every else space.points[hot]
        self.hot_sq = space.sq_norms if every else space.sq_norms[hot]
        self.hot_weight = None if self.weight is None else self.weight[hot]
        self.hot_log_conf = self.log_conf[hot]
        self.upper = self.base_upper[self.origin[:, None], hot]  # (B, H), no (B, N) copy
        excluded = self.base_excluded[self.origin[:, None], hot]
        self.score = self._scores(self.upper, self.hot_weight).masked_fill_(excluded, -1.0)
        # (H,) the largest value any beam holds on a hot row, squared: it bounds every beam's
        # value there until the next rebuild (values only fall; children copy their parents'
        # rows), and squaring rounds monotonically, so a screened distance at or above it
        # lowers no beam
        self.hot_reach = self.upper.amax(dim=0).square()

    @staticmethod
    def _scores(upper: Tensor, weight: Tensor | None) -> Tensor:
        """Scores of min distances ``upper`` (..., R) with the score weights ``weight`` (R,),
        as a new tensor."""
        return upper.clone() if weight is None else upper * weight

    def candidates(self, k: int) -> tuple[Tensor, Tensor]:
        """Every beam's hot scores (B, H) (-1 where excluded) and its k best candidates as
        hot positions (B, k), rebuilding the hot set until they are the best of all rows."""
        while True:
            if self._stale:
                self._rebuild(k)
            score = self.score
            if score.shape[1] >= k:
                top = score.topk(min(k + 1, score.shape[1]), dim=1)
                if not self.lazy or bool((top.values[:, k - 1] >= self.floor).all()):
                    return score, _top_candidates(score, k, (top.values, top.indices))
            self._stale = True

    def extend(self, parents: Tensor, chosen: Tensor, scores: Tensor) -> None:
        """The children ``S_parent + {pick}`` as the new beams, in the given order; ``chosen``
        (B,) are the picks' hot positions, ``scores`` (B,) their scores."""
        picks = self.hot.index_select(0, chosen)
        self.history.record(self.step, parents, picks, scores)
        rows = torch.arange(parents.shape[0], device=parents.device)
        score = self.score.index_select(0, parents)  # (B, H) rows: faster than indexing
        # membership[b, a] = picks[a] in S_{parents[b]}, before adding the new picks
        membership = (score.index_select(1, chosen) < 0.0).to(torch.int64)
        sign = 1 - 2 * membership
        step = (sign.T + sign).masked_fill_(picks[:, None] == picks[None, :], 0)  # (a, b)
        apart = self.symmetric_difference.index_select(0, parents).index_select(1, parents)
        self.symmetric_difference = apart.add_(step)
        score[rows, chosen] = -1.0
        self.score = score
        self.upper = self.upper.index_select(0, parents)
        self.u_sum = self.u_sum.index_select(0, parents) + self.hot_log_conf.index_select(0, chosen)
        self.origin = self.origin.index_select(0, parents)
        self.floor = self.floor.index_select(0, parents)
        self.step += 1
        self._lower_hot(picks)
        self.upper[rows, chosen] = 0.0

    def paths(self) -> Tensor:
        """(B, t) each beam's picks so far, in pick order."""
        return self.history.follow(self.u_sum.shape[0], self.step)[0]

    def _lower_hot(self, picks: Tensor) -> None:
        """Lower each beam's hot ``upper`` to its new centre ``picks[b]``: screen the distinct
        new centres in one product, compute directly the (beam, row) pairs the screen leaves,
        except on the beam's own centres (its labelled rows and picks, the new one included),
        which hold 0 already or get it from :meth:`extend`.

        Rows no beam can lower are ruled out first, against ``hot_reach``, so the (beam, row)
        comparison runs on the few rows left (usually none). Rows go in chunks, so extra
        memory stays O(chunk x B)."""
        space = self.space
        device = picks.device
        column_of: dict[int, int] = {}  # distinct picks in first-seen order (usually 1 or 2)
        columns = [column_of.setdefault(pick, len(column_of)) for pick in picks.tolist()]
        centers = torch.tensor(list(column_of), dtype=torch.int64, device=device)  # (U,)
        column = torch.tensor(columns, dtype=torch.int64, device=device)  # (B,)
        center_points = space.points.index_select(0, centers)
        center_sq = space.sq_norms.index_select(0, centers)
        for start in range(0, self.hot.shape[0], _ROW_CHUNK):
            chunk = slice(start, start + _ROW_CHUNK)
            points, sq = self.hot_points[chunk], self.hot_sq[chunk]  # (R, D), (R,)
            screened = expanded_squared(points, sq, center_points, center_sq)  # (R, U)
            lower = screened.sub_(error_bound(space, sq[:, None], center_sq[None, :]))
            near = (lower < self.hot_reach[chunk, None]).any(dim=1).nonzero().squeeze(1)
            if near.shape[0] == 0:
                continue
            at = near + start  # (r,) hot positions some beam may lower
            lowers = (lower[near].T[column] < self.upper[:, at].square()).logical_and_(
                self.score[:, at] >= 0.0
            )  # (B, r)
            beams, local = lowers.nonzero(as_tuple=True)
            if beams.shape[0] > 0:
                rows = at[local]
                distance = exact_to_point_pairs(space, self.hot[rows], picks[beams])
                lowered = torch.minimum(self.upper[beams, rows], distance)
                self.upper[beams, rows] = lowered
                weight = None if self.hot_weight is None else self.hot_weight[rows]
                self.score[beams, rows] = self._scores(lowered, weight)

    def _rebuild(self, k: int) -> None:
        """Make each beam's state whole, take each beam's highest stale scores as the new hot
        set (at least ``k`` per beam), and bring it up to date in every beam (large products:
        :func:`bulk` threads)."""
        with bulk():
            t = self.step
            upper = self.base_upper[self.origin]  # (B, N)
            seen = self.base_seen[self.origin]
            excluded = self.base_excluded[self.origin]
            upper[:, self.hot] = self.upper
            seen[:, self.hot] = t
            excluded[:, self.hot] = self.score < 0.0
            score = upper if self.weight is None else upper * self.weight
            score = score.masked_fill(excluded, -1.0)
            n_available = int((~excluded[0]).sum())
            share = min(max(SHARE_ROWS, k), n_available)  # each beam's hot rows
            floor = score.topk(share, dim=1).values[:, -1]  # (B,)
            hot = (score >= floor[:, None]).any(dim=0).nonzero().squeeze(1)  # ascending
            self._refresh(upper, seen, excluded, hot)
            self.base_upper, self.base_seen, self.base_excluded = upper, seen, excluded
            self.origin = torch.arange(upper.shape[0], device=upper.device)
            self.floor = floor
            self._use_hot(hot)
            self._stale = False

    def _refresh(self, upper: Tensor, seen: Tensor, excluded: Tensor, hot: Tensor) -> None:
        """Bring every beam's ``upper`` (B, N) up to date on the rows ``hot``, in place.

        The beams' paths share most of their centres, and a row's distance to a centre is
        the same in every beam: each (row, centre) pair is screened once, in one product, and
        each beam then takes the candidates among its own centres it has not seen.
        """
        t = self.step
        stale = (seen[:, hot] < t) & ~excluded[:, hot]  # (B, H)
        needed = stale.any(dim=0)
        if t == 0 or not bool(needed.any()):
            seen[:, hot] = t
            return
        space = self.space
        centers, inverse = torch.unique(self.paths(), return_inverse=True)  # (C,), (B, t)
        n_beams, n_centers = upper.shape[0], centers.shape[0]
        # picked[b, c]: when beam b picked centre c, -1 if it did not; a row that has seen s
        # picks has not seen centre c in beam b iff picked[b, c] >= s (and s >= 0)
        picked = torch.full((n_beams, n_centers), -1, dtype=torch.int64, device=hot.device)
        steps = torch.arange(t, device=hot.device).expand(n_beams, t)
        picked.scatter_(1, inverse, steps)
        scaled, center_sq = space.points[centers] * -2.0, space.sq_norms[centers]
        local = needed.nonzero().squeeze(1)  # hot positions some beam must refresh
        step = max(1, _SCREEN_PAIRS // max(n_centers, space.points.shape[1]))
        for begin in range(0, local.shape[0], step):
            part = local[begin : begin + step]
            rows = hot[part]
            sq = space.sq_norms[rows]
            lower = lower_squared(space, space.points[rows], sq, scaled, center_sq)  # (R, C)
            gap = lower_gap(space, sq[:, None], center_sq[None, :])
            for beam in range(n_beams):
                mine = stale[beam, part].nonzero().squeeze(1)
                if mine.shape[0] == 0:
                    continue
                every = mine.shape[0] == part.shape[0]  # no gathers then
                beam_rows = rows if every else rows[mine]
                seen_here = picked[beam][None, :] < seen[beam, beam_rows][:, None]  # (r, C)
                if every:
                    beam_lower = lower.masked_fill(seen_here, float("inf"))
                else:
                    beam_lower = lower[mine].masked_fill_(seen_here, float("inf"))
                current = upper[beam, beam_rows]
                beam_gap = gap if every else gap[mine]
                pair_rows, pair_cols = pairs_to_compute(space, beam_lower, beam_gap, current)
                if pair_rows.shape[0] > 0:
                    direct = exact_to_point_pairs(space, beam_rows[pair_rows], centers[pair_cols])
                    current.scatter_reduce_(0, pair_rows, direct, reduce="amin")
                    upper[beam, beam_rows] = current
        seen[:, hot] = t

    def rank_one(self) -> MinDistanceState:
        """The best beam's min distances, whole (stale outside the hot set)."""
        origin = int(self.origin[0])
        upper = self.base_upper[origin].clone()
        seen = self.base_seen[origin].clone()
        excluded = self.base_excluded[origin].clone()
        upper[self.hot] = self.upper[0]
        seen[self.hot] = self.step
        excluded[self.hot] = self.score[0] < 0.0
        return MinDistanceState.resume(self.space, upper, seen, ~excluded, self.paths()[0])


@dataclass(frozen=True)
class _History:
    """Per step: each new beam's parent row, pick and score; rows past the beams live are -1."""

    parents: Tensor  # (b, K) int64
    picks: Tensor  # (b, K) int64
    scores: Tensor  # (b, K) float

    @staticmethod
    def empty(budget: int, width: int, like: Tensor) -> _History:
        index = torch.full((budget, width), -1, dtype=torch.int64, device=like.device)
        return _History(index, index.clone(), like.new_zeros((budget, width)))

    def record(self, step: int, parents: Tensor, picks: Tensor, scores: Tensor) -> None:
        n = parents.shape[0]
        self.parents[step, :n] = parents
        self.picks[step, :n] = picks
        self.scores[step, :n] = scores

    def follow(self, n_beams: int, steps: int) -> tuple[Tensor, Tensor]:
        """The picks (B, steps) and their scores (B, steps) of the first ``n_beams`` beams
        after ``steps`` steps, in pick order: their parent pointers followed back.

        The pointers are followed on Python lists (a step is B list lookups, against three
        small tensor operations), then picks and scores gathered in one operation each."""
        parents = self.parents[:steps].tolist()
        row = list(range(n_beams))
        rows = [row] * steps  # rows[step][b]: beam b's ancestor's row at that step
        for step in range(steps - 1, -1, -1):
            rows[step] = row
            at_step = parents[step]
            row = [at_step[r] for r in row]
        index = torch.tensor(rows, dtype=torch.int64, device=self.picks.device).reshape(
            steps, n_beams
        )  # (steps, B)
        picks = self.picks[:steps].gather(1, index).T.contiguous()
        scores = self.scores[:steps].gather(1, index).T.contiguous()
        return picks, scores


def _backtrack(beams: _Beams, budget: int) -> BeamTrace:
    """The final beams' pick sequences, scores and U, best first."""
    picks, scores = beams.history.follow(beams.u_sum.shape[0], budget)
    u = beams.u_sum.to(torch.float64) / U_SCALE / max(budget, 1)
    return BeamTrace(picks, scores, u, beams.rank_one())
