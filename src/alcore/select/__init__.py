"""Exact core-set selection on CPU and GPU: greedy, doubt-weighted and beam search.

>>> from alcore.select import coreset
>>> picks = coreset(features, labelled, budget, doubt=None, weighted=False, beam_width=1)

See docs/method.md sections 1-7 for the semantics (tie-breaks included).
"""

from alcore.select._checks import InputError, check_features, check_probs
from alcore.select.baselines import (
    doubt_from_probs,
    entropy,
    entropy_of,
    least_confidence,
    margin,
    margin_of,
    random_selection,
)
from alcore.select.coreset import CoresetResult, coreset, coreset_search
from alcore.select.distances import MinDistances, ProgressFn, min_distances
from alcore.select.pool import Options, Pool, Selection
from alcore.select.radii import Radii, coreset_radii
from alcore.select.strategies import select

__all__ = [
    "CoresetResult",
    "InputError",
    "MinDistances",
    "Options",
    "Pool",
    "ProgressFn",
    "Radii",
    "Selection",
    "check_features",
    "check_probs",
    "coreset",
    "coreset_radii",
    "coreset_search",
    "doubt_from_probs",
    "entropy",
    "entropy_of",
    "least_confidence",
    "margin",
    "margin_of",
    "min_distances",
    "random_selection",
    "select",
]
