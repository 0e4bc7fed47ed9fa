"""Evaluate: one row of test metrics (and core-set radii) for a round's model.

When the round was embedded, everything comes from the embedding file: its test rows' class
probabilities and the radii embed measured. Only arms without an embedding (``random``) run
the model, on the test set alone.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from alcore.data import DatasetBundle
from alcore.files import StageFileError, write_table
from alcore.files.errors import rerun_fix
from alcore.stages.embed import Embedding, predict
from alcore.stages.schemas import METRICS
from alcore.stages.train import labelled_hash, model_from_checkpoint

log = logging.getLogger(__name__)


def test_metrics(probs: Tensor, labels: Tensor, num_classes: int) -> dict[str, object]:
    """Accuracy, mean cross-entropy, mean doubt and per-class accuracy from (M, C) probs."""
    predicted = probs.argmax(dim=1)
    correct = (predicted == labels).double()
    picked = probs.double().gather(1, labels[:, None]).squeeze(1).clamp(min=1e-12)
    per_class = [
        float(correct[labels == c].mean()) if bool((labels == c).any()) else math.nan
        for c in range(num_classes)
    ]
    return {
        "test_accuracy": float(correct.mean()),
        "test_loss": float(-picked.log().mean()),
        "mean_doubt": float((1.0 - probs.double().max(dim=1).values).mean()),
        "per_class_accuracy": per_class,
    }


def evaluate_round(
    out: str | Path,
    *,
    labelled: Tensor,
    dataset: str,
    strategy: str,
    seed: int,
    round_: int,
    embedding: str | Path | None = None,
    bundle: DatasetBundle | None = None,
    checkpoint: str | Path | None = None,
    device: str | torch.device = "cpu",
    threads: int = 1,
) -> dict[str, object]:
    """Write one metrics row for the model trained on ``labelled`` ((L,) pool indices).

    With ``embedding`` the test predictions and the radii come from that file alone (no
    model, no images, no features read); without, ``checkpoint`` runs on ``bundle``'s test set
    on ``device`` and the radii are NaN.
    """
    torch.set_num_threads(threads)
    if embedding is not None:
        read = Embedding(embedding, features=False)
        if read.metadata.get("labelled_hash") != labelled_hash(labelled):
            raise StageFileError(
                embedding,
                "was embedded by a model trained on another labelled set",
                rerun_fix(embedding),
            )
        probs, labels = read.test_probs, read.test_labels
        radius, weighted_radius = read.radii()
    elif bundle is not None and checkpoint is not None:
        model, _ = model_from_checkpoint(checkpoint, device)
        probs_out = np.empty((bundle.n_test, model.num_classes), dtype=np.float32)
        predict(model, bundle, "test", torch.device(device), probs_out, None)
        probs, labels = torch.from_numpy(probs_out), bundle.test_labels
        radius = weighted_radius = math.nan
    else:
        raise ValueError("evaluate_round needs an embedding, or a bundle and a checkpoint")
    row = {
        "dataset": dataset,
        "strategy": strategy,
        "seed": seed,
        "round": round_,
        "n_labels": int(labelled.shape[0]),
        **test_metrics(probs, labels, int(probs.shape[1])),
        "radius": radius,
        "weighted_radius": weighted_radius,
    }
    write_table({k: [v] for k, v in row.items()}, METRICS, out)
    log.info(
        "%s %s seed %d round %d: %d labels, test accuracy %.4f",
        dataset, strategy, seed, round_, row["n_labels"], row["test_accuracy"],
    )  # fmt: skip
    return row


__all__ = ["evaluate_round", "test_metrics"]
