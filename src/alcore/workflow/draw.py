"""Draw one named figure of an experiment from its aggregated files (the figures rule).

:data:`FIGURES` is the registry of figure names: what each is drawn from and how. The config
schema's list of figures is held against it by a test; the toy figures find their arms in the
tables by their settings (kind, weighted, beam_width), not by their names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alcore.workflow.config import Experiment, WorkflowConfig

if TYPE_CHECKING:  # matplotlib, pandas and torch load in the jobs that draw, not with the DAG
    import pandas as pd
    from matplotlib.figure import Figure

    from alcore.data import DatasetBundle

GRID = 101  # resolution of the doubt grid of Figure 3
Inputs = Mapping[str, str]  # the figures rule's named inputs: metrics, acquisitions, model, ...


@dataclass(frozen=True)
class FigureRecipe:
    """How one named figure is drawn."""

    inputs: tuple[str, ...]  # the named inputs it reads (metrics, acquisitions, model, embedding)
    draw: Callable[[Experiment, WorkflowConfig, Inputs], Figure]


def draw(
    name: str,
    experiment: Experiment,
    config: WorkflowConfig,
    inputs: Inputs,
    stem: str | Path,
) -> None:
    """Draw figure ``name`` (a key of :data:`FIGURES`) and save ``stem``.png and ``stem``.pdf.

    inputs: the rule's named input files; every one of ``FIGURES[name].inputs`` must be there.
    """
    from alcore.figures import save_figure

    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; the figures are {sorted(FIGURES)}")
    recipe = FIGURES[name]
    missing = [key for key in recipe.inputs if key not in inputs]
    if missing:
        raise ValueError(
            f"figure {name} is drawn from {list(recipe.inputs)} but the inputs lack {missing} "
            f"(given: {sorted(inputs)}); give the figures rule those inputs"
        )
    save_figure(recipe.draw(experiment, config, inputs), Path(stem))


def _metrics(inputs: Inputs) -> pd.DataFrame:
    from alcore.analysis.gather import read_metrics

    return read_metrics(inputs["metrics"])


def _acquisitions(inputs: Inputs) -> pd.DataFrame:
    from alcore.analysis.gather import read_acquisitions

    return read_acquisitions(inputs["acquisitions"])


def _figure1(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.figures import figure1

    bundle = _first_dataset(experiment, config)
    return figure1(
        bundle.pool_inputs.numpy(), bundle.pool_labels.numpy(), _acquisitions(inputs),
        _metrics(inputs), strategies=experiment.strategies, seed=experiment.seeds[0],
    )  # fmt: skip


def _figure5(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.figures import figure5

    return figure5(_metrics(inputs))


def _figure6(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.figures import figure6

    return figure6(_metrics(inputs), strategies=experiment.strategies)


def _figure7(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.figures import figure7

    return figure7()


def _radius(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.figures import figure_radius

    return figure_radius(_metrics(inputs))


def _figure3(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    import torch

    from alcore.analysis import Role, arm_table, find_arms, grid_points
    from alcore.figures import figure3
    from alcore.select.baselines import doubt_from_probs
    from alcore.stages.train import model_from_checkpoint

    picks = _acquisitions(inputs)
    bundle = _first_dataset(experiment, config)
    seed = experiment.seeds[0]
    chosen = picks[(picks.beam_rank == 1) & (picks.seed == seed)]
    # every greedy (beam width 1) core-set arm, plain or doubt-weighted, one per setting
    arms, _ = find_arms(arm_table(chosen), [Role("coreset", beam="greedy")])
    steps = {
        strategy: [
            group.sort_values("pick_order")["index"].to_numpy()
            for _, group in chosen[chosen.strategy == strategy].groupby("round")
        ]
        for strategy in arms
    }
    if not steps:
        raise ValueError(
            f"figure3 draws greedy core-set arms (kind: coreset, beam_width: 1); experiment "
            f"{experiment.name!r} has none: add one to its strategies or drop figure3"
        )
    net, _ = model_from_checkpoint(inputs["model"])
    grid = grid_points(GRID)  # (G, G, 2)
    with torch.no_grad():  # the model's doubt over the plane: (G * G, 2) -> (G * G, C)
        probs = net(torch.from_numpy(grid.reshape(-1, 2)).float()).softmax(dim=1)
    doubt = doubt_from_probs(probs).numpy().reshape(GRID, GRID)
    return figure3(bundle.pool_inputs.numpy(), steps, doubt, pool_labels=bundle.pool_labels.numpy())


def _figure4(experiment: Experiment, config: WorkflowConfig, inputs: Inputs) -> Figure:
    from alcore.analysis import arm_table
    from alcore.figures import figure4
    from alcore.select import doubt_from_probs
    from alcore.stages.embed import Embedding

    picks = _acquisitions(inputs)
    read = Embedding(inputs["embedding"])
    seed = experiment.seeds[0]
    first = picks[(picks["round"] == 0) & (picks.seed == seed)]
    arms = arm_table(first).sort_values("beam_width", kind="stable")
    widest = arms["strategy"].iloc[-1]  # the arm with the widest beam search
    beams = first[first.strategy == widest]
    ranked = [g.sort_values("pick_order") for _, g in beams.groupby("beam_rank")]
    pool_doubt = doubt_from_probs(read.pool_probs).numpy()
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


FIGURES: dict[str, FigureRecipe] = {
    "figure1": FigureRecipe(("metrics", "acquisitions"), _figure1),
    "figure3": FigureRecipe(("acquisitions", "model"), _figure3),
    "figure4": FigureRecipe(("acquisitions", "embedding"), _figure4),
    "figure5": FigureRecipe(("metrics",), _figure5),
    "figure6": FigureRecipe(("metrics",), _figure6),
    "figure7": FigureRecipe((), _figure7),
    "radius": FigureRecipe(("metrics",), _radius),
}
