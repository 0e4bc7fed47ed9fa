"""The strategy catalogue: one :class:`Kind` entry per strategy kind.

An entry says what the kind reads from the pool, whether it draws random numbers, which of the
strategy options it takes, a one-line summary, its reference, and the function that runs it
(:func:`alcore.select.select` calls it). Adding a kind is its kernel file (with that function),
one entry here, its tests and its row in ``docs/strategies.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# What a strategy may read from the pool (alcore.select.Pool fields):
FEATURES = "features"  # (N, D) embeddings: the input of the model's final linear layer
PROBS = "probs"  # (N, C) softmax probabilities of the deterministic (eval-mode) model
MC_PROBS = "mc_probs"  # (T, N, C) softmax of T stochastic forward passes, dropout active

# The strategy options and their defaults (the config schema's defaults are filled in from
# here): weighted and beam_width shape the core-set, passes is the number of dropout passes.
WEIGHTED = False
BEAM_WIDTH = 1
PASSES = 20
OPTION_DEFAULTS: dict[str, object] = {
    "weighted": WEIGHTED,
    "beam_width": BEAM_WIDTH,
    "passes": PASSES,
}


@dataclass(frozen=True)
class Kind:
    """One strategy kind."""

    needs: frozenset[str]  # the pool fields it always reads (FEATURES, PROBS, MC_PROBS)
    stochastic: bool  # draws from Options.generator (a seeded CPU torch.Generator)
    summary: str  # one line for listings
    reference: str  # where the method comes from
    run: str  # "module:function", an alcore.select.Strategy
    takes: tuple[str, ...] = ()  # the OPTION_DEFAULTS keys it reads
    min_classes: int = 1  # the fewest probability columns it can use

    @property
    def needs_model(self) -> bool:
        """Reads more than an embedding holds: stochastic passes of the model itself."""
        return MC_PROBS in self.needs


KINDS: dict[str, Kind] = {
    "random": Kind(
        frozenset(),
        True,
        "uniformly random unlabelled points",
        "the baseline",
        "alcore.select.strategies:random_strategy",
    ),
    "coreset": Kind(
        frozenset({FEATURES}),  # and PROBS with weighted or beam_width > 1
        False,
        "greedy k-center core-set; weighted: distances scaled by doubt; beam_width: beam search",
        "Sener & Savarese, ICLR 2018; the paper (doubt weights, beams)",
        "alcore.select.strategies:coreset_strategy",
        takes=("weighted", "beam_width"),
    ),
    "least_confidence": Kind(
        frozenset({PROBS}),
        False,
        "largest doubt 1 - max P(y|x)",
        "Lewis & Gale, SIGIR 1994",
        "alcore.select.strategies:least_confidence_strategy",
    ),
    "entropy": Kind(
        frozenset({PROBS}),
        False,
        "largest predictive entropy",
        "Shannon; Settles 2009 survey",
        "alcore.select.strategies:entropy_strategy",
    ),
    "margin": Kind(
        frozenset({PROBS}),
        False,
        "smallest gap between the two most probable classes",
        "Scheffer et al., IDA 2001",
        "alcore.select.strategies:margin_strategy",
        min_classes=2,
    ),
    "bald": Kind(
        frozenset({MC_PROBS}),
        False,
        "largest mutual information of label and weights from T dropout passes (setting passes)",
        "Houlsby et al., arXiv 2011; Gal, Islam & Ghahramani, ICML 2017",
        "alcore.select.strategies:bald_strategy",
        takes=("passes",),
    ),
    "batchbald": Kind(
        frozenset({MC_PROBS}),
        True,  # the joint is estimated from sampled label configurations once it is too large
        "greedy joint mutual information of the batch's labels and the weights (setting passes)",
        "Kirsch, van Amersfoort & Gal, NeurIPS 2019",
        "alcore.select.batchbald:batchbald_strategy",
        takes=("passes",),
    ),
    "badge": Kind(
        frozenset({FEATURES, PROBS}),
        True,
        "k-means++ seeding over last-layer gradient embeddings at the predicted label",
        "Ash et al., ICLR 2020",
        "alcore.select.strategies:badge_strategy",
    ),
    "kmeans": Kind(
        frozenset({FEATURES}),
        True,
        "k-means (k = budget) of the unlabelled points; the point nearest each centre",
        "the clustering baseline, e.g. Hacohen et al., ICML 2022",
        "alcore.select.strategies:kmeans_strategy",
    ),
    "typiclust": Kind(
        frozenset({FEATURES}),
        True,
        "the most typical point (densest kNN) of each k-means cluster of the pool",
        "Hacohen, Dekel & Weinshall, ICML 2022",
        "alcore.select.strategies:typiclust_strategy",
    ),
    "probcover": Kind(
        frozenset({FEATURES, PROBS}),  # PROBS: the class count, the k of the purity rule
        True,  # the purity rule's k-means, and picks once every point is covered
        "greedy max coverage of delta-balls on the embedding, delta from the purity rule",
        "Yehuda, Dekel, Hacohen & Weinshall, NeurIPS 2022",
        "alcore.select.probcover:probcover_strategy",
    ),
}


def known_kinds() -> tuple[str, ...]:
    """Catalogued kind names, sorted."""
    return tuple(sorted(KINDS))


def takers(option: str) -> tuple[str, ...]:
    """The kinds that take ``option``, in catalogue order."""
    return tuple(name for name, kind in KINDS.items() if option in kind.takes)


def refused_options(kind: str, given: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options of ``given`` that ``kind`` does not take, with their kin, and who takes them.

    Returns ``(options, kinds)``: every option the kinds taking a refused option take and
    ``kind`` does not (so that a message names the whole group, "weighted and beam_width"),
    and those kinds; ``((), ())`` when ``kind`` takes all of ``given``.
    """
    refused = [option for option in given if option not in KINDS[kind].takes]
    if not refused:
        return (), ()
    others = tuple(dict.fromkeys(name for option in refused for name in takers(option)))
    group = [o for name in others for o in KINDS[name].takes if o not in KINDS[kind].takes]
    return tuple(dict.fromkeys(group)), others


def options_apply(options: Iterable[str]) -> str:
    """``"weighted and beam_width apply"`` or ``"passes applies"``: the start of every refusal
    of an option a kind does not take."""
    names = list(options)
    return f"{' and '.join(names)} {'applies' if len(names) == 1 else 'apply'}"
