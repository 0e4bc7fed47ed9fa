"""Memory each job declares to the scheduler (``mem_mb``), from the dataset's and model's size.

A cluster job that asks too little is killed; one that asks too much waits longer in the queue
and blocks others. The estimate adds what each stage holds at its peak (measured on the
paper-scale rehearsal, README "Paper scale"), plus a safety factor. Torch-free: the Snakefile
evaluates it for every job.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alcore.dataset_catalog import OPTION_DEFAULTS
from alcore.settings import DatasetSettings

MB = 1 << 20
BASE_MB = 700  # Python, torch, pyarrow and the job's own bookkeeping, measured
SAFETY = 1.3  # head room over the estimate
STAGES = ("initial", "train", "embed", "select", "evaluate")

# items of the datasets whose size is known without looking at files: (pool, test, item shape)
_KNOWN = {
    "cifar10": (50_000, 10_000, (3, 32, 32)),
    "cifar100": (50_000, 10_000, (3, 32, 32)),
    "svhn": (73_257, 26_032, (3, 32, 32)),
    "digits": (1_346, 451, (1, 8, 8)),
}


@dataclass(frozen=True)
class ModelSize:
    parameters: int  # weights of the model (the head excluded: it is small)
    feature_dim: int  # F, the width of the stored features
    batch_mb: int  # activations and their gradients for a batch of 64 small images


_MODELS = {
    "vgg16": ModelSize(134_260_544, 4096, 500),
    "small_cnn": ModelSize(100_000, 128, 20),
    "mlp": ModelSize(10_000, 64, 5),
}


@dataclass(frozen=True)
class DataSize:
    n_pool: int
    n_test: int
    item_bytes: int  # bytes of one stored item (uint8 pixels for images, float32 otherwise)


def data_size(settings: DatasetSettings) -> DataSize:
    """How many items the dataset has and how large one is in memory."""
    options = {**OPTION_DEFAULTS[settings.name], **settings.options}
    if settings.name in _KNOWN:
        n_pool, n_test, shape = _KNOWN[settings.name]
        item_bytes = math.prod(shape) * (4 if settings.name == "digits" else 1)
        return DataSize(n_pool, n_test, item_bytes)
    if settings.name in ("blobs", "quadrants"):
        return DataSize(int(options["n_pool"]), int(options["n_test"]), 2 * 4)
    if settings.name == "features":
        return _feature_size(settings.data_dir, options)
    # imagefolder: count the files (the split between pool and test does not change the sum)
    size = int(str(options["image_size"]))
    root = Path(settings.data_dir) / str(options["root"])
    return DataSize(_count_files(str(root)), 0, 3 * size * size)


def _feature_size(data_dir: str, options: dict[str, object]) -> DataSize:
    """Rows and width of a features file from its header (0 rows when it is not there yet:
    preflight reports that). Float32 in memory whatever the file stores."""
    from alcore.data.feature_file import feature_dim, feature_source

    try:
        n, d = feature_dim(feature_source(data_dir, options))
    except (ValueError, FileNotFoundError):
        return DataSize(0, 0, 4)
    return DataSize(n, 0, 4 * d)


@cache
def _count_files(root: str) -> int:
    """Files under ``root`` (0 when it does not exist yet: preflight reports that)."""
    return sum(len(files) for _, _, files in os.walk(root))


def memory_mb(stage: str, settings: DatasetSettings) -> int:
    """The ``mem_mb`` a job of ``stage`` on ``settings``'s dataset asks for."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {STAGES}")
    data = data_size(settings)
    model = _MODELS.get(settings.train.model, _MODELS["vgg16"])
    items = data.n_pool + data.n_test
    data_bytes = items * data.item_bytes
    weights = model.parameters * 4
    stored_feature = 2 if settings.feature_dtype == "float16" else 4
    features = items * model.feature_dim * stored_feature  # the embedding's feature column
    workspace = data.n_pool * model.feature_dim * 4  # the engine's centred float32 copy
    peak = {
        "initial": 0,
        # the dataset, weights + gradients + two Adam moments, activations of a batch
        "train": data_bytes + 4 * weights + model.batch_mb * MB,
        # the dataset, the weights, the features; then the engine's centred copy for the
        # radii (the model is freed by then)
        "embed": data_bytes + max(weights, features + workspace),
        # the read feature column (as stored) and the engine's centred copy
        "select": features + workspace,
        # test probabilities only (or, without an embedding, the model on the test set)
        "evaluate": data_bytes + weights,
    }[stage]
    return int(math.ceil((BASE_MB + SAFETY * peak / MB) / 100.0) * 100)
