"""Reading numeric arrays from .npy, .pt and parquet files: one reader for the whole package.

``alcore select``'s inputs (:mod:`alcore.cli.inputs`), the `features` dataset
(:mod:`alcore.data.feature_file`) and the workflow's vector columns (:mod:`alcore.files.parquet`)
read their arrays here. Each problem raises :class:`ArrayFileError`, a ``ValueError`` whose
message names the file, the problem and the fix; a caller with its own error type converts it.

Formats, chosen by the file's suffix (:func:`array_format`):

* ``.npy``: ``np.load(allow_pickle=False)``, so a file never runs code; memory-mapped on request.
* ``.pt``: ``torch.load(weights_only=True)``; torch is imported only when such a file is read.
* ``.parquet``: an (N, K) matrix is one list column (list, large list or fixed-size list, K
  values a row) or, for :func:`table_matrix`, one numeric column per dimension. Large files are
  read batch by batch (:func:`list_blocks`).

NumPy is imported at once; pyarrow and torch inside the functions that need them, so that a
torch-free job reading a .npy imports neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from torch import Tensor

FORMATS = {".npy": "npy", ".pt": "pt", ".parquet": "parquet"}  # suffix -> format
NUMERIC_KINDS = "biuf"  # NumPy dtype kinds that are numbers: bool, signed, unsigned, float
NPY_FIX = "save a numeric array with np.save (object arrays are refused)"
PARQUET_FIX = "check the file"


class ArrayFileError(ValueError):
    """A file that does not hold the array asked for: ``"<file>[ column 'c']: <problem>; <fix>"``.

    ``path``, ``column``, ``problem`` and ``fix`` are kept apart, so that a caller can re-word
    the fix (the workflow's files: delete and rerun) without parsing the message."""

    def __init__(self, path: str | Path, problem: str, fix: str = "", column: str | None = None):
        self.path = path
        self.column = column
        self.problem = problem
        self.fix = fix
        where = f"{path}" if column is None else f"{path} column {column!r}"
        super().__init__(f"{where}: {problem}" + (f"; {fix}" if fix else ""))

    @property
    def reason(self) -> str:
        """The message without the file and the fix: the column (if any) and the problem."""
        return self.problem if self.column is None else f"column {self.column!r}: {self.problem}"


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s message (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def array_format(path: str | Path) -> str | None:
    """The format, "npy", "pt" or "parquet", from the suffix (any case); None for another."""
    return FORMATS.get(Path(path).suffix.lower())


# --- .npy and .pt -------------------------------------------------------------------------------


def load_npy(
    path: str | Path, *, mmap: bool = False, holding: str = "array", fix: str = NPY_FIX
) -> np.ndarray:
    """The array of a .npy file, any shape and dtype, never unpickled.

    mmap: map the file instead of reading it (an ``np.memmap``; only the header is read now).
        Copy-on-write (``mmap_mode="c"``), not read-only: the pages are the file's, shared with
        the page cache and other jobs, until something writes into them, which then writes
        into private memory instead of faulting.
    holding, fix: the words of the error, "<file>: not a readable .npy <holding> (<why>); <fix>".

    Raises:
        ArrayFileError: not a .npy file, a truncated one, or an object (pickled) array.
    """
    try:
        array = np.load(path, mmap_mode="c" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        problem = f"not a readable .npy {holding} ({first_line(error)})"
        raise ArrayFileError(path, problem, fix) from error
    if not isinstance(array, np.ndarray):  # np.load opens an .npz archive whatever the suffix
        raise ArrayFileError(path, f"not a readable .npy {holding} (an .npz archive)", fix)
    return array


def numeric(path: str | Path, array: np.ndarray, what: str) -> np.ndarray:
    """``array`` (any shape) in native byte order and C order, after checking it holds numbers
    (bool, integers or floats); a copy only when the order must change.

    Raises:
        ArrayFileError: strings, objects, dates or complex numbers, naming the dtype.
    """
    if array.dtype.kind not in NUMERIC_KINDS:
        raise ArrayFileError(
            path, f"holds {array.dtype} values, not numbers", f"save {what} as a numeric array"
        )
    return np.ascontiguousarray(array.astype(array.dtype.newbyteorder("="), copy=False))


def to_tensor(path: str | Path, array: np.ndarray, what: str) -> Tensor:
    """``array`` (any shape, checked by :func:`numeric`) as a CPU tensor, sharing its memory
    when that is writable (a read-only one, such as Arrow's, is copied: the tensor may be
    written to); unsigned integers wider than a byte become int64, as torch's arithmetic
    covers uint8 alone."""
    import torch

    values = numeric(path, array, what)
    if values.dtype.kind == "u" and values.dtype.itemsize > 1:
        values = values.astype(np.int64)
    elif not values.flags.writeable:
        values = values.copy()
    return torch.from_numpy(values)


def load_pt(path: str | Path, what: str) -> Tensor:
    """The one tensor (or NumPy array) of a .pt file, on the CPU, loaded with
    ``weights_only=True`` (never unpickles code).

    Raises:
        ArrayFileError: unreadable, not one tensor (a dict, say), or complex numbers.
    """
    import torch

    try:
        value = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and torch errors alike: the file is unusable
        reason = first_line(error)
        if "Weights only load failed" in reason:  # torch's advice to unpickle is not ours
            reason = "corrupt, or holds pickled objects that weights_only=True refuses"
        raise ArrayFileError(
            path, f"not a readable tensor file ({reason})", "save one tensor with "
            "torch.save(tensor, path)"
        ) from error  # fmt: skip
    if isinstance(value, np.ndarray):
        return to_tensor(path, value, what)
    if not isinstance(value, torch.Tensor):
        raise ArrayFileError(
            path, f"holds a {type(value).__name__}, not a tensor", f"save the {what} tensor "
            "itself with torch.save(tensor, path)"
        )  # fmt: skip
    if value.dtype.is_complex:
        raise ArrayFileError(path, "holds complex numbers", f"save real {what}")
    return value


def read_tensor(
    path: str | Path, what: str, *, rows: Callable[[pa.Table], pa.Table] | None = None
) -> Tensor:
    """The array of a .npy or .pt file (any shape), or the (N, K) matrix of a parquet file
    (:func:`table_matrix` of its ``rows(table)``, all rows by default), as a CPU tensor.

    what: what the file holds, for messages ("features", "probs").

    Raises:
        ArrayFileError: the file cannot be read, or does not hold numbers.
    """
    kind = array_format(path)
    if kind == "parquet":
        table = read_parquet(path)
        table = table if rows is None else rows(table)
        return to_tensor(path, table_matrix(path, table, what), what)
    if kind == "npy":
        return to_tensor(path, load_npy(path), what)
    return load_pt(path, what)


def npy_blocks(path: str | Path, elements: int) -> Iterator[tuple[int, np.ndarray]]:
    """The values of a .npy file in storage order (C or Fortran, as saved), ``elements`` at a
    time: (index of the block's first value, (count,) block), each block its own read-only map.

    Memory stays one block whatever the file's size, as each map is released before the next
    is made (as long as the caller keeps no block past its turn).
    """
    header = load_npy(path, mmap=True)  # the header: dtype and where the data start
    dtype, offset, total = header.dtype, int(getattr(header, "offset", 0)), int(header.size)
    del header  # the whole file's map: only its header was read
    for start in range(0, total, elements):
        count = min(elements, total - start)
        block = np.memmap(
            path, dtype=dtype, mode="r", offset=offset + start * dtype.itemsize, shape=(count,)
        )
        yield start, block
        del block


# --- parquet ------------------------------------------------------------------------------------


@contextmanager
def reading_parquet(path: str | Path) -> Iterator[None]:
    """Turn pyarrow's and the OS's errors inside the block into :class:`ArrayFileError`
    "<file>: not a readable parquet file (<why>); check the file"."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError) as error:
        raise ArrayFileError(
            path, f"not a readable parquet file ({first_line(error)})", PARQUET_FIX
        ) from error


def open_parquet(path: str | Path, *, streamed: bool = False) -> pq.ParquetFile:
    """The parquet file (its schema and metadata read, no data).

    streamed: for :func:`list_blocks` over a large file: pages are read one at a time into a
        16 MB buffer, as pre-buffering whole row groups on several threads was twice as slow
        and held 2.6 GB of Arrow memory for a 2 GB file (benchmarks/features_load.py).
    """
    import pyarrow.parquet as pq

    options = {"pre_buffer": False, "buffer_size": 1 << 24} if streamed else {}
    with reading_parquet(path):
        return pq.ParquetFile(path, **options)


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """The whole table (or ``columns``) of a parquet file.

    ``ParquetFile.read``, not ``pq.read_table``: the latter imports pyarrow.dataset and pandas.
    """
    with reading_parquet(path), open_parquet(path) as source:
        return source.read(columns=columns)


def is_list_type(kind: pa.DataType) -> bool:
    """A list, large list or fixed-size list: the types of a matrix column."""
    import pyarrow as pa

    return bool(
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def list_rows(
    path: str | Path,
    column: pa.Array,
    name: str,
    *,
    what: str = "values",
    start: int = 0,
    width: int | None = None,
) -> np.ndarray:
    """The (N, K) values of a list column of N rows (one chunk), in the stored dtype: a
    read-only view of the column's buffer for numbers (booleans are unpacked into a copy).

    width: K; by default the fixed size, or the first row's length (0 without rows).
    start: the file row of ``column``'s first row, for messages.

    Raises:
        ArrayFileError: a null row or value, or a row of another length than K.
    """
    import pyarrow as pa

    if pa.types.is_fixed_size_list(column.type):
        width = int(column.type.list_size) if width is None else width
        lengths = None
    else:
        lengths = np.diff(column.offsets.to_numpy())  # the offsets of the rows of this slice
        width = (int(lengths[0]) if len(lengths) else 0) if width is None else width
    values = column.flatten()  # respects the column's offset, unlike .values
    if column.null_count or values.null_count:
        raise ArrayFileError(
            path, f"null {what} near row {start}", f"every row needs {width} values", name
        )
    if lengths is not None and (lengths != width).any():
        bad = int(np.flatnonzero(lengths != width)[0])
        raise ArrayFileError(
            path, f"row {start + bad} has {int(lengths[bad])} values, row 0 has {width}",
            f"every row must have the same number of {what}", name,
        )  # fmt: skip
    return np.asarray(values.to_numpy(zero_copy_only=False)).reshape(len(column), width)


def table_matrix(path: str | Path, table: pa.Table, what: str) -> np.ndarray:
    """A table's (N, K) matrix, checked numeric (:func:`numeric`): its list column named
    ``what``, or its only list column, in the stored dtype; else all its numeric columns (one
    per dimension, pandas' index columns left out), in at least float32.

    Raises:
        ArrayFileError: no such column, several list columns and none named ``what``, nulls,
            ragged rows, or values that are not numbers.
    """
    import pyarrow as pa

    lists = [f.name for f in table.schema if is_list_type(f.type)]
    name = what if what in lists else (lists[0] if len(lists) == 1 else None)
    if name is not None:
        column = table.column(name).combine_chunks()
        return numeric(path, list_rows(path, column, name, what=what), what)
    columns = [f.name for f in table.schema if not f.name.startswith("__index_level_")
               and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))]  # fmt: skip
    if lists or not columns:
        raise ArrayFileError(
            path, f"found no {what} column (columns: {', '.join(table.column_names)})",
            f"write a list column named {what!r}, or one numeric column per dimension",
        )  # fmt: skip
    try:
        matrix = np.column_stack([table.column(n).to_numpy() for n in columns])
    except (pa.ArrowException, ValueError) as error:  # nulls
        raise ArrayFileError(path, first_line(error), "write every value") from error
    return matrix.astype(np.result_type(matrix.dtype, np.float32))


def list_width(path: str | Path, parquet: pq.ParquetFile, name: str) -> int:
    """K of the list column ``name`` of floats: from the schema for a fixed-size list, else
    from the first row (1 for a file without rows). The column must exist.

    Raises:
        ArrayFileError: the column is not a list of floats, or a fixed size of 0.
    """
    import pyarrow as pa

    kind = parquet.schema_arrow.field(name).type
    if pa.types.is_fixed_size_list(kind) and pa.types.is_floating(kind.value_type):
        if kind.list_size == 0:
            raise ArrayFileError(path, f"column {name!r} has 0 values")
        return int(kind.list_size)
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_floating(
        kind.value_type
    ):
        if parquet.metadata.num_rows == 0:
            return 1  # no rows, no width: the caller's check of the row count speaks
        with reading_parquet(path):
            first = next(parquet.iter_batches(batch_size=1, columns=[name]))
        return len(first.column(0)[0])
    raise ArrayFileError(
        path, f"column {name!r} has type {kind}", "it must hold D floats a row, as a list or "
        "(better: D is then in the schema) a fixed-size list, e.g. "
        "pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1])"
    )  # fmt: skip


def list_blocks(
    path: str | Path,
    parquet: pq.ParquetFile,
    name: str,
    width: int,
    batch_rows: int,
    what: str = "values",
) -> Iterator[tuple[int, np.ndarray]]:
    """The list column ``name`` batch by batch, on one thread: (file row of the block's first
    row, (count, width) values in the stored dtype), each checked by :func:`list_rows`."""
    start = 0
    with reading_parquet(path):
        batches = parquet.iter_batches(batch_size=batch_rows, columns=[name], use_threads=False)
        for batch in batches:
            block = list_rows(path, batch.column(0), name, what=what, start=start, width=width)
            yield start, block
            start += len(block)
