"""Evaluate: one row of test metrics (and core-set radii) for a round's model.

When the round was embedded, embed measured everything on its device (the test metrics from the
test rows' class probabilities, the radii δ and δ̂ from the stored features) and wrote it into
the embedding's metadata: evaluate reads that metadata alone, imports no torch, and checks that
the embedding belongs to the labelled set it is asked about. Only arms without an embedding
(``random``) run the model, on the test set alone; the metrics come from the same function.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alcore.files import StageFileError, metadata_of, read_table, write_table
from alcore.files.errors import rerun_fix
from alcore.stages.labelled import labelled_hash
from alcore.stages.schemas import EMBEDDING, METRICS

if TYPE_CHECKING:
    import torch
    from torch import Tensor

    from alcore.data import DatasetBundle

log = logging.getLogger(__name__)


def evaluate_round(
    out: str | Path,
    *,
    labelled: Tensor | np.ndarray,
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

    With ``embedding`` the test metrics and the radii come from that file's metadata alone (no
    torch, no model, no images, no columns read); without, ``checkpoint`` runs on ``bundle``'s
    test set on ``device`` and the radii are NaN.
    """
    if embedding is not None:
        scores, radius, weighted_radius = _from_embedding(Path(embedding), labelled)
    elif bundle is not None and checkpoint is not None:
        scores = _from_model(bundle, checkpoint, device, threads)
        radius = weighted_radius = math.nan
    else:
        raise ValueError("evaluate_round needs an embedding, or a bundle and a checkpoint")
    row = {
        "dataset": dataset,
        "strategy": strategy,
        "seed": seed,
        "round": round_,
        "n_labels": int(labelled.shape[0]),
        **scores,
        "radius": radius,
        "weighted_radius": weighted_radius,
    }
    write_table({k: [v] for k, v in row.items()}, METRICS, out)
    log.info(
        "%s %s seed %d round %d: %d labels, test accuracy %.4f",
        dataset, strategy, seed, round_, row["n_labels"], row["test_accuracy"],
    )  # fmt: skip
    return row


def _from_embedding(
    path: Path, labelled: Tensor | np.ndarray
) -> tuple[dict[str, object], float, float]:
    """(test metrics, δ, δ̂) that embed stored, after checking the file's labelled set."""
    metadata = metadata_of(read_table(path, EMBEDDING, columns=[]))
    if metadata.get("labelled_hash") != labelled_hash(labelled):
        raise StageFileError(
            path, "was embedded by a model trained on another labelled set", rerun_fix(path)
        )
    try:
        scores = json.loads(metadata["test_metrics"])
    except (KeyError, ValueError) as error:
        raise StageFileError(
            path, f"has no test metrics in its metadata ({error})", rerun_fix(path)
        ) from error
    return (scores, *stored_radii(metadata, path))


def stored_radii(metadata: Mapping[str, str], path: str | Path) -> tuple[float, float]:
    """δ and δ̂ that embed stored in an embedding's ``metadata`` (NaN when the pool had nothing,
    or everything, labelled)."""
    try:
        return float(metadata["radius"]), float(metadata["weighted_radius"])
    except (KeyError, ValueError) as error:
        message = f"has no radii in its metadata ({error})"
        raise StageFileError(path, message, rerun_fix(path)) from error


def _from_model(
    bundle: DatasetBundle, checkpoint: str | Path, device: str | torch.device, threads: int
) -> dict[str, object]:
    """The test metrics of the checkpoint's model on ``bundle``'s test set."""
    import torch

    from alcore.stages.embed import predict, test_metrics
    from alcore.stages.train import model_from_checkpoint

    torch.set_num_threads(threads)
    model, _ = model_from_checkpoint(checkpoint, device)
    probs = np.empty((bundle.n_test, model.num_classes), dtype=np.float32)
    predict(model, bundle, "test", torch.device(device), probs, None)
    return test_metrics(torch.from_numpy(probs), bundle.test_labels, probs.shape[1])


__all__ = ["evaluate_round", "stored_radii"]
