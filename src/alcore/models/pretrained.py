"""Find and load pretrained checkpoints offline-first, with one clear error when they are absent.

Search order: ``weights_dir`` (when given), then torch hub's checkpoint cache
(``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``). Nothing touches
the network unless the caller passes ``allow_download=True``, so a machine without internet fails
at once instead of hanging on a download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's published weights come from."""

    what: str  # names them in messages, e.g. "ResNet18_Weights.IMAGENET1K_V1"
    url: str  # the download address; its last part is the file name looked for on disk
    fetch_command: str  # a shell command that puts the file in torch hub's cache

    @property
    def file_name(self) -> str:
        """e.g. ``resnet18-f37072fd.pth``."""
        return self.url.rsplit("/", 1)[-1]


class WeightsUnavailableError(FileNotFoundError):
    """A pretrained checkpoint is not on disk and downloading was not allowed (or failed)."""


def hub_checkpoint_dir() -> Path:
    """torch hub's checkpoint cache, ``$TORCH_HOME/hub/checkpoints`` (read at call time)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def search_dirs(weights_dir: str | Path | None) -> list[Path]:
    """The directories searched for a checkpoint, in order."""
    dirs = [Path(weights_dir)] if weights_dir is not None else []
    return [*dirs, hub_checkpoint_dir()]


def find_checkpoint(file_name: str, weights_dir: str | Path | None) -> Path | None:
    """The first ``<dir>/<file_name>`` that exists among `search_dirs`, else None."""
    for folder in search_dirs(weights_dir):
        if (folder / file_name).is_file():
            return folder / file_name
    return None


def missing_message(
    what: str, url: str, weights_dir: str | Path | None, reason: str, fetch_command: str | None
) -> str:
    """The error text: which file, where it was looked for, where to put it and how to get it."""
    file_name = url.rsplit("/", 1)[-1]
    dirs = search_dirs(weights_dir)
    looked = ", ".join(f"{d.resolve()}/" for d in dirs)
    alternative = (
        f" (or run `{fetch_command}`, which saves it under $TORCH_HOME/hub/checkpoints/)"
        if fetch_command
        else ""
    )
    return (
        f"pretrained {what} weights are not available: {reason}. Looked for {file_name} in "
        f"{looked}. Put the file at {dirs[0].resolve() / file_name}: on a machine with internet "
        f"access download {url}{alternative} and copy it there; or pass allow_download=True on a "
        "machine with internet access; or set pretrained=False to train from scratch."
    )


def load_checkpoint(
    what: str,
    url: str,
    *,
    weights_dir: str | Path | None,
    allow_download: bool,
    fetch_command: str | None = None,
) -> dict[str, Tensor]:
    """Load the state dict published at ``url`` from the local cache (or download it if allowed).

    The file name is the last part of ``url``; torchvision's names end in a hash prefix, which
    the download checks. ``fetch_command`` is a shell command the error suggests for getting the
    file on a machine with internet access. Loading uses ``torch.load(..., weights_only=True)``:
    tensors only.

    Raises:
        WeightsUnavailableError: not on disk and ``allow_download`` is False, or the download
            failed.
    """
    file_name = url.rsplit("/", 1)[-1]
    path = find_checkpoint(file_name, weights_dir)
    if path is None:
        if not allow_download:
            raise WeightsUnavailableError(
                missing_message(what, url, weights_dir, "the file is not on disk", fetch_command)
            )
        target = search_dirs(weights_dir)[0]
        try:
            return torch.hub.load_state_dict_from_url(
                url, model_dir=str(target), map_location="cpu", check_hash=True, weights_only=True
            )
        except (OSError, RuntimeError) as err:  # no network, refused, timed out, bad hash
            raise WeightsUnavailableError(
                missing_message(
                    what, url, weights_dir, f"downloading failed ({err})", fetch_command
                )
            ) from err
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict; replace it")
    return state
