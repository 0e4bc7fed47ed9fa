"""`load_dataset`, the one entry point the pipeline calls: the catalogue entry's loader."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, cast

from alcore.catalog.datasets import entry, with_defaults
from alcore.catalog.refs import resolve
from alcore.data.bundle import DatasetBundle


class LoadFn(Protocol):
    """A loader, called with the dataset's catalogue name (one loader may serve several): options
    arrive complete (defaults filled in, unknown keys already refused)."""

    def __call__(
        self, name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
    ) -> DatasetBundle: ...


def load_dataset(
    name: str,
    *,
    data_dir: str | Path,
    download: bool = False,
    options: Mapping[str, object] | None = None,
) -> DatasetBundle:
    """Load a catalogued dataset (:data:`alcore.catalog.datasets.DATASETS`).

    Splits and toy data are fixed by the data themselves or by their own
    ``data_seed``/``split_seed`` options: every experiment seed sees the same pool and test set.

    Args:
        name: a key of the catalogue.
        data_dir: directory holding downloaded files (ignored by datasets that need none).
        download: let torchvision download missing files (the datasets torchvision fetches).
        options: dataset-specific settings; the catalogue entry lists them with their defaults.

    Returns:
        A `DatasetBundle`; the same arguments always give identical tensors, and pool row ``i``
        is pool item ``i``'s stable index.

    Raises:
        ValueError: unknown ``name`` or option key, or a bad option value.
        DatasetUnavailableError: the files are not on disk and cannot be fetched.
    """
    load = cast(LoadFn, resolve(entry(name).loader))
    resolved = with_defaults(name, options)
    return load(name, data_dir=Path(data_dir), download=download, options=resolved)
