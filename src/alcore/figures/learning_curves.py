"""Learning-curve figures: test accuracy (or a radius) against the number of labels.

* :func:`plot_learning_curves`: one panel per (title, strategies) of one dataset.
* :func:`figure5`: the paper's ablation (three panels of arms chosen by their settings).
* :func:`figure6`: the main comparison, one panel per dataset.
* :func:`figure_radius`: core-set radius δ and doubt-weighted radius δ̂ (not in the paper).

Every curve is the mean over seeds with a ±1 std band (no band with one seed). The figures find
their arms by the settings columns of the experiment tables (kind, weighted, beam_width; see
:mod:`alcore.analysis.arms`), so an arm is drawn whatever the config calls it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from alcore.analysis.arms import (
    GREEDY,
    RANDOM,
    Role,
    arm_order,
    arm_settings,
    arm_table,
    find_arms,
)
from alcore.analysis.curves import learning_curve
from alcore.catalog.datasets import DATASETS
from alcore.figures.style import (
    PANEL_HEIGHT,
    PANEL_WIDTH,
    Arm,
    figure_style,
    finish,
    new_figure,
    strategy_color,
    strategy_label,
    strategy_linestyle,
    strategy_marker,
    strategy_markersize,
)


@dataclass(frozen=True)
class Panel:
    """One panel of arms chosen by their settings."""

    title: str
    roles: tuple[Role, ...]  # drawn role by role (see alcore.analysis.arms.find_arms)
    distinct: bool = True  # arms with equal settings (equal curves) are drawn once


FIGURE5_PANELS: tuple[Panel, ...] = (
    # greedy and its beam width 1 twin both drawn: the check that the two are one algorithm
    Panel("Beam search, plain distances", (RANDOM, Role("coreset", weighted=False)), False),
    Panel(
        "Doubt-weighted distances",
        (RANDOM, GREEDY, Role("coreset", False, "search"), Role("coreset", weighted=True)),
    ),
    Panel("Doubt-weighted vs greedy", (RANDOM, GREEDY, Role("coreset", True, "search"))),
)
BAND_ALPHA = 0.18
X_LABEL = "Number of labels"
MAX_FIXED_TICKS = 5  # up to this many rounds, tick every number of labels
LEGEND_ROW_HEIGHT = 0.24  # inches per legend row
LEGEND_ENTRY_WIDTH = 2.5  # inches per legend column (handle and a label like "greedy (beam=20)")


def dataset_label(name: str) -> str:
    """Display name of a dataset: its catalogue title (``cifar10`` -> ``CIFAR10``); other
    names unchanged."""
    found = DATASETS.get(name)
    return found.title if found is not None and found.title is not None else name


def _labels_formatter(value: float, _position: int) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def one_dataset(metrics: pd.DataFrame, dataset: str | None) -> tuple[str, pd.DataFrame]:
    """The rows of ``dataset``; with None, the only dataset of ``metrics`` (error if several)."""
    present = sorted(map(str, metrics["dataset"].unique()))
    if dataset is None:
        if len(present) != 1:
            raise ValueError(f"metrics hold datasets {present}; pass dataset= one of them to plot")
        dataset = present[0]
    if dataset not in present:
        raise ValueError(f"dataset={dataset!r} has no rows; datasets present: {present}")
    return dataset, metrics[metrics["dataset"] == dataset]


def draw_curves(
    ax: Axes,
    curve: pd.DataFrame,
    strategies: Sequence[str],
    ylabel: str = "Test accuracy",
    arms: Mapping[str, Arm] | None = None,
) -> list[str]:
    """Draw mean ± std lines of ``curve`` (from :func:`~alcore.analysis.learning_curve`, one
    dataset) for ``strategies`` in that order; label the axes. arms: each strategy's settings
    (:func:`~alcore.analysis.arms.arm_settings`), which style arms the palette does not name.
    Returns the strategies without rows (not drawn) and writes "no data" in the axis when none
    is drawn."""
    arms = arms or {}
    missing = []
    for strategy in strategies:
        rows = curve[(curve["strategy"] == strategy) & curve["mean"].notna()]
        if rows.empty:
            missing.append(strategy)
            continue
        x = rows["n_labels"].to_numpy(dtype=np.float64)
        mean = rows["mean"].to_numpy(dtype=np.float64)
        std = rows["std"].to_numpy(dtype=np.float64)
        color = strategy_color(strategy, arms.get(strategy))
        ax.plot(
            x,
            mean,
            color=color,
            marker=strategy_marker(strategy),
            markersize=strategy_markersize(strategy),
            linestyle=strategy_linestyle(strategy, arms.get(strategy)),
            markeredgecolor="white",
            markeredgewidth=0.6,
            label=strategy_label(strategy),
            zorder=3,
        )
        if np.isfinite(std).any():
            ax.fill_between(
                x, mean - std, mean + std, color=color, alpha=BAND_ALPHA, linewidth=0, zorder=2
            )
    if len(missing) == len(strategies):
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(FuncFormatter(_labels_formatter))
    label_values = np.unique(curve["n_labels"].to_numpy(dtype=np.float64))
    if 1 < label_values.size <= MAX_FIXED_TICKS:
        ax.xaxis.set_major_locator(FixedLocator(label_values.tolist()))  # a tick per round
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=True))
    return missing


def warn_missing(missing: Sequence[str], where: str) -> None:
    """Warn (UserWarning) that the strategies ``missing`` have no rows in ``where``."""
    if missing:
        warnings.warn(
            f"no runs of {sorted(set(missing))} in {where}; those curves are left out",
            stacklevel=3,
        )


def _legend_below(ax: Axes) -> None:
    """The axis' legend in one column below it (never over the curves)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)


