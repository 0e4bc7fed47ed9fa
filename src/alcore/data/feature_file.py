"""Read a `features` dataset's file: precomputed embeddings (N, D), integer labels, a split.

Torch-free (NumPy and pyarrow only), so that the workflow reads a file's pool size and input
shape from its header without importing torch. :mod:`alcore.data.features` turns what this
module reads into a `DatasetBundle`.

Two formats, chosen by the file's suffix (options: the ``features`` entry of
``alcore.catalog.datasets.DATASETS``):

* ``.npy``: a C-ordered (N, D) float array, memory-mapped copy-on-write and never unpickled
  (:func:`alcore.files.arrays.load_npy`), with the labels in a second ``.npy`` of (N,) integers
  (option ``labels``) and an optional third ``.npy`` of (N,) strings "pool"/"test" (option
  ``split``). A float32 pool that is one block of rows in the file is a view of the map:
  loading it reads no feature data beyond one pass that checks every value is finite.
* ``.parquet``: columns ``features`` (a fixed-size list or list of floats, D values a row),
  ``label`` (integers) and optionally ``split`` ("pool"/"test"); the names are options. Parquet
  is decoded, so its pool is always a copy in memory, filled batch by batch (one copy, not two).

The files are read by the package's array reader (:mod:`alcore.files.arrays`); each of its
errors is a ``ValueError`` naming the file, the problem and the fix.

Before any job, the workflow's preflight calls :func:`check_finite`: one streamed pass over the
features (a ``.npy`` mapped block by block, a parquet file decoded batch by batch) that memory
stays within a block of. It is not part of :func:`feature_facts`, which every job reads.

Rows: file row order is kept. Pool item ``i`` is the ``i``-th pool row of the file, and test
item ``j`` the ``j``-th test row. Without a split, a stratified split seeded by ``split_seed``
(independent of the experiment seed) holds out ``test_fraction`` of each class
(:func:`alcore.data.splits.stratified_split`); the pool is then scattered over the file and is
gathered into memory. float16 and float64 features, big-endian or Fortran-ordered arrays are
converted once to C-ordered native float32 (a copy of the rows, made block by block).

Classes: ``num_classes = max label + 1`` over the whole file (a class with no rows is allowed:
say, labels of a subset of a larger label set), or ``len(class_names)`` when that option is
given; names default to "0", ..., "C-1".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alcore.catalog.datasets import Facts, with_defaults
from alcore.data.errors import DatasetUnavailableError
from alcore.data.options import float_option, int_option, resolve_options, str_option
from alcore.data.splits import stratified_split
from alcore.files.arrays import (
    array_format,
    list_blocks,
    list_width,
    load_npy,
    npy_blocks,
    open_parquet,
    read_parquet,
)

log = logging.getLogger(__name__)

SPLIT_VALUES = ("pool", "test")
BLOCK_ROWS = 65_536  # rows per block of a conversion, a gather or the finite check
FINITE_BLOCK_BYTES = 64 << 20  # features one block of check_finite's streamed pass holds
_FLOAT32 = np.dtype("=f4")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class FeatureSource:
    """Where a features dataset's arrays are and how to read them (options checked)."""

    path: Path  # the features file, .npy or .parquet
    kind: str  # "npy" or "parquet"
    labels: Path | None  # .npy: the (N,) labels file
    split: Path | None  # .npy: the (N,) "pool"/"test" file, if any
    features_column: str  # parquet: the features column
    label_column: str  # parquet: the label column
    split_column: str  # parquet: the split column (used when the file has it)
    explicit_split_column: bool  # parquet: the split column was named in the options
    test_fraction: float  # share of each class held out when there is no split
    split_seed: int  # seeds that split
    class_names: tuple[str, ...] | None  # given names (their count is the class count)


