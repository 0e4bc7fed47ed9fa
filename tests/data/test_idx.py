"""The MNIST family from IDX files: the reader on hand-written tiny files, the header-only facts,
the loaders, the messages of missing and damaged files, the pre-job refusal, and the real
Fashion-MNIST files of Debian's dataset-fashion-mnist package."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import urllib.error
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from alcore.catalog.datasets import DATASETS, facts
from alcore.data import DatasetUnavailableError, idx, load_dataset
from alcore.workflow.config import ConfigError, parse_config
from alcore.workflow.preflight import check_inputs

NAMES = ("mnist", "fashion_mnist", "kmnist")


# --- writing IDX files ------------------------------------------------------------------------


def idx_bytes(array: np.ndarray, *, dtype_code: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array: magic, big-endian dims, the bytes."""
    header = bytes([0, 0, dtype_code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write(path: Path, data: bytes) -> Path:
    """``data`` to ``path``, gzip-compressed when the name ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def tiny_split(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def write_dataset(folder: Path, *, gz: bool, n_train: int = 12, n_test: int = 5, seed: int = 0):
    """The four files in ``folder``; returns (train images, train labels, test images, labels)."""
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    arrays = []
    for split, n in (("train", n_train), ("t10k", n_test)):
        images, labels = tiny_split(rng, n)
        write(folder / f"{split}-images-idx3-ubyte{suffix}", idx_bytes(images))
        write(folder / f"{split}-labels-idx1-ubyte{suffix}", idx_bytes(labels.astype(np.uint8)))
        arrays += [images, labels]
    return tuple(arrays)


@pytest.fixture
def no_system_files(monkeypatch, tmp_path):
    """Fashion-MNIST's system folder is somewhere empty, whatever this machine has installed."""
    source = idx.SOURCES["fashion_mnist"]
    empty = tmp_path / "no-system-folder"
    monkeypatch.setitem(
        idx.SOURCES, "fashion_mnist", dataclasses.replace(source, system_folder=empty)
    )
    return empty


# --- the reader -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_reader_reads_raw_and_gz_as_uint8(tmp_path, suffix):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    image_file = write(tmp_path / f"images{suffix}", idx_bytes(images))
    label_file = write(tmp_path / f"labels{suffix}", idx_bytes(labels))
    read = idx.read_idx(image_file, rank=3)
    assert read.dtype == np.uint8 and read.shape == (3, 4, 5) and read.flags.writeable
    np.testing.assert_array_equal(read, images)
    np.testing.assert_array_equal(idx.read_idx(label_file, rank=1), labels)
    header = idx.read_idx_header(image_file)
    assert header.dims == (3, 4, 5) and header.offset == 16 and header.data_bytes == 60


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_files_are_refused_naming_the_file(tmp_path, suffix):
    data = idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))
    path = write(tmp_path / f"train-images-idx3-ubyte{suffix}", data[:-100])
    for read in (idx.read_idx, idx.read_idx_header):
        with pytest.raises(ValueError, match="is truncated") as error:
            read(path)
        message = str(error.value)
        assert str(path) in message and "3136 bytes of data" in message and "holds 3036" in message
        assert "delete it and get it again" in message


