"""One ``select`` call for every strategy kind, and the kinds whose kernels live elsewhere.

The kinds, what each reads, which options it takes and the function that runs it are
catalogued in :data:`alcore.catalog.strategies.KINDS`. :func:`select` checks the pool against
the entry and calls that function. Every kind returns the same :class:`Selection`, with the
core-set radii before and after the picks whenever features are given, so that all strategies
can be compared on the same diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import SupportsIndex, cast

import torch
from torch import Tensor

from alcore.catalog.refs import resolve
from alcore.catalog.strategies import KINDS, OPTION_DEFAULTS, options_apply, refused_options
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
from alcore.select.coreset import coreset_search
from alcore.select.kmeans import _kmeans_selection
from alcore.select.pool import Options, Pool, Selection, Strategy, need, with_diagnostics
from alcore.select.typiclust import _typiclust

__all__ = ["Options", "Pool", "Selection", "Strategy", "select", "strategy_of"]


def coreset_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    features = need(pool.features, "coreset", "features")
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


def random_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    assert options.generator is not None  # checked in select
    picks = baselines.random_selection(pool.labelled, budget, options.generator)
    return with_diagnostics(pool, picks, torch.full((budget,), float("nan")), options.progress)


def _by_measure(name: str, measure: Callable[[Tensor], Tensor], sign: float) -> Strategy:
    def strategy(pool: Pool, budget: int, options: Options) -> Selection:
        probs = need(pool.probs, name, "probs")  # checked in select
        values = measure(probs)
        picks = baselines.top_unlabelled(sign * values, pool.labelled, budget)
        return with_diagnostics(pool, picks, values[picks].to(torch.float64), options.progress)

    return strategy


least_confidence_strategy = _by_measure("least_confidence", baselines._doubt, 1.0)
entropy_strategy = _by_measure("entropy", baselines._entropy, 1.0)
margin_strategy = _by_measure("margin", baselines._margin, -1.0)


def bald_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    mc_probs = need(pool.mc_probs, "bald", "mc_probs")  # checked in select
    values = _bald_scores(mc_probs)
    picks = baselines.top_unlabelled(values, pool.labelled, budget)
    return with_diagnostics(pool, picks, values[picks], options.progress)


def badge_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    features = need(pool.features, "badge", "features")  # checked in select
    probs = need(pool.probs, "badge", "probs")
    assert options.generator is not None  # checked in select
    found = _badge(features, probs, pool.labelled, budget, options.generator)
    return with_diagnostics(pool, found.picks, found.distances, options.progress)


def kmeans_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    features = need(pool.features, "kmeans", "features")  # checked in select
    assert options.generator is not None  # checked in select
    found = _kmeans_selection(features, pool.labelled, budget, options.generator)
    return with_diagnostics(pool, found.picks, found.sizes.to(torch.float64), options.progress)


def typiclust_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    features = need(pool.features, "typiclust", "features")  # checked in select
    assert options.generator is not None  # checked in select
    found = _typiclust(features, pool.labelled, budget, options.generator)
    return with_diagnostics(pool, found.picks, found.typicality, options.progress)


@cache
def strategy_of(kind: str) -> Strategy:
    """The function the catalogue entry of ``kind`` names (``KeyError`` for an unknown kind)."""
    return cast(Strategy, resolve(KINDS[kind].run))


def select(
    kind: str, pool: Pool, budget: SupportsIndex, options: Options | None = None
) -> Selection:
    """Run the strategy ``kind`` on ``pool`` for ``budget`` picks.

    Checks the whole pool first (features, probabilities, devices, budget, options), so every
    kind refuses what any kind would: probabilities that are not probabilities are never read
    as doubt, by the uncertainty kinds, the core-set's weights and U, or the diagnostics.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown strategy kind {kind!r}; known kinds: {sorted(KINDS)}")
    if not isinstance(pool, Pool):
        raise ValueError(f"pool must be an alcore.select.Pool, got {type(pool).__name__}")
    options = options or Options()
    weighted = check_flag(options.weighted, "weighted")
    options = replace(options, weighted=weighted, beam_width=check_beam_width(options.beam_width))
    changed = [k for k in ("weighted", "beam_width") if getattr(options, k) != OPTION_DEFAULTS[k]]
    refused, takers = refused_options(kind, changed)
    if refused:
        raise ValueError(
            f"{options_apply(refused)} to the {', '.join(takers)} kind only, not {kind!r}; leave "
            "them at their defaults"
        )
    entry = KINDS[kind]
    _check_pool(pool, entry.min_classes)
    for field in sorted(entry.needs):
        need(getattr(pool, field), kind, field)
    if entry.stochastic and options.generator is None:
        raise ValueError(
            f"the {kind} strategy draws random numbers: pass options.generator (a seeded CPU "
            "torch.Generator)"
        )
    count = check_budget(budget, int((~pool.labelled).sum()))
    return strategy_of(kind)(pool, count, options)


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