@dataclass(frozen=True)
class Rows:
    """The file's labels and which of its rows form the pool and the test set."""

    labels: np.ndarray  # (N,) int64 labels of every file row
    pool: np.ndarray  # (P,) int64 file rows of the pool items, ascending
    test: np.ndarray  # (M,) int64 file rows of the test items, ascending
    num_classes: int  # C
    class_names: tuple[str, ...]  # C names


@dataclass(frozen=True)
class FeatureArrays:
    """A features dataset as NumPy arrays, ready for a `DatasetBundle`."""

    pool_features: np.ndarray  # (P, D) float32, C-ordered; a view of the memory map if it can be
    pool_labels: np.ndarray  # (P,) int64
    test_features: np.ndarray  # (M, D) float32, C-ordered
    test_labels: np.ndarray  # (M,) int64
    rows: Rows  # the file rows behind the pool and test items


def feature_source(data_dir: str | Path, options: Mapping[str, object] | None) -> FeatureSource:
    """Check the options (no file is opened) and say where the arrays are.

    Raises:
        ValueError: an unknown option, a bad value, or an option of the other format.
    """
    opts = resolve_options("features", options)
    defaults = with_defaults("features", {})
    if opts["path"] is None:
        raise ValueError(
            "dataset 'features' needs the option `path`: a .npy (N, D) float array or a .parquet "
            "file of features and labels, relative to data_dir or absolute"
        )
    path = _under(data_dir, str_option("features", opts, "path"))
    kind = array_format(path)
    if kind is None or kind not in ("npy", "parquet"):
        raise ValueError(
            f"dataset 'features': option path={str(opts['path'])!r} must end in .npy or .parquet "
            "(the format is read from the suffix)"
        )
    labels = split = None
    columns = ("features_column", "label_column", "split_column")
    if kind == "npy":
        if opts["labels"] is None:
            raise ValueError(
                f"dataset 'features': {path} is a .npy of features only; set the option `labels` "
                "to a .npy of its (N,) integer labels, e.g. np.save('labels.npy', y)"
            )
        labels = _under(data_dir, str_option("features", opts, "labels"))
        if opts["split"] is not None:
            split = _under(data_dir, str_option("features", opts, "split"))
        changed = [key for key in columns if opts[key] != defaults[key]]
        if changed:
            raise ValueError(
                f"dataset 'features': option(s) {changed} name parquet columns, but {path} is a "
                ".npy; remove them"
            )
    else:
        given = [key for key in ("labels", "split") if opts[key] is not None]
        if given:
            raise ValueError(
                f"dataset 'features': option(s) {given} name .npy files, but {path} is a parquet "
                "file whose columns hold them; name the columns with label_column and "
                "split_column instead"
            )
    return FeatureSource(
        path=path,
        kind=kind,
        labels=labels,
        split=split,
        features_column=str_option("features", opts, "features_column"),
        label_column=str_option("features", opts, "label_column"),
        split_column=str_option("features", opts, "split_column"),
        explicit_split_column=opts["split_column"] != defaults["split_column"],
        test_fraction=float_option("features", opts, "test_fraction", low=0.0, high=1.0),
        split_seed=int_option("features", opts, "split_seed", minimum=0),
        class_names=_class_names(opts["class_names"]),
    )


def source_files(source: FeatureSource) -> tuple[tuple[str, Path], ...]:
    """(option, file) of every file the dataset reads: path, then labels and split (.npy)."""
    named = (("path", source.path), ("labels", source.labels), ("split", source.split))
    return tuple((option, file) for option, file in named if file is not None)


def check_present(source: FeatureSource) -> None:
    """Raise `DatasetUnavailableError` naming the first of the dataset's files that is missing."""
    for option, file in source_files(source):
        if not file.is_file():
            raise DatasetUnavailableError(
                f"dataset 'features' is not available: {file.resolve()} (option {option}) does "
                "not exist. Write the file there (np.save or pyarrow.parquet.write_table), or "
                f"set the option {option} to where it is (relative to data_dir, or absolute)"
            )


