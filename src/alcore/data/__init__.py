"""Datasets for alcore: every dataset becomes a `DatasetBundle` held in memory.

Pool item ``i`` is row ``i`` of ``bundle.pool_inputs``; that row index is the stable identity every
file of the pipeline stores. `load_dataset` is the entry point; `DATASETS` lists the loaders.
"""

from alcore.data.bundle import DatasetBundle
from alcore.data.errors import DatasetUnavailableError
from alcore.data.registry import DATASETS, DatasetLoader, available_datasets, load_dataset

__all__ = [
    "DATASETS",
    "DatasetBundle",
    "DatasetLoader",
    "DatasetUnavailableError",
    "available_datasets",
    "load_dataset",
]
