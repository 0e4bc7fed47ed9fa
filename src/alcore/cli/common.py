"""What the ``alcore`` commands share: the program's name, the input options and the two
errors, each with its exit status."""

from __future__ import annotations

from alcore.catalog.strategies import FEATURES, MC_PROBS, PROBS

PROG = "alcore"
OPTION_OF = {FEATURES: "--features", PROBS: "--probs", MC_PROBS: "--mc-probs"}  # Pool field
WHAT_OF = {  # what each option holds, for messages
    FEATURES: "(N, D) features",
    PROBS: "(N, C) softmax probabilities",
    MC_PROBS: "(T, N, C) softmax probabilities of T stochastic (dropout) passes",
}
# the workflow's embedding.parquet (alcore.stages.schemas.EMBEDDING) holds at least these
EMBEDDING_COLUMNS = frozenset({"split", "features", "probs", "labelled"})


class DataError(Exception):
    """A file or value ``alcore select`` cannot use: the message, exit status 1."""


class UsageError(Exception):
    """Arguments that do not go together: the message, exit status 2 (as argparse's own)."""
