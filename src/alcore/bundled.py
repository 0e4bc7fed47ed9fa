"""scikit-learn's bundled digits, read without importing scikit-learn (torch-free, fast).

Importing scikit-learn takes most of a second, which every workflow job and every Snakemake
start would pay; the data is one small CSV inside the installed package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 digits as (1797, 64) float64 pixel counts 0..16 and (1797,) int64 labels.

    Falls back to ``sklearn.datasets.load_digits`` if the CSV is not where scikit-learn keeps it.
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
        if bundled.is_file():
            table = np.loadtxt(bundled, delimiter=",", dtype=np.float64)  # (1797, 65)
            return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    raw = load_digits()
    return np.asarray(raw.data, dtype=np.float64), np.asarray(raw.target, dtype=np.int64)
