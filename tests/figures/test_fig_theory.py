"""Figure 7: the lower bound on β."""

import numpy as np
import pytest

from alcore.analysis.theory import beta_lower_bound, delta_star
from alcore.figures import figure7


def test_figure7_panels_curves_and_delta_star() -> None:
    deltas = np.linspace(0, 3, 61)
    zs = (0.1, 0.5, 0.9)
    fig = figure7(deltas, zs)
    assert [ax.get_title() for ax in fig.axes] == ["z = 0.1", "z = 0.5", "z = 0.9"]
    for ax, z in zip(fig.axes, zs, strict=True):
        curve, star_line, threshold_line = ax.get_lines()
        assert np.allclose(curve.get_ydata(), beta_lower_bound(deltas, z))
        assert np.asarray(star_line.get_xdata())[0] == pytest.approx(float(delta_star(z)))
        assert np.asarray(threshold_line.get_xdata())[0] == pytest.approx(1.0)  # 1 / λc
        assert ax.get_xlabel() == "δ"
    assert len(fig.legends) == 1


def test_figure7_default_range_and_errors() -> None:
    fig = figure7(zs=(0.3,), lambda_c=2.0)
    ax = fig.axes[0]
    assert ax.get_xlim()[1] == pytest.approx(1.25 * float(delta_star(0.3, 2.0)))
    with pytest.raises(ValueError, match="increasing"):
        figure7(np.array([1.0, 0.5]))
    with pytest.raises(ValueError, match="zs is empty"):
        figure7(np.linspace(0, 1, 5), zs=())
