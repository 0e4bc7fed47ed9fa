"""What is known of each strategy kind without running it: what it reads, whether it draws
random numbers, a one-line summary and its reference.

Torch-free, so that the Snakefile, the config checks and ``alcore strategies`` can consult it
without importing torch. :data:`alcore.select.STRATEGIES` maps the same names to the code.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a strategy may read from the pool (alcore.select.Pool fields):
FEATURES = "features"  # (N, D) embeddings: the input of the model's final linear layer
PROBS = "probs"  # (N, C) softmax probabilities of the deterministic (eval-mode) model
MC_PROBS = "mc_probs"  # (T, N, C) softmax of T stochastic forward passes, dropout active


@dataclass(frozen=True)
class Kind:
    """One strategy kind."""

    needs: frozenset[str]  # the pool fields it reads (FEATURES, PROBS, MC_PROBS)
    stochastic: bool  # draws from Options.generator (a seeded CPU torch.Generator)
    summary: str  # one line for listings
    reference: str  # where the method comes from

    @property
    def needs_model(self) -> bool:
        """Reads more than an embedding holds: stochastic passes of the model itself."""
        return MC_PROBS in self.needs


KINDS: dict[str, Kind] = {
    "random": Kind(frozenset(), True, "uniformly random unlabelled points", "the baseline"),
    "coreset": Kind(
        frozenset({FEATURES}),  # and PROBS with weighted or beam_width > 1
        False,
        "greedy k-center core-set; weighted: distances scaled by doubt; beam_width: beam search",
        "Sener & Savarese, ICLR 2018; the paper (doubt weights, beams)",
    ),
    "least_confidence": Kind(
        frozenset({PROBS}), False, "largest doubt 1 - max P(y|x)", "Lewis & Gale, SIGIR 1994"
    ),
    "entropy": Kind(
        frozenset({PROBS}), False, "largest predictive entropy", "Shannon; Settles 2009 survey"
    ),
    "margin": Kind(
        frozenset({PROBS}),
        False,
        "smallest gap between the two most probable classes",
        "Scheffer et al., IDA 2001",
    ),
    "bald": Kind(
        frozenset({MC_PROBS}),
        False,
        "largest mutual information of label and weights from T dropout passes (setting passes)",
        "Houlsby et al., arXiv 2011; Gal, Islam & Ghahramani, ICML 2017",
    ),
    "badge": Kind(
        frozenset({FEATURES, PROBS}),
        True,
        "k-means++ seeding over last-layer gradient embeddings at the predicted label",
        "Ash et al., ICLR 2020",
    ),
    "kmeans": Kind(
        frozenset({FEATURES}),
        True,
        "k-means (k = budget) of the unlabelled points; the point nearest each centre",
        "the clustering baseline, e.g. Hacohen et al., ICML 2022",
    ),
    "typiclust": Kind(
        frozenset({FEATURES}),
        True,
        "the most typical point (densest kNN) of each k-means cluster of the pool",
        "Hacohen, Dekel & Weinshall, ICML 2022",
    ),
}


def known_kinds() -> tuple[str, ...]:
    """Registered kind names, sorted."""
    return tuple(sorted(KINDS))
