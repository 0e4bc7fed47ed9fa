"""Toy figures 1, 3 and 4 from small synthetic inputs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alcore.analysis.synthetic import synthetic_acquisitions, synthetic_metrics
from alcore.analysis.warp import grid_points
from alcore.figures import figure1, figure3, figure4, save_figure
from alcore.figures.style import strategy_label

N = 120
STRATEGIES = ("least_confidence", "greedy", "random")


def pool(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (N, 2))
    labels = (xy[:, 0] > 0).astype(np.int64) + 2 * (xy[:, 1] > 0)
    return xy, labels


def test_figure1(tmp_path: Path) -> None:
    xy, labels = pool()
    acq = synthetic_acquisitions(N, STRATEGIES, dataset="blobs", seeds=2, rounds=3, budget=5)
    metrics = synthetic_metrics(("blobs",), STRATEGIES, seeds=2, rounds=4, initial=10, budget=5)
    fig = figure1(xy, labels, acq, metrics, STRATEGIES, seed=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1:4] == [strategy_label(s) for s in STRATEGIES]
    assert titles[4] == "Test accuracy"
    picks = fig.axes[1].collections[-1]  # least confidence, seed 1: 3 rounds x 5 picks
    expected = acq[(acq["strategy"] == "least_confidence") & (acq["seed"] == 1)]
    assert len(np.asarray(picks.get_offsets())) == len(expected) == 15
    assert np.allclose(
        np.sort(np.asarray(picks.get_array())), np.sort(expected["round"].to_numpy())
    )
    png, pdf = save_figure(fig, tmp_path / "fig1", dpi=30)
    assert png.stat().st_size > 0 and pdf.stat().st_size > 0


def test_figure1_rejects_indices_outside_the_pool() -> None:
    xy, labels = pool()
    acq = synthetic_acquisitions(N, ("greedy",), dataset="blobs", seeds=1, rounds=1, budget=3)
    acq.loc[0, "index"] = N + 5
    metrics = synthetic_metrics(("blobs",), ("greedy",), seeds=1, rounds=2)
    with pytest.raises(ValueError, match=rf"pool indices \[{N + 5}\] outside \[0, {N}\)"):
        figure1(xy, labels, acq, metrics, ("greedy",))


def test_figure3(tmp_path: Path) -> None:
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
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == (2 + 2) * (1 + 3)  # (strategies + field rows) x (data + steps)
    png, _ = save_figure(fig, tmp_path / "fig3", dpi=30)
    assert png.stat().st_size > 0
    with pytest.raises(ValueError, match="square"):
        figure3(xy, steps, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="field_strategy='nope'"):
        figure3(xy, steps, doubt, field_strategy="nope")


def test_figure4(tmp_path: Path) -> None:
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
    bar_ax = next(ax for ax in fig.axes if ax.get_xlabel() == "Beam rank")
    assert [p.get_height() for p in bar_ax.containers[0]] == pytest.approx(u)
    png, _ = save_figure(fig, tmp_path / "fig4", dpi=30)
    assert png.stat().st_size > 0
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
    assert isinstance(acq, pd.DataFrame)
