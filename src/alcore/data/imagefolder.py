"""A user's own images: ``<data_dir>/<root>/train/<class>/*.png|jpg`` (+ optional ``test/``).

Classes are the sub-folder names of ``train/``, sorted (torchvision's ``ImageFolder`` order), so
label k is the k-th name. Images are decoded once (RGB, resized to ``image_size`` x
``image_size``) into a cache beside the data and memory-mapped on every later load
(:mod:`alcore.data.image_cache`); the bundle holds them as uint8 and normalises each batch per
channel with the pool's mean and std. Without a ``test/`` folder, a stratified split with the
fixed ``split_seed`` (default 0, independent of the experiment seed) holds out
``test_fraction`` of each class. Pool rows follow ImageFolder's order (class, then file name)
restricted to the pool, so indices are stable as long as the folder does not change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alcore.catalog.datasets import Facts
from alcore.data.image_cache import LAYOUT, folder_labels, load_image_folder
from alcore.data.options import float_option, int_option, resolve_options, str_option
from alcore.data.splits import stratified_split
from alcore.progress import Progress

if TYPE_CHECKING:
    from alcore.data.bundle import DatasetBundle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Settings:
    root: Path  # the folder holding train/ (and maybe test/)
    size: int  # image side in pixels
    test_fraction: float
    split_seed: int


def load_imagefolder(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """Load a folder of class sub-folders as a `DatasetBundle`.

    Returns uint8 inputs (N, 3, image_size, image_size) with the pool's per-channel pixel
    statistics. ``download`` is unused.
    """
    import torch  # here: the pool size (below) is read by torch-free jobs

    from alcore.data.bundle import DatasetBundle
    from alcore.data.normalise import pixel_stats

    settings = _settings(data_dir, options)
    train = load_image_folder(settings.root / "train", settings.size,
                              progress=_decoding(settings.root / "train"))  # fmt: skip
    class_names = train.class_names
    if (settings.root / "test").is_dir():
        test = load_image_folder(settings.root / "test", settings.size,
                                 progress=_decoding(settings.root / "test"))  # fmt: skip
        remap = _test_class_ids(settings.root, class_names, test.class_names)
        pool_images, pool_labels = np.array(train.images), train.labels  # in memory: uint8
        test_images, test_labels = np.array(test.images), remap[test.labels]
    else:
        pool, held_out = stratified_split(train.labels, settings.test_fraction, settings.split_seed)
        pool_images, pool_labels = train.images[pool], train.labels[pool]
        test_images, test_labels = train.images[held_out], train.labels[held_out]
    mean, std = pixel_stats(pool_images)  # pool statistics only: the test set stays unseen
    return DatasetBundle(
        name="imagefolder",
        pool_inputs=torch.from_numpy(pool_images),
        pool_labels=torch.from_numpy(np.asarray(pool_labels, dtype=np.int64)),
        test_inputs=torch.from_numpy(test_images),
        test_labels=torch.from_numpy(np.asarray(test_labels, dtype=np.int64)),
        num_classes=len(class_names),
        input_shape=(3, settings.size, settings.size),
        class_names=class_names,
        pixel_mean=mean,
        pixel_std=std,
    )


def imagefolder_pool_size(*, data_dir: Path, options: Mapping[str, object]) -> int:
    """The pool size from the folder's listing alone: no image is decoded."""
    settings = _settings(data_dir, options)
    labels, _ = folder_labels(settings.root / "train")
    if (settings.root / "test").is_dir():
        return int(labels.shape[0])
    pool, _ = stratified_split(labels, settings.test_fraction, settings.split_seed)
    return int(pool.shape[0])


def check_imagefolder_files(
    name: str, options: Mapping[str, object], data_dir: Path, download: bool, scan: bool
) -> None:
    """The catalogue's check: ``<data_dir>/<root>/train/`` exists (the images themselves are
    read, and checked, by the first job that loads them)."""
    if options.get("root") is None:
        raise ValueError("imagefolder needs the option root, the folder under data_dir")
    train = Path(data_dir) / str(options["root"]) / "train"
    if not train.is_dir():
        raise ValueError(
            f"root: {train.resolve()} does not exist; lay the images out as "
            "<data_dir>/<root>/train/<class name>/<image>.png"
        )


def imagefolder_facts(name: str, options: Mapping[str, object], data_dir: Path) -> Facts:
    """Sizes from the folder's listing alone (the catalogue's facts; no image is decoded)."""
    settings = _settings(data_dir, options)
    n_pool = imagefolder_pool_size(data_dir=data_dir, options=options)
    train, _ = folder_labels(settings.root / "train")
    test = settings.root / "test"
    n_test = int(folder_labels(test)[0].shape[0]) if test.is_dir() else train.shape[0] - n_pool
    shape = (3, settings.size, settings.size)
    return Facts(n_pool, int(n_test), shape, 3 * settings.size * settings.size)


def _settings(data_dir: Path, options: Mapping[str, object]) -> _Settings:
    opts = resolve_options("imagefolder", options)
    if opts["root"] is None:
        raise ValueError(
            "dataset 'imagefolder' needs the option `root`: the folder under data_dir laid out "
            f"as {LAYOUT}"
        )
    return _Settings(
        root=Path(data_dir) / str_option("imagefolder", opts, "root"),
        size=int_option("imagefolder", opts, "image_size", minimum=1),
        test_fraction=float_option("imagefolder", opts, "test_fraction", low=0.0, high=1.0),
        split_seed=int_option("imagefolder", opts, "split_seed", minimum=0),
    )


def _test_class_ids(
    root: Path, class_names: tuple[str, ...], test_names: tuple[str, ...]
) -> np.ndarray:
    """The train class id of each of the test folder's own class ids."""
    unknown = sorted(set(test_names) - set(class_names))
    if unknown:
        raise ValueError(
            f"{root / 'test'} has class folder(s) {unknown} that {root / 'train'} lacks; "
            "the test classes must be a subset of the train classes"
        )
    return np.array([class_names.index(n) for n in test_names], dtype=np.int64)


def _decoding(folder: Path) -> Callable[[int, int], None]:
    """A progress callback for the first decode of ``folder`` (logged every ~30 s)."""
    reporter: list[Progress] = []

    def report(done: int, total: int) -> None:
        if not reporter:
            reporter.append(Progress(f"decoding {folder} into the cache", total, "images", log))
        reporter[0].update(done)

    return report
