"""The shared array reader: one matrix read alike from .npy, .pt and every parquet layout,
memory maps and streamed blocks, and one message (file, problem, fix) for each bad file."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import torch

from alcore.files.arrays import (
    ArrayFileError,
    array_format,
    list_blocks,
    list_rows,
    list_width,
    load_npy,
    load_pt,
    npy_blocks,
    numeric,
    open_parquet,
    read_parquet,
    read_tensor,
    table_matrix,
    to_tensor,
)

N, K = 11, 3


@pytest.fixture
def matrix() -> np.ndarray:
    """(N, K) float32, every value distinct: a row or column out of place shows."""
    return np.arange(N * K, dtype=np.float32).reshape(N, K) / 7


def fixed(x: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1])


def ragged(rows: list[list[float]], large: bool = False) -> pa.Array:
    return pa.array(rows, type=(pa.large_list if large else pa.list_)(pa.float32()))


def write(path, **columns):
    pq.write_table(pa.table(columns), path)
    return path


def message(call, *args, **kwargs) -> str:
    with pytest.raises(ArrayFileError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- one matrix, every format and layout ------------------------------------------------------


def layouts(tmp_path, x: np.ndarray) -> dict[str, object]:
    """The matrix ``x`` in each format and parquet layout the reader accepts: name -> path."""
    np.save(tmp_path / "x.npy", x)
    torch.save(torch.from_numpy(x), tmp_path / "x.pt")
    rows = x.tolist()
    return {
        "npy": tmp_path / "x.npy",
        "pt": tmp_path / "x.pt",
        "fixed-size list": write(tmp_path / "fixed.parquet", features=fixed(x)),
        "list": write(tmp_path / "list.parquet", features=ragged(rows)),
        "large list": write(tmp_path / "large.parquet", features=ragged(rows, large=True)),
        "only list column": write(tmp_path / "only.parquet", emb=fixed(x), id=np.arange(N)),
        "column per dimension": write(
            tmp_path / "wide.parquet", **{f"x{j}": x[:, j] for j in range(K)}
        ),
    }


def test_one_matrix_reads_equal_from_every_format_and_layout(tmp_path, matrix):
    for layout, path in layouts(tmp_path, matrix).items():
        values = read_tensor(path, "features")
        assert values.dtype == torch.float32, layout
        assert torch.equal(values, torch.from_numpy(matrix)), layout


def test_a_list_column_named_as_asked_wins_over_the_others(tmp_path, matrix):
    path = write(tmp_path / "two.parquet", probs=fixed(matrix[:, :2]), features=fixed(matrix))
    assert torch.equal(read_tensor(path, "features"), torch.from_numpy(matrix))
    assert read_tensor(path, "probs").shape == (N, 2)


def test_rows_picks_the_rows_of_a_parquet_table(tmp_path, matrix):
    split = ["pool", "test"] * (N // 2) + ["pool"]
    path = write(tmp_path / "x.parquet", features=fixed(matrix), split=split)
    pool = read_tensor(path, "features", rows=lambda t: t.filter(pc.equal(t["split"], "pool")))
    assert torch.equal(pool, torch.from_numpy(matrix[np.array(split) == "pool"]))


def test_integer_columns_per_dimension_widen_to_float(tmp_path):
    path = write(
        tmp_path / "x.parquet", a=np.arange(4), b=np.arange(4) * 2, __index_level_0__=[9] * 4
    )
    values = table_matrix(path, pq.read_table(path), "features")
    assert values.dtype == np.float64  # int64 and float32: exact in float64
    assert values.tolist() == [[0, 0], [1, 2], [2, 4], [3, 6]]  # pandas' index left out


def test_a_sliced_list_column_reads_its_own_rows(matrix):
    column = ragged(matrix.tolist()).slice(4, 3)
    assert np.array_equal(list_rows("t.parquet", column, "features"), matrix[4:7])


@pytest.mark.parametrize("suffix", [".npy", ".NPY", ".pt", ".parquet", ".Parquet", ".csv", ""])
def test_the_format_is_the_suffix(suffix):
    expected = {".npy": "npy", ".pt": "pt", ".parquet": "parquet"}.get(suffix.lower())
    assert array_format(f"data/x{suffix}") == expected


# --- .npy: memory maps, blocks, conversions -----------------------------------------------------


def test_a_mapped_npy_is_a_copy_on_write_memmap(tmp_path, matrix):
    np.save(tmp_path / "x.npy", matrix)
    mapped = load_npy(tmp_path / "x.npy", mmap=True)
    assert isinstance(mapped, np.memmap) and mapped.mode == "c"
    assert np.array_equal(mapped, matrix)
    mapped[0, 0] = -1.0  # private pages: the file keeps its values
    assert np.load(tmp_path / "x.npy")[0, 0] == matrix[0, 0]
    assert not isinstance(load_npy(tmp_path / "x.npy"), np.memmap)


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_blocks_cover_the_file_in_storage_order(tmp_path, matrix, order):
    np.save(tmp_path / "x.npy", np.asarray(matrix, order=order))
    blocks = list(npy_blocks(tmp_path / "x.npy", 7))
    assert [start for start, _ in blocks] == list(range(0, N * K, 7))
    assert all(isinstance(b, np.memmap) and b.size <= 7 for _, b in blocks)
    flat = np.concatenate([b for _, b in blocks])
    assert np.array_equal(flat, matrix.ravel(order=order))


def test_numbers_come_native_and_c_ordered_and_wide_unsigned_becomes_int64(tmp_path):
    big = np.arange(6, dtype=">f8").reshape(2, 3)
    assert numeric("x.npy", big, "features").dtype == np.dtype("=f8")
    fortran = np.asfortranarray(np.ones((3, 2), np.float32))
    assert numeric("x.npy", fortran, "features").flags.c_contiguous
    assert to_tensor("x.npy", np.arange(3, dtype=np.uint16), "labelled").dtype == torch.int64
    assert to_tensor("x.npy", np.arange(3, dtype=np.uint8), "labelled").dtype == torch.uint8


def test_a_read_only_array_becomes_a_writable_tensor_of_its_own():
    source = np.zeros(3, np.float32)
    source.flags.writeable = False
    values = to_tensor("x.npy", source, "probs")
    values += 1  # would fail, or write into the source, were the memory shared
    assert source.tolist() == [0, 0, 0] and values.tolist() == [1, 1, 1]


# --- each bad file: one message naming the file, the problem and the fix -------------------------


def test_an_object_npy_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.array([[1.0], [None]], dtype=object), allow_pickle=True)
    text = message(load_npy, path)
    assert text.startswith(f"{path}: not a readable .npy array (")
    assert text.endswith("; save a numeric array with np.save (object arrays are refused)")
    text = message(load_npy, path, holding="of labels", fix="")
    assert re.fullmatch(rf"{re.escape(str(path))}: not a readable \.npy of labels \([^)]*\)", text)


@pytest.mark.parametrize(
    "content", [b"", b"\x93NUMPY truncated", b"plain text"], ids=["empty", "truncated", "text"]
)
def test_an_unreadable_npy_names_the_file(tmp_path, content):
    path = tmp_path / "x.npy"
    path.write_bytes(content)
    assert message(load_npy, path).startswith(f"{path}: not a readable .npy array (")


def test_an_npz_archive_named_npy_is_refused(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.ones(2))
    (tmp_path / "x.npz").rename(tmp_path / "x.npy")
    assert "not a readable .npy array (an .npz archive)" in message(load_npy, tmp_path / "x.npy")


def test_values_that_are_not_numbers_are_refused(tmp_path):
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    assert message(read_tensor, tmp_path / "s.npy", "features") == (
        f"{tmp_path / 's.npy'}: holds <U1 values, not numbers; save features as a numeric array"
    )
    with pytest.raises(ArrayFileError, match="holds complex128 values"):
        numeric("c.npy", np.ones(2, complex), "probs")


class Opaque:
    """A pickled class: weights_only=True refuses to rebuild it."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"features": torch.zeros(2)}, "holds a dict, not a tensor; save the features tensor "
                                       "itself with torch.save(tensor, path)"),
        (torch.ones(2, dtype=torch.complex64), "holds complex numbers; save real features"),
        (Opaque(), "not a readable tensor file (corrupt, or holds pickled objects that "
                   "weights_only=True refuses); save one tensor with torch.save(tensor, path)"),
    ],
    ids=["dict", "complex", "pickled class"],
)  # fmt: skip
def test_a_pt_that_is_not_one_real_tensor_is_refused(tmp_path, value, expected):
    path = tmp_path / "x.pt"
    torch.save(value, path)
    assert message(load_pt, path, "features") == f"{path}: {expected}"


