"""Where every file of a run lives. The one place that knows the results layout.

    <results>/<experiment>/<dataset>/initial/seed<s>/round0/       shared by all strategies:
        labelled.parquet  model.pt  embedding.parquet  metrics.parquet
    <results>/<experiment>/<dataset>/<strategy>/seed<s>/round<r>/
        acquisitions.parquet  next_labelled.parquet        (the picks of round r's model)
        model.pt  embedding.parquet  metrics.parquet       (r >= 1: trained on round r's labels)
    <results>/<experiment>/metrics.parquet  acquisitions.parquet  summary.csv  summary.md
    <results>/figures/<experiment>/<figure>.png  <figure>.pdf

The labelled set of round r >= 1 is round r-1's ``next_labelled.parquet``. Logs mirror this
tree under <logs>/.
"""

from __future__ import annotations

INITIAL = "initial"  # the arm of round 0, shared by every strategy of a seed


def round_dir(
    results: str, experiment: str, dataset: str, arm: str, seed: int | str, round_: int | str
) -> str:
    """A round's folder; the rules pass wildcards ("{seed}") to build their output patterns."""
    return f"{results}/{experiment}/{dataset}/{arm}/seed{seed}/round{round_}"


def model_arm(strategy: str, round_: int) -> str:
    """The folder that holds the model of ``round_`` for ``strategy``."""
    return INITIAL if round_ == 0 else strategy


def labelled_file(
    results: str, experiment: str, dataset: str, arm: str, seed: int, round_: int
) -> str:
    """The labelled set the model of (arm, round_) is trained on."""
    if round_ == 0:
        return f"{round_dir(results, experiment, dataset, INITIAL, seed, 0)}/labelled.parquet"
    previous = round_dir(results, experiment, dataset, arm, seed, round_ - 1)
    return f"{previous}/next_labelled.parquet"


def stage_file(
    results: str,
    experiment: str,
    dataset: str,
    strategy: str,
    seed: int,
    round_: int,
    name: str,
) -> str:
    """A model-side file (model.pt, embedding.parquet, metrics.parquet) of (strategy, round_)."""
    arm = model_arm(strategy, round_)
    return f"{round_dir(results, experiment, dataset, arm, seed, round_)}/{name}"


def experiment_file(results: str, experiment: str, name: str) -> str:
    """An experiment's gathered table or summary (metrics.parquet, summary.md, ...)."""
    return f"{results}/{experiment}/{name}"


def figure_file(results: str, experiment: str, figure: str, extension: str) -> str:
    return f"{results}/figures/{experiment}/{figure}.{extension}"
