"""One small registry of acquisition strategies behind a single ``select`` call.

The kinds, what each reads and where it comes from are listed in
:data:`alcore.strategy_catalog.KINDS` (torch-free); :data:`STRATEGIES` maps the same names to the
code. ``coreset`` takes the options ``weighted`` and ``beam_width``. Every kind returns the same
:class:`Selection`, with the core-set radii before and after the picks whenever features are
given, so that all strategies can be compared on the same diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select import baselines
from alcore.select._checks import (
    check_beam_width,
    check_budget,
    check_features,
    check_flag,
    check_labelled,
    check_mask,
    check_probs,
    check_same_device,
)
from alcore.select.badge import _badge
from alcore.select.bald import _bald_scores
from alcore.select.coreset import coreset_search, mean_log_confidence
from alcore.select.distances import (
    DEFAULT_BLOCK_SIZE,
    ProgressFn,
    _min_distances,
    in_feature_units,
    make_workspace,
)
from alcore.select.kmeans import _kmeans_selection
from alcore.select.radii import Radii, radii_from_min_distance
from alcore.select.typiclust import _typiclust
from alcore.strategy_catalog import KINDS


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

    weighted: bool = False  # coreset: weight distances by doubt
    beam_width: SupportsIndex = 1  # coreset: beams kept (1 = greedy); any integer type
    generator: torch.Generator | None = None  # the stochastic kinds: a seeded CPU generator
    # ``progress(phase, done, total)`` with Python ints, cheap to call often (rate-limit any
    # logging inside it). coreset: after every tile of the first min-distance pass
    # ("min-distance"), then every pick ("picks"). Other kinds with features, for their radii:
    # "min-distance" (to the labelled set), then "min-distance to picks".
    progress: ProgressFn | None = None


Strategy = Callable[[Pool, int, Options], Selection]


def _coreset(pool: Pool, budget: int, options: Options) -> Selection:
    features = _need(pool.features, "coreset", "features")
    doubt = None if pool.probs is None else baselines._doubt(pool.probs)  # checked in select
    if (options.weighted or options.beam_width != 1) and doubt is None:
        raise ValueError(
            "the coreset strategy with weighted=True or beam_width > 1 needs class "
            "probabilities to compute doubt; pass probs in the Pool"
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
    assert options.generator is not None  # checked in select
    picks = baselines.random_selection(pool.labelled, budget, options.generator)
    return _with_diagnostics(pool, picks, torch.full((budget,), float("nan")), options.progress)


def _by_measure(name: str, measure: Callable[[Tensor], Tensor], sign: float) -> Strategy:
    def strategy(pool: Pool, budget: int, options: Options) -> Selection:
        probs = _need(pool.probs, name, "probs")  # checked in select
        values = measure(probs)
        picks = baselines.top_unlabelled(sign * values, pool.labelled, budget)
        return _with_diagnostics(pool, picks, values[picks].to(torch.float64), options.progress)

    return strategy


def _bald(pool: Pool, budget: int, options: Options) -> Selection:
    mc_probs = _need(pool.mc_probs, "bald", "mc_probs")  # checked in select
    values = _bald_scores(mc_probs)
    picks = baselines.top_unlabelled(values, pool.labelled, budget)
    return _with_diagnostics(pool, picks, values[picks], options.progress)


def _badge_kind(pool: Pool, budget: int, options: Options) -> Selection:
    features = _need(pool.features, "badge", "features")  # checked in select
    probs = _need(pool.probs, "badge", "probs")
    assert options.generator is not None  # checked in select
    found = _badge(features, probs, pool.labelled, budget, options.generator)
    return _with_diagnostics(pool, found.picks, found.distances, options.progress)


def _kmeans_kind(pool: Pool, budget: int, options: Options) -> Selection:
    features = _need(pool.features, "kmeans", "features")  # checked in select
    assert options.generator is not None  # checked in select
    found = _kmeans_selection(features, pool.labelled, budget, options.generator)
    return _with_diagnostics(pool, found.picks, found.sizes.to(torch.float64), options.progress)


def _typiclust_kind(pool: Pool, budget: int, options: Options) -> Selection:
    features = _need(pool.features, "typiclust", "features")  # checked in select
    assert options.generator is not None  # checked in select
    found = _typiclust(features, pool.labelled, budget, options.generator)
    return _with_diagnostics(pool, found.picks, found.typicality, options.progress)


STRATEGIES: dict[str, Strategy] = {
    "random": _random,
    "coreset": _coreset,
    "least_confidence": _by_measure("least_confidence", baselines._doubt, 1.0),
    "entropy": _by_measure("entropy", baselines._entropy, 1.0),
    "margin": _by_measure("margin", baselines._margin, -1.0),
    "bald": _bald,
    "badge": _badge_kind,
    "kmeans": _kmeans_kind,
    "typiclust": _typiclust_kind,
}

assert set(STRATEGIES) == set(KINDS), "alcore.strategy_catalog.KINDS lists the same kinds"

# the fewest class columns each kind can use (margin compares the top two)
_MIN_CLASSES = {"margin": 2}


def select(
    kind: str, pool: Pool, budget: SupportsIndex, options: Options | None = None
) -> Selection:
    """Run the strategy ``kind`` on ``pool`` for ``budget`` picks.

    Checks the whole pool first (features, probabilities, devices, budget, options), so every
    kind refuses what any kind would: probabilities that are not probabilities are never read
    as doubt, by the uncertainty kinds, the core-set's weights and U, or the diagnostics.
    """
    if kind not in STRATEGIES:
        raise ValueError(f"unknown strategy kind {kind!r}; known kinds: {sorted(STRATEGIES)}")
    if not isinstance(pool, Pool):
        raise ValueError(f"pool must be an alcore.select.Pool, got {type(pool).__name__}")
    options = options or Options()
    weighted = check_flag(options.weighted, "weighted")
    options = replace(options, weighted=weighted, beam_width=check_beam_width(options.beam_width))
    if kind != "coreset" and (options.weighted or options.beam_width != 1):
        raise ValueError(
            f"weighted and beam_width apply to the coreset kind only, not {kind!r}; leave "
            "them at their defaults"
        )
    _check_pool(pool, _MIN_CLASSES.get(kind, 1))
    for field in sorted(KINDS[kind].needs):
        _need(getattr(pool, field), kind, field)
    if KINDS[kind].stochastic and options.generator is None:
        raise ValueError(
            f"the {kind} strategy draws random numbers: pass options.generator (a seeded CPU "
            "torch.Generator)"
        )
    count = check_budget(budget, int((~pool.labelled).sum()))
    return STRATEGIES[kind](pool, count, options)


def _check_pool(pool: Pool, min_classes: int) -> None:
    """Labelled mask, features and probabilities: shapes, devices, values."""
    labelled = pool.labelled
    check_mask(labelled)
    n_points, device = labelled.shape[0], labelled.device
    if pool.features is not None:
        if isinstance(pool.features, Tensor):
            check_same_device(pool.features, "features", device, "the labelled mask")
        check_features(pool.features)
        n_points = pool.features.shape[0]
    check_labelled(labelled, n_points, device)
    if pool.probs is not None:
        check_probs(pool.probs, n_points, device=device, min_classes=min_classes)
    if pool.mc_probs is not None:
        mc_probs = pool.mc_probs
        if mc_probs.dim() != 3 or mc_probs.shape[0] < 1:
            raise ValueError(
                f"mc_probs must be (T, N, C) softmax of T >= 1 stochastic passes, got shape "
                f"{tuple(mc_probs.shape)}"
            )
        check_probs(mc_probs.flatten(0, 1), mc_probs.shape[0] * n_points, device=device)


def _with_diagnostics(
    pool: Pool, picks: Tensor, scores: Tensor, progress: ProgressFn | None
) -> Selection:
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


def _need(value: Tensor | None, kind: str, what: str) -> Tensor:
    if value is None:
        raise ValueError(f"the {kind} strategy needs {what}; pass them in the Pool")
    return value
