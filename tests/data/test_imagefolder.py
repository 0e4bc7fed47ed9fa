"""A user's own image folder, with tiny PNGs written by PIL."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from alcore.data import DatasetUnavailableError, load_dataset
from alcore.data.imagefolder import imagefolder_pool_size

COLOURS = {"cat": (200, 30, 30), "dog": (30, 30, 200)}


def write_images(folder: Path, per_class: dict[str, int]) -> None:
    for name, count in per_class.items():
        (folder / name).mkdir(parents=True)
        for k in range(count):
            r, g, b = COLOURS[name]
            Image.new("RGB", (12, 10), (r, g + 10 * k, b)).save(folder / name / f"{k}.png")


def test_split_without_test_folder(tmp_path):
    write_images(tmp_path / "pets" / "train", {"cat": 4, "dog": 4})
    b = load_dataset("imagefolder", data_dir=tmp_path, options={"root": "pets", "image_size": 8})
    assert b.class_names == ("cat", "dog")
    assert b.input_shape == (3, 8, 8)
    assert b.pool_inputs.shape == (6, 3, 8, 8) and b.test_inputs.shape == (2, 3, 8, 8)
    assert sorted(b.test_labels.tolist()) == [0, 1]  # stratified: one of each class
    # stored as uint8, standardised per batch with pool statistics
    assert b.pool_inputs.dtype == torch.uint8
    pool = b.prepare(b.pool_inputs)
    per_channel = pool.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(dim=1), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(per_channel.std(dim=1, correction=0), torch.ones(3), atol=1e-4,
                               rtol=0)  # fmt: skip
    # red channel: cats are red, dogs are not
    red = pool[:, 0].mean(dim=(1, 2))
    assert bool((red[b.pool_labels == 0] > 0).all()) and bool((red[b.pool_labels == 1] < 0).all())
    again = load_dataset(
        "imagefolder", data_dir=tmp_path, options={"root": "pets", "image_size": 8}
    )
    assert torch.equal(b.pool_inputs, again.pool_inputs)


def test_test_folder_labels_follow_train_class_ids(tmp_path):
    write_images(tmp_path / "pets" / "train", {"cat": 2, "dog": 3})
    write_images(tmp_path / "pets" / "test", {"dog": 2})  # only dogs: ImageFolder calls them 0
    b = load_dataset("imagefolder", data_dir=tmp_path, options={"root": "pets", "image_size": 4})
    assert b.n_pool == 5 and b.n_test == 2
    assert b.test_labels.tolist() == [1, 1]


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        load_dataset("imagefolder", data_dir=tmp_path, options={"root": "nowhere"})
    assert f"{(tmp_path / 'nowhere' / 'train').resolve()}/" in str(info.value)


def test_root_option_is_required(tmp_path):
    with pytest.raises(ValueError, match="needs the option `root`"):
        load_dataset("imagefolder", data_dir=tmp_path)


@pytest.mark.parametrize("with_test_folder", [False, True])
def test_pool_size_from_the_listing_equals_the_loaded_pool(tmp_path, with_test_folder, monkeypatch):
    write_images(tmp_path / "pets" / "train", {"cat": 5, "dog": 7})
    if with_test_folder:
        write_images(tmp_path / "pets" / "test", {"cat": 2})
    options = {"root": "pets", "image_size": 4}
    loaded = load_dataset("imagefolder", data_dir=tmp_path, options=options).n_pool

    def no_decoding(*args, **kwargs):
        raise AssertionError("the pool size must not decode images")

    monkeypatch.setattr("alcore.data.image_cache.decode_image", no_decoding)
    monkeypatch.setattr("alcore.data.image_cache.load_image_folder", no_decoding)
    assert imagefolder_pool_size(data_dir=tmp_path, options=options) == loaded
