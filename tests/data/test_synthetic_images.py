"""The seeded CIFAR-like image folder: layout, balance, determinism, skip and resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alcore.data import synthetic_images
from alcore.data.image_cache import folder_labels, load_image_folder
from alcore.data.synthetic_images import (
    MARKER,
    class_patterns,
    main,
    synthetic_image,
    write_synthetic_folder,
)


def png_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.png"))}


def test_layout_balance_and_image_format(tmp_path):
    write_synthetic_folder(tmp_path, n_train=40, n_test=22, classes=4, size=32, seed=3)
    names = ["class0", "class1", "class2", "class3"]
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == names
    assert [len(list((tmp_path / "train" / n).iterdir())) for n in names] == [10, 10, 10, 10]
    assert [len(list((tmp_path / "test" / n).iterdir())) for n in names] == [6, 6, 5, 5]
    assert sorted(p.name for p in (tmp_path / "train" / "class1").iterdir())[:2] == [
        "00001.png",
        "00005.png",
    ]
    with Image.open(tmp_path / "test" / "class3" / "00003.png") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (32, 32))
    marker = json.loads((tmp_path / MARKER).read_text())
    assert marker["complete"] is True and marker["n_train"] == 40 and marker["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [MARKER, "test", "train"]
    labels, classes = folder_labels(tmp_path / "train")
    assert classes == tuple(names) and np.bincount(labels).tolist() == [10, 10, 10, 10]


def test_class_names_sort_in_numeric_order(tmp_path):
    write_synthetic_folder(tmp_path, n_train=12, n_test=0, classes=12, size=8)
    _, classes = folder_labels(tmp_path / "train")
    assert classes[:3] == ("class00", "class01", "class02") and classes[-1] == "class11"
    assert not (tmp_path / "test").exists()


def test_same_seed_same_bytes_other_seed_other_pixels(tmp_path):
    for name, seed in [("a", 5), ("b", 5), ("c", 6)]:
        write_synthetic_folder(tmp_path / name, n_train=20, n_test=10, classes=5, seed=seed)
    a, b, c = (png_bytes(tmp_path / n) for n in "abc")
    assert len(a) == 30 and a == b
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)


def test_a_smaller_folder_is_a_prefix_of_a_larger_one(tmp_path):
    write_synthetic_folder(tmp_path / "small", n_train=10, n_test=5, classes=5)
    write_synthetic_folder(tmp_path / "large", n_train=30, n_test=10, classes=5)
    small, large = png_bytes(tmp_path / "small"), png_bytes(tmp_path / "large")
    assert small.items() <= large.items()


def test_image_matches_its_file_and_label(tmp_path):
    write_synthetic_folder(tmp_path, n_train=10, n_test=0, classes=5, size=16, seed=1)
    pixels, label = synthetic_image(
        7, "train", classes=5, size=16, seed=1, patterns=class_patterns(5)
    )
    assert label == 2 and pixels.shape == (16, 16, 3) and pixels.dtype == np.uint8
    with Image.open(tmp_path / "train" / "class2" / "00007.png") as image:
        np.testing.assert_array_equal(np.asarray(image), pixels)


def test_classes_are_learnable(tmp_path):
    from sklearn.neighbors import NearestCentroid

    write_synthetic_folder(tmp_path, n_train=300, n_test=150, classes=10, seed=0)
    train = load_image_folder(tmp_path / "train", 32)
    test = load_image_folder(tmp_path / "test", 32)
    flat = lambda images: np.asarray(images, dtype=np.float32).reshape(len(images), -1)  # noqa: E731
    model = NearestCentroid().fit(flat(train.images), train.labels)
    assert model.score(flat(test.images), test.labels) > 0.3  # chance is 0.1


def test_complete_folder_is_not_written_again(tmp_path, monkeypatch):
    write_synthetic_folder(tmp_path, n_train=10, n_test=5, classes=5)
    before = png_bytes(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("regenerated a complete folder")

    monkeypatch.setattr(synthetic_images, "synthetic_image", refuse)
    write_synthetic_folder(tmp_path, n_train=10, n_test=5, classes=5)
    assert png_bytes(tmp_path) == before


def test_other_arguments_replace_the_folder(tmp_path):
    write_synthetic_folder(tmp_path, n_train=20, n_test=5, classes=5)
    write_synthetic_folder(tmp_path, n_train=10, n_test=0, classes=2, seed=4)
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == ["class0", "class1"]
    assert len(png_bytes(tmp_path)) == 10 and not (tmp_path / "test").exists()
    assert json.loads((tmp_path / MARKER).read_text())["seed"] == 4


def test_interrupted_run_is_finished_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic_images, "PROGRESS_EVERY", 5)
    seen: list[int] = []

    def stop(done: int, total: int) -> None:
        seen.append(done)
        if done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_synthetic_folder(tmp_path / "x", n_train=30, n_test=0, classes=5, progress=stop)
    assert seen == [5, 10]
    assert json.loads((tmp_path / "x" / MARKER).read_text())["complete"] is False
    assert not (tmp_path / "x" / "train").exists()  # nothing half-written under the real name
    write_synthetic_folder(tmp_path / "x", n_train=30, n_test=0, classes=5)
    write_synthetic_folder(tmp_path / "fresh", n_train=30, n_test=0, classes=5)
    assert png_bytes(tmp_path / "x") == png_bytes(tmp_path / "fresh")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [MARKER, "train"]


def test_refuses_to_replace_folders_it_did_not_write(tmp_path):
    (tmp_path / "train" / "mine").mkdir(parents=True)
    (tmp_path / "train" / "mine" / "photo.png").write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="did not write"):
        write_synthetic_folder(tmp_path, n_train=10, n_test=0, classes=5)
    assert (tmp_path / "train" / "mine" / "photo.png").read_bytes() == b"precious"


def test_needs_an_image_per_class(tmp_path):
    with pytest.raises(ValueError, match="n_train=3 must be at least classes=5"):
        write_synthetic_folder(tmp_path, n_train=3, n_test=0, classes=5)


def test_command_line(tmp_path, capsys):
    main([str(tmp_path), "--train", "12", "--test", "4", "--classes", "3", "--size", "8"])
    assert len(png_bytes(tmp_path / "train")) == 12 and len(png_bytes(tmp_path / "test")) == 4
    assert "12 train + 4 test images" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0 and "--train" in capsys.readouterr().out
