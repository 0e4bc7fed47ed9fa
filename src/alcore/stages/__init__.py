"""The per-round stages of an active-learning experiment and their file contracts.

Round r of (dataset, strategy, seed): ``train`` fits a model on the labelled set of round r,
``embed`` writes pool features and class probabilities, ``select`` picks the next labels, and
``evaluate`` scores the model on the test set. Each stage reads and writes files only (see
:mod:`alcore.stages.schemas`), so any stage can be rerun alone.
"""

from alcore.stages.embed import embed_round
from alcore.stages.evaluate import evaluate_round
from alcore.stages.labelled import initial_labelled, read_labelled, write_labelled
from alcore.stages.select import select_round
from alcore.stages.train import model_from_checkpoint, train_round

__all__ = [
    "embed_round",
    "evaluate_round",
    "initial_labelled",
    "model_from_checkpoint",
    "read_labelled",
    "select_round",
    "train_round",
    "write_labelled",
]
