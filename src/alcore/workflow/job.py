"""Set-up shared by the workflow's script adapters: logging, settings and data of one job."""

from __future__ import annotations

import atexit
import logging
import os
import resource
import sys
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alcore.catalog.datasets import facts
from alcore.files.atomic import atomic_write
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


# The columns of a job's cost file (the rule's ``cost`` log, ``<rule>.tsv``): wall seconds since
# the process started, CPU seconds (user + system, the process's and its children's), peak RSS
# in MB. The job measures itself at exit rather than through Snakemake's ``benchmark:``, which
# samples the job's memory from Snakemake's own process (17 ms a sample of a torch process,
# every 0.5 s for a job's first 15 s: half of Snakemake's CPU on a long run) and misses the CPU
# a job spends after its last sample.
COST_COLUMNS = ("s", "cpu_time", "max_rss")
_LOADED = time.monotonic()


def process_cost() -> dict[str, float]:
    """This process's cost so far, keyed by :data:`COST_COLUMNS`."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    peak_kb = max(own.ru_maxrss, children.ru_maxrss)  # KiB on Linux
    return {"s": _seconds_since_start(), "cpu_time": cpu, "max_rss": peak_kb / 1024}


def _seconds_since_start() -> float:
    """Wall seconds since this process started (Linux's /proc; elsewhere since this module
    was imported, which misses the interpreter's start-up)."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start, in ticks
        return float(Path("/proc/uptime").read_text().split()[0]) - started
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _LOADED


def write_cost(path: str | Path) -> None:
    """Write :func:`process_cost` as a one-row tab-separated file at ``path``."""
    cost = process_cost()
    with atomic_write(path) as temporary:
        temporary.write_text(
            "\t".join(COST_COLUMNS)
            + "\n"
            + "\t".join(f"{cost[c]:.3f}" for c in COST_COLUMNS)
            + "\n"
        )


def read_cost(path: str | Path) -> dict[str, float]:
    """The cost :func:`write_cost` wrote at ``path``, keyed by :data:`COST_COLUMNS`."""
    header, values = Path(path).read_text().splitlines()[:2]
    record = dict(zip(header.split("\t"), values.split("\t"), strict=True))
    return {column: float(record[column]) for column in COST_COLUMNS}


class Job:
    """One Snakemake job of a model stage: ``Job(snakemake)`` at the top of a script.

    Sends every log record to the job's log file (and stderr), writes the job's cost to its
    ``cost`` log at exit (:func:`write_cost`), exposes the wildcards as typed values and the
    dataset/strategy settings the config gives them, and makes pandas unimportable in the
    job's process (:func:`without_pandas`).
    """

    def __init__(self, snakemake: Any):
        without_pandas()
        self.snakemake = snakemake
        configure_logging(snakemake.log)
        cost_file = snakemake.log.get("cost")
        if cost_file:
            atexit.register(write_cost, cost_file)
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