def test_a_garbage_pt_names_the_file(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"not a tensor")
    text = message(read_tensor, tmp_path / "x.pt", "probs")
    assert text.startswith(f"{tmp_path / 'x.pt'}: not a readable tensor file (")


def test_a_garbage_parquet_names_the_file(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"not parquet")
    for call in (open_parquet, read_parquet):
        text = message(call, path)
        assert text.startswith(f"{path}: not a readable parquet file (")
        assert text.endswith("); check the file")
    assert message(read_tensor, path, "features").startswith(f"{path}: not a readable parquet")


def test_a_table_without_a_matrix_is_refused(tmp_path, matrix):
    names = write(tmp_path / "n.parquet", name=["a"] * N)
    assert message(read_tensor, names, "features") == (
        f"{names}: found no features column (columns: name); write a list column named "
        "'features', or one numeric column per dimension"
    )
    two = write(tmp_path / "two.parquet", a=fixed(matrix), b=fixed(matrix), c=np.arange(N))
    assert "found no probs column (columns: a, b, c)" in message(read_tensor, two, "probs")


def test_nulls_in_a_list_column_are_refused(tmp_path):
    null_row = write(tmp_path / "r.parquet", features=ragged([[1, 2], None, [3, 4]]))
    assert message(read_tensor, null_row, "features") == (
        f"{null_row} column 'features': null features near row 0; every row needs 2 values"
    )
    null_value = write(tmp_path / "v.parquet", probs=ragged([[1, 2], [3, None]]))
    assert "column 'probs': null probs near row 0" in message(read_tensor, null_value, "probs")


