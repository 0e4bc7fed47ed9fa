"""Per-channel normalisation helpers, on hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alcore.data.normalise import channel_stats, normalise_channels, pixel_stats


def test_channel_stats_then_normalise_gives_zero_mean_unit_std():
    x = torch.randn(7, 3, 4, 5, generator=torch.Generator().manual_seed(0)) * 3 + 2
    mean, std = channel_stats(x)
    y = normalise_channels(x, mean, std)
    flat = y.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(flat.mean(dim=1), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(flat.std(dim=1, correction=0), torch.ones(3), atol=1e-5, rtol=0)


def test_constant_channel_gets_std_one():
    _, std = channel_stats(torch.ones(2, 1, 3, 3))
    assert std.tolist() == [1.0]


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_pixel_stats_equal_the_float_statistics(chunk):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 3, 4, 5), dtype=np.uint8)
    mean, std = pixel_stats(images, chunk=chunk)
    as_float = torch.from_numpy(images).double() / 255
    expected_mean, expected_std = channel_stats(as_float)
    np.testing.assert_allclose(mean, expected_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(std, expected_std.numpy(), rtol=1e-9)


def test_pixel_stats_constant_channel_and_hand_case():
    images = np.zeros((2, 2, 1, 1), dtype=np.uint8)
    images[:, 0, 0, 0] = [0, 255]  # channel 0: values 0 and 1 -> mean 0.5, std 0.5
    mean, std = pixel_stats(images)
    assert mean == pytest.approx((0.5, 0.0)) and std == pytest.approx((0.5, 1.0))


def test_wrong_dtype_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        pixel_stats(np.zeros((1, 3, 2, 2), dtype=np.float32))
