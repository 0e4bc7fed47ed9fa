"""Training augmentation: the usual CIFAR/SVHN recipe, random crop with padding and a
horizontal flip, on a whole batch at once and on the batch's device.

The random draws come from an explicit CPU generator (seeded per epoch by the trainer), so the
augmentation is part of what makes a resumed run bit-identical, and the same on any device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

PADDING = 4  # pixels of zero (black) padding on each side before the crop, as for CIFAR


@dataclass(frozen=True)
class CropFlip:
    """One batch's draws. offsets: (B, 2) int64 top-left corners in [0, 2 * padding];
    flips: (B,) bool, mirror left-right."""

    offsets: Tensor
    flips: Tensor


def draw_crop_flip(batch: int, generator: torch.Generator, padding: int = PADDING) -> CropFlip:
    """Draw crop corners and flips for ``batch`` images from ``generator`` (CPU)."""
    offsets = torch.randint(0, 2 * padding + 1, (batch, 2), generator=generator)
    flips = torch.rand(batch, generator=generator) < 0.5
    return CropFlip(offsets, flips)


def crop_flip(images: Tensor, draws: CropFlip, padding: int = PADDING) -> Tensor:
    """Pad with zeros, crop back to the input size at each image's corner, then flip.

    images: (B, C, H, W) of any dtype (the stored uint8 pixels: zero padding is black, as
    torchvision's ``RandomCrop(padding=4)`` pads the image before normalisation).
    Returns (B, C, H, W), a new tensor on the images' device.
    """
    if images.dim() != 4:
        raise ValueError(f"crop_flip needs (B, C, H, W) images, got shape {tuple(images.shape)}")
    if draws.offsets.shape != (images.shape[0], 2) or draws.flips.shape != (images.shape[0],):
        raise ValueError(
            f"{images.shape[0]} images need (B, 2) offsets and (B,) flips, got "
            f"{tuple(draws.offsets.shape)} and {tuple(draws.flips.shape)}"
        )
    b, c, h, w = images.shape
    device = images.device
    padded = torch.nn.functional.pad(images, (padding, padding, padding, padding))
    offsets = draws.offsets.to(device)
    rows = offsets[:, 0:1] + torch.arange(h, device=device)  # (B, H)
    cols = offsets[:, 1:2] + torch.arange(w, device=device)  # (B, W)
    flips = draws.flips.to(device)
    cols = torch.where(flips[:, None], cols.flip(1), cols)  # mirrored: read columns backwards
    batch_index = torch.arange(b, device=device)[:, None, None, None]  # (B, 1, 1, 1)
    channel_index = torch.arange(c, device=device)[None, :, None, None]  # (1, C, 1, 1)
    return padded[batch_index, channel_index, rows[:, None, :, None], cols[:, None, None, :]]
