"""The dataset catalogue: one :class:`Dataset` entry per name.

An entry holds the options the dataset accepts with their defaults, whether its items are
images, the loader (``alcore.data.registry`` calls it), its sizes (:class:`Facts`: fixed, or a
torch-free function of the options and the data's files) and, for datasets torchvision fetches,
where the files lie. Adding a dataset is one entry here and one loader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from alcore.catalog.refs import resolve


@dataclass(frozen=True)
class Facts:
    """What the config checks and the jobs' memory need of a dataset, without loading it."""

    n_pool: int
    n_test: int
    input_shape: tuple[int, ...]  # one item, as the loaded bundle's ``input_shape``
    item_bytes: int  # one stored item in memory (uint8 pixels for images, float32 otherwise)


FactsFn = Callable[[str, Mapping[str, object], Path], Facts]  # (name, options, data_dir) -> Facts
# (name, resolved options, data_dir, download, scan) -> None: the data's own files as the loader
# will read them, before any job; raises ValueError or OSError naming the file and the fix.
# ``scan``: also the checks that read every item (a streamed pass), run once, before any job.
CheckFn = Callable[[str, Mapping[str, object], Path, bool, bool], None]


@dataclass(frozen=True)
class Location:
    """Where torchvision's files of a dataset lie under ``data_dir``."""

    root: str  # torchvision's `root`, relative to data_dir ("" = data_dir itself)
    folder: str  # the directory holding the files, relative to data_dir
    files: str  # the files that folder must hold, for the error message
    archive: str  # where the official files come from


@dataclass(frozen=True)
class Dataset:
    """One dataset."""

    summary: str  # one line for listings
    loader: str  # "module:function", an alcore.data.registry.LoadFn
    options: Mapping[str, object]  # every option it accepts, with its default
    images: bool  # items are images (crops and flips apply)
    facts: Facts | str  # fixed, or "module:function" of a torch-free FactsFn
    facts_read_files: bool = False  # the facts need the data's files (not the config alone)
    location: Location | None = None  # torchvision's files, checked before any job
    check: str | None = None  # "module:function" of a CheckFn, run before any job
    title: str | None = None  # the name figures show (None: the catalogue name)


def _image_facts(n_pool: int, n_test: int, shape: tuple[int, ...]) -> Facts:
    return Facts(n_pool, n_test, shape, math.prod(shape))  # uint8 pixels


def toy_facts(name: str, options: Mapping[str, object], data_dir: Path) -> Facts:
    """The 2-D toys: sizes from their options."""
    return Facts(int(str(options["n_pool"])), int(str(options["n_test"])), (2,), 2 * 4)


def digits_facts(name: str, options: Mapping[str, object], data_dir: Path) -> Facts:
    """scikit-learn's digits: the stratified split's sizes from the label counts."""
    import numpy as np

    from alcore.bundled import read_digits

    fraction = float(str(options["test_fraction"]))
    counts = np.bincount(read_digits()[1])
    n_test = int(sum(int(np.floor(fraction * n + 0.5)) for n in counts))
    return Facts(int(counts.sum()) - n_test, n_test, (1, 8, 8), 64 * 4)  # float32 pixels


