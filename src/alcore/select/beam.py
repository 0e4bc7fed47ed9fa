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
- The distances to the new centres are screened under a rigorous margin (a table of the hot
  rows against each other made at each rebuild, or a matrix product), and computed directly
  for the (beam, row) pairs the screen leaves.

A step does a few operations on the beams' (B, H) values on the device (the top scores, the
candidates' membership in every beam's set, the children's values); the rest works on arrays
of B or B x K entries (U sums, parents, sets' differences, children's ranks, history) that
live on the host in numpy, where such an operation is cheaper than a torch call and needs no
round trip to the device.

Lazy (the default on the CPU), as greedy is (:mod:`alcore.select.greedy`): the beams share a
*hot* set of rows, kept up to date in every beam at every step; each beam's other rows keep
stale min distances (upper bounds), all scoring below that beam's ``floor``. While every beam's
K-th best hot score reaches its floor, its candidates are all hot; otherwise the hot set is
rebuilt from each beam's highest stale scores, brought up to date in bulk. Between rebuilds a
beam's rows outside the set are those of its ancestor at the last rebuild, so a step copies
K x (hot rows), not K x N. Eager, the hot set is every row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from alcore.select._threads import bulk, one_thread
from alcore.select.distances import (
    MinDistances,
    ProgressFn,
    Workspace,
    exact_to_point_pairs,
    lower_squared,
)
from alcore.select.greedy import MinDistanceState, pairs_to_compute

# Each beam's share of the beams' hot set: a rebuild takes every beam's SHARE_ROWS highest stale
# scores (the beams share most of them). A quarter of greedy's HOT_ROWS: a beam step gathers
# and ranks B x (hot rows) values where a greedy pick keeps one row of them, and a rebuild's
# table of the hot rows against each other grows with their square (beam 20 at N = 50,000,
# D = 512, b = 2,000: 256 the fastest of 128, 256 and 512, on Gaussian and clustered data).
SHARE_ROWS = 256
_ROW_CHUNK = 8192  # hot rows updated at a time (views)
# (row, centre) pairs screened at a time by a rebuild, so extra memory stays bounded.
_SCREEN_PAIRS = 1 << 22
# Up to this many (hot row, hot row) pairs, a rebuild screens every hot row against every
# other as a future centre (every pick is a hot row), and a step looks its centres up in that
# table instead of screening them: a product of H x H x D once, against a dozen small
# operations every step. Beyond it (a few thousand hot rows, or eager beams over every row)
# the product would outweigh the steps it saves.
_NEAR_PAIRS = 1 << 20

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


def _on(device: torch.device, array: np.ndarray) -> Tensor:
    """A host array as a tensor on ``device``: shared, not copied, on the CPU."""
    tensor = torch.from_numpy(array)
    return tensor if device.type == "cpu" else tensor.to(device)


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
            children = beams.children(min(width, n_unlabelled - step))
            beams.extend(children, _rank_children(beams, children, width))
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


@dataclass(frozen=True)
class _Children:
    """Every beam's k best candidates, on the host; child ``f`` (flat, in the order (parent
    rank, candidate rank)) is ``S_(f // k) + {positions.flat[f]}``.

    positions: (B, k) int64 hot positions. scores: (B, k) their scores. log_conf: (B, k)
    int64 their fixed-point -log confidence. membership: (B, B * k) bool, [q, f] is child
    f's pick in S_q.
    """

    positions: np.ndarray
    scores: np.ndarray
    log_conf: np.ndarray
    membership: np.ndarray


def _rank_children(beams: _Beams, children: _Children, width: int) -> np.ndarray:
    """The top ``width`` distinct children as flat indices (``_Children``), best first."""
    n_beams = children.positions.shape[0]
    u_sum = (beams.u_sum[:, None] + children.log_conf).reshape(-1)
    order = np.argsort(-u_sum, kind="stable")  # descending; ties keep (parent, candidate) rank
    if n_beams == 1:  # children of one parent are distinct sets
        return np.asarray(order[:width])
    window = min(2 * width, order.shape[0])
    while True:
        keep = ~_duplicates(beams, children, order[:window])
        if int(keep.sum()) >= width or window == order.shape[0]:
            break
        window = min(2 * window, order.shape[0])
    return np.asarray(order[:window][keep][:width])


def _duplicates(beams: _Beams, children: _Children, ranked: np.ndarray) -> np.ndarray:
    """(W,) bool: child ``ranked[j]`` is the same set as some ``ranked[i]``, i < j."""
    parent = ranked // children.positions.shape[1]
    # in_parent[i, j]: pick_i in S_(parent_j)
    in_parent = children.membership[parent[None, :], ranked[:, None]]
    apart = beams.symmetric_difference[parent[:, None], parent[None, :]]
    same = (parent[:, None] != parent[None, :]) & in_parent & in_parent.T & (apart == 2)
    return np.asarray((same & _earlier(ranked.shape[0])).any(axis=0))


