"""Figures on the 2-D toy data: where each strategy puts its labels.

* :func:`figure1`: picks over rounds of several strategies on Gaussian clusters, with their
  learning curves (the paper's Figure 1).
* :func:`figure3`: greedy vs doubt-weighted picks step by step on the quadrant task, and the
  doubt-warped distance field seen from an uncertain and a confident point (Figure 3).
* :func:`figure4`: the K beams of one beam search and their U (Figure 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

from alcore.analysis.arms import arm_order, arm_settings
from alcore.analysis.curves import learning_curve
from alcore.analysis.warp import grid_points, warped_field
from alcore.figures.learning_curves import draw_curves, one_dataset, warn_missing
from alcore.figures.style import (
    figure_style,
    finish,
    new_figure,
    strategy_color,
    strategy_label,
)

POOL_COLOR = "#b8b8b8"  # unpicked pool points
DOUBT_CMAP = "Greys"  # background doubt maps (dark = uncertain)
FIELD_CMAP = "viridis"  # warped distance field
ROUND_CMAP = "plasma"  # acquisition round
PICK_COLOR = "#d62728"  # picks of one beam (figure 4)
CLASS_PALETTE = "Set2"
TOY_PANEL = 2.6  # inches per square panel


def _check_pool(pool_xy: ArrayLike) -> NDArray[np.float64]:
    xy = np.asarray(pool_xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"pool_xy has shape {xy.shape}; expected (N, 2) 2-D points")
    return xy


def _check_indices(indices: ArrayLike, n: int, what: str) -> NDArray[np.int64]:
    array = np.asarray(indices, dtype=np.int64).reshape(-1)
    bad = array[(array < 0) | (array >= n)]
    if bad.size:
        raise ValueError(
            f"{what} has pool indices {bad[:5].tolist()} outside [0, {n}); were the picks made "
            "on this pool?"
        )
    return array


def _square(ax: Axes, xy: NDArray[np.float64], margin: float = 0.05) -> None:
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = margin * (hi - lo).max()
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)


def _class_scatter(ax: Axes, xy: NDArray[np.float64], labels: NDArray[np.int64]) -> None:
    classes = np.unique(labels)
    palette = sns.color_palette(CLASS_PALETTE, len(classes))
    for color, label in zip(palette, classes, strict=True):
        inside = labels == label
        ax.scatter(
            xy[inside, 0],
            xy[inside, 1],
            s=6,
            color=color,
            alpha=0.7,
            linewidths=0,
            label=f"{label}",
        )


def figure1(
    pool_xy: ArrayLike,
    pool_labels: ArrayLike,
    acquisitions: pd.DataFrame,
    metrics: pd.DataFrame,
    strategies: Sequence[str] | None = None,
    seed: int = 0,
    dataset: str | None = None,
) -> Figure:
    """The paper's Figure 1: the pool coloured by class, then one panel per strategy with the
    picks of run ``seed`` (chosen beam only) coloured by round, then the learning curves (mean ±
    1 std over all seeds).

    pool_xy: (N, 2) points; pool_labels: (N,) int classes; acquisitions / metrics: the result
    tables (rows of other strategies are ignored); strategies: the arms to show, by name (None:
    every arm of the acquisitions, in the canonical order of
    :func:`~alcore.analysis.arms.arm_table`); dataset: which dataset of the tables (None: the
    only one present). Returns the figure.
    """
    xy = _check_pool(pool_xy)
    labels = np.asarray(pool_labels).reshape(-1)
    if labels.shape[0] != xy.shape[0]:
        raise ValueError(f"pool_labels has {labels.shape[0]} entries for {xy.shape[0]} points")
    name, acq = one_dataset(acquisitions, dataset)
    _, runs = one_dataset(metrics, name)
    if strategies is None:
        strategies = arm_order(acq)
    arms = arm_settings(acq)
    picked = acq[(acq["seed"] == seed) & (acq["beam_rank"] == 1)]
    rounds = np.sort(picked.loc[picked["strategy"].isin(strategies), "round"].unique())
    n_rounds = max(len(rounds), 1)
    first = int(rounds[0]) if len(rounds) else 0
    boundaries = np.arange(first, first + n_rounds + 1) - 0.5
    norm = BoundaryNorm(boundaries, ncolors=256)
    n_cols = len(strategies) + 2
    missing: list[str] = []
    with figure_style():
        fig = new_figure(TOY_PANEL * n_cols + 0.9, TOY_PANEL + 1.7)
        axes = fig.subplots(1, n_cols, squeeze=False)[0]
        _class_scatter(axes[0], xy, labels)
        axes[0].set_title("Data (colour = class)")
        for ax in axes[: n_cols - 1]:
            _square(ax, xy)
            ax.set_xlabel("$x_1$")
        axes[0].set_ylabel("$x_2$")
        for ax, strategy in zip(axes[1:-1], strategies, strict=True):
            ax.scatter(xy[:, 0], xy[:, 1], s=4, color=POOL_COLOR, alpha=0.5, linewidths=0)
            rows = picked[picked["strategy"] == strategy].sort_values(["round", "pick_order"])
            index = _check_indices(rows["index"], xy.shape[0], f"acquisitions of {strategy!r}")
            if index.size == 0:
                missing.append(strategy)
                ax.text(
                    0.5,
                    0.5,
                    f"no picks (seed {seed})",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                )
            ax.scatter(
                xy[index, 0],
                xy[index, 1],
                c=rows["round"].to_numpy(),
                cmap=ROUND_CMAP,
                norm=norm,
                s=16,
                edgecolors="black",
                linewidths=0.3,
                zorder=3,
            )
            ax.set_title(
                strategy_label(strategy), color=strategy_color(strategy, arms.get(strategy))
            )
            ax.tick_params(labelleft=False)
        colorbar = fig.colorbar(
            ScalarMappable(norm=norm, cmap=ROUND_CMAP),
            ax=list(axes[1:-1]),
            location="right",
            shrink=0.75,
            aspect=18,
            pad=0.01,
        )
        colorbar.set_ticks([float(r) for r in range(first, first + n_rounds)])
        colorbar.set_label(f"Round (seed {seed})")
        colorbar.outline.set_visible(False)
        curve_ax = axes[-1]
        missing += draw_curves(curve_ax, learning_curve(runs), strategies, arms=arms)
        curve_ax.set_title("Test accuracy")
        curve_ax.set_box_aspect(1)
        curve_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)
        axes[0].legend(
            title="class",
            loc="upper center",
            bbox_to_anchor=(0.5, -0.22),
            ncol=min(len(np.unique(labels)), 4),
            markerscale=2.5,
            handletextpad=0.1,
            columnspacing=0.6,
        )
    warn_missing(missing, f"dataset {name!r}, seed {seed}")
    return finish(fig)


def figure3(
    pool_xy: ArrayLike,
    steps: Mapping[str, Sequence[ArrayLike]],
    doubt_grid: ArrayLike,
    grid_extent: tuple[float, float] = (-1.0, 1.0),
    pool_labels: ArrayLike | None = None,
    field_points: Sequence[tuple[float, float]] = ((0.0, 0.0), (-1.0, 1.0)),
    field_strategy: str | None = None,
) -> Figure:
    """The paper's Figure 3: rows = strategies, columns = acquisition steps, then one row per
    point p of ``field_points`` showing the warped distance field ``I(x)·||x - p||``.

    pool_xy: (N, 2); steps: strategy -> list of per-step pick indices (each (b,) ints into the
    pool); doubt_grid: (G, G) doubt on the grid of :func:`~alcore.analysis.warp.grid_points`
    (row i = height y_i, column j = x_j) over ``grid_extent``²; pool_labels: (N,) classes to
    colour the data in the first column (optional). Column 0 shows the data over the doubt map
    (strategy rows) or the field with p starred (field rows); column t shows step t's picks as
    solid squares and earlier picks translucent, over the pool (strategy rows) or over the field
    with the picks of ``field_strategy`` (default: the last strategy in ``steps``).
    """
    xy = _check_pool(pool_xy)
    doubt = np.asarray(doubt_grid, dtype=np.float64)
    if doubt.ndim != 2 or doubt.shape[0] != doubt.shape[1]:
        raise ValueError(f"doubt_grid has shape {doubt.shape}; expected a square (G, G) grid")
    if not steps:
        raise ValueError("steps is empty; pass strategy -> list of per-step pick indices")
    names = list(steps)
    field_strategy = names[-1] if field_strategy is None else field_strategy
    if field_strategy not in steps:
        raise ValueError(f"field_strategy={field_strategy!r} is not one of the strategies {names}")
    picks = {
        name: [_check_indices(s, xy.shape[0], f"step {t} of {name!r}") for t, s in enumerate(ss)]
        for name, ss in steps.items()
    }
    n_steps = max(len(ss) for ss in picks.values())
    lo, hi = grid_extent
    extent = (lo, hi, lo, hi)
    grid = grid_points(doubt.shape[0], grid_extent)
    fields = [warped_field(grid, doubt, p) for p in field_points]
    field_max = max(float(f.max()) for f in fields) if fields else 1.0
    field_norm = Normalize(0.0, field_max)
    doubt_norm = Normalize(0.0, max(float(doubt.max()), 1e-12))
    labels = None if pool_labels is None else np.asarray(pool_labels).reshape(-1)
    n_rows = len(names) + len(fields)
    n_cols = n_steps + 1
    with figure_style():
        fig = new_figure(2.15 * n_cols + 1.3, 2.15 * n_rows + 0.3)
        axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
        for r, name in enumerate(names):
            ax = axes[r, 0]
            ax.imshow(
                doubt, origin="lower", extent=extent, cmap=DOUBT_CMAP, norm=doubt_norm, alpha=0.6
            )
            if labels is not None:
                _class_scatter(ax, xy, labels)
            else:
                ax.scatter(xy[:, 0], xy[:, 1], s=3, color=POOL_COLOR, linewidths=0)
            ax.set_ylabel(
                strategy_label(name).replace(" (", "\n("),
                color=strategy_color(name),
                fontweight="bold",
            )
            for t in range(n_steps):
                ax = axes[r, t + 1]
                ax.imshow(
                    doubt,
                    origin="lower",
                    extent=extent,
                    cmap=DOUBT_CMAP,
                    norm=doubt_norm,
                    alpha=0.35,
                )
                ax.scatter(xy[:, 0], xy[:, 1], s=2, color=POOL_COLOR, alpha=0.6, linewidths=0)
                _draw_steps(ax, xy, picks[name], t, strategy_color(name))
        for k, (p, field) in enumerate(zip(field_points, fields, strict=True)):
            r = len(names) + k
            for t in range(n_cols):
                ax = axes[r, t]
                ax.imshow(field, origin="lower", extent=extent, cmap=FIELD_CMAP, norm=field_norm)
                if t > 0:
                    _draw_steps(ax, xy, picks[field_strategy], t - 1, "white")
                ax.scatter(
                    [p[0]],
                    [p[1]],
                    marker="*",
                    s=140,
                    color="#ff3b3b",
                    edgecolors="white",
                    linewidths=0.8,
                    zorder=5,
                    clip_on=False,
                )
            axes[r, 0].set_ylabel(
                f"Warped distance\nfrom p = ({p[0]:g}, {p[1]:g})", fontweight="bold"
            )
        axes[0, 0].set_title("Data and doubt")
        for t in range(n_steps):
            axes[0, t + 1].set_title(f"Step {t + 1}")
        for ax in axes.flat:
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal")
            ax.grid(False)
            ax.set_xticks([lo, (lo + hi) / 2, hi])
            ax.set_yticks([lo, (lo + hi) / 2, hi])
        for ax in axes[-1, :]:
            ax.set_xlabel("$x_1$")
        doubt_bar = fig.colorbar(
            ScalarMappable(norm=doubt_norm, cmap=DOUBT_CMAP),
            ax=list(axes[: len(names)].flat),
            shrink=0.8,
            aspect=25,
            pad=0.02,
        )
        doubt_bar.set_label("Doubt I(x)")
        if fields:
            field_bar = fig.colorbar(
                ScalarMappable(norm=field_norm, cmap=FIELD_CMAP),
                ax=list(axes[len(names) :].flat),
                shrink=0.8,
                aspect=25,
                pad=0.02,
            )
            field_bar.set_label(r"Perceived distance $I(x)\,\|x - p\|$")
        handles = [
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                color="#444444",
                markersize=7,
                label="picks of this step",
            ),
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                color="#444444",
                alpha=0.3,
                markersize=7,
                label="earlier picks",
            ),
            Line2D(
                [],
                [],
                marker="*",
                linestyle="",
                color="#ff3b3b",
                markersize=11,
                label="viewpoint p",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return finish(fig)


def _draw_steps(
    ax: Axes, xy: NDArray[np.float64], picks: Sequence[NDArray[np.int64]], t: int, color: str
) -> None:
    """Picks of steps < t translucent, of step t solid (squares)."""
    if t >= len(picks):
        return
    if t > 0:
        earlier = np.concatenate(picks[:t])
        ax.scatter(
            xy[earlier, 0],
            xy[earlier, 1],
            marker="s",
            s=16,
            color=color,
            alpha=0.3,
            edgecolors="none",
            zorder=3,
        )
    ax.scatter(
        xy[picks[t], 0],
        xy[picks[t], 1],
        marker="s",
        s=22,
        color=color,
        edgecolors="black",
        linewidths=0.5,
        zorder=4,
    )


def _distinct_decimals(values: NDArray[np.float64], lo: int = 3, hi: int = 4) -> int:
    """The fewest decimals in [lo, hi] that keep distinct ``values`` distinct when printed."""
    n_distinct = len(np.unique(values))
    for decimals in range(lo, hi + 1):
        if len(np.unique(np.round(values, decimals))) == n_distinct:
            return decimals
    return hi


def figure4(
    pool_xy: ArrayLike,
    beams: Sequence[ArrayLike],
    u: Sequence[float],
    pool_doubt: ArrayLike,
    labelled: ArrayLike | None = None,
) -> Figure:
    """The paper's Figure 4: the K beams of one beam search side by side, then U by beam rank.

    pool_xy: (N, 2); beams: K pick-index arrays, best (rank 1) first; u: (K,) U of each beam;
    pool_doubt: (N,) doubt of every pool point (the dots' colour); labelled: optional (N,) bool
    mask of the labelled set, drawn as black crosses.
    """
    xy = _check_pool(pool_xy)
    doubt = np.asarray(pool_doubt, dtype=np.float64).reshape(-1)
    us = np.asarray(u, dtype=np.float64).reshape(-1)
    if doubt.shape[0] != xy.shape[0]:
        raise ValueError(f"pool_doubt has {doubt.shape[0]} entries for {xy.shape[0]} points")
    if len(beams) == 0 or len(beams) != us.shape[0]:
        raise ValueError(f"got {len(beams)} beams and {us.shape[0]} U values; need K >= 1 of each")
    index = [_check_indices(b, xy.shape[0], f"beam {k + 1}") for k, b in enumerate(beams)]
    mask = None if labelled is None else np.asarray(labelled, dtype=bool).reshape(-1)
    norm = Normalize(0.0, max(float(doubt.max()), 1e-12))
    k_beams = len(index)
    decimals = _distinct_decimals(us)
    with figure_style():
        fig = new_figure(TOY_PANEL * (k_beams + 1) + 1.0, TOY_PANEL + 1.0)
        axes = fig.subplots(1, k_beams + 1, squeeze=False)[0]
        for k, (ax, picks) in enumerate(zip(axes[:-1], index, strict=True)):
            ax.scatter(xy[:, 0], xy[:, 1], c=doubt, cmap="viridis", norm=norm, s=5, linewidths=0)
            if mask is not None:
                ax.scatter(
                    xy[mask, 0],
                    xy[mask, 1],
                    marker="x",
                    s=24,
                    color="black",
                    linewidths=1.1,
                    zorder=3,
                    label="labelled",
                )
            ax.scatter(
                xy[picks, 0],
                xy[picks, 1],
                marker="s",
                s=30,
                color=PICK_COLOR,
                edgecolors="white",
                linewidths=0.7,
                zorder=4,
                label="picks",
            )
            ax.set_title(f"Beam rank {k + 1}\nU = {us[k]:.{decimals}f}")
            _square(ax, xy)
            ax.set_xlabel("$x_1$")
            if k:
                ax.tick_params(labelleft=False)
        axes[0].set_ylabel("$x_2$")
        colorbar = fig.colorbar(
            ScalarMappable(norm=norm, cmap="viridis"),
            ax=list(axes[:-1]),
            location="right",
            shrink=0.8,
            aspect=18,
            pad=0.01,
        )
        colorbar.set_label(r"Doubt $I(x) = 1 - \max_y P(y|x)$")
        colorbar.outline.set_visible(False)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
        bar_ax = axes[-1]
        ranks = np.arange(1, k_beams + 1)
        shades = sns.color_palette("Oranges_r", k_beams + 2)[:k_beams]
        bars = bar_ax.bar(ranks, us, color=shades, edgecolor="black", linewidth=0.5)
        bar_ax.bar_label(
            bars, fmt=f"%.{decimals}f", label_type="center", rotation=90, fontsize="small"
        )
        bar_ax.set_xticks(ranks)
        bar_ax.set_xlabel("Beam rank")
        bar_ax.set_ylabel(r"U (mean $-\log$ confidence)")
        bar_ax.set_title("U by beam rank")
        bar_ax.set_ylim(0, float(np.nanmax(us)) * 1.05 if np.nanmax(us) > 0 else 1.0)
        bar_ax.set_box_aspect(1)
        bar_ax.grid(axis="x", visible=False)
    return finish(fig)