def feature_dim(source: FeatureSource) -> tuple[int, int]:
    """(N, D) from the file's header alone (.npy header; parquet schema and row count)."""
    check_present(source)
    if source.kind == "npy":
        array = _open_npy(source.path)
        return int(array.shape[0]), int(array.shape[1])
    parquet = open_parquet(source.path)
    return parquet.metadata.num_rows, _parquet_dim(source, parquet)


def feature_facts(name: str, options: Mapping[str, object], data_dir: Path) -> Facts:
    """Sizes from the header, the labels and the split (the catalogue's facts; no feature is
    read). Float32 in memory whatever the file stores."""
    source = feature_source(data_dir, options)
    n, d = feature_dim(source)
    n_pool = int(read_rows(source).pool.shape[0])
    return Facts(n_pool, n - n_pool, (d,), 4 * d)


def read_rows(source: FeatureSource) -> Rows:
    """Labels, classes and the pool/test rows, reading the labels and the split only.

    Raises:
        DatasetUnavailableError: a file is missing.
        ValueError: labels or split malformed, an empty pool or test set, a single class.
    """
    check_present(source)
    n, _ = feature_dim(source)
    if source.kind == "npy":
        assert source.labels is not None  # feature_source requires it
        labels = _npy_labels(source.labels, n)
        is_test = None if source.split is None else _npy_split(source.split, n)
    else:
        labels, is_test = _parquet_labels_split(source, n)
    if is_test is None:
        try:
            pool, test = stratified_split(labels, source.test_fraction, source.split_seed)
        except ValueError as error:
            raise ValueError(f"{source.path}: {error}") from None
    else:
        pool, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
        for name, chosen in (("pool", pool), ("test", test)):
            if chosen.size == 0:
                raise ValueError(
                    f"{source.path}: the split marks no row {name!r}, so the {name} set would be "
                    f"empty; mark some rows {name!r} in {source.split or source.split_column}"
                )
    present = np.unique(labels[pool])
    if present.size < 2:
        raise ValueError(
            f"{source.path}: the pool holds a single class ({present.tolist()}); active "
            "learning needs at least two classes, so check the labels"
        )
    num_classes = int(labels.max()) + 1
    names = source.class_names or tuple(str(k) for k in range(num_classes))
    if len(names) < num_classes:
        raise ValueError(
            f"{source.path}: labels reach {num_classes - 1} but the option class_names gives "
            f"{len(names)} names; give one name per class 0..{num_classes - 1}"
        )
    return Rows(labels, pool.astype(np.int64), test.astype(np.int64), len(names), names)


def read_features(source: FeatureSource) -> FeatureArrays:
    """Read the whole dataset: every check, then the pool and test features as float32.

    Raises:
        DatasetUnavailableError: a file is missing.
        ValueError: a wrong shape or dtype, non-finite features, bad labels or split.
    """
    rows = read_rows(source)
    if source.kind == "npy":
        array = _open_npy(source.path)
        pool, test = _take_rows(array, rows.pool), _take_rows(array, rows.test)
    else:
        pool, test = _read_parquet_features(source, rows)
    for split_rows, features in ((rows.pool, pool), (rows.test, test)):
        bad = _first_nonfinite(features)
        if bad is not None:
            raise ValueError(_nonfinite_message(source.path, int(split_rows[bad])))
    return FeatureArrays(pool, rows.labels[rows.pool], test, rows.labels[rows.test], rows)


# The files check_feature_files has passed in this process, by (path, size, mtime_ns, column):
# datasets of one file, and repeated calls in one process, make one pass.
_SCANNED: set[tuple[str, int, int, str | None]] = set()


