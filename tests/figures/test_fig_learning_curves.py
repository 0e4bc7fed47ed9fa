"""Learning-curve figures (Figures 5, 6 and the radius figure): what each panel draws."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex

from alcore.analysis.synthetic import PAPER_ARMS, synthetic_metrics
from alcore.figures import figure5, figure6, figure_radius, plot_learning_curves
from alcore.figures.style import strategy_color, strategy_label

ABLATION = (
    "random", "greedy", "greedy_beam1", "greedy_beam20", "pweighted_beam1", "pweighted_beam20",
)  # fmt: skip
# what each Figure 5 panel shows of the ablation arms (the paper's panels)
FIGURE5 = {
    "Beam search, plain distances": ["random", "greedy", "greedy_beam1", "greedy_beam20"],
    "Doubt-weighted distances": [
        "random",
        "greedy",
        "greedy_beam20",
        "pweighted_beam1",
        "pweighted_beam20",
    ],
    "Doubt-weighted vs greedy": ["random", "greedy", "pweighted_beam20"],
}


def curve_lines(ax: Axes) -> dict[str, str]:
    """legend label -> line colour of the data lines of an axis."""
    return {
        str(line.get_label()): to_hex(line.get_color())
        for line in ax.get_lines()
        if not str(line.get_label()).startswith("_")
    }


def line_of(ax: Axes, label: str) -> tuple[np.ndarray, np.ndarray]:
    line = next(line for line in ax.get_lines() if line.get_label() == label)
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def mean_curve(metrics: pd.DataFrame, strategy: str, value: str = "test_accuracy") -> pd.Series:
    """The mean over seeds of ``value`` per n_labels of one strategy (what a line should be)."""
    return metrics[metrics["strategy"] == strategy].groupby("n_labels")[value].mean()


def renamed(metrics: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return metrics.assign(strategy=metrics["strategy"].replace(names))


def test_figure5_panels_draw_the_mean_of_each_arm() -> None:
    metrics = synthetic_metrics(strategies=ABLATION, seeds=2, rounds=3)
    fig = figure5(metrics)
    assert [ax.get_title() for ax in fig.axes] == list(FIGURE5)
    for ax, strategies in zip(fig.axes, FIGURE5.values(), strict=True):
        lines = curve_lines(ax)
        assert list(lines) == [strategy_label(s) for s in strategies]
        assert all(lines[strategy_label(s)] == strategy_color(s) for s in strategies)
        assert len(ax.collections) == len(strategies)  # one ±std band per curve
        for strategy in strategies:
            x, y = line_of(ax, strategy_label(strategy))
            expected = mean_curve(metrics, strategy)
            np.testing.assert_allclose(x, expected.index.to_numpy())
            np.testing.assert_allclose(y, expected.to_numpy())
    assert fig.axes[0].get_ylabel() == "Test accuracy"


def test_figure5_finds_renamed_arms_by_their_settings() -> None:
    # (greedy and greedy_beam1 have equal settings: a panel that draws one of them takes the
    # first by name, so the two keep their order)
    names = {"greedy": "sener", "greedy_beam1": "sener_beam1", "pweighted_beam20": "my_beam",
             "random": "uniform"}  # fmt: skip
    metrics = renamed(synthetic_metrics(strategies=ABLATION, seeds=2, rounds=3), names)
    fig = figure5(metrics)
    panels = {ax.get_title(): list(curve_lines(ax)) for ax in fig.axes}
    for title, strategies in FIGURE5.items():
        assert panels[title] == [strategy_label(names.get(s, s)) for s in strategies]
    _, y = line_of(fig.axes[2], "my beam")
    np.testing.assert_allclose(y, mean_curve(metrics, "my_beam").to_numpy())


def test_a_role_without_an_arm_warns_and_leaves_its_curve_out() -> None:
    metrics = synthetic_metrics(strategies=("random", "greedy"), seeds=2, rounds=3)
    with pytest.warns(UserWarning, match=r"kind=coreset, weighted=True"):
        fig = figure5(metrics)
    assert [list(curve_lines(ax)) for ax in fig.axes] == [["random", "greedy"]] * 3


def test_named_strategies_without_rows_warn_and_are_left_out() -> None:
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


def test_figure6_one_panel_per_dataset_every_arm_by_default() -> None:
    metrics = synthetic_metrics(
        datasets=("svhn", "cifar10"), strategies=("pweighted_beam10", "greedy", "random"),
        seeds=1, rounds=3,
    )  # fmt: skip
    metrics = renamed(metrics, {"pweighted_beam10": "my_beam"})
    fig = figure6(metrics)
    assert [ax.get_title() for ax in fig.axes] == ["CIFAR10", "SVHN"]
    assert all(len(ax.collections) == 0 for ax in fig.axes)  # one seed: no std band
    assert len(fig.legends) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["random", "greedy", "my beam"]  # canonical order, by settings
    _, y = line_of(fig.axes[1], "my beam")
    svhn = metrics[metrics["dataset"] == "svhn"]
    np.testing.assert_allclose(y, mean_curve(svhn, "my_beam").to_numpy())


def test_figure_radius_leaves_out_unrecorded_weighted_radius() -> None:
    metrics = synthetic_metrics(strategies=("random", "pweighted_beam20"), seeds=2, rounds=3)
    fig = figure_radius(metrics)
    left, right = fig.axes
    assert list(curve_lines(left)) == ["random", "pweighted (beam=20)"]
    assert list(curve_lines(right)) == ["pweighted (beam=20)"]  # random's δ̂ is NaN
    _, y = line_of(right, "pweighted (beam=20)")
    expected = mean_curve(metrics, "pweighted_beam20", "weighted_radius")
    np.testing.assert_allclose(y, expected.to_numpy())
    assert "δ" in left.get_ylabel() and "δ̂" in right.get_ylabel()


def test_paper_arms_are_drawn_in_their_palette_colours() -> None:
    # known names keep their fixed colours whatever order the table lists them in
    metrics = synthetic_metrics(strategies=list(PAPER_ARMS)[::-1], seeds=1, rounds=2)
    fig = figure6(metrics)
    lines = curve_lines(fig.axes[0])
    assert lines == {strategy_label(s): strategy_color(s) for s in PAPER_ARMS}
