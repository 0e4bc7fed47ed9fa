"""The decoded-once, memory-mapped image folder cache: same pixels as torchvision, never stale."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alcore.data import DatasetUnavailableError, image_cache
from alcore.data.image_cache import (
    LAYOUT,
    ImageDecodeError,
    folder_labels,
    load_image_folder,
)

SIZE = 16
CLASSES = ("cat", "dog", "emu")


def write_folder(folder: Path, per_class: int = 20, seed: int = 0) -> None:
    """``per_class`` images in each class: mixed sizes, modes and formats, one nested folder."""
    rng = np.random.default_rng(seed)
    for c, name in enumerate(CLASSES):
        (folder / name / "more").mkdir(parents=True)
        for k in range(per_class):
            height, width = rng.integers(8, 40, size=2)
            if k % 5 == 0:
                height = width = SIZE  # already the target size: must not be resampled
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            pixels[..., c] //= 2  # a little class signal
            image = Image.fromarray(pixels)
            sub = "more/" if k % 7 == 3 else ""
            if k % 4 == 1:
                image.convert("L").save(folder / name / f"{sub}{k:02d}.png")
            elif k % 4 == 2:
                image.save(folder / name / f"{sub}{k:02d}.JPG", quality=90)
            elif k % 6 == 3:
                image.convert("RGBA").save(folder / name / f"{sub}{k:02d}.png")
            else:
                image.save(folder / name / f"{sub}{k:02d}.png")
        (folder / name / "notes.txt").write_text("not an image")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    train = tmp_path / "pets" / "train"
    write_folder(train)
    return train


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every path `decode_image` is asked for, in order."""
    seen: list[Path] = []
    real = image_cache.decode_image

    def counting(path: Path, size: int) -> np.ndarray:
        seen.append(path)
        return real(path, size)

    monkeypatch.setattr(image_cache, "decode_image", counting)
    return seen


def cache_files(folder: Path) -> list[str]:
    """Names in the default cache folder of ``folder``, lock files left out."""
    directory = folder.parent / ".alcore-cache"
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".lock"))


def the_array(folder: Path) -> Path:
    (array,) = (folder.parent / ".alcore-cache").glob("*.npy")
    return array


def test_pixels_labels_and_order_match_torchvision_imagefolder(folder):
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    loaded = load_image_folder(folder, SIZE)
    to_tensor = transforms.Compose([transforms.Resize((SIZE, SIZE)), transforms.ToTensor()])
    old = ImageFolder(str(folder), transform=to_tensor)
    assert len(old) == 60 and loaded.images.shape == (60, 3, SIZE, SIZE)
    assert loaded.images.dtype == np.uint8
    assert loaded.class_names == tuple(old.classes) == CLASSES
    assert loaded.labels.dtype == np.int64 and loaded.labels.tolist() == old.targets
    assert list(loaded.files) == [os.path.relpath(p, folder) for p, _ in old.samples]
    assert any("/more/" in f for f in loaded.files) and any(
        f.endswith(".JPG") for f in loaded.files
    )
    for i in range(len(old)):
        expected = (old[i][0] * 255).round().byte().numpy()  # (3, SIZE, SIZE)
        np.testing.assert_array_equal(loaded.images[i], expected, err_msg=loaded.files[i])


def test_second_load_maps_the_cache_without_decoding(folder, decodes):
    first = load_image_folder(folder, SIZE)
    assert len(decodes) == 60
    second = load_image_folder(folder, SIZE)
    assert len(decodes) == 60  # nothing decoded again
    np.testing.assert_array_equal(first.images, second.images)
    assert second.labels.tolist() == first.labels.tolist() and second.files == first.files
    assert isinstance(second.images, np.memmap) and not second.images.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        second.images[0, 0, 0, 0] = 1
    assert cache_files(folder) == sorted(
        [the_array(folder).name, the_array(folder).with_suffix(".json").name]
    )


def test_another_size_gets_its_own_cache(folder, decodes):
    small, large = load_image_folder(folder, 8), load_image_folder(folder, SIZE)
    assert small.images.shape[-1] == 8 and large.images.shape[-1] == SIZE
    load_image_folder(folder, 8)
    assert len(decodes) == 120  # the 8 px cache survived writing the 16 px one
    assert len(cache_files(folder)) == 4


