"""CIFAR10, CIFAR100 and SVHN through torchvision: train split = pool, test split = test set.

Files live under ``data_dir`` exactly where torchvision expects them; ``download=True`` is only
forwarded to torchvision. When the files are absent (or fail torchvision's md5 check) and cannot
be fetched, `DatasetUnavailableError` says which directory must hold them and how to get them.

Security note: torchvision unpickles the CIFAR batch files, but only after checking every file's
md5 against the official release, so only the official files are ever unpickled. Library code must
keep that check on: never pass checksum-free dataset classes here (only tests do, to exercise the
parsing code on tiny files they wrote themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcore.catalog.datasets import Location, entry, unavailable_message
from alcore.data.bundle import DatasetBundle
from alcore.data.errors import DatasetUnavailableError
from alcore.data.options import resolve_options

# The torchvision class behind each dataset. Tests swap an entry for a subclass without md5 sums.
# name -> torchvision dataset class; filled on first use (torchvision is slow to import) and
# replaceable by tests
DATASET_CLASSES: dict[str, type[Any]] = {}


def dataset_class(name: str) -> type[Any]:
    """The torchvision class that reads ``name``'s official files."""
    if name not in DATASET_CLASSES:
        from torchvision.datasets import CIFAR10, CIFAR100, SVHN

        DATASET_CLASSES.update({"cifar10": CIFAR10, "cifar100": CIFAR100, "svhn": SVHN})
    return DATASET_CLASSES[name]


def _location(name: str) -> Location:
    location = entry(name).location
    assert location is not None, f"the catalogue gives {name} torchvision's files"
    return location


@dataclass(frozen=True)
class _Source:
    """How one torchvision dataset is opened, read and normalised."""

    location: Location  # where the files lie under data_dir and where they come from
    mean: tuple[float, float, float]  # per-channel mean of the train split, [0, 1] scale
    std: tuple[float, float, float]  # per-channel std of the train split, [0, 1] scale
    open: Callable[[type[Any], Path, bool, bool], Any]  # (cls, root, train, download) -> dataset
    arrays: Callable[[Any], tuple[np.ndarray, np.ndarray]]  # dataset -> (N,3,32,32) u8, (N,) i64
    class_names: Callable[[Any], tuple[str, ...]]


def _open_cifar(cls: type[Any], root: Path, train: bool, download: bool) -> Any:
    return cls(root=str(root), train=train, download=download)


def _open_svhn(cls: type[Any], root: Path, train: bool, download: bool) -> Any:
    return cls(root=str(root), split="train" if train else "test", download=download)


def _cifar_arrays(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(ds.data, dtype=np.uint8).transpose(0, 3, 1, 2)  # (N,32,32,3) -> (N,3,32,32)
    return images, np.asarray(ds.targets, dtype=np.int64)


def _svhn_arrays(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    # torchvision already maps the .mat label 10 to digit 0 and stores images as (N, 3, 32, 32).
    return np.asarray(ds.data, dtype=np.uint8), np.asarray(ds.labels, dtype=np.int64).reshape(-1)


SOURCES: dict[str, _Source] = {
    "cifar10": _Source(
        location=_location("cifar10"),
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        open=_open_cifar,
        arrays=_cifar_arrays,
        class_names=lambda ds: tuple(str(c) for c in ds.classes),
    ),
    "cifar100": _Source(
        location=_location("cifar100"),
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        open=_open_cifar,
        arrays=_cifar_arrays,
        class_names=lambda ds: tuple(str(c) for c in ds.classes),
    ),
    "svhn": _Source(
        location=_location("svhn"),
        mean=(0.4377, 0.4438, 0.4728),
        std=(0.1980, 0.2010, 0.1970),
        open=_open_svhn,
        arrays=_svhn_arrays,
        class_names=lambda ds: tuple(str(d) for d in range(10)),
    ),
}


def load_torchvision(
    name: str,
    *,
    data_dir: Path,
    download: bool,
    options: Mapping[str, object],
) -> DatasetBundle:
    """Load ``cifar10``, ``cifar100`` or ``svhn`` as a `DatasetBundle`.

    Returns pool inputs (50000 or 73257, 3, 32, 32) and test inputs (10000 or 26032, 3, 32, 32),
    uint8, normalised per batch with the train split's fixed per-channel mean/std; labels
    int64. Rows keep torchvision's order, so pool index i is the i-th training image of the
    official files.
    """
    resolve_options(name, options)
    source = SOURCES[name]
    cls = dataset_class(name)
    data_dir = Path(data_dir)
    root = data_dir / source.location.root
    splits = []
    for train in (True, False):
        try:
            splits.append(source.open(cls, root, train, download))
        except RuntimeError as err:  # torchvision: "Dataset not found or corrupted"
            reason = "the files are missing or failed torchvision's md5 check"
            if download:
                reason += f" after trying to download them ({err})"
            raise DatasetUnavailableError(unavailable_message(name, data_dir, reason)) from err
        except OSError as err:  # a failed download: no network, refused, timed out
            reason = f"downloading failed ({err})"
            raise DatasetUnavailableError(unavailable_message(name, data_dir, reason)) from err
    (pool_u8, pool_y), (test_u8, test_y) = (source.arrays(ds) for ds in splits)
    names = source.class_names(splits[0])
    return DatasetBundle(
        name=name,
        pool_inputs=torch.from_numpy(np.ascontiguousarray(pool_u8)),
        pool_labels=torch.from_numpy(pool_y),
        test_inputs=torch.from_numpy(np.ascontiguousarray(test_u8)),
        test_labels=torch.from_numpy(test_y),
        num_classes=len(names),
        input_shape=tuple(int(s) for s in pool_u8.shape[1:]),
        class_names=names,
        pixel_mean=source.mean,
        pixel_std=source.std,
    )