def test_a_cut_gzip_stream_is_refused(tmp_path):
    whole = gzip.compress(idx_bytes(np.arange(4 * 784, dtype=np.uint32).astype(np.uint8)))
    path = tmp_path / "labels.gz"
    path.write_bytes(whole[: len(whole) // 2])  # a partial download: no gzip trailer
    for read in (idx.read_idx, idx.read_idx_header):
        with pytest.raises(ValueError, match="not a complete gzip stream") as error:
            read(path)
        assert str(path) in str(error.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_over_long_files_are_refused(tmp_path, suffix):
    path = write(tmp_path / f"labels{suffix}", idx_bytes(np.zeros(5, dtype=np.uint8)) + b"\0\0")
    for read in (idx.read_idx, idx.read_idx_header):
        with pytest.raises(ValueError, match=r"is over-long: .* holds 7 \(2 bytes too many\)"):
            read(path)


def test_bad_magic_numbers_are_refused(tmp_path):
    floats = write(tmp_path / "floats", idx_bytes(np.zeros(4, dtype=np.uint8), dtype_code=0x0D))
    with pytest.raises(ValueError, match=r"not an IDX file of unsigned bytes.*00 00 0d 01"):
        idx.read_idx(floats)
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"and rank 3: its magic number is 00 00 08 01"):
        idx.read_idx(labels, rank=3)  # a labels file where images belong
    text = write(tmp_path / "notes", b"hello world, not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        idx.read_idx_header(text)
    short = write(tmp_path / "short", b"\0\0")
    with pytest.raises(ValueError, match=r"ends inside the IDX header"):
        idx.read_idx_header(short)
    unnamed = write(tmp_path / "images", gzip.compress(idx_bytes(np.zeros(3, dtype=np.uint8))))
    with pytest.raises(ValueError, match=r"gzip-compressed but its name does not end in \.gz"):
        idx.read_idx_header(unnamed)


def test_the_header_of_a_gz_file_is_read_without_decompressing_it(tmp_path, monkeypatch):
    path = write(tmp_path / "x.gz", idx_bytes(np.ones((6, 28, 28), dtype=np.uint8)))

    def no_full_pass(path):
        raise AssertionError("decompressed the whole stream")

    monkeypatch.setattr(idx, "_gzip_payload_bytes", no_full_pass)
    assert idx.read_idx_header(path).dims == (6, 28, 28)  # gzip's size trailer agrees


def test_a_multi_member_gzip_file_is_counted_not_refused(tmp_path):
    images = np.arange(5 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(5, 28, 28)
    data = idx_bytes(images)
    path = tmp_path / "images.gz"  # two members: the last trailer counts the second one only
    path.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    assert idx.read_idx_header(path).dims == (5, 28, 28)
    np.testing.assert_array_equal(idx.read_idx(path), images)


# --- the datasets -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("gz", [False, True])
def test_loader_reads_the_standard_files_under_data_dir(tmp_path, name, gz, no_system_files):
    train_x, train_y, test_x, test_y = write_dataset(tmp_path / name, gz=gz)
    bundle = load_dataset(name, data_dir=tmp_path)
    assert bundle.name == name and bundle.input_shape == (1, 28, 28)
    assert bundle.pool_inputs.dtype == torch.uint8 and bundle.pool_inputs.shape == (12, 1, 28, 28)
    np.testing.assert_array_equal(bundle.pool_inputs.numpy()[:, 0], train_x)  # file order
    np.testing.assert_array_equal(bundle.test_inputs.numpy()[:, 0], test_x)
    assert bundle.pool_labels.tolist() == train_y.tolist()
    assert bundle.test_labels.tolist() == test_y.tolist()
    assert bundle.pool_labels.dtype == torch.int64 and bundle.num_classes == 10
    assert bundle.class_names == idx.SOURCES[name].class_names
    # normalised as CIFAR's pixels are: the train split's statistics, one channel
    pool = train_x.astype(np.float64) / 255
    np.testing.assert_allclose(bundle.pixel_mean, [pool.mean()], rtol=1e-9)
    np.testing.assert_allclose(bundle.pixel_std, [pool.std()], rtol=1e-9)
    expected = (torch.from_numpy(train_x).float().unsqueeze(1) / 255 - pool.mean()) / pool.std()
    torch.testing.assert_close(bundle.prepare(bundle.pool_inputs), expected)
    # the catalogue's facts, from the headers alone, agree with the loaded bundle
    assert DATASETS[name].images and DATASETS[name].facts_read_files
    found = facts(name, {}, tmp_path)
    assert (found.n_pool, found.n_test, found.input_shape) == (12, 5, (1, 28, 28))
    assert found.item_bytes == 784


def test_class_names():
    assert idx.SOURCES["mnist"].class_names == tuple("0123456789")
    assert idx.SOURCES["fashion_mnist"].class_names[0] == "T-shirt/top"
    assert idx.SOURCES["fashion_mnist"].class_names[9] == "Ankle boot"
    assert idx.SOURCES["kmnist"].class_names == (
        "o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo",
    )  # fmt: skip
    from torchvision.datasets import KMNIST, FashionMNIST

    assert list(idx.SOURCES["fashion_mnist"].class_names) == FashionMNIST.classes
    assert list(idx.SOURCES["kmnist"].class_names) == KMNIST.classes


def test_torchvisions_layout_is_found_and_data_dir_name_comes_first(tmp_path, no_system_files):
    write_dataset(tmp_path / "KMNIST" / "raw", gz=False, n_train=7, seed=1)
    assert load_dataset("kmnist", data_dir=tmp_path).n_pool == 7
    write_dataset(tmp_path / "kmnist", gz=True, n_train=9, seed=2)
    assert load_dataset("kmnist", data_dir=tmp_path).n_pool == 9
    assert facts("kmnist", {}, tmp_path).n_pool == 9


def test_the_system_folder_is_found(tmp_path, no_system_files):
    write_dataset(no_system_files, gz=True, n_train=8)
    assert load_dataset("fashion_mnist", data_dir=tmp_path / "data").n_pool == 8
    assert facts("fashion_mnist", {}, tmp_path / "data").n_pool == 8


def test_missing_files_name_every_place_and_the_routes(tmp_path, no_system_files):
    (tmp_path / "fashion_mnist").mkdir()
    (tmp_path / "fashion_mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"")
    for find in (
        lambda: load_dataset("fashion_mnist", data_dir=tmp_path),
        lambda: facts("fashion_mnist", {}, tmp_path),
    ):
        with pytest.raises(DatasetUnavailableError) as error:
            find()
        message = str(error.value)
        assert isinstance(error.value, FileNotFoundError)
        assert "dataset 'fashion_mnist' is not available" in message
        assert f"{tmp_path / 'fashion_mnist'}/ (lacks train-labels-idx1-ubyte, " in message
        assert f"{tmp_path / 'FashionMNIST' / 'raw'}/ (does not exist)" in message
        assert f"{no_system_files}/ (does not exist)" in message
        assert "`apt-get install dataset-fashion-mnist`" in message
        assert f"it puts them in {no_system_files}/)" in message  # where the package puts them
        assert "`download: true`" in message
        assert "fashion-mnist.s3-website" in message
    with pytest.raises(DatasetUnavailableError) as error:
        load_dataset("mnist", data_dir=tmp_path)
    assert "apt-get" not in str(error.value)  # no Debian package of MNIST
    assert "`download: true`" in str(error.value) and f"{tmp_path / 'MNIST' / 'raw'}" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("count", r"t10k-labels-idx1-ubyte holds 4 labels but .*t10k-images-idx3-ubyte holds 5"),
        ("label", r"t10k-labels-idx1-ubyte: label 10 at row 3, but mnist has 10 classes"),
        ("dims", r"t10k-images-idx3-ubyte: images of 28x27 pixels, but mnist images are 28x28"),
        ("truncated", r"t10k-images-idx3-ubyte is truncated"),
    ],
)
def test_damaged_files_are_refused_naming_the_file(tmp_path, damage, message):
    folder = tmp_path / "mnist"
    write_dataset(folder, gz=False)
    if damage == "count":
        write(folder / "t10k-labels-idx1-ubyte", idx_bytes(np.zeros(4, dtype=np.uint8)))
    elif damage == "label":
        write(folder / "t10k-labels-idx1-ubyte", idx_bytes(np.array([0, 1, 2, 10, 4], np.uint8)))
    elif damage == "dims":
        write(folder / "t10k-images-idx3-ubyte", idx_bytes(np.zeros((5, 28, 27), np.uint8)))
    else:
        path = folder / "t10k-images-idx3-ubyte"
        path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match=message) as error:
        load_dataset("mnist", data_dir=tmp_path)
    assert "To get the files again" in str(error.value)
    if damage != "label":  # the facts read the headers only; labels' values are the loader's
        with pytest.raises(ValueError, match=message):
            facts("mnist", {}, tmp_path)


def test_the_loaders_take_no_options(tmp_path):
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['split'\].*takes no options"):
        load_dataset("mnist", data_dir=tmp_path, options={"split": "letters"})


class FakeDownload:
    """torchvision's MNIST classes' constructor: with download=True, fetch into
    <root>/<class>/raw/."""

    calls: ClassVar[list[tuple[str, bool, bool]]] = []

    def __init__(self, root: str, train: bool, download: bool) -> None:
        FakeDownload.calls.append((root, train, download))
        if download:
            write_dataset(Path(root) / "FashionMNIST" / "raw", gz=False, n_train=6)


def test_download_uses_torchvision_then_reads_the_raw_files(tmp_path, monkeypatch, no_system_files):
    idx.download_class("fashion_mnist")  # fill the registry before the swap
    monkeypatch.setitem(idx.DOWNLOAD_CLASSES, "fashion_mnist", FakeDownload)
    FakeDownload.calls.clear()
    with pytest.raises(DatasetUnavailableError):
        load_dataset("fashion_mnist", data_dir=tmp_path)  # no download unless asked
    assert FakeDownload.calls == []
    bundle = load_dataset("fashion_mnist", data_dir=tmp_path, download=True)
    assert bundle.n_pool == 6 and FakeDownload.calls == [(str(tmp_path), False, True)]
    load_dataset("fashion_mnist", data_dir=tmp_path, download=True)
    assert len(FakeDownload.calls) == 1  # found on disk: not fetched again


def test_a_failed_download_is_reported_as_unavailable(tmp_path, monkeypatch, no_system_files):
    class Offline:
        def __init__(self, root: str, train: bool, download: bool) -> None:
            raise RuntimeError(f"Error downloading x: {urllib.error.URLError('no network')}")

    idx.download_class("mnist")
    monkeypatch.setitem(idx.DOWNLOAD_CLASSES, "mnist", Offline)
    with pytest.raises(DatasetUnavailableError, match="downloading with torchvision failed"):
        load_dataset("mnist", data_dir=tmp_path, download=True)


def test_the_torchvision_classes_are_the_real_ones():
    from torchvision.datasets import KMNIST, MNIST, FashionMNIST

    assert idx.download_class("mnist") is MNIST
    assert idx.download_class("fashion_mnist") is FashionMNIST
    assert idx.download_class("kmnist") is KMNIST


# --- before any job ---------------------------------------------------------------------------


def config(data_dir, name="mnist", download=False, model="small_cnn"):
    spec = {"model": model, "initial": 10, "budget": 10, "rounds": 1, "lr": 0.01,
            "epochs": {"first": 1, "thereafter": 1}}  # fmt: skip
    return parse_config({
        "data_dir": str(data_dir), "download": download,
        "strategies": {"random": {"kind": "random"}},
        "experiments": {"e": {"datasets": {name: spec}, "strategies": ["random"], "seeds": [0]}},
    })  # fmt: skip


def test_preflight_refuses_missing_and_truncated_files_before_any_job(tmp_path, no_system_files):
    for name in NAMES:
        where = rf"experiments\.e\.datasets\.{name}\.options"
        with pytest.raises(ConfigError, match=rf"{where}: dataset") as e:
            check_inputs(config(tmp_path, name))
        assert "`download: true`" in str(e.value)
        assert f"{tmp_path / idx.SOURCES[name].torchvision_class / 'raw'}/" in str(e.value)
    write_dataset(tmp_path / "mnist", gz=True)
    check_inputs(config(tmp_path))  # all four files, sound
    path = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-3]))
    with pytest.raises(
        ConfigError, match=r"mnist\.options: dataset 'mnist': .*ubyte\.gz is truncated"
    ):
        check_inputs(config(tmp_path))


