"""Before any job starts: the files a config's jobs will read must be on disk (or downloadable).

Cheap checks only (no torch import unless pretrained weights are asked for offline): a missing
dataset folder or weights file stops the run with one message instead of failing job by job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alcore.dataset_catalog import LOCATIONS, files_present, unavailable_message
from alcore.workflow.config import ConfigError, WorkflowConfig


def check_inputs(config: WorkflowConfig) -> None:
    """Raise :class:`ConfigError` naming the first dataset or weights file that is missing."""
    for experiment in config.experiments.values():
        for key, settings in experiment.datasets.items():
            where = f"experiments.{experiment.name}.datasets.{key}"
            data_dir = Path(settings.data_dir)
            offline = not settings.download
            if (
                settings.name in LOCATIONS
                and offline
                and not files_present(settings.name, data_dir)
            ):
                reason = f"{data_dir.resolve() / LOCATIONS[settings.name].folder} is missing"
                raise ConfigError(
                    f"{where}: {unavailable_message(settings.name, data_dir, reason)}"
                )
            if settings.name == "imagefolder":
                _check_imagefolder(where, data_dir, settings.options)
            if settings.train.pretrained and offline:
                _check_weights(where, data_dir)


def _check_imagefolder(where: str, data_dir: Path, options: Mapping[str, object]) -> None:
    if "root" not in options:
        raise ConfigError(
            f"{where}.options.root: imagefolder needs root, the folder under data_dir"
        )
    train = data_dir / str(options["root"]) / "train"
    if not train.is_dir():
        raise ConfigError(
            f"{where}.options.root: {train.resolve()} does not exist; lay the images out as "
            "<data_dir>/<root>/train/<class name>/<image>.png"
        )


def _check_weights(where: str, data_dir: Path) -> None:
    # torch only here: configs without offline pretrained weights keep Snakemake's start fast
    from alcore.models.pretrained import find_checkpoint, missing_message
    from alcore.models.vgg import VGG16_FETCH, VGG16_FILE, vgg16_url

    weights_dir = data_dir / "weights"
    if find_checkpoint(VGG16_FILE, weights_dir) is None:
        reason = "the file is not on disk and download is false"
        message = missing_message("VGG16", vgg16_url(), weights_dir, reason, VGG16_FETCH)
        raise ConfigError(
            f"{where}.pretrained: {message} (in the config, allow_download is `download: true`)"
        )