DATASETS: dict[str, Dataset] = {
    "cifar10": Dataset(
        "CIFAR10 via torchvision",
        "alcore.data.torchvision_sets:load_torchvision",
        {},
        images=True,
        facts=_image_facts(50_000, 10_000, (3, 32, 32)),
        location=Location(
            root="",
            folder="cifar-10-batches-py",
            files="data_batch_1 ... data_batch_5, test_batch, batches.meta",
            archive="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        ),
        title="CIFAR10",
    ),
    "cifar100": Dataset(
        "CIFAR100 via torchvision",
        "alcore.data.torchvision_sets:load_torchvision",
        {},
        images=True,
        facts=_image_facts(50_000, 10_000, (3, 32, 32)),
        location=Location(
            root="",
            folder="cifar-100-python",
            files="train, test, meta",
            archive="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        ),
        title="CIFAR100",
    ),
    "svhn": Dataset(
        "SVHN via torchvision",
        "alcore.data.torchvision_sets:load_torchvision",
        {},
        images=True,
        facts=_image_facts(73_257, 26_032, (3, 32, 32)),
        location=Location(
            root="svhn",
            folder="svhn",
            files="train_32x32.mat, test_32x32.mat",
            archive="http://ufldl.stanford.edu/housenumbers/ (train_32x32.mat and test_32x32.mat)",
        ),
        title="SVHN",
    ),
    # the MNIST family: IDX files under data_dir (or Debian's package), sizes from their headers
    "mnist": Dataset(
        "MNIST handwritten digits, 28x28 grey, from IDX files",
        "alcore.data.idx:load_idx",
        {},
        images=True,
        facts="alcore.data.idx:idx_facts",
        facts_read_files=True,
        check="alcore.data.idx:check_idx_files",
        title="MNIST",
    ),
    "fashion_mnist": Dataset(
        "Fashion-MNIST clothing, 28x28 grey, from IDX files (apt: dataset-fashion-mnist)",
        "alcore.data.idx:load_idx",
        {},
        images=True,
        facts="alcore.data.idx:idx_facts",
        facts_read_files=True,
        check="alcore.data.idx:check_idx_files",
        title="Fashion-MNIST",
    ),
    "kmnist": Dataset(
        "Kuzushiji-MNIST cursive hiragana, 28x28 grey, from IDX files",
        "alcore.data.idx:load_idx",
        {},
        images=True,
        facts="alcore.data.idx:idx_facts",
        facts_read_files=True,
        check="alcore.data.idx:check_idx_files",
        title="KMNIST",
    ),
    "digits": Dataset(
        "scikit-learn 8x8 digits, fixed split",
        "alcore.data.digits:load_digits_bundle",
        {"test_fraction": 0.25},  # share of each class held out as the test set
        images=True,
        facts="alcore.catalog.datasets:digits_facts",
    ),
    "blobs": Dataset(
        "2-D Gaussian clusters (paper Fig. 1)",
        "alcore.data.toys:load_blobs",
        {
            "n_pool": 1000,  # pool size
            "n_test": 1000,  # test set size
            "centers": 4,  # number of clusters = classes
            "spread": 0.5,  # std of each cluster (the paper uses 0.5 and 1.0)
            "radius": 2.0,  # distance of the cluster centres from the origin
            "data_seed": 0,  # seeds the generator; independent of the experiment seed
        },
        images=False,
        facts="alcore.catalog.datasets:toy_facts",
    ),
    "quadrants": Dataset(
        "uniform [-1,1]^2, label = quadrant (paper Fig. 3)",
        "alcore.data.toys:load_quadrants",
        {
            "n_pool": 2000,  # pool size
            "n_test": 1000,  # test set size
            "data_seed": 0,  # seeds the generator; independent of the experiment seed
        },
        images=False,
        facts="alcore.catalog.datasets:toy_facts",
    ),
    "imagefolder": Dataset(
        "your own <root>/train/<class>/ images",
        "alcore.data.imagefolder:load_imagefolder",
        {
            "root": None,  # required: folder under data_dir that holds train/ (and maybe test/)
            "image_size": 32,  # images are resized to image_size x image_size
            "test_fraction": 0.25,  # share of each class held out when there is no test/ folder
            "split_seed": 0,  # seeds that split; independent of the experiment seed
        },
        images=True,
        facts="alcore.data.imagefolder:imagefolder_facts",
        facts_read_files=True,
        check="alcore.data.imagefolder:check_imagefolder_files",
    ),
    "features": Dataset(
        "precomputed (N, D) embeddings from .npy or .parquet",
        "alcore.data.features:load_features",
        {
            # required: the features file, .npy or .parquet by its suffix; relative to data_dir
            # or absolute. .npy: a C-ordered (N, D) float array (float32 is memory-mapped)
            "path": None,
            "labels": None,  # .npy only, required there: a .npy of the (N,) integer labels
            "split": None,  # .npy only: a .npy of (N,) strings "pool"/"test"; None: test_fraction
            "features_column": "features",  # parquet: D floats a row (fixed-size list or list)
            "label_column": "label",  # parquet: integer labels >= 0
            "split_column": "split",  # parquet: "pool"/"test" strings, used when the file has it
            "test_fraction": 0.25,  # share of each class held out when there is no split
            "split_seed": 0,  # seeds that split; independent of the experiment seed
            "class_names": None,  # C names, label k = class_names[k]; None: "0".."C-1"
        },
        images=False,
        facts="alcore.data.feature_file:feature_facts",
        facts_read_files=True,
        check="alcore.data.feature_file:check_feature_files",
    ),
}


def known_datasets() -> tuple[str, ...]:
    """Catalogued dataset names, sorted."""
    return tuple(sorted(DATASETS))


def entry(name: str) -> Dataset:
    """The entry of ``name``; ``ValueError`` listing the known names otherwise."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {list(known_datasets())}")
    return DATASETS[name]


def with_defaults(name: str, options: Mapping[str, object] | None) -> dict[str, object]:
    """``name``'s defaults overridden by ``options``; unknown keys raise ``ValueError``."""
    defaults = entry(name).options
    given = dict(options or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        allowed = f"allowed: {sorted(defaults)}" if defaults else "it takes no options"
        raise ValueError(f"unknown option(s) {unknown} for dataset {name!r}; {allowed}")
    return {**defaults, **given}


def facts(name: str, options: Mapping[str, object] | None, data_dir: str | Path) -> Facts:
    """Pool and test sizes, item shape and bytes of ``name``, torch-free, loading no item.

    Raises the loader's error when the files these facts need are missing or malformed.
    """
    found = entry(name).facts
    if isinstance(found, Facts):
        with_defaults(name, options)  # unknown options are refused here too
        return found
    compute = cast(FactsFn, resolve(found))
    return compute(name, with_defaults(name, options), Path(data_dir))


def pool_size_from_config(name: str, options: Mapping[str, object]) -> int | None:
    """The pool size known from the config alone (None: only the dataset's files tell)."""
    if entry(name).facts_read_files:
        return None
    return facts(name, options, ".").n_pool


def check_files(
    name: str,
    options: Mapping[str, object] | None,
    data_dir: str | Path,
    *,
    download: bool,
    scan: bool,
) -> None:
    """Before any job: ``name``'s files on disk (or downloadable, with ``download``) and, where
    its entry has a ``check``, sound as the loader will read them (``scan``: every item too).

    Raises:
        ValueError: unknown options, missing files, or what the entry's check refuses (which
            may raise OSError too), naming the file and the fix.
    """
    found, folder = entry(name), Path(data_dir)
    resolved = with_defaults(name, options)
    if found.location is not None and not download and not files_present(name, folder):
        reason = f"{folder.resolve() / found.location.folder} is missing"
        raise ValueError(unavailable_message(name, folder, reason))
    if found.check is not None:
        check = cast(CheckFn, resolve(found.check))
        check(name, resolved, folder, download, scan)


def unavailable_message(name: str, data_dir: Path, reason: str) -> str:
    """The one message for torchvision's missing files: dataset, directory, how to get them."""
    location = entry(name).location
    assert location is not None, f"{name} has no torchvision files"
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


def files_present(name: str, data_dir: str | Path) -> bool:
    """Whether ``name``'s torchvision folder exists and holds files (md5 sums are checked on
    loading)."""
    location = entry(name).location
    assert location is not None, f"{name} has no torchvision files"
    folder = Path(data_dir) / location.folder
    return folder.is_dir() and any(folder.iterdir())
