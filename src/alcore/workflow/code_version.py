"""A hash of the alcore code each stage runs, so that Snakemake reruns what a code edit changes.

Rules pass ``code_version(stage)`` as a param; Snakemake's params rerun trigger then reruns a
stage's jobs (and everything downstream) when that stage's code changes. The hash is taken over
the parsed syntax tree without docstrings, so comments, docstrings and formatting never trigger
reruns, while any change to what the code does does.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # src/alcore

# What each stage's results depend on, as paths under src/alcore (folders include all files).
STAGE_CODE = {
    "initial": ("stages/labelled.py", "seeding.py", "files"),
    "train": (
        "stages/train.py", "models", "data", "settings.py", "seeding.py", "files", "progress.py"
    ),
    "embed": (
        "stages/embed.py", "stages/train.py", "models", "data", "select", "settings.py",
        "seeding.py", "files", "progress.py",
    ),
    "select": (
        "stages/select.py", "stages/labelled.py", "stages/embed.py", "select", "seeding.py",
        "files", "progress.py",
    ),
    "evaluate": (
        "stages/evaluate.py", "stages/embed.py", "stages/train.py", "stages/labelled.py",
        "models", "data", "select", "settings.py", "seeding.py", "files", "progress.py",
    ),
    "figures": ("analysis", "figures"),
}


@cache
def code_version(stage: str) -> str:
    """16 hex digits identifying the behaviour of ``stage``'s code."""
    digest = hashlib.sha256()
    for path in _files(STAGE_CODE[stage]):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(_normalised(path).encode())
    return digest.hexdigest()[:16]


def _files(entries: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for entry in entries:
        path = _PACKAGE / entry
        found.update(path.rglob("*.py") if path.is_dir() else [path])
    return sorted(found)


def _normalised(path: Path) -> str:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body.pop(0)  # the docstring
    return ast.dump(tree, annotate_fields=False)