def bump_mtime(path: Path) -> None:
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))


def change_touch(folder: Path) -> None:
    bump_mtime(folder / "dog" / "00.png")


def change_add(folder: Path) -> None:
    Image.new("RGB", (SIZE, SIZE), (1, 2, 3)).save(folder / "emu" / "99.png")


def change_remove(folder: Path) -> None:
    (folder / "cat" / "00.png").unlink()


def change_rewrite(folder: Path) -> None:  # same name, same byte size, new pixels
    path = folder / "dog" / "00.png"
    pixels = np.asarray(Image.open(path)).copy()
    Image.fromarray(255 - pixels).save(path)
    bump_mtime(path)


@pytest.mark.parametrize(
    ("change", "rows"),
    [(change_touch, 60), (change_add, 61), (change_remove, 59), (change_rewrite, 60)],
)
def test_a_changed_folder_is_decoded_again(folder, decodes, change, rows):
    before = load_image_folder(folder, SIZE)
    old_cache = cache_files(folder)
    change(folder)
    after = load_image_folder(folder, SIZE)
    assert len(decodes) == 60 + rows
    assert after.images.shape[0] == rows == len(after.files) == len(after.labels)
    assert list(after.files) == _listed(folder)
    new_cache = cache_files(folder)
    assert len(new_cache) == 2 and not set(new_cache) & set(old_cache)  # the stale one is gone
    if change is change_rewrite:
        row = before.files.index("dog/00.png")
        np.testing.assert_array_equal(after.images[row], 255 - before.images[row])


def _listed(folder: Path) -> list[str]:
    """The relative paths torchvision's ImageFolder would load, in its order."""
    from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset

    _, class_to_idx = find_classes(folder)
    samples = make_dataset(str(folder), class_to_idx, extensions=IMG_EXTENSIONS)
    return [os.path.relpath(path, folder) for path, _ in samples]


def test_stale_temporaries_of_a_killed_decode_are_removed(folder):
    load_image_folder(folder, SIZE)
    directory = folder.parent / ".alcore-cache"
    leftover = directory / ".train-16px-0123456789abcdef.npy.x1y2z3.tmp"
    leftover.write_bytes(b"half a decode")
    unrelated = directory / "train-32px-0123456789abcdef.npy"  # another size: not stale
    unrelated.write_bytes(b"")
    change_touch(folder)
    load_image_folder(folder, SIZE)
    assert not leftover.exists() and unrelated.exists()


def truncate(array: Path) -> None:
    with open(array, "r+b") as handle:
        handle.truncate(array.stat().st_size - 100)


def append(array: Path) -> None:
    with open(array, "ab") as handle:
        handle.write(b"\0" * 10)


def garble_header(array: Path) -> None:
    with open(array, "r+b") as handle:
        handle.write(b"garbage!")


def wrong_shape(array: Path) -> None:
    images = np.load(array)
    np.save(array, images[:, :, :-1])  # (N, 3, SIZE - 1, SIZE): same name, another shape


def edit_sidecar(array: Path) -> None:
    sidecar = array.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["files"] = meta["files"][::-1]
    sidecar.write_text(json.dumps(meta))


def empty_sidecar(array: Path) -> None:
    array.with_suffix(".json").write_text("")


@pytest.mark.parametrize(
    "damage", [truncate, append, garble_header, wrong_shape, edit_sidecar, empty_sidecar]
)
def test_a_damaged_cache_is_rebuilt_with_a_warning(folder, decodes, caplog, damage):
    first = np.array(load_image_folder(folder, SIZE).images)
    damage(the_array(folder))
    with caplog.at_level(logging.WARNING, logger="alcore.data.image_cache"):
        again = load_image_folder(folder, SIZE)
    assert len(decodes) == 120
    assert "rebuild" in caplog.text and the_array(folder).stem in caplog.text
    np.testing.assert_array_equal(again.images, first)
    caplog.clear()
    load_image_folder(folder, SIZE)  # the rebuilt cache is trusted
    assert len(decodes) == 120 and not caplog.text


