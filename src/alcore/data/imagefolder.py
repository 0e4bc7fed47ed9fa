"""A user's own images: ``<data_dir>/<root>/train/<class>/*.png|jpg`` (+ optional ``test/``).

Classes are the sub-folder names of ``train/``, sorted (torchvision's ``ImageFolder`` order), so
label k is the k-th name. Images are converted to RGB, resized to ``image_size`` x ``image_size``
and normalised per channel with the pool's mean and std. Without a ``test/`` folder, a stratified
split with the fixed ``split_seed`` (default 0, independent of the experiment seed) holds out
``test_fraction`` of each class. Pool rows follow ImageFolder's order (class, then file name)
restricted to the pool, so indices are stable as long as the folder does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from alcore.data.bundle import DatasetBundle
from alcore.data.errors import DatasetUnavailableError
from alcore.data.normalise import channel_stats, normalise_channels
from alcore.data.options import float_option, int_option, resolve_options, str_option
from alcore.data.splits import stratified_split
from alcore.dataset_catalog import IMAGEFOLDER_DEFAULTS

LAYOUT = "<root>/train/<class name>/<image>.png|.jpg (and optionally <root>/test/<class name>/...)"


def load_imagefolder(
    *, data_dir: Path, download: bool, seed: int, options: Mapping[str, object]
) -> DatasetBundle:
    """Load a folder of class sub-folders as a `DatasetBundle`.

    Returns inputs (N, 3, image_size, image_size) float32. ``download`` and ``seed`` are unused.
    """
    opts = resolve_options("imagefolder", options, IMAGEFOLDER_DEFAULTS)
    if opts["root"] is None:
        raise ValueError(
            "dataset 'imagefolder' needs the option `root`: the folder under data_dir laid out "
            f"as {LAYOUT}"
        )
    root = Path(data_dir) / str_option("imagefolder", opts, "root")
    size = int_option("imagefolder", opts, "image_size", minimum=1)
    test_fraction = float_option("imagefolder", opts, "test_fraction", low=0.0, high=1.0)
    split_seed = int_option("imagefolder", opts, "split_seed", minimum=0)

    train_images, train_labels, class_names = _read_folder(root / "train", size)
    if (root / "test").is_dir():
        test_images, test_raw, test_names = _read_folder(root / "test", size)
        unknown = sorted(set(test_names) - set(class_names))
        if unknown:
            raise ValueError(
                f"{root / 'test'} has class folder(s) {unknown} that {root / 'train'} lacks; "
                "the test classes must be a subset of the train classes"
            )
        remap = torch.tensor([class_names.index(n) for n in test_names], dtype=torch.int64)
        pool_images, pool_labels = train_images, train_labels
        test_labels = remap[test_raw]  # test folder's own class ids -> train ids
    else:
        pool, test = stratified_split(train_labels.numpy(), test_fraction, split_seed)
        pool_idx, test_idx = torch.from_numpy(pool), torch.from_numpy(test)
        pool_images, pool_labels = train_images[pool_idx], train_labels[pool_idx]
        test_images, test_labels = train_images[test_idx], train_labels[test_idx]

    mean, std = channel_stats(pool_images)  # pool statistics only: the test set stays unseen
    return DatasetBundle(
        name="imagefolder",
        pool_inputs=normalise_channels(pool_images, mean, std),
        pool_labels=pool_labels,
        test_inputs=normalise_channels(test_images, mean, std),
        test_labels=test_labels,
        num_classes=len(class_names),
        input_shape=(3, size, size),
        class_names=class_names,
    )


def _read_folder(folder: Path, size: int) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    """Read every image of ``folder/<class>/``: (N, 3, size, size) in [0, 1], (N,) int64, names."""
    if not folder.is_dir():
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': folder {folder.resolve()}/ does not exist. Put your images "
            f"there laid out as {LAYOUT}, or point the `root` option at the folder that holds "
            "train/."
        )
    from torchvision import transforms  # deferred: torchvision costs a second to import
    from torchvision.datasets import ImageFolder

    transform = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])
    try:
        ds: Any = ImageFolder(str(folder), transform=transform)
    except FileNotFoundError as err:  # no class folders, or no image files in them
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': {folder.resolve()}/ holds no usable images ({err}). "
            f"Lay it out as {LAYOUT}."
        ) from err
    images = torch.stack([ds[i][0] for i in range(len(ds))])  # (N, 3, size, size)
    labels = torch.from_numpy(np.asarray(ds.targets, dtype=np.int64))  # (N,)
    return images, labels, tuple(str(c) for c in ds.classes)