def test_preflight_fetches_the_files_when_download_is_true(tmp_path, monkeypatch, no_system_files):
    idx.download_class("fashion_mnist")
    monkeypatch.setitem(idx.DOWNLOAD_CLASSES, "fashion_mnist", FakeDownload)
    FakeDownload.calls.clear()
    check_inputs(config(tmp_path, "fashion_mnist", download=True))
    assert len(FakeDownload.calls) == 1
    assert facts("fashion_mnist", {}, tmp_path).n_pool == 6  # what the first job reads


def test_preflight_refuses_a_three_channel_torchvision_model_clearly(tmp_path):
    write_dataset(tmp_path / "mnist", gz=False)
    with pytest.raises(ConfigError) as error:
        check_inputs(config(tmp_path, model="resnet18"))
    message = str(error.value)
    assert message.startswith("experiments.e.datasets.mnist.model: model 'resnet18' cannot take")
    assert "(1, 28, 28)" in message and "expects 3-channel images, these have 1" in message
    check_inputs(config(tmp_path, model="small_cnn_dropout"))


@pytest.mark.parametrize("model", ["lenet5", "small_cnn", "small_cnn_dropout", "mlp", "linear"])
def test_the_small_builtins_train_on_28x28_grey(model):
    from alcore.models import build_model

    net = build_model(model, num_classes=10, input_shape=(1, 28, 28), seed=0)
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


