"""The `features` dataset: .npy (memory-mapped) and parquet files of precomputed embeddings."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from alcore.catalog.datasets import facts
from alcore.data import DatasetUnavailableError, load_dataset
from alcore.data.splits import stratified_split


def features(n: int, d: int, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) float32 features whose row r starts with r (to tell rows apart), (n,) labels."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    x[:, 0] = np.arange(n)
    return x, (np.arange(n) % classes).astype(np.int64)


def write_npy(folder: Path, x: np.ndarray, y: np.ndarray, split: np.ndarray | None = None) -> dict:
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    options = {"path": "x.npy", "labels": "y.npy"}
    if split is not None:
        np.save(folder / "split.npy", split)
        options["split"] = "split.npy"
    return options


def write_parquet(folder: Path, x: np.ndarray, y: np.ndarray, split=None, fixed=True) -> dict:
    values = pa.array(x.ravel())
    if fixed:
        column = pa.FixedSizeListArray.from_arrays(values, x.shape[1])
    else:
        column = pa.ListArray.from_arrays(pa.array(np.arange(0, x.size + 1, x.shape[1])), values)
    table = {"features": column, "label": y}
    if split is not None:
        table["split"] = split
    pq.write_table(pa.table(table), folder / "x.parquet", row_group_size=37)  # several groups
    return {"path": "x.parquet"}


def load(folder: Path, options: dict):
    return load_dataset("features", data_dir=folder, options=options)


def halves(n: int) -> np.ndarray:
    """Alternating pool/test rows: the pool is scattered over the file."""
    return np.where(np.arange(n) % 2 == 0, "pool", "test")


@pytest.mark.parametrize("fmt", ["npy", "parquet", "parquet-list"])
def test_a_given_split_keeps_file_order(tmp_path, fmt):
    x, y = features(100, 6)
    split = halves(100)
    if fmt == "npy":
        options = write_npy(tmp_path, x, y, split)
    else:
        options = write_parquet(tmp_path, x, y, split, fixed=fmt == "parquet")
    b = load(tmp_path, options)
    pool, test = np.flatnonzero(split == "pool"), np.flatnonzero(split == "test")
    np.testing.assert_array_equal(b.pool_inputs.numpy(), x[pool])  # pool item i = i-th pool row
    np.testing.assert_array_equal(b.test_inputs.numpy(), x[test])
    np.testing.assert_array_equal(b.pool_labels.numpy(), y[pool])
    np.testing.assert_array_equal(b.test_labels.numpy(), y[test])
    assert b.pool_inputs.dtype == torch.float32 and b.pool_labels.dtype == torch.int64
    assert b.num_classes == 3 and b.class_names == ("0", "1", "2") and b.input_shape == (6,)
    assert b.pixel_mean is None and torch.equal(b.prepare(b.pool_inputs), b.pool_inputs)


@pytest.mark.parametrize("fmt", ["npy", "parquet"])
def test_without_a_split_the_seeded_split_is_stratified(tmp_path, fmt):
    x, y = features(120, 4)
    write = write_npy if fmt == "npy" else write_parquet
    options = {**write(tmp_path, x, y), "test_fraction": 0.2, "split_seed": 7}
    b = load(tmp_path, options)
    pool, test = stratified_split(y, 0.2, 7)
    np.testing.assert_array_equal(b.pool_inputs[:, 0].numpy(), pool)  # column 0 = file row
    np.testing.assert_array_equal(b.test_inputs[:, 0].numpy(), test)
    assert np.bincount(b.test_labels.numpy()).tolist() == [8, 8, 8]  # 20% of each class


def test_the_split_depends_on_split_seed(tmp_path):
    x, y = features(90, 3)
    options = write_npy(tmp_path, x, y)
    first = load(tmp_path, options)
    for again in (load(tmp_path, options), load(tmp_path, {**options, "split_seed": 0})):
        assert torch.equal(again.pool_inputs, first.pool_inputs)
        assert torch.equal(again.test_inputs, first.test_inputs)
        assert torch.equal(again.pool_labels, first.pool_labels)
    other = load(tmp_path, {**options, "split_seed": 1})
    assert not torch.equal(other.test_inputs, first.test_inputs)


def test_npy_and_parquet_of_the_same_data_give_identical_tensors(tmp_path):
    x, y = features(80, 5)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a = load(tmp_path / "a", write_npy(tmp_path / "a", x, y))
    b = load(tmp_path / "b", write_parquet(tmp_path / "b", x, y))
    for name in ("pool_inputs", "pool_labels", "test_inputs", "test_labels"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_other_float_dtypes_are_converted_to_float32(tmp_path, dtype):
    x, y = features(40, 3)
    options = write_npy(tmp_path, x.astype(dtype), y, np.repeat(["pool", "test"], 20))
    b = load(tmp_path, options)
    assert b.pool_inputs.dtype == torch.float32
    np.testing.assert_array_equal(b.pool_inputs.numpy(), x[:20].astype(dtype).astype(np.float32))


def test_class_names_set_the_class_count(tmp_path):
    x, y = features(30, 2, classes=2)
    options = {**write_npy(tmp_path, x, y), "class_names": ["cat", "dog", "bird"]}
    b = load(tmp_path, options)
    assert b.num_classes == 3 and b.class_names == ("cat", "dog", "bird")
    write_npy(tmp_path, x, y + 1)  # labels 1 and 2
    message = refusal(tmp_path, {**options, "class_names": ["a", "b"]})
    assert "labels reach 2 but the option class_names gives 2 names; give one name per" in message


def test_a_pool_in_one_block_is_a_view_of_the_memory_map(tmp_path):
    x, y = features(50_000, 64)  # 12.8 MB
    split = np.repeat(["pool", "test"], [45_000, 5_000])
    options = write_npy(tmp_path, x, y, split)
    anon_before = rss_anon_kb()
    b = load(tmp_path, options)
    grown_mb = (rss_anon_kb() - anon_before) / 1024
    start, end = mapping_of(tmp_path / "x.npy")  # type: ignore[misc]
    pointer = b.pool_inputs.data_ptr()
    assert start <= pointer and pointer + b.pool_inputs.numel() * 4 <= end  # inside the map
    assert b.test_inputs.data_ptr() == pointer + 45_000 * 64 * 4
    assert grown_mb < 6, f"anonymous memory grew by {grown_mb:.1f} MB for a 12.8 MB file"
    np.testing.assert_array_equal(b.pool_inputs.numpy(), x[:45_000])


def test_a_scattered_pool_is_gathered_into_memory(tmp_path):
    x, y = features(100, 4)
    b = load(tmp_path, write_npy(tmp_path, x, y, halves(100)))
    assert mapping_of(tmp_path / "x.npy", missing_ok=True) is None  # the map is released
    np.testing.assert_array_equal(b.pool_inputs.numpy(), x[::2])


@pytest.mark.parametrize("fmt", ["npy", "parquet", "parquet-list"])
@pytest.mark.parametrize("split", [False, True])
def test_pool_size_and_input_shape_from_headers_equal_the_loaded_bundle(tmp_path, fmt, split):
    x, y = features(101, 7)
    given = np.where(np.arange(101) < 60, "pool", "test") if split else None
    if fmt == "npy":
        options = write_npy(tmp_path, x, y, given)
    else:
        options = write_parquet(tmp_path, x, y, given, fixed=fmt == "parquet")
    b = load(tmp_path, options)
    assert facts("features", options, tmp_path).n_pool == b.n_pool == (60 if split else 75)
    assert facts("features", options, tmp_path).input_shape == b.input_shape == (7,)


def test_paths_may_be_absolute(tmp_path):
    x, y = features(20, 2)
    options = write_npy(tmp_path, x, y)
    absolute = {k: str(tmp_path / v) for k, v in options.items()}
    assert load(tmp_path / "elsewhere", absolute).n_pool == load(tmp_path, options).n_pool


def test_a_million_rows_load_through_the_registry(tmp_path):
    n, d = 1_000_000, 8
    x = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(n, d))
    x[:] = 1.0
    x[:, 0] = np.arange(n, dtype=np.float32)
    x.flush()
    del x
    np.save(tmp_path / "y.npy", np.arange(n, dtype=np.int64) % 10)
    np.save(tmp_path / "split.npy", np.where(np.arange(n) < 990_000, "pool", "test"))
    options = {"path": "x.npy", "labels": "y.npy", "split": "split.npy"}
    b = load(tmp_path, options)
    assert b.n_pool == 990_000 and b.n_test == 10_000 and b.num_classes == 10
    assert float(b.pool_inputs[123_456, 0]) == 123_456.0 and float(b.test_inputs[0, 0]) == 990_000
    assert facts("features", options, tmp_path).n_pool == 990_000


# --- refusals: each names the file and the fix --------------------------------------------


def refusal(tmp_path, options, error=ValueError) -> str:
    with pytest.raises(error) as info:
        load(tmp_path, options)
    return str(info.value)


def test_missing_files_name_the_file_and_the_option(tmp_path):
    message = refusal(tmp_path, {"path": "nope.npy", "labels": "y.npy"}, DatasetUnavailableError)
    assert f"{(tmp_path / 'nope.npy').resolve()} (option path) does not exist" in message
    np.save(tmp_path / "x.npy", np.zeros((4, 2), np.float32))
    message = refusal(tmp_path, {"path": "x.npy", "labels": "y.npy"}, FileNotFoundError)
    assert "(option labels) does not exist" in message
    with pytest.raises(DatasetUnavailableError, match=r"option path"):
        facts("features", {"path": "nope.parquet"}, tmp_path)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, r"needs the option `path`"),
        ({"path": "x.csv"}, r"must end in \.npy or \.parquet"),
        ({"path": "x.npy"}, r"set the option `labels`"),
        ({"path": "x.npy", "labels": "y.npy", "label_column": "y"}, r"\['label_column'\] name "),
        ({"path": "x.parquet", "labels": "y.npy"}, r"\['labels'\] name \.npy files"),
        ({"path": "x.npy", "labels": "y.npy", "class_names": ["a"]}, r"at least two distinct"),
        ({"path": "x.npy", "labels": "y.npy", "test_fraction": 1.0}, r"test_fraction=1\.0"),
        ({"path": "x.npy", "wat": 1}, r"unknown option\(s\) \['wat'\]"),
    ],
)
def test_bad_options_are_refused(tmp_path, options, expected):
    assert re.search(expected, refusal(tmp_path, options))


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (np.zeros(10, np.float32), r"x\.npy: the features must be a 2-D \(N, D\) float array, "
                                   r"got shape \(10,\)"),
        (np.zeros((10, 2, 2), np.float32), r"got shape \(10, 2, 2\).*reshape\(len\(x\), -1\)"),
        (np.zeros((10, 2), np.int32), r"dtype int32"),
    ],
)  # fmt: skip
def test_wrong_feature_shapes_and_dtypes_are_refused(tmp_path, x, expected):
    options = write_npy(tmp_path, x, np.arange(10) % 2)
    assert re.search(expected, refusal(tmp_path, options))


def test_an_object_array_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[1.0], [2.0]], dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    message = refusal(tmp_path, {"path": "x.npy", "labels": "y.npy"})
    assert "not a readable .npy of numbers" in message and "np.save(path, x)" in message


@pytest.mark.parametrize("fmt", ["npy", "parquet"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_name_the_row(tmp_path, fmt, bad):
    x, y = features(300, 3)
    x[217, 1] = bad
    write = write_npy if fmt == "npy" else write_parquet
    message = refusal(tmp_path, write(tmp_path, x, y))
    assert "the features of file row 217 are not finite" in message
    assert "np.isfinite(x).all(axis=1)" in message


@pytest.mark.parametrize("fmt", ["npy", "npy-fortran", "parquet"])
def test_the_streamed_finite_check_reads_blocks_and_finds_a_nan_in_the_last(
    tmp_path, monkeypatch, fmt
):
    from alcore.data import feature_file

    x, y = features(100, 3)
    x[99, 2] = np.nan  # the last value of the file, in C and in Fortran order
    if fmt == "parquet":
        options = write_parquet(tmp_path, x, y)
    else:
        options = write_npy(tmp_path, np.asfortranarray(x) if fmt == "npy-fortran" else x, y)
    source = feature_file.feature_source(tmp_path, options)
    monkeypatch.setattr(feature_file, "FINITE_BLOCK_BYTES", 7 * 3 * 4)  # 7 float32 rows
    blocks = []
    real = feature_file._first_bad_value
    monkeypatch.setattr(
        feature_file, "_first_bad_value", lambda values: blocks.append(values.size) or real(values)
    )
    with pytest.raises(ValueError, match=r"x\.(npy|parquet): the features of file row 99 are not"):
        feature_file.check_finite(source)
    assert max(blocks) <= 21 and sum(blocks) == 300  # every value, 7 rows at most at a time
    assert len(blocks) >= 15  # 100 rows: 14 blocks of 7, the NaN in the 15th
    blocks.clear()
    x[99, 2] = 0.0
    if fmt == "parquet":
        write_parquet(tmp_path, x, y)
    else:
        write_npy(tmp_path, np.asfortranarray(x) if fmt == "npy-fortran" else x, y)
    feature_file.check_finite(source)  # a finite file passes
    assert sum(blocks) == 300


@pytest.mark.parametrize(
    ("value", "refused"), [(3e38, False), (-3e38, False), (1e39, True), (np.nan, True)]
)
def test_the_streamed_finite_check_agrees_with_the_loader(tmp_path, value, refused):
    from alcore.data.feature_file import check_finite, feature_source

    x, y = features(10, 3)
    x = x.astype(np.float64)
    x[:, 1:] = value  # 3e38: finite, though the sum overflows; 1e39: inf as float32
    options = write_npy(tmp_path, x, y)
    if refused:
        message = refusal(tmp_path, options)
        with pytest.raises(ValueError, match=re.escape(message)):
            check_finite(feature_source(tmp_path, options))
    else:
        load(tmp_path, options)
        check_finite(feature_source(tmp_path, options))


def test_large_finite_values_whose_sum_overflows_pass(tmp_path):
    x, y = features(10, 3)
    x[:, 1:] = 3e38  # finite; their float32 sum is inf
    b = load(tmp_path, write_npy(tmp_path, x, y))
    assert bool(torch.isfinite(b.pool_inputs).all())


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.arange(20) % 2 * 1.0, r"y\.npy: labels must be integers >= 0, got dtype float64"),
        (np.arange(20) % 2 - (np.arange(20) == 2), r"row 2 has -1; map the classes to ids"),
        (np.zeros(19, np.int64), r"shape \(20,\), got \(19,\)"),
        (np.full(20, 4), r"the pool holds a single class \(\[4\]\)"),
    ],
)
def test_bad_labels_are_refused(tmp_path, labels, expected):
    x, _ = features(20, 2)
    assert re.search(expected, refusal(tmp_path, write_npy(tmp_path, x, labels)))


def test_bad_parquet_labels_and_columns_are_refused(tmp_path):
    x, y = features(20, 2)
    write_parquet(tmp_path, x, y.astype(np.float32))
    message = refusal(tmp_path, {"path": "x.parquet"})
    assert "column 'label': labels must be integers >= 0 without nulls, got type float" in message
    message = refusal(tmp_path, {"path": "x.parquet", "features_column": "emb"})
    assert "no column 'emb' (columns: ['features', 'label'])" in message
    message = refusal(tmp_path, {"path": "x.parquet", "split_column": "fold"})
    assert "no split column 'fold'" in message
    pq.write_table(pa.table({"features": pa.array(np.arange(20.0)), "label": y}),
                   tmp_path / "x.parquet")  # fmt: skip
    assert "it must hold D floats a row" in refusal(tmp_path, {"path": "x.parquet"})


def test_ragged_parquet_rows_are_refused(tmp_path):
    column = pa.array([[1.0, 2.0], [3.0, 4.0], [5.0]], type=pa.list_(pa.float32()))
    pq.write_table(pa.table({"features": column, "label": [0, 1, 0]}), tmp_path / "x.parquet")
    message = refusal(tmp_path, {"path": "x.parquet", "test_fraction": 0.4})
    assert "row 2 has 1 values, row 0 has 2" in message


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        (np.array(["pool", "test", "train", "val"] * 5), r"holds \['train', 'val'\] besides"),
        (np.array(["pool"] * 20), r"marks no row 'test', so the test set would be empty"),
        (np.array(["test"] * 20), r"marks no row 'pool', so the pool set would be empty"),
        (np.arange(20), r"must be a 1-D string array"),
    ],
)
def test_bad_splits_are_refused(tmp_path, split, expected):
    x, y = features(20, 2)
    assert re.search(expected, refusal(tmp_path, write_npy(tmp_path, x, y, split)))
    if split.dtype.kind == "U":
        write_parquet(tmp_path, x, y, split)
        assert re.search(expected, refusal(tmp_path, {"path": "x.parquet"}))


def test_an_empty_file_is_refused(tmp_path):
    options = write_npy(tmp_path, np.zeros((0, 3), np.float32), np.zeros(0, np.int64))
    assert "into 0 pool and 0 test items" in refusal(tmp_path, options)


def test_preflight_refuses_a_missing_file_with_the_loaders_message(tmp_path):
    from alcore.workflow.config import ConfigError, parse_config
    from alcore.workflow.preflight import check_inputs
    from alcore.workflow.resources import memory_mb

    options = {"path": "x.npy", "labels": "y.npy"}
    raw = {
        "data_dir": str(tmp_path),
        "strategies": {"random": {"kind": "random"}},
        "experiments": {"e": {"datasets": {"mine": {
            "dataset": "features", "model": "mlp", "initial": 10, "budget": 10, "rounds": 1,
            "lr": 0.01, "epochs": {"first": 1, "thereafter": 1}, "options": options}},
            "strategies": ["random"], "seeds": [0]}},
    }  # fmt: skip
    config = parse_config(raw)
    with pytest.raises(ConfigError) as info:
        check_inputs(config)
    loader = refusal(tmp_path, options, DatasetUnavailableError)
    assert str(info.value) == f"experiments.e.datasets.mine.options: {loader}"
    small = memory_mb("train", config.dataset("e", "mine"))  # before the file exists
    np.lib.format.open_memmap(tmp_path / "x.npy", "w+", np.float32, (400_000, 64))  # sparse
    np.save(tmp_path / "y.npy", np.arange(400_000) % 2)
    check_inputs(config)
    assert memory_mb("train", config.dataset("e", "mine")) >= small + 100  # 102 MB of features


# --- helpers reading this process's memory -----------------------------------------------


def rss_anon_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^RssAnon:\s+(\d+) kB", status, flags=re.MULTILINE).group(1))


def mapping_of(path: Path, missing_ok: bool = False) -> tuple[int, int] | None:
    """The address range of this process's memory map of ``path``."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.endswith(str(path.resolve())):
            start, end = line.split()[0].split("-")
            return int(start, 16), int(end, 16)
    assert missing_ok, f"{path} is not mapped"
    return None
