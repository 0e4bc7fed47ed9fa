"""Learning-curve figures (Figures 5, 6 and the radius figure)."""

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.colors import to_hex

from alcore.analysis.synthetic import synthetic_metrics
from alcore.figures import figure5, figure6, figure_radius, plot_learning_curves, save_figure
from alcore.figures.learning_curves import FIGURE5_PANELS
from alcore.figures.style import strategy_color, strategy_label

ABLATION = (
    "random", "greedy", "greedy_beam1", "greedy_beam20", "pweighted_beam1", "pweighted_beam20",
)  # fmt: skip


def curve_lines(ax: object) -> dict[str, str]:
    """legend label -> line colour of the data lines of an axis."""
    return {
        line.get_label(): to_hex(line.get_color())
        for line in ax.get_lines()  # type: ignore[attr-defined]
        if not line.get_label().startswith("_")
    }


def test_figure5_panels_and_colours(tmp_path: Path) -> None:
    metrics = synthetic_metrics(strategies=ABLATION, seeds=2, rounds=3)
    fig = figure5(metrics)
    axes = fig.axes
    assert len(axes) == 3
    for ax, (title, strategies) in zip(axes, FIGURE5_PANELS, strict=True):
        assert ax.get_title() == title
        assert ax.get_xlabel() == "Number of labels"
        lines = curve_lines(ax)
        assert list(lines) == [strategy_label(s) for s in strategies]
        assert all(lines[strategy_label(s)] == strategy_color(s) for s in strategies)
        assert ax.get_legend() is not None
        assert len(ax.collections) == len(strategies)  # one ±std band per curve
    assert axes[0].get_ylabel() == "Test accuracy"
    greedy = next(line for line in axes[0].get_lines() if line.get_label() == "greedy")
    mean = metrics[metrics["strategy"] == "greedy"].groupby("n_labels")["test_accuracy"].mean()
    assert np.allclose(greedy.get_ydata(), mean.to_numpy())
    stem = tmp_path / "fig5"
    png, pdf = save_figure(fig, stem, dpi=40)
    width, height = fig.get_size_inches()
    assert mpimg.imread(png).shape[:2] == (round(height * 40), round(width * 40))
    assert pdf.stat().st_size > 0


def test_missing_strategies_warn_and_are_left_out() -> None:
    metrics = synthetic_metrics(strategies=("random", "greedy"), seeds=2, rounds=3)
    with pytest.warns(UserWarning, match="pweighted_beam20"):
        fig = plot_learning_curves(
            metrics, [("a", ["random", "pweighted_beam20"]), ("b", ["pweighted_beam20"])]
        )
    assert list(curve_lines(fig.axes[0])) == ["random"]
    assert "no data" in [text.get_text() for text in fig.axes[1].texts]


def test_dataset_selection_errors() -> None:
    metrics = synthetic_metrics(datasets=("cifar10", "svhn"), seeds=1, rounds=2)
    with pytest.raises(ValueError, match=r"datasets \['cifar10', 'svhn'\]; pass dataset="):
        figure5(metrics)
    with pytest.raises(ValueError, match="dataset='mnist' has no rows"):
        figure5(metrics, "mnist")


def test_figure6_one_panel_per_dataset_and_single_seed() -> None:
    metrics = synthetic_metrics(
        datasets=("svhn", "cifar10"), strategies=("random", "greedy", "pweighted_beam10"),
        seeds=1, rounds=3,
    )  # fmt: skip
    fig = figure6(metrics)
    assert [ax.get_title() for ax in fig.axes] == ["CIFAR10", "SVHN"]
    assert all(len(ax.collections) == 0 for ax in fig.axes)  # one seed: no std band
    assert len(fig.legends) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["random", "greedy", "pweighted (beam=10)"]


def test_figure_radius_leaves_out_unrecorded_weighted_radius() -> None:
    metrics = synthetic_metrics(strategies=("random", "pweighted_beam20"), seeds=2, rounds=3)
    fig = figure_radius(metrics)
    left, right = fig.axes
    assert list(curve_lines(left)) == ["random", "pweighted (beam=20)"]
    assert list(curve_lines(right)) == ["pweighted (beam=20)"]  # random's δ̂ is NaN
    assert "δ" in left.get_ylabel() and "δ̂" in right.get_ylabel()
