"""Draw one named figure of an experiment from its aggregated files (the figures rule)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from alcore.workflow.config import Experiment, WorkflowConfig

if TYPE_CHECKING:
    from alcore.data import DatasetBundle

GRID = 101  # resolution of the doubt grid of Figure 3


def draw(
    name: str,
    experiment: Experiment,
    config: WorkflowConfig,
    inputs: Mapping[str, str],
    stem: str | Path,
) -> None:
    """Draw figure ``name`` and save ``stem``.png and ``stem``.pdf."""
    from alcore.analysis import read_parquet
    from alcore.figures import (
        figure1,
        figure5,
        figure6,
        figure7,
        figure_radius,
        save_figure,
    )

    metrics = read_parquet(inputs["metrics"]) if "metrics" in inputs else None
    picks = read_parquet(inputs["acquisitions"]) if "acquisitions" in inputs else None
    if name == "figure5":
        fig = figure5(_need(metrics))
    elif name == "figure6":
        fig = figure6(_need(metrics), strategies=experiment.strategies)
    elif name == "radius":
        fig = figure_radius(_need(metrics))
    elif name == "figure7":
        fig = figure7()
    elif name == "figure1":
        bundle = _first_dataset(experiment, config)
        fig = figure1(
            bundle.pool_inputs.numpy(), bundle.pool_labels.numpy(), _need(picks), _need(metrics),
            strategies=experiment.strategies, seed=experiment.seeds[0],
        )  # fmt: skip
    elif name == "figure3":
        fig = _figure3(experiment, config, _need(picks), inputs["model"])
    elif name == "figure4":
        fig = _figure4(experiment, config, _need(picks), inputs["embedding"])
    else:
        raise ValueError(f"unknown figure {name!r}")
    save_figure(fig, Path(stem))


def _figure3(
    experiment: Experiment, config: WorkflowConfig, picks: pd.DataFrame, model: str
) -> Figure:
    import torch

    from alcore.analysis import grid_points
    from alcore.figures import figure3
    from alcore.select.baselines import doubt_from_probs
    from alcore.stages.train import model_from_checkpoint

    bundle = _first_dataset(experiment, config)
    seed = experiment.seeds[0]
    chosen = picks[(picks.beam_rank == 1) & (picks.seed == seed)]
    steps = {
        strategy: [
            group.sort_values("pick_order")["index"].to_numpy()
            for _, group in chosen[chosen.strategy == strategy].groupby("round")
        ]
        for strategy in experiment.strategies
        if config.strategies[strategy].kind == "coreset"
        and config.strategies[strategy].beam_width == 1
    }
    net, _ = model_from_checkpoint(model)
    grid = grid_points(GRID)  # (G, G, 2)
    with torch.no_grad():  # the model's doubt over the plane: (G * G, 2) -> (G * G, C)
        probs = net(torch.from_numpy(grid.reshape(-1, 2)).float()).softmax(dim=1)
    doubt = doubt_from_probs(probs).numpy().reshape(GRID, GRID)
    return figure3(bundle.pool_inputs.numpy(), steps, doubt, pool_labels=bundle.pool_labels.numpy())


def _figure4(
    experiment: Experiment, config: WorkflowConfig, picks: pd.DataFrame, embedding: str
) -> Figure:
    from alcore.figures import figure4
    from alcore.stages.embed import Embedding

    read = Embedding(embedding)
    seed = experiment.seeds[0]
    first = picks[(picks["round"] == 0) & (picks.seed == seed)]
    widest = first.groupby("strategy").beam_rank.max().idxmax()  # the beam-search strategy
    beams = first[first.strategy == widest]
    ranked = [g.sort_values("pick_order") for _, g in beams.groupby("beam_rank")]
    pool_doubt = (1.0 - read.pool_probs.max(dim=1).values).numpy()
    return figure4(
        _first_dataset(experiment, config).pool_inputs.numpy(),
        [g["index"].to_numpy() for g in ranked],
        [float(g.u.iloc[0]) for g in ranked],
        pool_doubt,
        labelled=read.pool_labelled.numpy(),
    )


def _first_dataset(experiment: Experiment, config: WorkflowConfig) -> DatasetBundle:
    """The experiment's (first) dataset: the toy figures draw its 2-D inputs."""
    from alcore.data import load_dataset

    settings = next(iter(experiment.datasets.values()))
    return load_dataset(settings.name, data_dir=config.data_dir, options=settings.options)


def _need(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None:
        raise ValueError("this figure needs the experiment's aggregated tables as inputs")
    return frame
