"""Batch crop-and-flip against a per-image reference written with plain slicing."""

from __future__ import annotations

import pytest
import torch

from alcore.data.augment import CropFlip, crop_flip, draw_crop_flip


def reference(images: torch.Tensor, draws: CropFlip, padding: int) -> torch.Tensor:
    out = []
    _, _, h, w = images.shape
    for image, (top, left), flip in zip(images, draws.offsets.tolist(), draws.flips.tolist(),
                                        strict=True):  # fmt: skip
        padded = torch.zeros(image.shape[0], h + 2 * padding, w + 2 * padding, dtype=image.dtype)
        padded[:, padding : padding + h, padding : padding + w] = image
        crop = padded[:, top : top + h, left : left + w]
        out.append(crop.flip(-1) if flip else crop)
    return torch.stack(out)


@pytest.mark.parametrize("padding", [1, 4])
def test_batch_crop_flip_equals_per_image_reference(padding):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 9, 7), generator=g, dtype=torch.uint8)
    draws = draw_crop_flip(16, torch.Generator().manual_seed(1), padding)
    assert draws.flips.any() and (~draws.flips).any()  # both branches are exercised
    assert int(draws.offsets.min()) == 0 and int(draws.offsets.max()) == 2 * padding
    assert torch.equal(crop_flip(images, draws, padding), reference(images, draws, padding))


def test_centre_crop_without_flip_is_the_identity_and_a_shift_pads_with_zeros():
    images = torch.arange(1, 17, dtype=torch.uint8).view(1, 1, 4, 4)
    centre = CropFlip(torch.tensor([[2, 2]]), torch.tensor([False]))
    assert torch.equal(crop_flip(images, centre, 2), images)
    corner = CropFlip(torch.tensor([[0, 0]]), torch.tensor([False]))
    shifted = crop_flip(images, corner, 2)[0, 0]
    assert shifted[:2].eq(0).all() and shifted[:, :2].eq(0).all()  # black border
    assert torch.equal(shifted[2:, 2:], images[0, 0, :2, :2])
    mirrored = crop_flip(images, CropFlip(torch.tensor([[2, 2]]), torch.tensor([True])), 2)
    assert torch.equal(mirrored, images.flip(-1))


def test_draws_depend_only_on_the_generator():
    a = draw_crop_flip(32, torch.Generator().manual_seed(5))
    b = draw_crop_flip(32, torch.Generator().manual_seed(5))
    c = draw_crop_flip(32, torch.Generator().manual_seed(6))
    assert torch.equal(a.offsets, b.offsets) and torch.equal(a.flips, b.flips)
    assert not torch.equal(a.offsets, c.offsets)


def test_bad_shapes_are_refused():
    draws = draw_crop_flip(2, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        crop_flip(torch.zeros(2, 8), draws)
    with pytest.raises(ValueError, match="3 images need"):
        crop_flip(torch.zeros(3, 1, 4, 4), draws)
