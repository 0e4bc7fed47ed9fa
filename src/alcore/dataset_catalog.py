"""What is known of each dataset without loading it: its options and their defaults, where the
downloaded files lie under ``data_dir``, and the message when they do not.

Outside `alcore.data` and free of torch, so that the Snakefile can check a config's datasets
before any job starts without importing torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BLOBS_DEFAULTS: Mapping[str, object] = {
    "n_pool": 1000,  # pool size
    "n_test": 1000,  # test set size
    "centers": 4,  # number of clusters = classes
    "spread": 0.5,  # std of each cluster (the paper uses 0.5 and 1.0)
    "radius": 2.0,  # distance of the cluster centres from the origin
    "data_seed": 0,  # seeds the generator; independent of the experiment seed
}

QUADRANTS_DEFAULTS: Mapping[str, object] = {
    "n_pool": 2000,  # pool size
    "n_test": 1000,  # test set size
    "data_seed": 0,  # seeds the generator; independent of the experiment seed
}

DIGITS_DEFAULTS: Mapping[str, object] = {
    "test_fraction": 0.25,  # share of each class held out as the test set
}

IMAGEFOLDER_DEFAULTS: Mapping[str, object] = {
    "root": None,  # required: folder under data_dir that holds train/ (and maybe test/)
    "image_size": 32,  # images are resized to image_size x image_size
    "test_fraction": 0.25,  # share of each class held out when there is no test/ folder
    "split_seed": 0,  # seeds that split; independent of the experiment seed
}

FEATURES_DEFAULTS: Mapping[str, object] = {
    # required: the features file, .npy or .parquet by its suffix; relative to data_dir or
    # absolute. .npy: a C-ordered (N, D) float array (float32 is memory-mapped, not copied)
    "path": None,
    "labels": None,  # .npy only, required there: a .npy of the (N,) integer labels, >= 0
    "split": None,  # .npy only: a .npy of (N,) strings "pool"/"test"; None: test_fraction
    "features_column": "features",  # parquet: D floats a row (fixed-size list or list)
    "label_column": "label",  # parquet: integer labels >= 0
    "split_column": "split",  # parquet: "pool"/"test" strings, used when the file has it
    "test_fraction": 0.25,  # share of each class held out when there is no split
    "split_seed": 0,  # seeds that split; independent of the experiment seed
    "class_names": None,  # C names, label k = class_names[k]; None: "0".."C-1", C = max + 1
}

# None of the torchvision datasets takes options.
TORCHVISION_DEFAULTS: Mapping[str, object] = {}

# dataset name -> the options it accepts, with their defaults
OPTION_DEFAULTS: Mapping[str, Mapping[str, object]] = {
    "cifar10": TORCHVISION_DEFAULTS,
    "cifar100": TORCHVISION_DEFAULTS,
    "svhn": TORCHVISION_DEFAULTS,
    "digits": DIGITS_DEFAULTS,
    "blobs": BLOBS_DEFAULTS,
    "quadrants": QUADRANTS_DEFAULTS,
    "imagefolder": IMAGEFOLDER_DEFAULTS,
    "features": FEATURES_DEFAULTS,
}

# Pool sizes and item shapes known without looking at any file.
_FIXED_POOL_SIZES: Mapping[str, int] = {"cifar10": 50_000, "cifar100": 50_000, "svhn": 73_257}
_FIXED_SHAPES: Mapping[str, tuple[int, ...]] = {
    "cifar10": (3, 32, 32),
    "cifar100": (3, 32, 32),
    "svhn": (3, 32, 32),
    "digits": (1, 8, 8),
    "blobs": (2,),
    "quadrants": (2,),
}
# Datasets whose pool size and shape need their files (a folder listing, a file header).
FILE_FACTS = ("imagefolder", "features")


def pool_size(name: str, options: Mapping[str, object], data_dir: str | Path) -> int | None:
    """The pool size N of a dataset without loading it, torch-free.

    Fixed or from the options for the built-in datasets; from the folder listing (imagefolder)
    or the labels and split alone (features: no feature is read). Raises the loader's error
    when those files are missing or malformed. None: an unknown name.
    """
    resolved = {**OPTION_DEFAULTS.get(name, {}), **options}
    if name in _FIXED_POOL_SIZES:
        return _FIXED_POOL_SIZES[name]
    if name in ("blobs", "quadrants"):
        return int(str(resolved["n_pool"]))
    if name == "digits":
        import numpy as np

        from alcore.bundled import read_digits

        fraction = float(str(resolved["test_fraction"]))
        counts = np.bincount(read_digits()[1])
        return int(sum(n - int(np.floor(fraction * n + 0.5)) for n in counts))
    if name == "imagefolder":
        from alcore.data.imagefolder import imagefolder_pool_size

        return imagefolder_pool_size(data_dir=Path(data_dir), options=options)
    if name == "features":
        from alcore.data.feature_file import feature_source, read_rows

        return int(read_rows(feature_source(data_dir, options)).pool.shape[0])
    return None


def input_shape(
    name: str, options: Mapping[str, object], data_dir: str | Path
) -> tuple[int, ...] | None:
    """The shape of one item, as the loaded bundle's ``input_shape``, without loading it.

    Torch-free; for features (D,) from the .npy header or the parquet schema (no data is read).
    Raises the loader's error when the features file is missing or malformed. None: an unknown
    name.
    """
    resolved = {**OPTION_DEFAULTS.get(name, {}), **options}
    if name in _FIXED_SHAPES:
        return _FIXED_SHAPES[name]
    if name == "imagefolder":
        size = int(str(resolved["image_size"]))
        return (3, size, size)
    if name == "features":
        from alcore.data.feature_file import feature_dim, feature_source

        return (feature_dim(feature_source(data_dir, options))[1],)
    return None


@dataclass(frozen=True)
class Location:
    root: str  # torchvision's `root`, relative to data_dir ("" = data_dir itself)
    folder: str  # the directory holding the files, relative to data_dir
    files: str  # the files that folder must hold, for the error message
    archive: str  # where the official files come from


LOCATIONS: dict[str, Location] = {
    "cifar10": Location(
        root="",
        folder="cifar-10-batches-py",
        files="data_batch_1 ... data_batch_5, test_batch, batches.meta",
        archive="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ),
    "cifar100": Location(
        root="",
        folder="cifar-100-python",
        files="train, test, meta",
        archive="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    ),
    "svhn": Location(
        root="svhn",
        folder="svhn",
        files="train_32x32.mat, test_32x32.mat",
        archive="http://ufldl.stanford.edu/housenumbers/ (train_32x32.mat and test_32x32.mat)",
    ),
}


def files_present(name: str, data_dir: str | Path) -> bool:
    """Whether ``name``'s folder exists and holds files (their md5 sums are checked on loading)."""
    folder = Path(data_dir) / LOCATIONS[name].folder
    return folder.is_dir() and any(folder.iterdir())


def unavailable_message(name: str, data_dir: Path, reason: str) -> str:
    """The one message for missing files: dataset, exact directory, and how to get the files."""
    location = LOCATIONS[name]
    folder = (data_dir / location.folder).resolve()
    how_archive = (
        f"download {location.archive} and extract it in {data_dir.resolve()}/"
        if location.archive.endswith(".tar.gz")
        else f"download the files from {location.archive}"
    )
    return (
        f"dataset {name!r} is not available: {reason}. Its files must be in {folder}/ "
        f"({location.files}). To get them, set `download: true` in the config and "
        f"run once on a machine with internet access, or {how_archive} so that {folder}/ holds "
        "the official files (their md5 sums are checked)."
    )
