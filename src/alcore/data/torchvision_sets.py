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

from alcore.data.bundle import DatasetBundle
from alcore.data.errors import DatasetUnavailableError
from alcore.data.normalise import uint8_to_normalised
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

# None of these datasets takes options.
TORCHVISION_DEFAULTS: Mapping[str, object] = {}


@dataclass(frozen=True)
class _Source:
    """How one torchvision dataset is opened, read and normalised."""

    root: str  # torchvision's `root`, relative to data_dir ("" = data_dir itself)
    folder: str  # the directory holding the files, relative to data_dir
    files: str  # the files that folder must hold, for the error message
    archive: str  # where the official files come from
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
        root="",
        folder="cifar-10-batches-py",
        files="data_batch_1 ... data_batch_5, test_batch, batches.meta",
        archive="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        open=_open_cifar,
        arrays=_cifar_arrays,
        class_names=lambda ds: tuple(str(c) for c in ds.classes),
    ),
    "cifar100": _Source(
        root="",
        folder="cifar-100-python",
        files="train, test, meta",
        archive="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        open=_open_cifar,
        arrays=_cifar_arrays,
        class_names=lambda ds: tuple(str(c) for c in ds.classes),
    ),
    "svhn": _Source(
        root="svhn",
        folder="svhn",
        files="train_32x32.mat, test_32x32.mat",
        archive="http://ufldl.stanford.edu/housenumbers/ (train_32x32.mat and test_32x32.mat)",
        mean=(0.4377, 0.4438, 0.4728),
        std=(0.1980, 0.2010, 0.1970),
        open=_open_svhn,
        arrays=_svhn_arrays,
        class_names=lambda ds: tuple(str(d) for d in range(10)),
    ),
}


def unavailable_message(name: str, data_dir: Path, reason: str) -> str:
    """The one message for missing files: dataset, exact directory, and how to get the files."""
    source = SOURCES[name]
    folder = (data_dir / source.folder).resolve()
    how_archive = (
        f"download {source.archive} and extract it in {data_dir.resolve()}/"
        if source.archive.endswith(".tar.gz")
        else f"download the files from {source.archive}"
    )
    return (
        f"dataset {name!r} is not available: {reason}. Its files must be in {folder}/ "
        f"({source.files}). To get them, set `download: true` for this dataset in the config and "
        f"run once on a machine with internet access, or {how_archive} so that {folder}/ holds "
        "the official files (their md5 sums are checked)."
    )


def load_torchvision(
    name: str,
    *,
    data_dir: Path,
    download: bool,
    seed: int,
    options: Mapping[str, object],
) -> DatasetBundle:
    """Load ``cifar10``, ``cifar100`` or ``svhn`` as a `DatasetBundle`.

    Returns pool inputs (50000 or 73257, 3, 32, 32) and test inputs (10000 or 26032, 3, 32, 32),
    float32 normalised with the train split's fixed per-channel mean/std; labels int64. Rows keep
    torchvision's order, so pool index i is the i-th training image of the official files.
    ``seed`` is unused: the official split is fixed.
    """
    resolve_options(name, options, TORCHVISION_DEFAULTS)
    source = SOURCES[name]
    cls = dataset_class(name)
    data_dir = Path(data_dir)
    root = data_dir / source.root
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
        pool_inputs=uint8_to_normalised(pool_u8, source.mean, source.std),
        pool_labels=torch.from_numpy(pool_y),
        test_inputs=uint8_to_normalised(test_u8, source.mean, source.std),
        test_labels=torch.from_numpy(test_y),
        num_classes=len(names),
        input_shape=tuple(int(s) for s in pool_u8.shape[1:]),
        class_names=names,
    )
