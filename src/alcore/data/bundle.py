"""`DatasetBundle`: a whole dataset in memory, as the rest of the pipeline sees it.

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

    Inputs are already normalised; nothing downstream transforms them again.
    """

    name: str  # registry name of the dataset, e.g. "cifar10"
    pool_inputs: Tensor  # (N, *input_shape) float32; row i is pool item i
    pool_labels: Tensor  # (N,) int64 in [0, num_classes)
    test_inputs: Tensor  # (M, *input_shape) float32
    test_labels: Tensor  # (M,) int64 in [0, num_classes)
    num_classes: int  # C
    input_shape: tuple[int, ...]  # shape of one item, e.g. (3, 32, 32) or (2,)
    class_names: tuple[str, ...]  # C names; class_names[k] names label k

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
        for split, inputs, labels in (
            ("pool", self.pool_inputs, self.pool_labels),
            ("test", self.test_inputs, self.test_labels),
        ):
            _check_split(self.name, split, inputs, labels, shape, self.num_classes)
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


def _check_split(
    name: str,
    split: str,
    inputs: Tensor,
    labels: Tensor,
    input_shape: tuple[int, ...],
    num_classes: int,
) -> None:
    """Check one split's tensors against the bundle's declared shape, dtypes and class count."""
    if not isinstance(inputs, Tensor) or not isinstance(labels, Tensor):
        raise ValueError(f"dataset {name!r}: {split} inputs and labels must be torch.Tensors")
    if inputs.dtype != torch.float32:
        raise ValueError(f"dataset {name!r}: {split}_inputs must be float32, got {inputs.dtype}")
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
