import os

import pyarrow as pa
import pytest
import torch

from alcore.files import (
    VECTOR,
    Column,
    StageFileError,
    atomic_write,
    load_checkpoint,
    matrix_column,
    read_table,
    save_checkpoint,
    vector_column,
    write_table,
)
from alcore.stages import read_labelled, write_labelled

SCHEMA = (Column("index", pa.int64(), "i"), Column("features", VECTOR, "f"))


def test_vectors_round_trip(tmp_path):
    values = torch.randn(7, 3)
    write_table({"index": list(range(7)), "features": vector_column(values)}, SCHEMA,
                tmp_path / "t.parquet")  # fmt: skip
    table = read_table(tmp_path / "t.parquet", SCHEMA)
    assert torch.equal(matrix_column(table, "features"), values)


def test_truncated_parquet_names_the_file(tmp_path):
    path = tmp_path / "t.parquet"
    write_table({"index": [1, 2], "features": vector_column(torch.ones(2, 2))}, SCHEMA, path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(StageFileError, match=r"t\.parquet: not a readable parquet file"):
        read_table(path, SCHEMA)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    write_table({"index": [1]}, SCHEMA[:1], path)
    with pytest.raises(StageFileError, match="column 'features' is missing"):
        read_table(path, SCHEMA)


def test_a_column_of_another_type_is_named_with_both_types(tmp_path):
    path = tmp_path / "t.parquet"
    write_table({"index": [1.5]}, (Column("index", pa.float64(), "i"),), path)
    with pytest.raises(
        StageFileError, match=r"t\.parquet: column 'index' is double, expected int64"
    ):
        read_table(path, SCHEMA[:1])


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("finished result")
    with pytest.raises(RuntimeError), atomic_write(path) as temporary:
        temporary.write_text("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "finished result"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_write_removes_the_temporaries_a_killed_write_left(tmp_path):
    path = tmp_path / "table.parquet"
    left_by_a_kill = tmp_path / ".table.parquet.abc123.tmp"
    left_by_a_kill.write_bytes(b"half a file")
    other = tmp_path / ".other.parquet.abc123.tmp"  # another file's temporary: not ours to remove
    other.write_bytes(b"")
    with atomic_write(path) as temporary:
        temporary.write_bytes(b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".other.parquet.abc123.tmp",
        "table.parquet",
    ]


def test_written_files_get_the_permissions_of_a_plain_open(tmp_path):
    previous = os.umask(0o027)  # a group-readable umask, unlike mkstemp's 0600
    try:
        with atomic_write(tmp_path / "table.parquet") as temporary:
            temporary.write_bytes(b"x")
    finally:
        os.umask(previous)
    assert (tmp_path / "table.parquet").stat().st_mode & 0o777 == 0o640


def test_checkpoint_checks(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint({"config_hash": "abc", "weights": torch.ones(2)}, path)
    assert torch.equal(
        load_checkpoint(path, expect={"config_hash": "abc"})["weights"], torch.ones(2)
    )
    with pytest.raises(StageFileError, match="written for config_hash='abc'"):
        load_checkpoint(path, expect={"config_hash": "xyz"})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(StageFileError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_checkpoints_are_never_unpickled_as_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "alcore.checkpoint/1", "payload": Evil()}, path)
    with pytest.raises(StageFileError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_labelled_set_checks(tmp_path):
    path = tmp_path / "l.parquet"
    write_labelled(torch.tensor([3, 1, 3]), torch.tensor([-1, -1, -1]), 10, path)
    with pytest.raises(StageFileError, match="lists an index twice"):
        read_labelled(path)
    write_labelled(torch.tensor([3, 12]), torch.tensor([-1, -1]), 10, path)
    with pytest.raises(StageFileError, match=r"outside the pool \[0, 10\)"):
        read_labelled(path)
    write_labelled(torch.tensor([3, 4]), torch.tensor([-1, -1]), 10, path)
    with pytest.raises(StageFileError, match="pool of 10 items, not 11"):
        read_labelled(path, n_pool=11)