def check_feature_files(
    name: str, options: Mapping[str, object], data_dir: Path, download: bool, scan: bool
) -> None:
    """The catalogue's check: the features file and its labels and split files as the loader
    reads them (options; the header's shape and dtype; the labels' and split's lengths, dtypes
    and values) and, with ``scan``, every feature finite (:func:`check_finite`, one pass per
    file and process)."""
    source = feature_source(data_dir, options)
    read_rows(source)
    if not scan:
        return
    stat = source.path.stat()
    column = source.features_column if source.kind == "parquet" else None
    key = (str(source.path.resolve()), stat.st_size, stat.st_mtime_ns, column)
    if key not in _SCANNED:
        check_finite(source)
        _SCANNED.add(key)


def check_finite(source: FeatureSource) -> None:
    """Refuse features that are not finite, by one streamed pass over the file.

    A ``.npy`` is mapped block by block (``FINITE_BLOCK_BYTES`` of it at a time, each block's
    map released before the next), a parquet file decoded batch by batch: memory stays about
    one block whatever the file's size. It reads every feature, so it is the preflight's check
    (once per file, before any job), not part of :func:`feature_facts` (read by every job).

    Raises:
        DatasetUnavailableError: a file is missing.
        ValueError: a row with NaN or inf (or a float64 beyond float32's range), naming the
            file and the row; a malformed features file or column.
    """
    check_present(source)
    if source.kind == "npy":
        bad = _npy_first_nonfinite(source.path)
    else:
        bad = _parquet_first_nonfinite(source)
    if bad is not None:
        raise ValueError(_nonfinite_message(source.path, bad))


def _nonfinite_message(path: Path, row: int) -> str:
    return (
        f"{path}: the features of file row {row} are not finite (NaN or inf, or a float64 "
        "beyond float32's range); fix or drop those rows, e.g. keep = np.isfinite(x).all(axis=1)"
    )


