"""`DatasetBundle`: a whole dataset in memory, as the rest of the pipeline sees it.

Images are held in their compact form, uint8 (a 50,000-image 32x32 pool is 150 MB, not the
600 MB of float32), and turned into normalised float32 one batch at a time by `prepare`, on
whatever device the batch is on. Small non-image data (the toys, the digits) are stored as
ready float32 inputs.

Index convention: pool item ``i`` is row ``i`` of ``pool_inputs`` / ``pool_labels``. That integer
is the item's stable identity: every file the pipeline writes (labelled sets, picks, features,
predictions) stores these row indices, so a loader must return the same rows in the same order
every time it is called with the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class DatasetBundle:
    """A pool (the unlabelled data active learning draws from) and a held-out test set.

    Inputs are stored raw: uint8 pixels (N, C, H, W) with ``pixel_mean``/``pixel_std`` to
    normalise them, or ready float32 inputs with no statistics. Models see ``prepare(rows)``.
    """

    name: str  # registry name of the dataset, e.g. "cifar10"
    pool_inputs: Tensor  # (N, *input_shape) uint8 or float32, as stored; row i is pool item i
    pool_labels: Tensor  # (N,) int64 in [0, num_classes)
    test_inputs: Tensor  # (M, *input_shape) uint8 or float32, as stored
    test_labels: Tensor  # (M,) int64 in [0, num_classes)
    num_classes: int  # C
    input_shape: tuple[int, ...]  # shape of one item, e.g. (3, 32, 32) or (2,)
    class_names: tuple[str, ...]  # C names; class_names[k] names label k
    pixel_mean: tuple[float, ...] | None = None  # C means on the [0, 1] scale (uint8 inputs)
    pixel_std: tuple[float, ...] | None = None  # C stds on the [0, 1] scale, positive

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, int) or self.num_classes < 2:
            raise ValueError(
                f"dataset {self.name!r}: num_classes must be an int >= 2, got {self.num_classes!r}"
            )
        if len(self.class_names) != self.num_classes:
            raise ValueError(
                f"dataset {self.name!r}: {len(self.class_names)} class_names for "
                f"num_classes={self.num_classes}; give one name per class"
            )
        shape = tuple(self.input_shape)
        if not shape or any(not isinstance(s, int) or s < 1 for s in shape):
            raise ValueError(
                f"dataset {self.name!r}: input_shape must be a non-empty tuple of positive ints, "
                f"got {self.input_shape!r}"
            )
        raw = self.pixel_mean is not None
        _check_pixel_stats(self.name, self.pixel_mean, self.pixel_std, shape)
        for split, inputs, labels in (
            ("pool", self.pool_inputs, self.pool_labels),
            ("test", self.test_inputs, self.test_labels),
        ):
            _check_split(self.name, split, inputs, labels, shape, self.num_classes, raw)
        if self.pool_inputs.shape[0] == 0 or self.test_inputs.shape[0] == 0:
            raise ValueError(
                f"dataset {self.name!r}: pool ({self.pool_inputs.shape[0]} items) and test set "
                f"({self.test_inputs.shape[0]} items) must both be non-empty"
            )

    @property
    def n_pool(self) -> int:
        """Number of pool items N."""
        return int(self.pool_inputs.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test items M."""
        return int(self.test_inputs.shape[0])

    def prepare(self, rows: Tensor) -> Tensor:
        """Stored rows (B, *input_shape) -> float32 model inputs, on the rows' device.

        uint8 pixels become ``(rows / 255 - mean[c]) / std[c]`` (the same operations, in the
        same order, as normalising the whole dataset up front); float32 rows pass through.
        """
        if self.pixel_mean is None or self.pixel_std is None:
            return rows
        shape = (1, -1) + (1,) * (rows.dim() - 2)  # (1, C, 1, 1)
        mean = torch.tensor(self.pixel_mean, dtype=torch.float32, device=rows.device)
        std = torch.tensor(self.pixel_std, dtype=torch.float32, device=rows.device)
        x = rows.to(torch.float32).div_(255.0)
        return (x - mean.view(shape)) / std.view(shape)

    def split(self, name: str) -> tuple[Tensor, Tensor]:
        """The stored inputs and the labels of ``"pool"`` or ``"test"``."""
        if name == "pool":
            return self.pool_inputs, self.pool_labels
        if name == "test":
            return self.test_inputs, self.test_labels
        raise ValueError(f"split must be 'pool' or 'test', got {name!r}")


def _check_split(
    name: str,
    split: str,
    inputs: Tensor,
    labels: Tensor,
    input_shape: tuple[int, ...],
    num_classes: int,
    raw: bool,
) -> None:
    """Check one split's tensors against the bundle's declared shape, dtypes and class count."""
    if not isinstance(inputs, Tensor) or not isinstance(labels, Tensor):
        raise ValueError(f"dataset {name!r}: {split} inputs and labels must be torch.Tensors")
    expected = torch.uint8 if raw else torch.float32
    if inputs.dtype != expected:
        why = "with pixel_mean/pixel_std" if raw else "without pixel statistics"
        raise ValueError(
            f"dataset {name!r}: {split}_inputs must be {expected} {why}, got {inputs.dtype}"
        )
    if tuple(inputs.shape[1:]) != input_shape or inputs.dim() != len(input_shape) + 1:
        raise ValueError(
            f"dataset {name!r}: {split}_inputs has shape {tuple(inputs.shape)}, expected "
            f"(N, {', '.join(map(str, input_shape))}) to match input_shape={input_shape}"
        )
    if labels.dtype != torch.int64 or labels.dim() != 1:
        raise ValueError(
            f"dataset {name!r}: {split}_labels must be a 1-D int64 tensor, "
            f"got dtype {labels.dtype} and shape {tuple(labels.shape)}"
        )
    if labels.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"dataset {name!r}: {labels.shape[0]} {split} labels for {inputs.shape[0]} inputs"
        )
    if labels.numel() > 0:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"dataset {name!r}: {split} labels span [{low}, {high}], outside "
                f"[0, {num_classes - 1}] for num_classes={num_classes}"
            )


def _check_pixel_stats(
    name: str,
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
    input_shape: tuple[int, ...],
) -> None:
    """Both statistics or neither; one positive value per channel of an image shape."""
    if mean is None and std is None:
        return
    if mean is None or std is None:
        raise ValueError(f"dataset {name!r}: give both pixel_mean and pixel_std, or neither")
    if len(input_shape) != 3 or len(mean) != input_shape[0] or len(std) != input_shape[0]:
        raise ValueError(
            f"dataset {name!r}: pixel_mean and pixel_std need one value per channel of an image "
            f"shape (C, H, W); got {len(mean)} and {len(std)} for input_shape={input_shape}"
        )
    if not all(s > 0 for s in std):
        raise ValueError(f"dataset {name!r}: pixel_std must be positive, got {list(std)}")
