"""Toy figures 1, 3 and 4 from small synthetic inputs: the points each panel draws."""

import numpy as np
import pytest
from matplotlib.axes import Axes

from alcore.analysis.synthetic import synthetic_acquisitions, synthetic_metrics
from alcore.analysis.warp import grid_points
from alcore.figures import figure1, figure3, figure4
from alcore.figures.style import strategy_label
from alcore.settings import StrategySettings

N = 120
STRATEGIES = ("least_confidence", "greedy", "random")


def pool(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (N, 2))
    labels = (xy[:, 0] > 0).astype(np.int64) + 2 * (xy[:, 1] > 0)
    return xy, labels


def offsets(ax: Axes, collection: int = -1) -> np.ndarray:
    """(n, 2) positions of a scatter of ``ax`` (the last one drawn: the picks)."""
    return np.asarray(ax.collections[collection].get_offsets())


def test_figure1_draws_each_arms_picks_coloured_by_round() -> None:
    xy, labels = pool()
    acq = synthetic_acquisitions(N, STRATEGIES, dataset="blobs", seeds=2, rounds=3, budget=5)
    metrics = synthetic_metrics(("blobs",), STRATEGIES, seeds=2, rounds=4, initial=10, budget=5)
    fig = figure1(xy, labels, acq, metrics, STRATEGIES, seed=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1:4] == [strategy_label(s) for s in STRATEGIES]
    assert titles[4] == "Test accuracy"
    for ax, strategy in zip(fig.axes[1:4], STRATEGIES, strict=True):
        rows = acq[(acq["strategy"] == strategy) & (acq["seed"] == 1)]  # 3 rounds x 5 picks
        rows = rows.sort_values(["round", "pick_order"])
        np.testing.assert_array_equal(offsets(ax), xy[rows["index"].to_numpy()])
        picks = ax.collections[-1]
        np.testing.assert_array_equal(np.asarray(picks.get_array()), rows["round"].to_numpy())


def test_figure1_shows_every_arm_by_default_renamed_ones_too() -> None:
    xy, labels = pool()
    arms = ("random", StrategySettings("my_beam", "coreset", weighted=True, beam_width=4))
    acq = synthetic_acquisitions(N, arms, dataset="blobs", seeds=1, rounds=2, budget=4)
    metrics = synthetic_metrics(("blobs",), arms, seeds=1, rounds=3, initial=10, budget=4)
    fig = figure1(xy, labels, acq, metrics)
    assert [ax.get_title() for ax in fig.axes[1:3]] == ["random", "my beam"]
    mine = acq[acq["strategy"] == "my_beam"].sort_values(["round", "pick_order"])
    np.testing.assert_array_equal(offsets(fig.axes[2]), xy[mine["index"].to_numpy()])


def test_figure1_rejects_indices_outside_the_pool() -> None:
    xy, labels = pool()
    acq = synthetic_acquisitions(N, ("greedy",), dataset="blobs", seeds=1, rounds=1, budget=3)
    acq.loc[0, "index"] = N + 5
    metrics = synthetic_metrics(("blobs",), ("greedy",), seeds=1, rounds=2)
    with pytest.raises(ValueError, match=rf"pool indices \[{N + 5}\] outside \[0, {N}\)"):
        figure1(xy, labels, acq, metrics, ("greedy",))


def test_figure3_draws_each_steps_picks_over_the_earlier_ones() -> None:
    xy, labels = pool()
    rng = np.random.default_rng(1)
    order = rng.permutation(N)
    steps = {
        "greedy": [order[0:5], order[5:10], order[10:15]],
        "pweighted_beam1": [order[20:25], order[25:30], order[30:35]],
    }
    grid = grid_points(25)
    doubt = 0.7 * np.exp(-np.minimum(abs(grid[..., 0]), abs(grid[..., 1])) / 0.2)
    fig = figure3(xy, steps, doubt, pool_labels=labels)
    grid_axes = np.array([ax for ax in fig.axes if ax.images]).reshape(2 + 2, 1 + 3)
    # (strategies + field rows) x (data + steps)
    for row, name in enumerate(steps):
        assert grid_axes[row, 0].get_ylabel().startswith(strategy_label(name).split(" (")[0])
        for t, picks in enumerate(steps[name]):
            ax = grid_axes[row, t + 1]
            np.testing.assert_array_equal(offsets(ax), xy[picks])  # step t solid
            if t:
                earlier = np.concatenate(steps[name][:t])
                np.testing.assert_array_equal(offsets(ax, -2), xy[earlier])  # translucent
    # the field rows show the picks of the last strategy, over the field seen from p
    np.testing.assert_array_equal(offsets(grid_axes[2, 2], -2), xy[steps["pweighted_beam1"][1]])
    np.testing.assert_array_equal(offsets(grid_axes[2, 2]), [(0.0, 0.0)])  # p, starred
    with pytest.raises(ValueError, match="square"):
        figure3(xy, steps, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="field_strategy='nope'"):
        figure3(xy, steps, doubt, field_strategy="nope")


def test_figure4_draws_each_beam_and_its_u() -> None:
    xy, _ = pool()
    beams = [np.arange(k, k + 6) for k in range(4)]
    u = [0.91234, 0.91231, 0.8, 0.7]
    doubt = np.linspace(0, 0.7, N)
    labelled = np.zeros(N, bool)
    labelled[-10:] = True
    fig = figure4(xy, beams, u, doubt, labelled)
    titles = [ax.get_title() for ax in fig.axes[:4]]
    # U values that agree to 3 decimals are printed with 4 so that they stay distinct
    assert titles[0] == "Beam rank 1\nU = 0.9123" and titles[3] == "Beam rank 4\nU = 0.7000"
    for ax, beam in zip(fig.axes[:4], beams, strict=True):
        np.testing.assert_array_equal(offsets(ax), xy[beam])  # the beam's picks
        np.testing.assert_array_equal(offsets(ax, -2), xy[labelled])  # the labelled set
    bar_ax = next(ax for ax in fig.axes if ax.get_xlabel() == "Beam rank")
    assert [p.get_height() for p in bar_ax.containers[0]] == pytest.approx(u)
    with pytest.raises(ValueError, match="2 beams and 1 U values"):
        figure4(xy, beams[:2], u[:1], doubt)


def test_figure1_accepts_a_frame_without_the_strategy() -> None:
    xy, labels = pool()
    acq = synthetic_acquisitions(N, ("greedy",), dataset="blobs", seeds=1, rounds=2, budget=3)
    metrics = synthetic_metrics(("blobs",), ("greedy",), seeds=1, rounds=2)
    with pytest.warns(UserWarning, match="least_confidence"):
        fig = figure1(xy, labels, acq, metrics, ("least_confidence", "greedy"))
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["no picks (seed 0)"]
    assert len(offsets(fig.axes[1])) == 0 and len(offsets(fig.axes[2])) == 3 * 2
