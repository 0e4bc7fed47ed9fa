"""scikit-learn's bundled 8x8 digits (1797 real images, no download) as a small image dataset.

The pool/test split is FIXED (stratified, split seed 0) whatever the experiment seed: every seed of
an experiment sees the same pool and test set, and the experiment seed only drives the initial
labelled set and training. Pixels are scaled to [0, 1], then standardised with the pool's mean and
std (one channel, so one scalar each).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from alcore.bundled import read_digits
from alcore.data.bundle import DatasetBundle
from alcore.data.normalise import channel_stats, normalise_channels
from alcore.data.options import float_option, resolve_options
from alcore.data.splits import stratified_split

DIGITS_SPLIT_SEED = 0  # fixed on purpose: see the module docstring


def load_digits_bundle(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """Load the digits as a `DatasetBundle` with inputs (N, 1, 8, 8) float32.

    With the default ``test_fraction=0.25`` the pool holds 1346 images and the test set 451.
    ``data_dir`` and ``download`` are unused (the data ship with scikit-learn and the
    split is fixed).
    """
    opts = resolve_options("digits", options)
    test_fraction = float_option("digits", opts, "test_fraction", low=0.0, high=1.0)
    pixels, target = read_digits()
    images = torch.from_numpy(pixels).to(torch.float32).div_(16.0)  # (1797, 64) in [0, 1]
    images = images.reshape(-1, 1, 8, 8)  # (1797, 1, 8, 8)
    labels = torch.from_numpy(target).to(torch.int64)  # (1797,)
    pool, test = stratified_split(target, test_fraction, DIGITS_SPLIT_SEED)
    pool_idx, test_idx = torch.from_numpy(pool), torch.from_numpy(test)
    mean, std = channel_stats(images[pool_idx])  # pool statistics only: the test set stays unseen
    return DatasetBundle(
        name="digits",
        pool_inputs=normalise_channels(images[pool_idx], mean, std),
        pool_labels=labels[pool_idx],
        test_inputs=normalise_channels(images[test_idx], mean, std),
        test_labels=labels[test_idx],
        num_classes=10,
        input_shape=(1, 8, 8),
        class_names=tuple(str(d) for d in range(10)),
    )
