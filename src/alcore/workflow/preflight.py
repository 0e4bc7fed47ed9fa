"""Before any job starts: the files a config's jobs will read must be on disk (or downloadable).

Cheap checks (no torch import unless pretrained weights are asked for offline): a missing
dataset folder or weights file stops the run with one message instead of failing job by job.
A `features` dataset's own files are read too: the lengths, dtypes and values of its labels and
split, and every feature, by one streamed pass per file (about 2 s for a 2 GB file, see
docs/features-dataset.md), so that a NaN or a short split file stops the run before its first
job, not mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alcore.catalog.datasets import check_files, facts
from alcore.catalog.models import known_models_hint, model_kind
from alcore.settings import DatasetSettings
from alcore.workflow.config import ConfigError, WorkflowConfig

if TYPE_CHECKING:  # torch is imported only by the checks that need it
    from torch import nn


def check_inputs(config: WorkflowConfig, *, scan: bool = True) -> None:
    """Raise :class:`ConfigError` naming the first dataset or weights file that is missing, or
    the first dataset file whose data the jobs would refuse (each catalogue entry's check:
    :func:`alcore.catalog.datasets.check_files`).

    scan: also run the checks that read every item (the features' finite pass); the Snakefile
    turns it off in its job processes, which parse the Snakefile again after the main process
    has checked the data before any job.
    """
    for experiment in config.experiments.values():
        for key, settings in experiment.datasets.items():
            where = f"experiments.{experiment.name}.datasets.{key}"
            data_dir = Path(settings.data_dir)
            try:
                check_files(settings.name, settings.options, data_dir,
                            download=settings.download, scan=scan)  # fmt: skip
            except (ValueError, OSError) as error:
                raise ConfigError(f"{where}.options: {error}") from None
            if settings.train.pretrained and not settings.download:
                _check_weights(where, data_dir, settings.train.model)
            needs_model = [s for s in experiment.strategies if config.strategies[s].needs_model]
            _check_model(where, settings, needs_model)


def _check_model(where: str, settings: DatasetSettings, dropout_for: list[str]) -> None:
    """The model name is known; a torchvision or user model takes the dataset's inputs and
    keeps the feature contract; a model that bald's passes run has dropout.

    Builtins without bald stay torch-free (their shape rules are checked when they are built);
    the others import torch here, which such a config needs anyway.
    """
    name = settings.train.model
    kind = model_kind(name)
    if kind is None:
        raise ConfigError(f"{where}.model: unknown model {name!r}; {known_models_hint()}")
    if kind == "builtin" and not dropout_for:
        return
    shape = facts(settings.name, settings.options, settings.data_dir).input_shape
    from alcore.models import check_model
    from alcore.stages.mc_dropout import check_dropout

    try:
        check_model(name, shape, 2, pretrained=settings.train.pretrained)
        if dropout_for:
            check_dropout(_model_on_meta(name, shape), name)
    except ValueError as error:
        used_by = f" (strategies {dropout_for} run it with dropout)" if dropout_for else ""
        raise ConfigError(f"{where}.model{used_by}: {error}") from None


def _model_on_meta(name: str, shape: tuple[int, ...]) -> nn.Module:
    """The model without allocating its weights where the meta device allows it."""
    import torch

    from alcore.models import build_model

    try:
        with torch.device("meta"):
            return build_model(name, num_classes=2, input_shape=shape, seed=0)
    except (RuntimeError, NotImplementedError):  # builders that compute on tensors (regnet)
        return build_model(name, num_classes=2, input_shape=shape, seed=0)


def _check_weights(where: str, data_dir: Path, model: str) -> None:
    # torch only here: configs without offline pretrained weights keep Snakemake's start fast
    from alcore.models.pretrained import find_checkpoint, missing_message
    from alcore.models.registry import weights_source

    source = weights_source(model)
    if source is None:  # no published weights: parse_config has refused pretrained already
        return
    weights_dir = data_dir / "weights"
    if find_checkpoint(source.file_name, weights_dir) is None:
        reason = "the file is not on disk and download is false"
        message = missing_message(
            source.what, source.url, weights_dir, reason, source.fetch_command
        )
        raise ConfigError(
            f"{where}.pretrained: {message} (in the config, allow_download is `download: true`)"
        )
