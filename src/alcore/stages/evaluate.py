"""Evaluate: one row of test metrics (and core-set radii) for a round's model."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import torch
from torch import Tensor

from alcore.data import DatasetBundle
from alcore.files import StageFileError, write_table
from alcore.files.errors import rerun_fix
from alcore.select import coreset_radii
from alcore.stages.embed import Embedding, predict
from alcore.stages.schemas import METRICS
from alcore.stages.train import model_from_checkpoint

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
    bundle: DatasetBundle,
    checkpoint: str | Path,
    out: str | Path,
    *,
    dataset: str,
    strategy: str,
    seed: int,
    round_: int,
    embedding: str | Path | None = None,
    device: str | torch.device = "cpu",
    threads: int = 1,
) -> dict[str, object]:
    """Write one metrics row. With ``embedding`` the test predictions and the radii come from
    it (no model pass); without, the model runs on the test set and the radii are NaN."""
    torch.set_num_threads(threads)
    model, content = model_from_checkpoint(checkpoint, device)
    radius = weighted_radius = math.nan
    if embedding is not None:
        read = Embedding(embedding)
        if read.metadata.get("labelled_hash") != content["labelled_hash"]:
            raise StageFileError(
                embedding, f"was not made by the model in {checkpoint}", rerun_fix(embedding)
            )
        probs, labels = read.test_probs, read.test_labels
        doubt = (1.0 - read.pool_probs.max(dim=1).values).clamp(0.0, 1.0 - 1e-7)
        if bool((~read.pool_labelled).any()):
            radii = coreset_radii(read.pool_features, read.pool_labelled, doubt)
            radius = radii.radius
            weighted_radius = math.nan if radii.weighted_radius is None else radii.weighted_radius
    else:
        probs, _ = predict(model, bundle.test_inputs, torch.device(device))
        labels = bundle.test_labels
    row = {
        "dataset": dataset,
        "strategy": strategy,
        "seed": seed,
        "round": round_,
        "n_labels": int(content["n_labels"]),
        **test_metrics(probs, labels, bundle.num_classes),
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
