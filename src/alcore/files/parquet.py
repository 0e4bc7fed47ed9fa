"""Parquet tables with declared columns, and (N, D) tensors stored as fixed-size lists.

Vector columns are decoded by the shared array reader (:mod:`alcore.files.arrays`); its
errors reach the caller as :class:`StageFileError`, whose fix is to rerun the stage."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from torch import Tensor

from alcore.files.arrays import (
    ArrayFileError,
    list_blocks,
    list_rows,
    list_width,
    open_parquet,
    reading_parquet,
)
from alcore.files.atomic import atomic_write
from alcore.files.errors import StageFileError, rerun_fix

VECTOR = pa.list_(pa.float32())  # declared type of (N, D) tensor columns
HALF_VECTOR = pa.list_(pa.float16())  # the same, stored in half precision
_ROW_GROUP = 4096  # rows per parquet row group, and per batch when reading a matrix


@dataclass(frozen=True)
class Column:
    """One declared column: its name, arrow type and a line of documentation.

    ``also``: other types a reader accepts (e.g. a half-precision vector)."""

    name: str
    type: pa.DataType
    doc: str
    also: tuple[pa.DataType, ...] = ()


def vector_column(values: Tensor | np.ndarray, dtype: type = np.float32) -> pa.Array:
    """(N, D) floats -> fixed-size-list<dtype>[D] array of N rows (no copy when already
    contiguous ``dtype`` on the CPU)."""
    if not isinstance(values, np.ndarray):  # a torch tensor
        values = values.detach().cpu().numpy()
    array: np.ndarray = np.ascontiguousarray(values, dtype=dtype)
    return pa.FixedSizeListArray.from_arrays(pa.array(array.reshape(-1)), array.shape[1])


def matrix_column(table: pa.Table, name: str) -> Tensor:
    """List column of D floats a row (fixed-size, as :func:`vector_column` writes) -> (N, D)
    float32 tensor.

    A column in one chunk, of the dtype returned, is shared with the table, not copied (treat
    it as read-only); half precision is widened to float32 exactly.

    Raises:
        ArrayFileError: null or ragged rows (the table has no file name: "table column ...").
    """
    import torch  # here: files.parquet is imported by torch-free jobs too

    flat = list_rows("table", table.column(name).combine_chunks(), name)
    if flat.dtype != np.float32:
        return torch.from_numpy(flat.astype(np.float32))
    with warnings.catch_warnings():  # arrow's buffers are immutable; nothing writes to them
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(flat)


def read_matrix(path: str | Path, name: str, rows: int) -> Tensor:
    """The first ``rows`` rows of the fixed-size-list column ``name`` as an (rows, D) tensor in
    the stored dtype, read batch by batch into one array: peak memory the result plus one
    batch, where reading the whole table decodes several copies of a large column."""
    import torch  # here: files.parquet is imported by torch-free jobs too

    path = Path(path)
    try:
        with open_parquet(path) as source:
            width = list_width(path, source, name)
            dtype = source.schema_arrow.field(name).type.value_type.to_pandas_dtype()
            out = np.empty((rows, width), dtype=dtype)
            done = 0
            for _, block in list_blocks(path, source, name, width, _ROW_GROUP):
                block = block[: rows - done]
                out[done : done + block.shape[0]] = block
                done += block.shape[0]
                if done == rows:
                    break
    except ArrayFileError as error:
        raise _stage_error(path, error) from error
    if done != rows:
        raise StageFileError(path, f"has {done} rows of {name!r}, not {rows}", rerun_fix(path))
    return torch.from_numpy(out)


def write_table(
    columns: Mapping[str, pa.Array | Sequence[object] | np.ndarray],
    schema: Sequence[Column],
    path: str | Path,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write the declared columns (in schema order) atomically; extra or missing ones raise."""
    names = [c.name for c in schema]
    if set(columns) != set(names):
        raise ValueError(
            f"columns {sorted(columns)} do not match the schema's {sorted(names)} for {path}"
        )
    arrays = []
    for column in schema:
        values = columns[column.name]
        if isinstance(values, pa.Array):
            keep = _compatible(values.type, column.type, column.also)
            arrays.append(values if keep else values.cast(column.type))
        else:
            arrays.append(pa.array(values, type=column.type))
    table = pa.table(arrays, names=names)
    if metadata:
        table = table.replace_schema_metadata({k: str(v) for k, v in metadata.items()})
    with atomic_write(path) as temporary:
        # bounded row groups: a reader decodes one at a time (see read_matrix)
        pq.write_table(table, temporary, row_group_size=_ROW_GROUP)


def read_table(
    path: str | Path, schema: Sequence[Column], columns: Sequence[str] | None = None
) -> pa.Table:
    """Read a parquet file (only ``columns``, if given) after checking, from its schema alone,
    that every declared column is there with its type."""
    path = Path(path)
    if not path.exists():
        raise StageFileError(path, "file is missing", "Run the stage that writes it first")
    try:
        with open_parquet(path) as source, reading_parquet(path):
            stored = source.schema_arrow
            problems = []
            for column in schema:
                if column.name not in stored.names:
                    problems.append(f"column {column.name!r} is missing")
                elif not _compatible(stored.field(column.name).type, column.type, column.also):
                    found = stored.field(column.name).type
                    problems.append(f"column {column.name!r} is {found}, expected {column.type}")
            if problems:
                raise StageFileError(path, "; ".join(problems), rerun_fix(path))
            table = source.read(columns=None if columns is None else list(columns))
    except ArrayFileError as error:
        raise _stage_error(path, error) from error
    return table


def metadata_of(table: pa.Table) -> dict[str, str]:
    """The table's string metadata (what :func:`write_table` stored)."""
    raw = table.schema.metadata or {}
    return {k.decode(): v.decode() for k, v in raw.items() if not k.startswith(b"pandas")}


def _stage_error(path: Path, error: ArrayFileError) -> StageFileError:
    """The reader's problem with a workflow file, whose fix is to rerun the stage."""
    return StageFileError(path, error.reason, rerun_fix(path))


def _compatible(
    found: pa.DataType, expected: pa.DataType, also: tuple[pa.DataType, ...] = ()
) -> bool:
    for accepted in (expected, *also):
        if found == accepted:
            return True
        # a declared list<float32> accepts the fixed-size lists that vector_column writes
        if (
            pa.types.is_list(accepted)
            and pa.types.is_fixed_size_list(found)
            and found.value_type == accepted.value_type
        ):
            return True
    return False
