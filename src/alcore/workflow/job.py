"""Set-up shared by the workflow's script adapters: logging, settings and data of one job."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from alcore.catalog.datasets import facts
from alcore.settings import DatasetSettings, StrategySettings
from alcore.workflow.config import WorkflowConfig, parse_config

if TYPE_CHECKING:
    from alcore.data import DatasetBundle


def configure_logging(log_files: Sequence[str]) -> None:
    """Send log records to the job's log file (the first of ``log_files``) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_files:
        handlers.append(logging.FileHandler(log_files[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


class _NoPandas:
    """A meta path finder under which ``import pandas`` fails (see :func:`without_pandas`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("a model-stage job does not use pandas (alcore.workflow.job)")


def without_pandas() -> None:
    """Make pandas unimportable in this process. pyarrow imports pandas (0.4 s) at the first
    array it builds or converts whenever pandas is installed, only to recognise pandas objects;
    the model stages read and write their files through pyarrow and NumPy alone, and 0.4 s is a
    tenth of such a job. pyarrow treats pandas as absent; the files are the same."""
    if not any(isinstance(finder, _NoPandas) for finder in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


class Job:
    """One Snakemake job of a model stage: ``Job(snakemake)`` at the top of a script.

    Sends every log record to the job's log file (and stderr), exposes the wildcards as typed
    values and the dataset/strategy settings the config gives them, and makes pandas
    unimportable in the job's process (:func:`without_pandas`).
    """

    def __init__(self, snakemake: Any):
        without_pandas()
        self.snakemake = snakemake
        configure_logging(snakemake.log)
        # the Snakefile checked this very config against the schema (jsonschema: 0.12 s a job)
        self.config: WorkflowConfig = parse_config(snakemake.config, check=False)
        wildcards = snakemake.wildcards
        self.experiment: str = wildcards.experiment
        self.dataset_key: str = wildcards.dataset
        self.seed = int(wildcards.seed)
        self.round = int(wildcards.get("round", 0))
        self.arm: str | None = wildcards.get("arm") or wildcards.get("strategy")

    @property
    def settings(self) -> DatasetSettings:
        return self.config.dataset(self.experiment, self.dataset_key)

    @property
    def strategy(self) -> StrategySettings:
        return self.config.strategies[self.snakemake.wildcards.strategy]

    @property
    def threads(self) -> int:
        """Torch threads: the config's, not Snakemake's (which shrinks with --cores), because
        the thread count is part of what makes a result bit-identical."""
        return self.config.threads

    @cached_property
    def device(self) -> str:
        import torch

        if self.config.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.config.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("config device: cuda, but torch sees no CUDA device; use auto/cpu")
        return self.config.device

    def pool_size(self) -> int:
        """The pool size, without loading the data (torch-free: the catalogue's facts, an
        image folder's listing, a features file's labels)."""
        settings = self.settings
        return facts(settings.name, settings.options, settings.data_dir).n_pool

    def bundle(self) -> DatasetBundle:
        from alcore.data import load_dataset

        settings = self.settings
        return load_dataset(
            settings.name,
            data_dir=settings.data_dir,
            download=settings.download,
            options=settings.options,
        )
