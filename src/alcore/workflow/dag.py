"""Which files the workflow makes and what each is made from: the DAG's logic, out of the rules.

The rules' input functions are one-line calls into :class:`Dag`; paths come from
:mod:`alcore.workflow.paths`. Two strategies of an experiment with the same settings (say
``greedy`` and ``greedy_beam1``, the same algorithm by docs/method.md section 5) share their
jobs: the first one listed computes, and the aggregated tables report its rows under both names.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from alcore.workflow import paths
from alcore.workflow.config import WorkflowConfig
from alcore.workflow.draw import FIGURES

# a figure input and its file: an experiment's table, or a file of its first model (that of
# the first dataset and seed, round 0)
EXPERIMENT_TABLES = {"metrics": "metrics.parquet", "acquisitions": "acquisitions.parquet"}
FIRST_MODEL_FILES = {"model": "model.pt", "embedding": "embedding.parquet"}


class Run(NamedTuple):
    """One learning curve of an experiment: a dataset, a strategy and a seed."""

    dataset: str
    strategy: str
    seed: int


class Dag:
    """The file lists of a parsed config (``Dag(parse_config(config))``)."""

    def __init__(self, config: WorkflowConfig):
        self.config = config
        self.results = config.results

    # -- arms --------------------------------------------------------------------------------
    def job_arm(self, experiment: str, strategy: str) -> str:
        """The strategy whose jobs compute ``strategy``: the first of the experiment's list
        with the same settings (``strategy`` itself unless an earlier one is identical)."""
        settings = self._settings(strategy)
        return next(
            s
            for s in self.config.experiments[experiment].strategies
            if self._settings(s) == settings
        )

    def _settings(self, strategy: str) -> object:
        return dataclasses.replace(self.config.strategies[strategy], name="")

    def needs_embedding(self, experiment: str, arm: str) -> bool:
        """Whether the models of ``arm`` are embedded (round 0: when any strategy needs it)."""
        if arm == paths.INITIAL:
            names = self.config.experiments[experiment].strategies
            return any(self.config.strategies[s].needs_embedding for s in names)
        return self.config.strategies[arm].needs_embedding

    # -- one job's inputs ---------------------------------------------------------------------
    def check_round(self, experiment: str, dataset: str, round_: int, *, picks: bool) -> None:
        """Refuse a target beyond the config's rounds (models 0..R, picks 0..R-1), which
        Snakemake's patterns would otherwise build."""
        rounds = self.config.dataset(experiment, dataset).rounds
        last = rounds - 1 if picks else rounds
        if round_ > last:
            what = "picks" if picks else "models"
            raise ValueError(
                f"{experiment}/{dataset} has {what} of rounds 0..{last} but a target asks for "
                f"round {round_}: ask for a round of the config, or raise its rounds"
            )

    def labelled(self, experiment: str, dataset: str, arm: str, seed: int, round_: int) -> str:
        """The labelled set the model of (arm, round) trains on, or that select starts from."""
        return paths.labelled_file(self.results, experiment, dataset, arm, seed, round_)

    def previous_model(
        self, experiment: str, dataset: str, arm: str, seed: int, round_: int
    ) -> str | list[str]:
        """Round r-1's checkpoint when round r warm-starts from it, else nothing ([]: a named
        input that is one file stays a plain path in the job)."""
        if round_ == 0 or not self.config.dataset(experiment, dataset).train.warm_start:
            return []
        return self.round_file(experiment, dataset, arm, seed, round_ - 1, "model.pt")

    def round_file(
        self, experiment: str, dataset: str, strategy: str, seed: int, round_: int, name: str
    ) -> str:
        """A model-side file (model.pt, embedding.parquet, metrics.parquet) of a round."""
        return paths.stage_file(self.results, experiment, dataset, strategy, seed, round_, name)

    def select_embedding(
        self, experiment: str, dataset: str, strategy: str, seed: int, round_: int
    ) -> str | list[str]:
        """The embedding select reads, when its strategy needs one ([] otherwise)."""
        if not self.config.strategies[strategy].needs_embedding:
            return []
        return self.round_file(experiment, dataset, strategy, seed, round_, "embedding.parquet")

    def select_model(
        self, experiment: str, dataset: str, strategy: str, seed: int, round_: int
    ) -> str | list[str]:
        """The round's checkpoint, when select runs the model itself (bald's passes)."""
        if not self.config.strategies[strategy].needs_model:
            return []
        return self.round_file(experiment, dataset, strategy, seed, round_, "model.pt")

    def evaluate_inputs(
        self, experiment: str, dataset: str, arm: str, seed: int, round_: int
    ) -> dict[str, str]:
        """Evaluate reads the embedding where there is one; only other arms run the model."""
        name = "embedding" if self.needs_embedding(experiment, arm) else "model"
        file = "embedding.parquet" if name == "embedding" else "model.pt"
        folder = paths.round_dir(self.results, experiment, dataset, arm, seed, round_)
        return {name: f"{folder}/{file}"}

    # -- an experiment's tables ---------------------------------------------------------------
    def runs(self, experiment: str) -> list[Run]:
        """Every reported learning curve, in config order (shared arms included)."""
        e = self.config.experiments[experiment]
        return [Run(d, s, seed) for d in e.datasets for s in e.strategies for seed in e.seeds]

    def computed_runs(self, experiment: str) -> list[Run]:
        """The runs whose jobs exist: one per group of strategies with the same settings."""
        return [
            run
            for run in self.runs(experiment)
            if self.job_arm(experiment, run.strategy) == run.strategy
        ]

    def run_metrics(self, experiment: str, run: Run) -> list[str]:
        """The metrics file of each round 0..R of ``run`` (from the jobs that compute it)."""
        arm = self.job_arm(experiment, run.strategy)
        rounds = self.config.dataset(experiment, run.dataset).rounds
        return [
            self.round_file(experiment, run.dataset, arm, run.seed, r, "metrics.parquet")
            for r in range(rounds + 1)
        ]

    def run_acquisitions(self, experiment: str, run: Run) -> list[str]:
        """The picks of each round 0..R-1 of ``run``."""
        arm = self.job_arm(experiment, run.strategy)
        rounds = self.config.dataset(experiment, run.dataset).rounds
        return [
            f"{paths.round_dir(self.results, experiment, run.dataset, arm, run.seed, r)}/"
            "acquisitions.parquet"
            for r in range(rounds)
        ]

    def experiment_metrics(self, experiment: str) -> list[str]:
        """Every run's metrics files; a file appears once per strategy that reports it."""
        return [f for run in self.runs(experiment) for f in self.run_metrics(experiment, run)]

    def experiment_acquisitions(self, experiment: str) -> list[str]:
        return [f for run in self.runs(experiment) for f in self.run_acquisitions(experiment, run)]

    def metrics_owners(self, experiment: str) -> list[str]:
        """The strategy each of :meth:`experiment_metrics` reports (round 0's file is shared)."""
        return [
            run.strategy for run in self.runs(experiment) for _ in self.run_metrics(experiment, run)
        ]

    def acquisitions_owners(self, experiment: str) -> list[str]:
        """The strategy each of :meth:`experiment_acquisitions` reports."""
        return [
            run.strategy
            for run in self.runs(experiment)
            for _ in self.run_acquisitions(experiment, run)
        ]

    # -- targets -------------------------------------------------------------------------------
    def every_round_file(self) -> list[str]:
        """Every stage file of every computed run. The targets ask for them all: Snakemake would
        otherwise leave a deleted intermediate missing while the tables made from it exist."""
        files = []
        for e in self.config.experiments:
            for run in self.computed_runs(e):
                rounds = self.config.dataset(e, run.dataset).rounds
                for r in range(rounds + 1):
                    arm = paths.model_arm(run.strategy, r)
                    files.append(self.labelled(e, run.dataset, arm, run.seed, r))
                    names = ["metrics.parquet"]
                    if r == rounds or self.config.keep_checkpoints == "all":
                        names.append("model.pt")
                    if self.needs_embedding(e, arm):
                        names.append("embedding.parquet")
                    files += [self.round_file(e, *run, r, name) for name in names]
                files += self.run_acquisitions(e, run)
        return sorted(set(files))

    def all_metrics(self) -> list[str]:
        return [
            paths.experiment_file(self.results, e, "metrics.parquet")
            for e in self.config.experiments
        ]

    def all_summaries(self) -> list[str]:
        return [
            paths.experiment_file(self.results, e, "summary.md") for e in self.config.experiments
        ]

    def all_figure_files(self) -> list[str]:
        return [
            paths.figure_file(self.results, e.name, figure, "png")
            for e in self.config.experiments.values()
            for figure in e.figures
        ]

    def figure_inputs(self, experiment: str, figure: str) -> dict[str, str]:
        """What ``figure`` of ``experiment`` is drawn from (alcore.workflow.draw.FIGURES)."""
        e = self.config.experiments[experiment]
        first = paths.round_dir(
            self.results, experiment, next(iter(e.datasets)), paths.INITIAL, e.seeds[0], 0
        )
        inputs = {}
        for name in FIGURES[figure].inputs:
            if name in EXPERIMENT_TABLES:
                table = EXPERIMENT_TABLES[name]
                inputs[name] = paths.experiment_file(self.results, experiment, table)
            else:
                inputs[name] = f"{first}/{FIRST_MODEL_FILES[name]}"
        return inputs
