"""The one error type for a stage file that is missing, corrupt or from another run."""

from __future__ import annotations

from pathlib import Path


class StageFileError(ValueError):
    """A pipeline file cannot be used; the message names the file, the reason and the fix."""

    def __init__(self, path: str | Path, reason: str, fix: str):
        self.path = Path(path)
        super().__init__(f"{path}: {reason}. {fix}")


def rerun_fix(path: str | Path) -> str:
    """The usual remedy: delete the file and let the workflow write it again."""
    return f"Delete {path} and rerun the stage that writes it (snakemake reruns it by itself)"
