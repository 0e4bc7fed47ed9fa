"""The dataset registry and `load_dataset`, the one entry point the pipeline calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from alcore.data.bundle import DatasetBundle
from alcore.data.digits import load_digits_bundle
from alcore.data.features import load_features
from alcore.data.imagefolder import load_imagefolder
from alcore.data.options import resolve_options
from alcore.data.torchvision_sets import load_torchvision
from alcore.data.toys import load_blobs, load_quadrants
from alcore.dataset_catalog import (
    BLOBS_DEFAULTS,
    DIGITS_DEFAULTS,
    FEATURES_DEFAULTS,
    IMAGEFOLDER_DEFAULTS,
    QUADRANTS_DEFAULTS,
    TORCHVISION_DEFAULTS,
)


class LoadFn(Protocol):
    """A loader: options arrive complete (defaults filled in, unknown keys already refused)."""

    def __call__(
        self, *, data_dir: Path, download: bool, seed: int, options: Mapping[str, object]
    ) -> DatasetBundle: ...


@dataclass(frozen=True)
class DatasetLoader:
    """One registry entry."""

    load: LoadFn  # builds the bundle
    defaults: Mapping[str, object]  # every option the dataset accepts, with its default
    summary: str  # one line for listings


DATASETS: dict[str, DatasetLoader] = {
    "cifar10": DatasetLoader(
        partial(load_torchvision, "cifar10"), TORCHVISION_DEFAULTS, "CIFAR10 via torchvision"
    ),
    "cifar100": DatasetLoader(
        partial(load_torchvision, "cifar100"), TORCHVISION_DEFAULTS, "CIFAR100 via torchvision"
    ),
    "svhn": DatasetLoader(
        partial(load_torchvision, "svhn"), TORCHVISION_DEFAULTS, "SVHN via torchvision"
    ),
    "digits": DatasetLoader(
        load_digits_bundle, DIGITS_DEFAULTS, "scikit-learn 8x8 digits, fixed split"
    ),
    "blobs": DatasetLoader(load_blobs, BLOBS_DEFAULTS, "2-D Gaussian clusters (paper Fig. 1)"),
    "quadrants": DatasetLoader(
        load_quadrants, QUADRANTS_DEFAULTS, "uniform [-1,1]^2, label = quadrant (paper Fig. 3)"
    ),
    "imagefolder": DatasetLoader(
        load_imagefolder, IMAGEFOLDER_DEFAULTS, "your own <root>/train/<class>/ images"
    ),
    "features": DatasetLoader(
        load_features, FEATURES_DEFAULTS, "precomputed (N, D) embeddings from .npy or .parquet"
    ),
}


def available_datasets() -> tuple[str, ...]:
    """Registered dataset names, sorted."""
    return tuple(sorted(DATASETS))


def load_dataset(
    name: str,
    *,
    data_dir: str | Path,
    download: bool = False,
    seed: int = 0,
    options: Mapping[str, object] | None = None,
) -> DatasetBundle:
    """Load a registered dataset.

    Args:
        name: one of `available_datasets()`.
        data_dir: directory holding downloaded files (ignored by datasets that need none).
        download: let torchvision download missing files (CIFAR10/100, SVHN only).
        seed: the experiment seed. No built-in dataset uses it: splits and toy data are fixed by
            the data itself or by their own ``data_seed``/``split_seed`` options, so every
            experiment seed sees the same pool and test set.
        options: dataset-specific settings; see ``DATASETS[name].defaults``.

    Returns:
        A `DatasetBundle`; the same arguments always give identical tensors, and pool row ``i``
        is pool item ``i``'s stable index.

    Raises:
        ValueError: unknown ``name`` or option key, or a bad option value.
        DatasetUnavailableError: the files are not on disk and cannot be fetched.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {list(available_datasets())}")
    entry = DATASETS[name]
    resolved = resolve_options(name, options, entry.defaults)
    return entry.load(data_dir=Path(data_dir), download=download, seed=seed, options=resolved)
