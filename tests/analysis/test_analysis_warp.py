"""The doubt-warped distance field of Figure 3."""

import numpy as np
import pytest

from alcore.analysis.warp import grid_points, warped_field


def test_warped_field_hand_case() -> None:
    grid = np.array([[0.0, 0.0], [3.0, 4.0], [-1.0, 1.0]])
    doubt = np.array([0.5, 0.2, 0.0])
    # distances from p = (0, 0): 0, 5, sqrt 2 -> scaled by doubt: 0, 1.0, 0 (confident point)
    assert np.allclose(warped_field(grid, doubt, (0.0, 0.0)), [0.0, 1.0, 0.0])
    # from p = (-1, 1): sqrt 2, sqrt(16 + 9) = 5, 0 -> 0.5 sqrt 2, 1.0, 0
    assert np.allclose(warped_field(grid, doubt, (-1.0, 1.0)), [0.5 * np.sqrt(2), 1.0, 0.0])


def test_grid_points_orientation() -> None:
    grid = grid_points(3, (-1.0, 1.0))
    assert grid.shape == (3, 3, 2)
    assert np.allclose(grid[0, 2], [1.0, -1.0])  # row 0 = lowest y, column 2 = highest x
    assert np.allclose(grid[2, 0], [-1.0, 1.0])
    field = warped_field(grid, np.ones((3, 3)), (0.0, 0.0))
    assert field.shape == (3, 3) and field[1, 1] == 0.0


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="grid_doubt"):
        warped_field(np.zeros((4, 4, 2)), np.zeros((3, 3)), (0.0, 0.0))
    with pytest.raises(ValueError, match="size=1"):
        grid_points(1)
