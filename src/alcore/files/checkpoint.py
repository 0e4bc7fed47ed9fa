"""Checkpoints: self-describing dicts of tensors and plain values, loaded as data only."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alcore.files.arrays import first_line
from alcore.files.atomic import atomic_write
from alcore.files.errors import StageFileError, rerun_fix

FORMAT = "alcore.checkpoint/1"


def save_checkpoint(content: Mapping[str, Any], path: str | Path) -> None:
    """Write ``content`` (tensors, numbers, strings, lists, dicts) atomically to ``path``."""
    import torch  # here: alcore.files is imported by torch-free jobs too

    with atomic_write(path) as temporary:
        torch.save({"format": FORMAT, **content}, temporary)


def load_checkpoint(
    path: str | Path, expect: Mapping[str, Any] | None = None, map_location: str = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` (never unpickles code).

    expect: entries that must match, e.g. ``{"config_hash": ...}``; a mismatch means the file
    was written by another configuration and raises :class:`StageFileError`.
    """
    import torch

    path = Path(path)
    if not path.exists():
        raise StageFileError(path, "checkpoint is missing", "Run the train stage that writes it")
    try:
        content = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, OSError, ValueError) as error:
        raise StageFileError(
            path, f"not a readable checkpoint ({first_line(error)})", rerun_fix(path)
        ) from error
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise StageFileError(path, f"not an {FORMAT} file", rerun_fix(path))
    for key, wanted in (expect or {}).items():
        if content.get(key) != wanted:
            raise StageFileError(
                path,
                f"written for {key}={content.get(key)!r}, but this run has {key}={wanted!r}",
                rerun_fix(path),
            )
    return content
