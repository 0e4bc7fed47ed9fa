"""Datasets for alcore: every dataset becomes a `DatasetBundle` held in memory.

Pool item ``i`` is row ``i`` of ``bundle.pool_inputs``; that row index is the stable identity every
file of the pipeline stores. `load_dataset` is the entry point; :mod:`alcore.catalog.datasets`
lists the datasets.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from alcore.data.errors import DatasetUnavailableError

# imported on first use: torch-free jobs read image folders' listings through this package
_EXPORTS = {
    "DatasetBundle": "alcore.data.bundle",
    "load_dataset": "alcore.data.registry",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'alcore.data' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


__all__ = ["DatasetBundle", "DatasetUnavailableError", "load_dataset"]
