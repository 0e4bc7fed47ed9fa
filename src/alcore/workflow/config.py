"""The workflow config as typed settings, with the checks a JSON schema cannot express.

The Snakefile validates ``config.yaml`` against ``workflow/schemas/config.schema.yaml`` first
(types, required keys, unknown keys); :func:`parse_config` then resolves defaults, strategy
references and the label schedule, and refuses impossible budgets before any job starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alcore.dataset_catalog import OPTION_DEFAULTS
from alcore.settings import DatasetSettings, StrategySettings, TrainSettings

# Pool sizes of the datasets whose size is known without loading them (None: found at run time).
_FIXED_POOL_SIZES = {"cifar10": 50_000, "cifar100": 50_000, "svhn": 73_257}
_STRATEGY_KINDS = ("random", "coreset", "least_confidence", "entropy", "margin")
_DATASETS = tuple(OPTION_DEFAULTS)
_MODELS = ("vgg16", "small_cnn", "mlp")
FIGURES = ("figure1", "figure3", "figure4", "figure5", "figure6", "figure7", "radius")


class ConfigError(ValueError):
    """The config asks for something impossible; the message says where and how to fix it."""


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


def parse_config(config: Mapping[str, Any]) -> WorkflowConfig:
    """Typed settings from a schema-validated config; raises :class:`ConfigError`."""
    strategies = {
        name: StrategySettings(
            name=name,
            kind=spec["kind"],
            weighted=bool(spec.get("weighted", False)),
            beam_width=int(spec.get("beam_width", 1)),
        )
        for name, spec in config.get("strategies", {}).items()
    }
    for strategy in strategies.values():
        _check_strategy(strategy)
    if "initial" in strategies:
        raise ConfigError("strategies.initial: 'initial' names the shared round 0; rename it")
    data_dir = str(config.get("data_dir", "data"))
    download = bool(config.get("download", False))
    experiments = {}
    for name, spec in config.get("experiments", {}).items():
        datasets = {
            key: _dataset(name, key, value, data_dir, download)
            for key, value in spec["datasets"].items()
        }
        for key in spec["strategies"]:
            if key not in strategies:
                raise ConfigError(
                    f"experiments.{name}.strategies: unknown strategy {key!r}; define it under "
                    f"strategies: (known: {sorted(strategies)})"
                )
        figures = tuple(spec.get("figures", []))
        seeds = tuple(int(s) for s in spec["seeds"])
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"experiments.{name}.seeds lists a seed twice: {list(seeds)}")
        experiments[name] = Experiment(name, datasets, tuple(spec["strategies"]), seeds, figures)
    if not experiments:
        raise ConfigError("the config defines no experiments: add one under experiments:")
    return WorkflowConfig(
        results=str(config.get("results", "results")),
        logs=str(config.get("logs", "logs")),
        data_dir=data_dir,
        device=str(config.get("device", "auto")),
        request_gpu=str(config.get("request_gpu", "auto")),
        threads=int(config.get("threads", 1)),
        keep_checkpoints=str(config.get("keep_checkpoints", "all")),
        strategies=strategies,
        experiments=experiments,
    )


def _check_strategy(strategy: StrategySettings) -> None:
    where = f"strategies.{strategy.name}"
    if strategy.kind not in _STRATEGY_KINDS:
        raise ConfigError(
            f"{where}.kind: unknown kind {strategy.kind!r}; use one of {_STRATEGY_KINDS}"
        )
    if strategy.beam_width < 1:
        raise ConfigError(f"{where}.beam_width={strategy.beam_width} must be >= 1")
    if strategy.kind != "coreset" and (strategy.weighted or strategy.beam_width != 1):
        raise ConfigError(f"{where}: weighted and beam_width apply to kind: coreset only")


def _dataset(
    experiment: str, key: str, spec: Mapping[str, Any], data_dir: str, download: bool
) -> DatasetSettings:
    where = f"experiments.{experiment}.datasets.{key}"
    name = str(spec.get("dataset") or key)
    if name not in _DATASETS:
        raise ConfigError(f"{where}: unknown dataset {name!r}; use one of {_DATASETS}")
    model = str(spec["model"])
    if model not in _MODELS:
        raise ConfigError(f"{where}.model: unknown model {model!r}; use one of {_MODELS}")
    initial, budget = int(spec["initial"]), int(spec["budget"])
    if "rounds" in spec:
        rounds = int(spec["rounds"])
    elif "ceiling" in spec:
        rounds = (int(spec["ceiling"]) - initial) // budget
    else:
        raise ConfigError(f"{where}: give rounds or ceiling (the label count to stop at)")
    if rounds < 0:
        raise ConfigError(f"{where}: ceiling {spec.get('ceiling')} is below initial={initial}")
    options = dict(spec.get("options", {}))
    unknown = sorted(set(options) - set(OPTION_DEFAULTS[name]))
    if unknown:
        allowed = sorted(OPTION_DEFAULTS[name]) or "none"
        raise ConfigError(
            f"{where}.options: unknown option(s) {unknown} for dataset {name}; allowed: {allowed}"
        )
    pool = pool_size(name, options)
    needed = initial + rounds * budget
    if pool is not None and needed > pool:
        raise ConfigError(
            f"{where}: initial={initial} + rounds={rounds} x budget={budget} = {needed} labels "
            f"exceed the {pool} items of the {name} pool; lower rounds, budget or initial"
        )
    epochs = spec["epochs"]
    train = TrainSettings(
        model=model,
        epochs_first=int(epochs["first"]),
        epochs_thereafter=int(epochs["thereafter"]),
        lr=float(spec["lr"]),
        batch_size=int(spec.get("batch_size", 64)),
        pretrained=bool(spec.get("pretrained", False)),
        warm_start=bool(spec.get("warm_start", True)),
        augment=bool(spec.get("augment", False)),
        precision=str(spec.get("precision", "fp32")),
    )
    if train.pretrained and model != "vgg16":
        raise ConfigError(f"{where}.pretrained: only vgg16 has pretrained weights, not {model}")
    if train.augment and name in ("blobs", "quadrants"):
        raise ConfigError(f"{where}.augment: crops and flips apply to images, not to {name}")
    return DatasetSettings(
        name=name,
        train=train,
        initial_size=initial,
        budget=budget,
        rounds=rounds,
        options=options,
        data_dir=data_dir,
        download=download,
        feature_dtype=str(spec.get("feature_dtype", "float32")),
    )


def pool_size(name: str, options: Mapping[str, Any]) -> int | None:
    """The pool size of a dataset without loading it (None where only loading tells)."""
    if name in _FIXED_POOL_SIZES:
        return _FIXED_POOL_SIZES[name]
    resolved = {**OPTION_DEFAULTS[name], **options}
    if name in ("blobs", "quadrants"):
        return int(resolved["n_pool"])
    if name == "digits":
        import numpy as np

        from alcore.bundled import read_digits

        fraction = float(resolved["test_fraction"])
        counts = np.bincount(read_digits()[1])
        return int(sum(n - int(np.floor(fraction * n + 0.5)) for n in counts))
    return None


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
