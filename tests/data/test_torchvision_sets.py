"""CIFAR10/100 and SVHN: the real torchvision parsing + our conversion, on tiny files in tmp_path.

torchvision checks md5 sums against the official release, so the tests swap in subclasses whose
file lists carry ``md5=None``; everything else (file parsing, layout conversion, normalisation,
error handling) is the real code.
"""

from __future__ import annotations

import pickle
import urllib.error
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import scipy.io
import torch
from torchvision.datasets import CIFAR10, CIFAR100, SVHN

from alcore.data import DatasetUnavailableError, load_dataset
from alcore.data import torchvision_sets as tvs


class Cifar10NoMd5(CIFAR10):
    train_list: ClassVar = [[name, None] for name, _ in CIFAR10.train_list]
    test_list: ClassVar = [[name, None] for name, _ in CIFAR10.test_list]
    meta: ClassVar = {**CIFAR10.meta, "md5": None}


class Cifar100NoMd5(CIFAR100):
    train_list: ClassVar = [[name, None] for name, _ in CIFAR100.train_list]
    test_list: ClassVar = [[name, None] for name, _ in CIFAR100.test_list]
    meta: ClassVar = {**CIFAR100.meta, "md5": None}


class SvhnNoMd5(SVHN):
    split_list: ClassVar = {k: [url, name, None] for k, (url, name, _) in SVHN.split_list.items()}


def use_class(monkeypatch: pytest.MonkeyPatch, name: str, cls: type) -> None:
    """Read ``name`` through ``cls`` for one test.

    The registry fills itself on first use, all three entries at once: fill it before the swap,
    or a first use during the test would overwrite the swap (and this test's outcome would
    depend on which test ran first).
    """
    tvs.dataset_class(name)
    monkeypatch.setitem(tvs.DATASET_CLASSES, name, cls)


