"""The workflow config as typed settings, with the checks a JSON schema cannot express.

:func:`parse_config` validates a config against ``workflow/schemas/config.schema.yaml`` (types,
required keys, unknown keys, allowed values), fills in the schema's defaults, then resolves
strategy references and the label schedule and refuses impossible budgets before any job starts.
The schema is the one place of every default and allowed value; nothing here repeats them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alcore.catalog.datasets import DATASETS, pool_size_from_config
from alcore.catalog.models import pretrained_problem
from alcore.catalog.strategies import options_apply, refused_options
from alcore.settings import DatasetSettings, StrategySettings, TrainSettings
from alcore.workflow.schema import ConfigError, check_schema, enum_of, load_schema, with_defaults

__all__ = [
    "ConfigError",
    "Experiment",
    "WorkflowConfig",
    "gpus_per_model_job",
    "parse_config",
    "uses_gpu",
]


@dataclass(frozen=True)
class Experiment:
    """One experiment: datasets x strategies x seeds, and the figures drawn from it."""

    name: str
    datasets: dict[str, DatasetSettings]  # keyed by the name used in paths
    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    figures: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowConfig:
    results: str
    logs: str
    data_dir: str
    device: str
    request_gpu: str
    threads: int
    keep_checkpoints: str  # "all" or "last"
    strategies: dict[str, StrategySettings]
    experiments: dict[str, Experiment]

    def dataset(self, experiment: str, dataset: str) -> DatasetSettings:
        return self.experiments[experiment].datasets[dataset]


def parse_config(config: Mapping[str, Any], *, check: bool = True) -> WorkflowConfig:
    """Typed settings of a config (the YAML as loaded); raises :class:`ConfigError` naming the
    key and the fix, for a schema violation first and then for what the schema cannot say.

    check=False skips the schema check, for a config already checked (a job's: the Snakefile
    checked it)."""
    if check:
        check_schema(config)
    schema = load_schema()
    given = {name: set(spec) for name, spec in config.get("strategies", {}).items()}  # as typed
    config = with_defaults(config, schema)
    datasets = enum_of(schema, "experiments", "*", "datasets", "*", "dataset")
    strategies = {
        name: StrategySettings(
            name=name,
            kind=spec["kind"],
            weighted=spec["weighted"],
            beam_width=spec["beam_width"],
            passes=spec["passes"],
        )
        for name, spec in config["strategies"].items()
    }
    for strategy in strategies.values():
        refused, takers = refused_options(strategy.kind, sorted(given[strategy.name] - {"kind"}))
        if refused:
            raise ConfigError(
                f"strategies.{strategy.name}: {options_apply(refused)} to kind: "
                f"{', '.join(takers)} only"
            )
    if "initial" in strategies:
        raise ConfigError("strategies.initial: 'initial' names the shared round 0; rename it")
    experiments = {}
    for name, spec in config["experiments"].items():
        settings = {
            key: _dataset(name, key, value, config, datasets)
            for key, value in spec["datasets"].items()
        }
        for key in spec["strategies"]:
            if key not in strategies:
                raise ConfigError(
                    f"experiments.{name}.strategies: unknown strategy {key!r}; define it under "
                    f"strategies: (known: {sorted(strategies)})"
                )
        seeds = tuple(spec["seeds"])
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"experiments.{name}.seeds lists a seed twice: {list(seeds)}")
        experiments[name] = Experiment(
            name, settings, tuple(spec["strategies"]), seeds, tuple(spec["figures"])
        )
    return WorkflowConfig(
        results=config["results"],
        logs=config["logs"],
        data_dir=config["data_dir"],
        device=config["device"],
        request_gpu=config["request_gpu"],
        threads=config["threads"],
        keep_checkpoints=config["keep_checkpoints"],
        strategies=strategies,
        experiments=experiments,
    )


def _dataset(
    experiment: str,
    key: str,
    spec: Mapping[str, Any],
    config: Mapping[str, Any],
    datasets: tuple[str, ...],
) -> DatasetSettings:
    """The settings of one dataset entry (defaults filled in); ``datasets``: registry names."""
    where = f"experiments.{experiment}.datasets.{key}"
    name = spec.get("dataset", key)  # the schema checks an explicit name; the key, here
    if name not in datasets:
        raise ConfigError(
            f"{where}: unknown dataset {name!r}; use one of {datasets} as the key or set "
            "dataset: to one of them"
        )
    model, initial, budget = spec["model"], spec["initial"], spec["budget"]
    if "rounds" in spec and "ceiling" in spec:
        raise ConfigError(f"{where}: give rounds or ceiling, not both")
    if "rounds" in spec:
        rounds = spec["rounds"]
    elif "ceiling" in spec:
        rounds = (spec["ceiling"] - initial) // budget
    else:
        raise ConfigError(f"{where}: give rounds or ceiling (the label count to stop at)")
    if rounds < 0:
        raise ConfigError(f"{where}: ceiling {spec.get('ceiling')} is below initial={initial}")
    options = dict(spec["options"])
    unknown = sorted(set(options) - set(DATASETS[name].options))
    if unknown:
        allowed = sorted(DATASETS[name].options) or "none"
        raise ConfigError(
            f"{where}.options: unknown option(s) {unknown} for dataset {name}; allowed: {allowed}"
        )
    pool = pool_size_from_config(name, options)
    needed = initial + rounds * budget
    if pool is not None and needed > pool:
        raise ConfigError(
            f"{where}: initial={initial} + rounds={rounds} x budget={budget} = {needed} labels "
            f"exceed the {pool} items of the {name} pool; lower rounds, budget or initial"
        )
    train = TrainSettings(
        model=model,
        epochs_first=spec["epochs"]["first"],
        epochs_thereafter=spec["epochs"]["thereafter"],
        lr=float(spec["lr"]),  # YAML may give an integer
        batch_size=spec["batch_size"],
        pretrained=spec["pretrained"],
        warm_start=spec["warm_start"],
        augment=spec["augment"],
        precision=spec["precision"],
    )
    if train.pretrained:
        problem = pretrained_problem(model)  # imports torchvision for its names only
        if problem is not None:
            raise ConfigError(f"{where}.pretrained: {problem}")
    if train.augment and not DATASETS[name].images:
        raise ConfigError(f"{where}.augment: crops and flips apply to images, not to {name}")
    return DatasetSettings(
        name=name,
        train=train,
        initial_size=initial,
        budget=budget,
        rounds=rounds,
        options=options,
        data_dir=config["data_dir"],
        download=config["download"],
        feature_dtype=spec["feature_dtype"],
    )


def gpus_per_model_job(config: WorkflowConfig) -> int:
    """The ``gpu`` resource of the model rules: 1 when they ask the scheduler for a GPU."""
    if config.request_gpu != "auto":
        return int(config.request_gpu == "always")
    return int(uses_gpu(config.device))


def uses_gpu(device: str) -> bool:
    """Whether jobs with ``device`` (auto, cpu, cuda) will run on a GPU, judged without
    importing torch: for ``auto``, whether this machine has an NVIDIA driver. On a cluster
    whose submit host has no GPU, ``request_gpu: always`` makes the jobs ask for one."""
    if device != "auto":
        return device == "cuda"
    from pathlib import Path

    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()