# --- the real files ---------------------------------------------------------------------------

# Computed once from Debian's dataset-fashion-mnist files (gzip.decompress, np.frombuffer past the
# 16-byte header, .sum(dtype=np.int64), hashlib.sha256 of the pixel bytes), independently of the
# reader under test.
TRAIN_PIXEL_SUM = 3_431_114_169
TEST_PIXEL_SUM = 573_469_082
TRAIN_PIXELS_SHA256 = "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012"
TEST_PIXELS_SHA256 = "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a"


def test_the_real_fashion_mnist(fashion_files, tmp_path):
    found = facts("fashion_mnist", {}, tmp_path)  # an empty data_dir: the system folder
    assert (found.n_pool, found.n_test, found.input_shape) == (60_000, 10_000, (1, 28, 28))
    bundle = load_dataset("fashion_mnist", data_dir=tmp_path)
    assert (bundle.n_pool, bundle.n_test) == (60_000, 10_000)
    assert torch.bincount(bundle.pool_labels).tolist() == [6_000] * 10
    assert torch.bincount(bundle.test_labels).tolist() == [1_000] * 10
    assert int(bundle.pool_inputs.sum(dtype=torch.int64)) == TRAIN_PIXEL_SUM
    assert int(bundle.test_inputs.sum(dtype=torch.int64)) == TEST_PIXEL_SUM
    assert hashlib.sha256(bundle.pool_inputs.numpy().tobytes()).hexdigest() == TRAIN_PIXELS_SHA256
    assert hashlib.sha256(bundle.test_inputs.numpy().tobytes()).hexdigest() == TEST_PIXELS_SHA256
    assert bundle.pixel_mean == pytest.approx((0.2860406,), abs=1e-7)
    assert bundle.pixel_std == pytest.approx((0.3530242,), abs=1e-7)
