"""The per-round stages of an active-learning experiment and their file contracts.

Round r of (dataset, strategy, seed): ``train`` fits a model on the labelled set of round r,
``embed`` writes pool features and class probabilities, ``select`` picks the next labels, and
``evaluate`` scores the model on the test set. Each stage reads and writes files only (see
:mod:`alcore.stages.schemas`), so any stage can be rerun alone.

The names below are imported on first use, so that a torch-free job (the initial labels) can
import ``alcore.stages.labelled`` without the stages that need torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "embed_round": "alcore.stages.embed",
    "evaluate_round": "alcore.stages.evaluate",
    "initial_indices": "alcore.stages.labelled",
    "initial_labelled": "alcore.stages.labelled",
    "read_labelled": "alcore.stages.labelled",
    "read_labelled_indices": "alcore.stages.labelled",
    "write_labelled": "alcore.stages.labelled",
    "select_round": "alcore.stages.select",
    "model_from_checkpoint": "alcore.stages.train",
    "train_round": "alcore.stages.train",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'alcore.stages' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