def _npy_first_nonfinite(path: Path) -> int | None:
    """A file row of the .npy whose features are not finite (the first one for C order), or
    None; the values are mapped block by block, each map closed before the next."""
    array = _open_npy(path)  # the header, checked: shape, dtype and order
    n, d = int(array.shape[0]), int(array.shape[1])
    itemsize, fortran = array.dtype.itemsize, not array.flags.c_contiguous
    del array  # only its header was read
    per_block = max(1, FINITE_BLOCK_BYTES // (d * itemsize)) * d  # whole rows (C order)
    for start, block in npy_blocks(path, per_block):
        bad = _first_bad_value(block)
        del block  # its last reference here: the block's map is released before the next
        if bad is not None:
            element = start + bad  # its row: C order stores rows one after another
            return element % n if fortran else element // d
    return None


def _parquet_first_nonfinite(source: FeatureSource) -> int | None:
    """The first file row of the parquet file whose features are not finite, or None."""
    import pyarrow as pa

    parquet = open_parquet(source.path, streamed=True)
    d = _parquet_dim(source, parquet)
    batch_rows = max(1, FINITE_BLOCK_BYTES // (4 * d))
    try:
        for start, block in _features_blocks(source, parquet, d, batch_rows):
            bad = _first_bad_value(block)
            if bad is not None:
                return start + bad // d
    finally:
        pa.default_memory_pool().release_unused()
    return None


def _first_bad_value(values: np.ndarray) -> int | None:
    """The flat index of the first value that is not a finite float32 (NaN, inf, or a float64
    beyond float32's range), or None. A finite sum (min and max for float64) proves the block
    good without a copy; the value-by-value test runs only on a block that fails it."""
    if values.size == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        if values.dtype.itemsize > 4:
            good = bool(values.min() >= -_FLOAT32_MAX) and bool(values.max() <= _FLOAT32_MAX)
        else:
            good = bool(np.isfinite(values.sum()))
    if good:
        return None
    bad = np.flatnonzero(~(np.abs(values) <= _FLOAT32_MAX))  # NaN compares False: bad too
    return int(bad[0]) if bad.size else None  # else the sum of finite values overflowed


def _under(data_dir: str | Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else Path(data_dir) / path


def _class_names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) < 2
        or not all(isinstance(v, str) and v for v in value)
        or len(set(value)) != len(value)
    ):
        raise ValueError(
            f"dataset 'features': option class_names={value!r} must be a list of at least two "
            "distinct non-empty strings, the name of label k at position k"
        )
    return tuple(value)


def _open_npy(path: Path) -> np.ndarray:
    """The (N, D) float array of ``path``, memory-mapped (only the header is read)."""
    array = load_npy(
        path, mmap=True, holding="of numbers",
        fix="save the features with np.save(path, x) where x is a (N, D) float32 array",
    )  # fmt: skip
    if array.ndim != 2 or array.dtype.kind != "f" or array.shape[1] == 0:
        raise ValueError(
            f"{path}: the features must be a 2-D (N, D) float array, got shape {array.shape} "
            f"dtype {array.dtype}; save x.reshape(len(x), -1).astype(np.float32)"
        )
    return array


def _take_rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(len(rows), D) float32 C-ordered rows of ``array``: a view when the rows are one block
    of a float32 C-ordered array, else a copy made block by block."""
    n, d = len(rows), array.shape[1]
    zero_copy = array.dtype == _FLOAT32 and array.flags.c_contiguous
    if n and zero_copy and int(rows[-1]) - int(rows[0]) + 1 == n:
        return array[int(rows[0]) : int(rows[0]) + n]  # a view of the map
    if n and not zero_copy:
        log.info("converting %d rows of %s %s features to float32 C order", n, array.dtype,
                 "C" if array.flags.c_contiguous else "Fortran")  # fmt: skip
    elif n:
        log.info("gathering %d rows scattered over the file into memory", n)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS]
        with np.errstate(over="ignore"):  # a float64 beyond float32: inf, refused just after
            out[start : start + len(block)] = array[block]
    return out


def _first_nonfinite(features: np.ndarray) -> int | None:
    """The first row of (N, D) ``features`` with a NaN or inf, or None; block by block, with
    no copy beyond a block (a finite block sum proves the block finite)."""
    for start in range(0, features.shape[0], BLOCK_ROWS):
        block = features[start : start + BLOCK_ROWS]
        with np.errstate(over="ignore", invalid="ignore"):
            total = block.sum()
        if np.isfinite(total):
            continue
        bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
        if bad.size:  # else the sum of finite values overflowed
            return start + int(bad[0])
    return None


def _npy_labels(path: Path, n: int) -> np.ndarray:
    labels = load_npy(path, holding="of labels", fix="")
    if labels.shape != (n,):
        raise ValueError(
            f"{path}: the labels must be a 1-D array of one label per features row, shape "
            f"({n},), got {labels.shape}"
        )
    return _checked_labels(path, labels)


def _checked_labels(where: object, labels: np.ndarray) -> np.ndarray:
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{where}: labels must be integers >= 0, got dtype {labels.dtype}; store them as "
            "class ids 0..C-1, e.g. y.astype(np.int64)"
        )
    if labels.size and labels.min() < 0:
        first = int(np.flatnonzero(labels < 0)[0])
        raise ValueError(
            f"{where}: labels must be integers >= 0, row {first} has {int(labels[first])}; "
            "map the classes to ids 0..C-1"
        )
    return labels.astype(np.int64)


def _npy_split(path: Path, n: int) -> np.ndarray:
    """(N,) bool: True for a test row."""
    split = load_npy(
        path, holding="of split names",
        fix="save a string array, np.save(path, np.array(['pool', 'test', ...]))",
    )  # fmt: skip
    if split.shape != (n,) or split.dtype.kind not in "US":
        raise ValueError(
            f"{path}: the split must be a 1-D string array of shape ({n},) holding 'pool' or "
            f"'test', got shape {split.shape} dtype {split.dtype}"
        )
    return _is_test(path, split.astype(str))


def _is_test(where: object, split: np.ndarray) -> np.ndarray:
    values = np.unique(split)
    other = [v for v in values.tolist() if v not in SPLIT_VALUES]
    if other:
        raise ValueError(
            f"{where}: the split holds {other[:5]} besides 'pool' and 'test'; every row must "
            "be 'pool' or 'test'"
        )
    return np.asarray(split == "test")


def _parquet_dim(source: FeatureSource, parquet: Any) -> int:
    """D from the features column's type (fixed-size list) or its first row (list); a file
    without rows gives 1, and the empty-file message follows."""
    names = parquet.schema_arrow.names
    if source.features_column not in names:
        raise ValueError(
            f"{source.path}: no column {source.features_column!r} (columns: {names}); "
            "name the features column with the option features_column"
        )
    return list_width(source.path, parquet, source.features_column)


def _parquet_labels_split(source: FeatureSource, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    import pyarrow as pa

    names = open_parquet(source.path).schema_arrow.names
    if source.label_column not in names:
        raise ValueError(
            f"{source.path}: no column {source.label_column!r} (columns: {names}); name the "
            "labels column with the option label_column"
        )
    has_split = source.split_column in names
    if source.explicit_split_column and not has_split:
        raise ValueError(
            f"{source.path}: no split column {source.split_column!r} (columns: {names}); fix "
            "the option split_column, or remove it to split by test_fraction"
        )
    columns = [source.label_column] + ([source.split_column] if has_split else [])
    table = read_parquet(source.path, columns)
    label = table.column(source.label_column)
    where = f"{source.path} column {source.label_column!r}"
    if not pa.types.is_integer(label.type) or label.null_count:
        raise ValueError(
            f"{where}: labels must be integers >= 0 without nulls, got type {label.type} with "
            f"{label.null_count} nulls; store class ids 0..C-1 as int64"
        )
    labels = _checked_labels(where, label.to_numpy())
    if not has_split:
        return labels, None
    split = table.column(source.split_column)
    where = f"{source.path} column {source.split_column!r}"
    if split.null_count:
        raise ValueError(f"{where}: {split.null_count} rows have no split; mark each pool or test")
    if pa.types.is_dictionary(split.type):
        split = split.cast(split.type.value_type)
    if not (pa.types.is_string(split.type) or pa.types.is_large_string(split.type)):
        raise ValueError(f"{where}: the split must be strings 'pool'/'test', got type {split.type}")
    return labels, _is_test(where, np.asarray(split.to_numpy(zero_copy_only=False), dtype=str))


def _read_parquet_features(source: FeatureSource, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Decode the features column batch by batch straight into the pool and test arrays."""
    import pyarrow as pa

    parquet = open_parquet(source.path, streamed=True)
    n, d = parquet.metadata.num_rows, _parquet_dim(source, parquet)
    pool = np.empty((len(rows.pool), d), dtype=np.float32)
    test = np.empty((len(rows.test), d), dtype=np.float32)
    is_test = np.zeros(n, dtype=bool)
    is_test[rows.test] = True
    n_pool = n_test = 0
    for start, block in _features_blocks(source, parquet, d, BLOCK_ROWS):
        count = len(block)
        chosen = is_test[start : start + count]
        k = int(chosen.sum())
        if k == 0:  # a batch of pool rows only (the usual case): one copy, no mask
            pool[n_pool : n_pool + count] = block
        elif k == count:
            test[n_test : n_test + k] = block
        else:
            test[n_test : n_test + k] = block[chosen]
            pool[n_pool : n_pool + count - k] = block[~chosen]
        n_pool, n_test = n_pool + count - k, n_test + k
    pa.default_memory_pool().release_unused()  # the decoded pages: Arrow's pool keeps them
    return pool, test


def _features_blocks(
    source: FeatureSource, parquet: Any, d: int, batch_rows: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(first file row, (count, D) features as stored) of the features column, batch by batch;
    null values and rows of another length than D are refused."""
    return list_blocks(source.path, parquet, source.features_column, d, batch_rows, "features")
