"""Per-channel normalisation helpers, on hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alcore.data.normalise import channel_stats, normalise_channels, uint8_to_normalised


def test_uint8_to_normalised_hand_case():
    images = np.zeros((1, 2, 1, 1), dtype=np.uint8)
    images[0, :, 0, 0] = [255, 51]
    out = uint8_to_normalised(images, mean=[0.5, 0.2], std=[0.5, 0.1])
    torch.testing.assert_close(out.flatten(), torch.tensor([1.0, 0.0]))


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


def test_wrong_dtype_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        uint8_to_normalised(np.zeros((1, 3, 2, 2), dtype=np.float32), [0, 0, 0], [1, 1, 1])
