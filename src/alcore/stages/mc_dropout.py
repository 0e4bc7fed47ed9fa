"""Monte Carlo dropout: T stochastic forward passes of a round's model over the pool (for BALD).

Dropout layers stay active, everything else is in eval mode (batch-norm statistics frozen), so
the passes differ only by their dropout masks. The masks come from a seed derived from the run
and round, drawn in a fixed order (batch by batch, pass by pass), so the same checkpoint, data,
batch size, device and thread count give the same passes.

Cost: T times an embedding pass over the pool, and T x N x C float32 of memory
(20 passes x 50,000 points x 10 classes = 40 MB; x 1,000,000 points = 800 MB).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from alcore.data import DatasetBundle
from alcore.models import EmbeddingClassifier
from alcore.progress import Progress
from alcore.seeding import derive_seed


def dropout_layers(model: nn.Module) -> list[nn.Module]:
    """The model's dropout modules with a positive rate (``nn.Dropout``, ``Dropout1d/2d/3d``,
    ``AlphaDropout``, ``FeatureAlphaDropout``), in module order."""
    return [
        module
        for module in model.modules()
        if isinstance(module, nn.modules.dropout._DropoutNd) and module.p > 0
    ]


def check_dropout(model: nn.Module, name: str) -> None:
    """Refuse a model without dropout: its stochastic passes would all be the same, and the
    strategies that read them (bald, batchbald) would score 0 for every point (a random choice
    that looks like a strategy)."""
    if not dropout_layers(model):
        raise ValueError(
            f"the dropout-pass strategies need a model with dropout (T passes with dropout "
            f"active disagree), but "
            f"model {name!r} has no dropout layer with p > 0; use a model with dropout (e.g. "
            "small_cnn_dropout, vgg16, or your own with nn.Dropout) or another strategy"
        )


def mc_dropout_probs(
    model: EmbeddingClassifier,
    bundle: DatasetBundle,
    passes: int,
    device: torch.device,
    seed_parts: tuple[object, ...],
    *,
    batch_size: int = 512,
    progress: Progress | None = None,
) -> np.ndarray:
    """Softmax of ``passes`` stochastic forward passes over the pool: (T, N, C) float32.

    ``seed_parts`` (e.g. ``("bald", seed, round)``) seed the dropout masks; the caller's RNG
    state is left as it was. The model's mode is restored afterwards.
    """
    if isinstance(passes, bool) or not isinstance(passes, int) or passes < 1:
        raise ValueError(f"passes={passes!r} must be an integer >= 1")
    check_dropout(model, type(model).__name__)
    was_training = model.training
    model.eval()
    for layer in dropout_layers(model):
        layer.train()
    stored, _ = bundle.split("pool")
    n_pool = int(stored.shape[0])
    out = np.empty((passes, n_pool, model.num_classes), dtype=np.float32)
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(derive_seed(*seed_parts))
            for start in range(0, n_pool, batch_size):
                rows = stored[start : start + batch_size].to(device)
                x = bundle.prepare(rows)
                for t in range(passes):
                    out[t, start : start + x.shape[0]] = model(x).softmax(dim=1).cpu().numpy()
                if progress is not None:
                    progress.advance(int(x.shape[0]) * passes)
    finally:
        model.train(was_training)
    return out
