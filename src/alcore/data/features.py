"""The `features` dataset: precomputed embeddings (say, a frozen foundation model's) as inputs.

Active learning then trains a head on them (the ``mlp`` model, or a linear one). The file
formats, options, row order, split and class count are described in
:mod:`alcore.data.feature_file`, which reads the file; this module wraps what it reads into a
`DatasetBundle` of float32 (N, D) inputs without copying it: a memory-mapped float32 ``.npy``
pool stays a view of the file, so a 1,000,000 x 512 pool (2 GB) loads in about the time of one
pass over it (the finite check), and later stages read only the rows they use.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from alcore.data.bundle import DatasetBundle
from alcore.data.feature_file import feature_source, read_features


def load_features(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """Load a features file as a `DatasetBundle` with inputs (P, D) and (M, D) float32.

    ``download`` is unused: the split is fixed by the file or by ``split_seed``.
    The same file and options always give identical tensors.

    Raises:
        DatasetUnavailableError: a file is missing (the message names it and the option).
        ValueError: a malformed file or option (the message names the file and the fix).
    """
    arrays = read_features(feature_source(data_dir, options))
    rows = arrays.rows
    return DatasetBundle(
        name="features",
        pool_inputs=_tensor(arrays.pool_features),
        pool_labels=torch.from_numpy(arrays.pool_labels),
        test_inputs=_tensor(arrays.test_features),
        test_labels=torch.from_numpy(arrays.test_labels),
        num_classes=rows.num_classes,
        input_shape=(int(arrays.pool_features.shape[1]),),
        class_names=rows.class_names,
    )


def _tensor(features: np.ndarray) -> Tensor:
    """A tensor over the same memory (no copy), also over a memory map."""
    with warnings.catch_warnings():  # a copy-on-write map is writable; this is belt and braces
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(features)
