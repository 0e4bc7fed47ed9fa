"""One small registry of acquisition strategies behind a single ``select`` call.

Kinds: ``random``, ``coreset`` (options ``weighted`` and ``beam_width``), ``least_confidence``,
``entropy`` and ``margin``. Every kind returns the same :class:`Selection`, with the core-set
radii before and after the picks whenever features are given, so that all strategies can be
compared on the same diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from alcore.select import baselines
from alcore.select._checks import check_doubt, check_features, check_labelled
from alcore.select.coreset import coreset_search, mean_log_confidence
from alcore.select.distances import (
    DEFAULT_BLOCK_SIZE,
    ProgressFn,
    _min_distances,
    make_workspace,
)
from alcore.select.radii import Radii, radii_from_min_distance


@dataclass(frozen=True)
class Pool:
    """What a strategy may look at.

    labelled: (N,) bool. features: (N, D) embeddings or None. probs: (N, C) softmax or None.
    """

    labelled: Tensor
    features: Tensor | None = None
    probs: Tensor | None = None

    def doubt(self) -> Tensor | None:
        """(N,) ``1 - max P(y|x)``, or None without probabilities."""
        return None if self.probs is None else baselines.doubt_from_probs(self.probs)


@dataclass(frozen=True)
class Selection:
    """A strategy's acquisitions and diagnostics.

    picks: (b,) int64 pool indices in pick order. scores: (b,) float64 the strategy's score of
    each pick (core-set: m or doubt * m at pick time; uncertainty: its measure; random: nan).
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

    weighted: bool = False  # coreset: weight distances by doubt
    beam_width: int = 1  # coreset: beams kept (1 = greedy)
    generator: torch.Generator | None = None  # random: a seeded CPU torch.Generator
    # ``progress(phase, done, total)`` with Python ints, cheap to call often (rate-limit any
    # logging inside it). coreset: after every tile of the first min-distance pass
    # ("min-distance"), then every pick ("picks"). Other kinds with features, for their radii:
    # "min-distance" (to the labelled set), then "min-distance to picks".
    progress: ProgressFn | None = None


Strategy = Callable[[Pool, int, Options], Selection]


def _coreset(pool: Pool, budget: int, options: Options) -> Selection:
    features = _need(pool.features, "coreset", "features")
    doubt = pool.doubt()
    if (options.weighted or options.beam_width > 1) and doubt is None:
        raise ValueError(
            "the coreset strategy with weighted=True or beam_width > 1 needs class "
            "probabilities (probs) to compute doubt"
        )
    result = coreset_search(
        features,
        pool.labelled,
        budget,
        doubt,
        options.weighted,
        options.beam_width,
        progress=options.progress,
    )
    return Selection(
        result.picks,
        result.scores.to(torch.float64),
        result.beam_u,
        result.before,
        result.after,
        result.beams,
    )


def _random(pool: Pool, budget: int, options: Options) -> Selection:
    if options.generator is None:
        raise ValueError("the random strategy needs options.generator (a seeded torch.Generator)")
    picks = baselines.random_selection(pool.labelled, budget, options.generator)
    return _with_diagnostics(pool, picks, torch.full((budget,), float("nan")), options.progress)


def _by_measure(name: str, measure: Callable[[Tensor], Tensor], sign: float) -> Strategy:
    def strategy(pool: Pool, budget: int, options: Options) -> Selection:
        probs = _need(pool.probs, name, "probs")
        baselines.check_probs(probs, pool.labelled.shape[0])
        values = measure(probs)
        picks = baselines.top_unlabelled(sign * values, pool.labelled, budget)
        return _with_diagnostics(pool, picks, values[picks].to(torch.float64), options.progress)

    return strategy


STRATEGIES: dict[str, Strategy] = {
    "random": _random,
    "coreset": _coreset,
    "least_confidence": _by_measure("least_confidence", baselines.doubt_from_probs, 1.0),
    "entropy": _by_measure("entropy", baselines.entropy_of, 1.0),
    "margin": _by_measure("margin", baselines.margin_of, -1.0),
}


def select(kind: str, pool: Pool, budget: int, options: Options | None = None) -> Selection:
    """Run the strategy ``kind`` on ``pool`` for ``budget`` picks."""
    if kind not in STRATEGIES:
        raise ValueError(f"unknown strategy kind {kind!r}; known kinds: {sorted(STRATEGIES)}")
    check_labelled(pool.labelled, pool.labelled.shape[0], pool.labelled.device)
    options = options or Options()
    if kind != "coreset" and (options.weighted or options.beam_width != 1):
        raise ValueError(f"weighted and beam_width apply to the coreset kind only, not {kind!r}")
    return STRATEGIES[kind](pool, budget, options)


def _with_diagnostics(
    pool: Pool, picks: Tensor, scores: Tensor, progress: ProgressFn | None
) -> Selection:
    doubt = pool.doubt()
    u = mean_log_confidence(doubt, picks)
    if pool.features is None:
        return Selection(picks, scores, u, None, None)
    check_features(pool.features)
    if doubt is not None:
        check_doubt(doubt, pool.features.shape[0], pool.features.device)
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


def _need(value: Tensor | None, kind: str, what: str) -> Tensor:
    if value is None:
        raise ValueError(f"the {kind} strategy needs {what}; pass them in the Pool")
    return value
