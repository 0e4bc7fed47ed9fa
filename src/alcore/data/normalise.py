"""Per-channel image normalisation: ``(x - mean[c]) / std[c]``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def uint8_to_normalised(images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """Turn (N, C, H, W) uint8 images into normalised float32.

    Args:
        images: (N, C, H, W) uint8 in [0, 255].
        mean, std: C floats each, on the [0, 1] scale.

    Returns:
        (N, C, H, W) float32: ``(images / 255 - mean[c]) / std[c]``.
    """
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(
            f"images must be (N, C, H, W) uint8, got dtype {images.dtype} and shape {images.shape}"
        )
    x = torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32).div_(255.0)
    return normalise_channels(x, torch.tensor(mean), torch.tensor(std))


def normalise_channels(images: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Return ``(images - mean[c]) / std[c]``.

    Args:
        images: (N, C, H, W) float32.
        mean, std: (C,) float32; ``std`` must be positive.

    Returns:
        (N, C, H, W) float32, a new tensor.
    """
    if images.dim() != 4 or mean.shape != (images.shape[1],) or std.shape != mean.shape:
        raise ValueError(
            f"images {tuple(images.shape)} need (C,) mean and std, "
            f"got {tuple(mean.shape)} and {tuple(std.shape)}"
        )
    if not bool((std > 0).all()):
        raise ValueError(f"std must be positive, got {std.tolist()}")
    mean = mean.to(torch.float32).view(1, -1, 1, 1)  # (1, C, 1, 1)
    std = std.to(torch.float32).view(1, -1, 1, 1)  # (1, C, 1, 1)
    return (images - mean) / std


def channel_stats(images: Tensor) -> tuple[Tensor, Tensor]:
    """Per-channel mean and std over items and pixels.

    Args:
        images: (N, C, H, W) float32.

    Returns:
        ``(mean, std)``, each (C,) float32; a constant channel gets std 1 so that dividing is safe.
    """
    flat = images.transpose(0, 1).reshape(images.shape[1], -1)  # (C, N*H*W)
    mean = flat.mean(dim=1)
    std = flat.std(dim=1, correction=0)
    return mean, torch.where(std > 0, std, torch.ones_like(std))
