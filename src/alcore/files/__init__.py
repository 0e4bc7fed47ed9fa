"""Reading and writing the pipeline's files: atomically, schema-checked, never as code.

Every writer goes through a temporary name in the destination folder and an atomic rename, so
an interrupted stage leaves either the old file or the new one, never half of one. Every reader
checks what it reads and raises :class:`StageFileError` naming the file, what is wrong and how
to fix it, instead of a stack trace deep inside pyarrow or torch.
"""

from alcore.files.atomic import atomic_write
from alcore.files.checkpoint import load_checkpoint, save_checkpoint
from alcore.files.errors import StageFileError
from alcore.files.parquet import (
    HALF_VECTOR,
    VECTOR,
    Column,
    matrix_column,
    metadata_of,
    read_table,
    vector_column,
    write_table,
)

__all__ = [
    "HALF_VECTOR",
    "VECTOR",
    "Column",
    "StageFileError",
    "atomic_write",
    "load_checkpoint",
    "matrix_column",
    "metadata_of",
    "read_table",
    "save_checkpoint",
    "vector_column",
    "write_table",
]
