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
}


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
