"""Memory each job declares to the scheduler (``mem_mb``), from the dataset's and model's size.

A cluster job that asks too little is killed; one that asks too much waits longer in the queue
and blocks others. The estimate adds what each stage holds at its peak (measured on the
paper-scale rehearsal, docs/paper-scale.md), plus a safety factor. The Snakefile evaluates it
for every job: torch-free for alcore's builtin models, whose sizes the catalogue holds.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import NamedTuple

from alcore.catalog.datasets import Facts, facts
from alcore.catalog.models import BUILTINS
from alcore.settings import DatasetSettings

MB = 1 << 20
BASE_MB = 700  # Python, torch, pyarrow and the job's own bookkeeping, measured
SAFETY = 1.3  # head room over the estimate
STAGES = ("initial", "train", "embed", "select", "evaluate")
_BATCH_MB = 500  # activations of a batch of a model alcore does not know (VGG16's, measured)


class ModelMemory(NamedTuple):
    parameters: int  # weights, the head excluded
    feature_dim: int  # F, the width of the stored features
    batch_mb: int  # activations and their gradients for a batch of 64 items


def data_facts(settings: DatasetSettings) -> Facts:
    """The catalogue's facts of the dataset; no items when its files are not there yet
    (preflight reports that before any job)."""
    key = (settings.name, settings.data_dir, json.dumps(dict(settings.options), sort_keys=True))
    try:
        return _facts(*key)
    except (ValueError, OSError):  # not cached: the files may appear before the next call
        return Facts(0, 0, (1,), 4)


@cache
def _facts(name: str, data_dir: str, options: str) -> Facts:
    return facts(name, json.loads(options), data_dir)


def model_memory(name: str, input_shape: tuple[int, ...]) -> ModelMemory:
    """A builtin's size from its catalogue entry (torch-free); any other model's from the
    model itself, built on the meta device (no weights are allocated; imports torch)."""
    if name in BUILTINS:
        size = BUILTINS[name].size
        width = size.feature_dim if size.feature_dim is not None else math.prod(input_shape)
        return ModelMemory(size.parameters, width, size.batch_mb)
    return _built_memory(name, input_shape)


@cache
def _built_memory(name: str, input_shape: tuple[int, ...]) -> ModelMemory:
    import torch

    from alcore.models import build_model

    with torch.device("meta"):
        model = build_model(name, num_classes=2, input_shape=input_shape, seed=0)
    head = sum(p.numel() for p in model.head.parameters())
    parameters = sum(p.numel() for p in model.parameters()) - head
    return ModelMemory(parameters, model.feature_dim, _BATCH_MB)


def memory_mb(stage: str, settings: DatasetSettings) -> int:
    """The ``mem_mb`` a job of ``stage`` on ``settings``'s dataset asks for."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {STAGES}")
    data = data_facts(settings)
    model = model_memory(settings.train.model, data.input_shape)
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
