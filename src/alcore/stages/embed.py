"""Embed: one pass of a round's model over the pool and the test set, written to parquet.

Schema: :data:`alcore.stages.schemas.EMBEDDING` (pool rows first, then test rows). The file's
metadata holds the checkpoint's identity, the number of labels, and the core-set radii δ and
δ̂ of the round's labelled set, computed here on the job's device from the features exactly as
stored (float32, or float16 with ``feature_dtype: float16``), so that evaluate needs neither
the model nor the images, and select works on the very values the radii were measured on.

Memory: the features land in one preallocated array of the stored precision (no per-batch
lists, no concatenation), and the model is freed before the radii are computed.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch
from torch import Tensor

from alcore.data import DatasetBundle
from alcore.files import StageFileError, matrix_column, metadata_of, read_table, write_table
from alcore.files.errors import rerun_fix
from alcore.files.parquet import read_matrix, vector_column
from alcore.models import EmbeddingClassifier, logits_and_features
from alcore.progress import PhaseProgress, Progress
from alcore.select import coreset_radii
from alcore.select.baselines import doubt_from_probs
from alcore.stages.schemas import EMBEDDING
from alcore.stages.train import model_from_checkpoint, to_device

log = logging.getLogger(__name__)

FEATURE_DTYPES = {"float32": np.float32, "float16": np.float16}  # feature_dtype setting


def predict(
    model: EmbeddingClassifier,
    bundle: DatasetBundle,
    split: str,
    device: torch.device,
    probs_out: np.ndarray,
    features_out: np.ndarray | None,
    *,
    batch_size: int = 512,
    progress: Progress | None = None,
) -> None:
    """Softmax probabilities into ``probs_out`` (N, C) and features into ``features_out``
    (N, F) (float32 or float16; None: no features) for one split, in eval mode, no gradients.

    The stored rows travel to ``device`` once and are normalised there batch by batch.
    """
    model.eval()
    stored, _ = bundle.split(split)
    rows = to_device(stored, device)
    half = features_out is not None and features_out.dtype == np.float16
    feature_dtype = torch.float16 if half else torch.float32
    with torch.no_grad():
        for start in range(0, int(stored.shape[0]), batch_size):
            x = bundle.prepare(rows[start : start + batch_size])
            if device.type == "cuda" and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            logits, feats = logits_and_features(model, x)
            end = start + x.shape[0]
            probs_out[start:end] = logits.softmax(dim=1).cpu().numpy()
            if features_out is not None:
                features_out[start:end] = feats.to(feature_dtype).cpu().numpy()
            if progress is not None:
                progress.advance(int(x.shape[0]))


def test_metrics(probs: Tensor, labels: Tensor, num_classes: int) -> dict[str, object]:
    """Accuracy, mean cross-entropy, mean doubt and per-class accuracy from (M, C) probs and
    (M,) labels (a class without test items: NaN)."""
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
        "mean_doubt": float(doubt_from_probs(probs.double()).mean()),
        "per_class_accuracy": per_class,
    }


def embed_round(
    bundle: DatasetBundle,
    checkpoint: str | Path,
    labelled: Tensor,
    out: str | Path,
    *,
    device: str | torch.device = "cpu",
    threads: int = 1,
    feature_dtype: str = "float32",
    batch_size: int = 512,
) -> None:
    """Write features and probabilities of every pool and test item under the model, and in
    the file's metadata the radii of ``labelled`` ((L,) pool indices) over the pool and the
    test metrics (what evaluate reads, without torch)."""
    torch.set_num_threads(threads)
    device = torch.device(device)
    if feature_dtype not in FEATURE_DTYPES:
        raise ValueError(f"feature_dtype={feature_dtype!r}: use one of {sorted(FEATURE_DTYPES)}")
    dtype = FEATURE_DTYPES[feature_dtype]
    model, content = model_from_checkpoint(checkpoint, device)
    del content["model_state"]  # loaded into the model: a second copy of the weights otherwise
    if device.type == "cuda" and bundle.pool_inputs.dim() == 4:
        model = model.to(memory_format=torch.channels_last)
    n_pool, n_test = bundle.n_pool, bundle.n_test
    progress = Progress(f"embed round {content['round']}", n_pool + n_test, "images", log)
    # pool rows first, then test rows, written in place: no per-batch lists, no concatenation
    probs = np.empty((n_pool + n_test, model.num_classes), dtype=np.float32)
    features = np.empty((n_pool + n_test, model.feature_dim), dtype=dtype)
    for split, rows in (("pool", slice(0, n_pool)), ("test", slice(n_pool, None))):
        predict(model, bundle, split, device, probs[rows], features[rows],
                batch_size=batch_size, progress=progress)  # fmt: skip
    del model  # the radii below need the memory more
    is_labelled = np.zeros(n_pool, dtype=bool)
    is_labelled[labelled.numpy()] = True
    radius, weighted_radius = _radii(
        features[:n_pool], probs[:n_pool], is_labelled, device,
        PhaseProgress(f"embed round {content['round']}, radii", log),
    )  # fmt: skip
    columns = {
        "split": pa.DictionaryArray.from_arrays(
            np.repeat(np.array([0, 1], dtype=np.int8), [n_pool, n_test]), ["pool", "test"]
        ).cast(pa.string()),
        "index": np.concatenate([np.arange(n_pool), np.arange(n_test)]),
        "label": torch.cat([bundle.pool_labels, bundle.test_labels]).numpy(),
        "labelled": np.concatenate([is_labelled, np.zeros(n_test, dtype=bool)]),
        "probs": vector_column(probs),
        "doubt": doubt_from_probs(torch.from_numpy(probs)).numpy(),
        "features": vector_column(features, dtype),
    }
    metadata = {k: str(content[k]) for k in ("config_hash", "seed", "round", "labelled_hash")}
    scores = test_metrics(torch.from_numpy(probs[n_pool:]), bundle.test_labels, probs.shape[1])
    metadata.update(
        test_metrics=json.dumps(scores),
        n_labels=str(int(labelled.shape[0])),
        radius=repr(radius),
        weighted_radius=repr(weighted_radius),
        feature_dtype=feature_dtype,
    )
    write_table(columns, EMBEDDING, out, metadata=metadata)
    log.info(
        "embedded %d pool and %d test items into %s (radius %.4g, weighted radius %.4g)",
        n_pool, n_test, out, radius, weighted_radius,
    )  # fmt: skip


def _radii(
    features: np.ndarray,
    probs: np.ndarray,
    labelled: np.ndarray,
    device: torch.device,
    progress: PhaseProgress,
) -> tuple[float, float]:
    """δ and δ̂ of the labelled set over the pool, on ``device``, from the stored values."""
    if not labelled.any() or labelled.all():
        return math.nan, math.nan
    points = torch.from_numpy(features).to(device)  # as stored: the engine widens it once
    doubt = doubt_from_probs(torch.from_numpy(probs)).to(device)
    radii = coreset_radii(points, torch.from_numpy(labelled).to(device), doubt, progress=progress)
    weighted = math.nan if radii.weighted_radius is None else radii.weighted_radius
    return radii.radius, weighted


class Embedding:
    """A read embedding file, split into pool and test tensors.

    ``features=False`` skips the feature column. Pool rows come first: the file is checked to
    be laid out so, and then split by slicing, without copies. (Evaluate reads the metadata
    alone: :mod:`alcore.stages.evaluate`.)
    """

    def __init__(self, path: str | Path, *, features: bool = True):
        # the small columns at once; the features below, batch by batch, pool rows only
        table = read_table(path, EMBEDDING, columns=[c.name for c in EMBEDDING
                                                     if c.name != "features"])  # fmt: skip
        self.metadata = metadata_of(table)
        split = table.column("split").to_numpy(zero_copy_only=False)
        n_pool = int((split == "pool").sum())
        if not (split[:n_pool] == "pool").all() or not (split[n_pool:] == "test").all():
            raise StageFileError(path, "pool rows must come before test rows", rerun_fix(path))
        pool = table.slice(0, n_pool)
        self.pool_labelled = torch.from_numpy(pool.column("labelled").to_numpy().copy())
        self.pool_probs = matrix_column(pool, "probs")  # (N, C)
        # (N, F) as stored (float16 or float32): the engine widens it once, into its own copy
        self.pool_features = None
        if features:
            self.pool_features = read_matrix(path, "features", n_pool)