@functools.lru_cache(maxsize=8)
def _earlier(n: int) -> np.ndarray:
    """(n, n) bool, read-only: ``[i, j]`` is ``i < j`` (a search asks for a size or two)."""
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    mask.flags.writeable = False
    return mask


class _Beams:
    """The live beams, best first, over the hot rows.

    On the device, per beam b (rows of each tensor): ``upper`` (B, H) its min distances on the
    hot rows, up to date; ``score`` (B, H) its scores there (``upper`` or ``weight * upper``,
    >= 0), -1 on the labelled set and its picks (so ``score < 0`` is that set).
    On the host (numpy): ``floor`` (B,) every row outside the hot set that b may still pick
    scores below it; ``origin`` (B,) its ancestor's row in the snapshot (``base_*``, (S, N),
    taken at the last rebuild), which holds its rows outside the hot set; ``u_sum`` (B,) the
    fixed-point sum of -log confidence; ``symmetric_difference`` (B, B) int64 size of
    S_p xor S_q.
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
        self.host_log_conf = log_conf.cpu().numpy()
        self.step = 0
        self.history = _History.empty(budget, width)
        self.base_upper = start[None, :].clone()
        self.base_seen = torch.zeros((1, start.shape[0]), dtype=torch.int64, device=device)
        self.base_excluded = labelled[None, :].clone()
        self.origin = np.zeros(1, dtype=np.int64)
        self.u_sum = np.zeros(1, dtype=np.int64)
        self.symmetric_difference = np.zeros((1, 1), dtype=np.int64)
        self.floor = np.full(1, -1.0)
        hot = torch.arange(start.shape[0] if not lazy else 0, device=device)  # eager: all rows
        self._use_hot(hot)
        self._stale = lazy  # lazy: built before the first step

    def _use_hot(self, hot: Tensor) -> None:
        """Make ``hot`` (H,) ascending the hot rows, the beams' values there from the snapshot."""
        self.hot = hot
        self.host_hot = hot.cpu().numpy()
        every = hot.shape[0] == self.base_upper.shape[1]
        space = self.space
        self.hot_points = space.points if every else space.points[hot]
        self.hot_sq = space.sq_norms if every else space.sq_norms[hot]
        self.hot_weight = None if self.weight is None else self.weight[hot]
        self.host_hot_log_conf = self.host_log_conf[self.host_hot]
        origin = _on(hot.device, self.origin)[:, None]
        self.upper = self.base_upper[origin, hot]  # (B, H), no (B, N) copy
        excluded = self.base_excluded[origin, hot]
        self.score = self._scores(self.upper, self.hot_weight).masked_fill_(excluded, -1.0)
        # (H,) the largest value any beam holds on a hot row, squared: it bounds every beam's
        # value there until the next rebuild (values only fall; children copy their parents'
        # rows), and squaring rounds monotonically, so a screened distance at or above it
        # lowers no beam
        self.hot_reach = self.upper.amax(dim=0).square()
        self.hot_near = self._screen_hot()

    @staticmethod
    def _scores(upper: Tensor, weight: Tensor | None) -> Tensor:
        """Scores of min distances ``upper`` (..., R) with the score weights ``weight`` (R,),
        as a new tensor."""
        return upper.clone() if weight is None else upper * weight

    def children(self, k: int) -> _Children:
        """Every beam's k best candidates, rebuilding the hot set until they are the best of
        all rows."""
        while True:
            if self._stale:
                self._rebuild(k)
            score = self.score
            if score.shape[1] >= k:
                top = score.topk(min(k + 1, score.shape[1]), dim=1)
                values = top.values.cpu().numpy()
                if not self.lazy or bool((values[:, k - 1] >= self.floor).all()):
                    return self._children_of(score, top, values, k)
            self._stale = True

    def _children_of(
        self, score: Tensor, top: tuple[Tensor, Tensor], values: np.ndarray, k: int
    ) -> _Children:
        """The children of the top scores ``top`` (``values`` on the host), k per beam."""
        if bool((values[:, 1:] < values[:, :-1]).all()):
            # strictly falling: no tie within the k best or across the cut (_top_candidates)
            positions = top[1][:, :k]
            scores = values[:, :k]
        else:
            positions = _top_candidates(score, k, top)
            scores = score.gather(1, positions).cpu().numpy()
        flat = positions.reshape(-1)
        host_positions = flat.cpu().numpy().reshape(positions.shape)
        return _Children(
            host_positions,
            scores,
            self.host_hot_log_conf[host_positions],
            (score.index_select(1, flat) < 0.0).cpu().numpy(),  # picks are never labelled
        )

    def extend(self, children: _Children, kept: np.ndarray) -> None:
        """The children ``kept`` (flat indices, best first) as the new beams."""
        parents = kept // children.positions.shape[1]
        chosen = children.positions.reshape(-1)[kept]  # hot positions of the picks
        picks = self.host_hot[chosen]
        self.history.record(self.step, parents, picks, children.scores.reshape(-1)[kept])
        # membership[b, a] = picks[a] in S_{parents[b]}, before adding the new picks
        sign = 1 - 2 * children.membership[parents[:, None], kept[None, :]].astype(np.int64)
        step = sign.T + sign
        step[picks[:, None] == picks[None, :]] = 0  # (a, b)
        apart = self.symmetric_difference[parents[:, None], parents[None, :]]
        self.symmetric_difference = apart + step
        self.u_sum = self.u_sum[parents] + children.log_conf.reshape(-1)[kept]
        self.origin = self.origin[parents]
        self.floor = self.floor[parents]
        self.step += 1
        device = self.hot.device
        rows = torch.arange(parents.shape[0], device=device)
        on_device = _on(device, parents)
        at = _on(device, chosen)
        self.score = self.score.index_select(0, on_device)  # (B, H) rows: faster than indexing
        self.score[rows, at] = -1.0  # a centre is no candidate
        self.upper = self.upper.index_select(0, on_device)
        self.upper[rows, at] = 0.0
        self._lower_hot(picks, chosen)

    def paths(self) -> Tensor:
        """(B, t) each beam's picks so far, in pick order."""
        picks = self.history.follow(self.u_sum.shape[0], self.step)[0]
        return _on(self.hot.device, picks)

    def _lower_hot(self, picks: np.ndarray, chosen: np.ndarray) -> None:
        """Lower each beam's hot ``upper`` to its new centre ``picks[b]`` (hot position
        ``chosen[b]``): rule out the rows no beam can lower (:meth:`_near`), compare the few
        left (usually none) in every beam, and compute directly the (beam, row) pairs that
        pass, except on the beam's own centres (its labelled rows and picks, the new one
        included), which hold 0 already or got it from :meth:`extend`."""
        at = self._near(chosen)  # (r,) hot positions some beam may lower
        if at.shape[0] == 0:
            return
        space = self.space
        device = self.hot.device
        centers = _on(device, picks)  # (B,)
        center_points, center_sq = space.points.index_select(0, centers), space.sq_norms[centers]
        points, sq = self.hot_points.index_select(0, at), self.hot_sq[at]
        lower = lower_squared(space, points, sq, center_points * -2.0, center_sq)  # (r, B)
        lowers = (lower.T < self.upper[:, at].square()).logical_and_(self.score[:, at] >= 0.0)
        beams, local = lowers.nonzero(as_tuple=True)  # (beam, row) pairs to compute
        if beams.shape[0] > 0:
            rows = at[local]
            distance = exact_to_point_pairs(
                space.points, self.hot[rows], space.points, centers[beams]
            )
            lowered = torch.minimum(self.upper[beams, rows], distance)
            self.upper[beams, rows] = lowered
            weight = None if self.hot_weight is None else self.hot_weight[rows]
            self.score[beams, rows] = self._scores(lowered, weight)

    def _near(self, chosen: np.ndarray) -> Tensor:
        """(r,) ascending hot positions whose value some beam may lower to its new centre,
        the hot row ``chosen[b]``: a screen against ``hot_reach``.

        From :meth:`_screen_hot`'s table when the rebuild made one (a lookup on the host),
        else by a product of the distinct centres with the hot rows, in chunks of
        O(chunk x centres)."""
        device = self.hot.device
        if self.hot_near is not None:
            rows = np.flatnonzero(self.hot_near[chosen].any(axis=0))
            return _on(device, rows)
        space = self.space
        centers = self.hot[_on(device, np.unique(chosen))]  # usually 1 or 2
        center_points, center_sq = space.points.index_select(0, centers), space.sq_norms[centers]
        near = []
        for start in range(0, self.hot.shape[0], _ROW_CHUNK):
            chunk = slice(start, start + _ROW_CHUNK)
            points, sq = self.hot_points[chunk], self.hot_sq[chunk]  # (R, D), (R,)
            lower = lower_squared(space, points, sq, center_points * -2.0, center_sq)  # (R, U)
            near.append((lower < self.hot_reach[chunk, None]).any(dim=1).nonzero().squeeze(1))
            near[-1] += start
        return torch.cat(near)

    def _screen_hot(self) -> np.ndarray | None:
        """(H, H) bool on the host: ``[c, r]`` is False where hot row c, as a centre, can lower
        no beam's value at hot row r (the screen of :meth:`_near`), and on the diagonal (a
        beam whose centre is c holds 0 there). None when H x H exceeds ``_NEAR_PAIRS``: the
        steps then screen their own centres."""
        n_hot = self.hot.shape[0]
        if n_hot * n_hot > _NEAR_PAIRS:
            return None
        space = self.space
        points, sq = self.hot_points, self.hot_sq
        scaled = points * -2.0  # the hot rows as the rows they may lower
        near = torch.empty((n_hot, n_hot), dtype=torch.bool, device=self.hot.device)
        step = max(1, _SCREEN_PAIRS // max(n_hot, 1))
        for start in range(0, n_hot, step):
            chunk = slice(start, start + step)
            lower = lower_squared(space, points[chunk], sq[chunk], scaled, sq)  # (c, H)
            torch.lt(lower, self.hot_reach[None, :], out=near[chunk])
        return near.fill_diagonal_(False).cpu().numpy()

    def _rebuild(self, k: int) -> None:
        """Make each beam's state whole, take each beam's highest stale scores as the new hot
        set (at least ``k`` per beam), and bring it up to date in every beam (large products:
        :func:`bulk` threads)."""
        with bulk():
            t = self.step
            origin = _on(self.hot.device, self.origin)
            upper = self.base_upper[origin]  # (B, N)
            seen = self.base_seen[origin]
            excluded = self.base_excluded[origin]
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
            self.origin = np.arange(upper.shape[0], dtype=np.int64)
            self.floor = floor.cpu().numpy()
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
        scaled, center_sq = space.points.index_select(0, centers) * -2.0, space.sq_norms[centers]
        local = needed.nonzero().squeeze(1)  # hot positions some beam must refresh
        step = max(1, _SCREEN_PAIRS // max(n_centers, space.points.shape[1]))
        for begin in range(0, local.shape[0], step):
            part = local[begin : begin + step]
            rows = hot[part]
            sq = space.sq_norms[rows]
            points = space.points.index_select(0, rows)
            lower = lower_squared(space, points, sq, scaled, center_sq)  # (R, C)
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
                beam_sq = sq if every else sq[mine]
                pair_rows, pair_cols = pairs_to_compute(
                    space, beam_lower, beam_sq, center_sq, current
                )
                if pair_rows.shape[0] > 0:
                    direct = exact_to_point_pairs(
                        space.points, beam_rows[pair_rows], space.points, centers[pair_cols]
                    )
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
    """Per step, on the host: each new beam's parent row, pick and score; rows past the beams
    live are -1. Preallocated: one long-lived buffer instead of thousands of small arrays."""

    parents: np.ndarray  # (b, K) int64
    picks: np.ndarray  # (b, K) int64
    scores: np.ndarray  # (b, K) float64, each a score of the working dtype, exactly

    @staticmethod
    def empty(budget: int, width: int) -> _History:
        index = np.full((budget, width), -1, dtype=np.int64)
        return _History(index, index.copy(), np.zeros((budget, width)))

    def record(self, step: int, parents: np.ndarray, picks: np.ndarray, scores: np.ndarray) -> None:
        n = parents.shape[0]
        self.parents[step, :n] = parents
        self.picks[step, :n] = picks
        self.scores[step, :n] = scores

    def follow(self, n_beams: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The picks (B, steps) and their scores (B, steps) of the first ``n_beams`` beams
        after ``steps`` steps, in pick order: their parent pointers followed back."""
        rows = np.empty((steps, n_beams), dtype=np.int64)  # each beam's ancestor at a step
        row = np.arange(n_beams)
        for step in range(steps - 1, -1, -1):
            rows[step] = row
            row = self.parents[step, row]
        picks = np.take_along_axis(self.picks[:steps], rows, axis=1).T
        scores = np.take_along_axis(self.scores[:steps], rows, axis=1).T
        return np.ascontiguousarray(picks), np.ascontiguousarray(scores)


def _backtrack(beams: _Beams, budget: int) -> BeamTrace:
    """The final beams' pick sequences, scores and U, best first."""
    picks, scores = beams.history.follow(beams.u_sum.shape[0], budget)
    device, dtype = beams.hot.device, beams.space.points.dtype
    u = torch.from_numpy(beams.u_sum).to(device, torch.float64) / U_SCALE / max(budget, 1)
    return BeamTrace(
        _on(device, picks),
        torch.from_numpy(scores).to(device, dtype),
        u,
        beams.rank_one(),
    )
