"""Where the downloaded datasets' files lie under ``data_dir``, and the message when they do not.

Outside `alcore.data` and free of torch, so that the Snakefile can check a config's data before
any job starts without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
