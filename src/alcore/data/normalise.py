"""Per-channel image normalisation: ``(x - mean[c]) / std[c]``."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def pixel_stats(
    images: np.ndarray, chunk: int = 4096
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images on the [0, 1] scale, without a float copy.

    Args:
        images: (N, C, H, W) uint8 (a memory map is fine: it is read ``chunk`` items at a time).

    Returns:
        ``(mean, std)``, C floats each; a constant channel gets std 1 so that dividing is safe.
    """
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(
            f"images must be (N, C, H, W) uint8 with N >= 1, got {images.dtype} {images.shape}"
        )
    channels = images.shape[1]
    total = np.zeros(channels, dtype=np.float64)
    squares = np.zeros(channels, dtype=np.float64)
    for start in range(0, images.shape[0], chunk):
        block = images[start : start + chunk].astype(np.float64) / 255.0  # (B, C, H, W)
        total += block.sum(axis=(0, 2, 3))
        squares += np.square(block).sum(axis=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    std = np.where(std > 0, std, 1.0)
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)


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
