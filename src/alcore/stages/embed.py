"""Embed: one pass of a round's model over the pool and the test set, written to parquet.

Schema: :data:`alcore.stages.schemas.EMBEDDING` (pool rows first, then test rows), with the
checkpoint's identity in the file metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
from torch import Tensor

from alcore.data import DatasetBundle
from alcore.files import matrix_column, metadata_of, read_table, vector_column, write_table
from alcore.models import EmbeddingClassifier, logits_and_features
from alcore.stages.schemas import EMBEDDING
from alcore.stages.train import model_from_checkpoint

log = logging.getLogger(__name__)


def predict(
    model: EmbeddingClassifier, inputs: Tensor, device: torch.device, batch_size: int = 512
) -> tuple[Tensor, Tensor]:
    """Softmax probabilities (N, C) and features (N, F) on the CPU, in eval mode, no grad."""
    model.eval()
    probs, features = [], []
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch_size):
            logits, feats = logits_and_features(
                model, inputs[start : start + batch_size].to(device)
            )
            probs.append(logits.softmax(dim=1).cpu())
            features.append(feats.cpu())
    return torch.cat(probs), torch.cat(features)


def embed_round(
    bundle: DatasetBundle,
    checkpoint: str | Path,
    labelled: Tensor,
    out: str | Path,
    *,
    device: str | torch.device = "cpu",
    threads: int = 1,
) -> None:
    """Write features and probabilities of every pool and test item under the model."""
    torch.set_num_threads(threads)
    device = torch.device(device)
    model, content = model_from_checkpoint(checkpoint, device)
    pool_probs, pool_features = predict(model, bundle.pool_inputs, device)
    test_probs, test_features = predict(model, bundle.test_inputs, device)
    n_pool, n_test = bundle.n_pool, bundle.n_test
    is_labelled = np.zeros(n_pool + n_test, dtype=bool)
    is_labelled[labelled.numpy()] = True
    probs = torch.cat([pool_probs, test_probs])
    columns = {
        "split": ["pool"] * n_pool + ["test"] * n_test,
        "index": np.concatenate([np.arange(n_pool), np.arange(n_test)]),
        "label": torch.cat([bundle.pool_labels, bundle.test_labels]).numpy(),
        "labelled": is_labelled,
        "probs": vector_column(probs),
        "doubt": (1.0 - probs.max(dim=1).values).clamp(min=0.0).numpy(),
        "features": vector_column(torch.cat([pool_features, test_features])),
    }
    metadata = {k: str(content[k]) for k in ("config_hash", "seed", "round", "labelled_hash")}
    write_table(columns, EMBEDDING, out, metadata=metadata)
    log.info("embedded %d pool and %d test items into %s", n_pool, n_test, out)


class Embedding:
    """A read embedding file, split into pool and test tensors."""

    def __init__(self, path: str | Path):
        table = read_table(path, EMBEDDING)
        self.path = Path(path)
        self.metadata = metadata_of(table)
        is_pool = np.asarray(table.column("split").to_pylist()) == "pool"
        pool, test = table.filter(pa.array(is_pool)), table.filter(pa.array(~is_pool))
        self.pool_labelled = torch.from_numpy(pool.column("labelled").to_numpy(False).copy())
        self.pool_probs = matrix_column(pool, "probs")  # (N, C)
        self.pool_features = matrix_column(pool, "features")  # (N, F)
        self.test_labels = torch.from_numpy(test.column("label").to_numpy().copy())  # (M,)
        self.test_probs = matrix_column(test, "probs")  # (M, C)