def _legend_columns(width: float) -> int:
    """How many legend entries fit side by side in a figure ``width`` inches wide."""
    return max(1, int(width / LEGEND_ENTRY_WIDTH))


def _legend_height(entries: int, width: float) -> float:
    """Inches the figure legend below the panels takes (:func:`_figure_legend`)."""
    return LEGEND_ROW_HEIGHT * -(-entries // _legend_columns(width))


def _figure_legend(fig: Figure, axes: Sequence[Axes]) -> None:
    """One legend for the whole figure, below the panels, each label once, in as many columns
    as fit the figure's width."""
    seen: dict[str, Artist] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    if seen:
        fig.legend(
            list(seen.values()),
            list(seen),
            loc="outside lower center",
            ncol=min(len(seen), _legend_columns(fig.get_figwidth())),
        )


def plot_learning_curves(
    metrics: pd.DataFrame,
    panels: Sequence[tuple[str, Sequence[str]]],
    dataset: str | None = None,
    value: str = "test_accuracy",
    ylabel: str = "Test accuracy",
    sharey: bool = True,
) -> Figure:
    """One axis per ``(title, strategies)`` panel: ``value`` against n_labels for one dataset,
    mean ± 1 std over seeds, each panel with its own legend below it.

    metrics: the metrics table; dataset: which dataset (None: the only one present). Strategies
    without runs are left out with a warning. Returns the figure (not saved).
    """
    if len(panels) == 0:
        raise ValueError("panels is empty; pass at least one (title, strategies) pair")
    name, rows = one_dataset(metrics, dataset)
    curve = learning_curve(rows, value)
    n = len(panels)
    legend_rows = max(len(strategies) for _, strategies in panels)
    with figure_style():
        fig = new_figure(PANEL_WIDTH * n, PANEL_HEIGHT + 0.5 + LEGEND_ROW_HEIGHT * legend_rows)
        axes = fig.subplots(1, n, sharey=sharey, squeeze=False)[0]
        missing: list[str] = []
        for ax, (title, strategies) in zip(axes, panels, strict=True):
            missing += draw_curves(ax, curve, strategies, ylabel, arm_settings(rows))
            ax.set_title(title)
            _legend_below(ax)
        if sharey:
            for ax in axes[1:]:
                ax.set_ylabel("")
        fig.suptitle(dataset_label(name), fontweight="bold")
    warn_missing(missing, f"dataset {name!r}")
    return finish(fig)


def figure5(
    metrics: pd.DataFrame, dataset: str | None = None, panels: Sequence[Panel] = FIGURE5_PANELS
) -> Figure:
    """The paper's Figure 5 (ablation): beam search with plain distances, doubt weighting with
    and without beam search, and the doubt-weighted beam search against greedy.

    metrics: an experiment metrics table with the arm columns; each panel draws the arms whose
    settings play its roles (names only label the curves). A role no arm plays is left out with
    a warning.
    """
    name, rows = one_dataset(metrics, dataset)
    arms = arm_table(rows)
    resolved: list[tuple[str, Sequence[str]]] = []
    unmatched: list[Role] = []
    for panel in panels:
        names, missing = find_arms(arms, panel.roles, panel.distinct)
        resolved.append((panel.title, names))
        unmatched += [role for role in missing if role not in unmatched]
    if unmatched:
        warnings.warn(
            f"no arm of dataset {name!r} has the settings {[str(r) for r in unmatched]}; "
            "those curves are left out (add such a strategy to the experiment to draw them)",
            stacklevel=2,
        )
    return plot_learning_curves(rows, resolved, name)


def figure6(metrics: pd.DataFrame, strategies: Sequence[str] | None = None) -> Figure:
    """The paper's Figure 6: one panel per dataset in ``metrics`` (sorted by name), test accuracy
    against labels for ``strategies`` (None: every arm of the table, in the canonical order of
    :func:`~alcore.analysis.arms.arm_table`), one shared legend below the panels."""
    datasets = sorted(map(str, metrics["dataset"].unique()))
    if not datasets:
        raise ValueError("metrics is empty; gather some metrics files first")
    if strategies is None:
        strategies = arm_order(metrics)
    arms = arm_settings(metrics)
    curve = learning_curve(metrics)
    with figure_style():
        # at least two legend columns wide: one panel of eleven strategies stays readable
        width = max(PANEL_WIDTH * len(datasets), 2 * LEGEND_ENTRY_WIDTH + 0.4)
        fig = new_figure(width, PANEL_HEIGHT + 0.5 + _legend_height(len(strategies), width))
        axes = fig.subplots(1, len(datasets), squeeze=False)[0]
        missing: list[str] = []
        for ax, name in zip(axes, datasets, strict=True):
            missing += draw_curves(ax, curve[curve["dataset"] == name], strategies, arms=arms)
            ax.set_title(dataset_label(name))
        _figure_legend(fig, axes)
    warn_missing(missing, "some datasets")
    return finish(fig)


def figure_radius(
    metrics: pd.DataFrame, dataset: str | None = None, strategies: Sequence[str] | None = None
) -> Figure:
    """Core-set radius δ (left) and doubt-weighted radius δ̂ (right) of the labelled set against
    the number of labels, mean ± 1 std over seeds, per strategy (default: every arm present, in
    the canonical order of :func:`~alcore.analysis.arms.arm_table`). Strategies that record no
    δ̂ (all NaN) are left out of the right panel."""
    name, rows = one_dataset(metrics, dataset)
    if strategies is None:
        strategies = arm_order(rows)
    with figure_style():
        width = 2 * PANEL_WIDTH + 0.4
        fig = new_figure(width, PANEL_HEIGHT + 0.6 + _legend_height(len(strategies), width))
        axes = fig.subplots(1, 2, squeeze=False)[0]
        arms = arm_settings(rows)
        radius = learning_curve(rows, "radius")
        draw_curves(axes[0], radius, strategies, "Core-set radius δ", arms)
        axes[0].set_title("Core-set radius")
        weighted = learning_curve(rows, "weighted_radius")
        draw_curves(axes[1], weighted, strategies, "Doubt-weighted radius δ̂", arms)
        axes[1].set_title("Doubt-weighted radius")
        _figure_legend(fig, axes)
        fig.suptitle(dataset_label(name), fontweight="bold")
    return finish(fig)