def test_a_broken_image_names_the_file_and_leaves_no_cache(folder):
    broken = folder / "emu" / "zz.png"  # last in order: fails after 59 good decodes
    broken.write_bytes(b"\x89PNG but not really")
    calls: list[tuple[int, int]] = []
    with pytest.raises(ImageDecodeError, match=r"emu/zz\.png.*Replace or delete"):
        load_image_folder(folder, SIZE, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 61) and calls[-1][0] < 61
    assert cache_files(folder) == []  # no cache, no temporary
    broken.unlink()
    assert load_image_folder(folder, SIZE).images.shape[0] == 60


def test_progress_counts_up_to_the_total(tmp_path, monkeypatch):
    monkeypatch.setattr(image_cache, "PROGRESS_EVERY", 7)
    write_folder(tmp_path / "train")
    calls: list[tuple[int, int]] = []
    load_image_folder(tmp_path / "train", SIZE, progress=lambda d, t: calls.append((d, t)))
    assert [d for d, _ in calls] == [0, 7, 14, 21, 28, 35, 42, 49, 56, 60]
    assert {t for _, t in calls} == {60}


def test_folder_labels_lists_without_decoding(folder, monkeypatch):
    loaded = load_image_folder(folder, SIZE)

    def refuse(path: Path, size: int) -> np.ndarray:
        raise AssertionError(f"decoded {path}")

    monkeypatch.setattr(image_cache, "decode_image", refuse)
    labels, names = folder_labels(folder)
    assert labels.dtype == np.int64 and labels.tolist() == loaded.labels.tolist()
    assert names == loaded.class_names
    assert np.bincount(labels).tolist() == [20, 20, 20]


def test_cache_dir_keeps_same_named_folders_apart(tmp_path, decodes):
    write_folder(tmp_path / "a" / "train", seed=1)
    write_folder(tmp_path / "b" / "train", seed=2)
    cache = tmp_path / "cache"
    a = load_image_folder(tmp_path / "a" / "train", SIZE, cache_dir=cache)
    b = load_image_folder(tmp_path / "b" / "train", SIZE, cache_dir=cache)
    assert not np.array_equal(a.images, b.images)
    assert len(list(cache.glob("train-*-16px-*.npy"))) == 2
    assert not (tmp_path / "a" / ".alcore-cache").exists()
    again = load_image_folder(tmp_path / "a" / "train", SIZE, cache_dir=cache)
    assert len(decodes) == 120  # both caches kept
    np.testing.assert_array_equal(again.images, a.images)


def test_unwritable_cache_folder_decodes_into_memory(folder, caplog):
    blocker = folder.parent / "a file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="alcore.data.image_cache"):
        loaded = load_image_folder(folder, SIZE, cache_dir=blocker / "cache")
    assert "cannot write the image cache" in caplog.text and "cache_dir" in caplog.text
    assert not loaded.images.flags.writeable
    np.testing.assert_array_equal(loaded.images, load_image_folder(folder, SIZE).images)


def test_missing_folder_names_it_and_the_layout(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        load_image_folder(tmp_path / "nowhere" / "train", SIZE)
    assert f"{(tmp_path / 'nowhere' / 'train').resolve()}/ does not exist" in str(info.value)
    assert LAYOUT in str(info.value)


def test_folder_without_class_folders(tmp_path):
    (tmp_path / "train").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "train" / "loose.png")
    with pytest.raises(DatasetUnavailableError, match="holds no class sub-folders"):
        folder_labels(tmp_path / "train")


def test_class_folder_without_images_is_named(folder):
    (folder / "fox").mkdir()
    (folder / "fox" / "readme.md").write_text("no pictures yet")
    with pytest.raises(DatasetUnavailableError, match=r"\['fox'\].*hold no images"):
        load_image_folder(folder, SIZE)


def test_size_must_be_positive(folder):
    with pytest.raises(ValueError, match="size=0"):
        load_image_folder(folder, 0)


def test_uses_the_cache_another_process_wrote_while_it_waited_for_the_lock(
    folder, decodes, monkeypatch
):
    real_lock = image_cache._try_lock

    def another_process_gets_there_first(path: Path):
        monkeypatch.setattr(image_cache, "_try_lock", real_lock)
        load_image_folder(folder, SIZE)  # the other process: takes the lock and decodes
        return real_lock(path)

    monkeypatch.setattr(image_cache, "_try_lock", another_process_gets_there_first)
    loaded = load_image_folder(folder, SIZE)
    assert len(decodes) == 60  # decoded once, by the "other process"
    assert isinstance(loaded.images, np.memmap)