def _pickle(path: Path, obj: object) -> None:
    # The official batches are Python 2 pickles whose keys load as str under encoding="latin1".
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar10(root: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """5 train batches of 2 images and a test batch of 3; returns (train rows, train labels)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rows, labels = [], []
    for b in range(1, 6):
        data = rng.integers(0, 256, size=(2, 3072), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, size=2)]
        _pickle(folder / f"data_batch_{b}", {"data": data, "labels": y})
        rows.append(data)
        labels += y
    test = rng.integers(0, 256, size=(3, 3072), dtype=np.uint8)
    _pickle(folder / "test_batch", {"data": test, "labels": [0, 9, 4]})
    _pickle(folder / "batches.meta", {"label_names": [f"class{k}" for k in range(10)]})
    return np.concatenate(rows), np.array(labels)


def expected_normalised(chw_u8: np.ndarray, name: str) -> torch.Tensor:
    mean = torch.tensor(tvs.SOURCES[name].mean).view(1, 3, 1, 1)
    std = torch.tensor(tvs.SOURCES[name].std).view(1, 3, 1, 1)
    return (torch.from_numpy(chw_u8).float() / 255 - mean) / std


def test_cifar10_parses_official_layout_in_file_order(tmp_path, monkeypatch):
    use_class(monkeypatch, "cifar10", Cifar10NoMd5)
    rows, labels = write_cifar10(tmp_path, np.random.default_rng(0))
    bundle = load_dataset("cifar10", data_dir=tmp_path)
    assert bundle.pool_inputs.shape == (10, 3, 32, 32)
    assert bundle.test_inputs.shape == (3, 3, 32, 32)
    assert bundle.pool_inputs.dtype == torch.uint8  # compact in memory, normalised per batch
    assert bundle.input_shape == (3, 32, 32)
    assert bundle.num_classes == 10
    assert bundle.class_names[3] == "class3"
    # a row is R(1024) G(1024) B(1024), each row-major 32x32; pool row i = i-th image on disk
    expected = expected_normalised(rows.reshape(10, 3, 32, 32), "cifar10")
    torch.testing.assert_close(bundle.prepare(bundle.pool_inputs), expected)
    assert bundle.pool_labels.tolist() == labels.tolist()
    assert bundle.test_labels.tolist() == [0, 9, 4]
    assert bundle.pool_labels.dtype == torch.int64


def test_cifar100_reads_fine_labels(tmp_path, monkeypatch):
    use_class(monkeypatch, "cifar100", Cifar100NoMd5)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
    _pickle(
        folder / "train", {"data": train, "fine_labels": [99, 0, 5, 7], "coarse_labels": [0] * 4}
    )
    _pickle(folder / "test", {"data": train[:2], "fine_labels": [1, 2], "coarse_labels": [0, 0]})
    _pickle(folder / "meta", {"fine_label_names": [f"f{k}" for k in range(100)]})
    bundle = load_dataset("cifar100", data_dir=tmp_path)
    assert bundle.num_classes == 100
    assert bundle.pool_labels.tolist() == [99, 0, 5, 7]
    torch.testing.assert_close(
        bundle.prepare(bundle.pool_inputs),
        expected_normalised(train.reshape(4, 3, 32, 32), "cifar100"),
    )


def test_svhn_maps_label_10_to_digit_0_and_hwcn_layout(tmp_path, monkeypatch):
    use_class(monkeypatch, "svhn", SvhnNoMd5)
    folder = tmp_path / "svhn"
    folder.mkdir()
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, size=(32, 32, 3, 3), dtype=np.uint8)  # (H, W, C, N) as in the .mat
    scipy.io.savemat(folder / "train_32x32.mat", {"X": X, "y": np.array([[10], [1], [9]])})
    scipy.io.savemat(folder / "test_32x32.mat", {"X": X[..., :2], "y": np.array([[3], [10]])})
    bundle = load_dataset("svhn", data_dir=tmp_path)
    assert bundle.pool_labels.tolist() == [0, 1, 9]
    assert bundle.test_labels.tolist() == [3, 0]
    assert bundle.class_names == tuple(str(d) for d in range(10))
    expected = expected_normalised(X.transpose(3, 2, 0, 1), "svhn")  # (H,W,C,N) -> (N,C,H,W)
    assert bundle.pool_inputs.shape == (3, 3, 32, 32)
    torch.testing.assert_close(bundle.prepare(bundle.pool_inputs), expected)


@pytest.mark.parametrize(("name", "folder"), [("cifar10", "cifar-10-batches-py"), ("svhn", "svhn")])
def test_missing_files_without_download_name_the_directory(tmp_path, name, folder):
    with pytest.raises(DatasetUnavailableError) as info:
        load_dataset(name, data_dir=tmp_path, download=False)
    message = str(info.value)
    assert f"{(tmp_path / folder).resolve()}/" in message
    assert repr(name) in message
    assert "download: true" in message
    assert isinstance(info.value, FileNotFoundError)


def test_library_keeps_the_md5_check_so_unofficial_files_are_refused(tmp_path):
    assert tvs.dataset_class("cifar10") is CIFAR10  # the real class, md5 sums included
    write_cifar10(tmp_path, np.random.default_rng(0))  # right format, wrong md5 sums
    with pytest.raises(DatasetUnavailableError, match="md5"):
        load_dataset("cifar10", data_dir=tmp_path)


def test_failed_download_is_reported_as_unavailable(tmp_path, monkeypatch):
    class Offline(Cifar10NoMd5):
        def download(self) -> None:
            raise urllib.error.URLError("no network")

    use_class(monkeypatch, "cifar10", Offline)
    with pytest.raises(DatasetUnavailableError, match="downloading failed") as info:
        load_dataset("cifar10", data_dir=tmp_path, download=True)
    assert str((tmp_path / "cifar-10-batches-py").resolve()) in str(info.value)


def test_torchvision_sets_take_no_options(tmp_path):
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['size'\].*takes no options"):
        load_dataset("cifar10", data_dir=tmp_path, options={"size": 3})