def test_ragged_rows_name_the_first_short_row(tmp_path):
    path = write(tmp_path / "x.parquet", features=ragged([[1, 2], [3, 4], [5]]))
    assert message(read_tensor, path, "features") == (
        f"{path} column 'features': row 2 has 1 values, row 0 has 2; every row must have the "
        "same number of features"
    )


def test_list_blocks_stream_the_rows_and_name_the_file_row_of_a_bad_one(tmp_path, matrix):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"features": fixed(matrix)}), path, row_group_size=4)
    source = open_parquet(path, streamed=True)
    blocks = list(list_blocks(path, source, "features", K, 4))
    assert [start for start, _ in blocks] == [0, 4, 8]
    assert np.array_equal(np.concatenate([b for _, b in blocks]), matrix)
    rows = matrix.tolist()
    rows[9] = rows[9][:2]
    pq.write_table(pa.table({"features": ragged(rows)}), path, row_group_size=4)
    source = open_parquet(path, streamed=True)
    with pytest.raises(ArrayFileError, match=r"x\.parquet column 'features': row 9 has 2 values"):
        list(list_blocks(path, source, "features", K, 4))


def test_the_width_comes_from_the_schema_or_the_first_row(tmp_path, matrix):
    assert list_width("f", open_parquet(write(tmp_path / "f.parquet", x=fixed(matrix))), "x") == K
    listed = write(tmp_path / "l.parquet", x=ragged(matrix.tolist()))
    assert list_width("l", open_parquet(listed), "x") == K
    empty = write(tmp_path / "e.parquet", x=ragged([]))
    assert list_width("e", open_parquet(empty), "x") == 1  # no rows: the caller's count speaks
    ints = write(tmp_path / "i.parquet", x=pa.array([[1, 2]], type=pa.list_(pa.int64())))
    text = message(list_width, ints, open_parquet(ints), "x")
    assert re.match(
        rf"{re.escape(str(ints))}: column 'x' has type list<\w+: int64>; it must hold D", text
    )


def test_the_error_keeps_its_parts_for_callers_that_reword_the_fix():
    error = ArrayFileError("e.parquet", "row 2 has 1 values", "write rows of one width", "probs")
    assert isinstance(error, ValueError)
    assert str(error) == "e.parquet column 'probs': row 2 has 1 values; write rows of one width"
    assert error.reason == "column 'probs': row 2 has 1 values"
    assert str(ArrayFileError("x.npy", "unreadable")) == "x.npy: unreadable"
