"""Parquet tables with declared columns, and (N, D) tensors stored as fixed-size lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import Tensor

from alcore.files.atomic import atomic_write
from alcore.files.errors import StageFileError, rerun_fix

VECTOR = pa.list_(pa.float32())  # declared type of (N, D) tensor columns


@dataclass(frozen=True)
class Column:
    """One declared column: its name, arrow type and a line of documentation."""

    name: str
    type: pa.DataType
    doc: str


def vector_column(values: Tensor) -> pa.Array:
    """(N, D) float tensor -> fixed-size-list<float32>[D] array of N rows."""
    array = values.detach().to(torch.float32).cpu().contiguous().numpy()
    return pa.FixedSizeListArray.from_arrays(pa.array(array.reshape(-1)), array.shape[1])


def matrix_column(table: pa.Table, name: str) -> Tensor:
    """Fixed-size-list column -> (N, D) float32 tensor (a copy)."""
    column = table.column(name).combine_chunks()
    width = column.type.list_size
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return torch.from_numpy(np.array(flat.reshape(-1, width), dtype=np.float32, copy=True))


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
            keep = _compatible(values.type, column.type)
            arrays.append(values if keep else values.cast(column.type))
        else:
            arrays.append(pa.array(values, type=column.type))
    table = pa.table(arrays, names=names)
    if metadata:
        table = table.replace_schema_metadata({k: str(v) for k, v in metadata.items()})
    with atomic_write(path) as temporary:
        pq.write_table(table, temporary)


def read_table(path: str | Path, schema: Sequence[Column]) -> pa.Table:
    """Read a parquet file and check that every declared column is there with its type."""
    path = Path(path)
    if not path.exists():
        raise StageFileError(path, "file is missing", "Run the stage that writes it first")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise StageFileError(
            path, f"not a readable parquet file ({error})", rerun_fix(path)
        ) from error
    problems = []
    for column in schema:
        if column.name not in table.column_names:
            problems.append(f"column {column.name!r} is missing")
        elif not _compatible(table.schema.field(column.name).type, column.type):
            found = table.schema.field(column.name).type
            problems.append(f"column {column.name!r} is {found}, expected {column.type}")
    if problems:
        raise StageFileError(path, "; ".join(problems), rerun_fix(path))
    return table


def metadata_of(table: pa.Table) -> dict[str, str]:
    """The table's string metadata (what :func:`write_table` stored)."""
    raw = table.schema.metadata or {}
    return {k.decode(): v.decode() for k, v in raw.items() if not k.startswith(b"pandas")}


def _compatible(found: pa.DataType, expected: pa.DataType) -> bool:
    if found == expected:
        return True
    # a declared list<float32> accepts the fixed-size lists that vector_column writes
    if pa.types.is_list(expected) and pa.types.is_fixed_size_list(found):
        return bool(found.value_type == expected.value_type)
    return False
