"""A CIFAR-like image folder generated from a seed, for tests and benchmarks of image loading.

``write_synthetic_folder(root, ...)`` writes ``root/train/class<k>/<index>.png`` and
``root/test/class<k>/<index>.png``: RGB PNGs of ``size`` x ``size`` pixels. Image ``i`` of a
split has class ``i % classes`` (balanced classes) and depends only on ``(seed, split, i)``, so a
smaller folder holds the first images of a larger one, and the same arguments always give
byte-identical files.

Each class k has a learnable but not trivial signature: a mean colour of hue ``k / classes``
(jittered per image by more than half the gap between neighbouring hues) under a sinusoidal
grating whose orientation (``pi k / classes``, jittered) and frequency (one of three) belong to
the class. A disc of random colour and position and pixel noise are added to every image and
carry no class information.

``root/.alcore-synthetic.json`` records the arguments: it says ``"complete": false`` from the
moment generation starts and ``true`` once every file is in place. A call whose arguments match
a complete marker returns at once; otherwise the folder is generated afresh. ``train/`` and
``test/`` that exist without a marker are not ours and are never deleted.

    python -m alcore.data.synthetic_images ROOT --train 50000 --test 10000 --seed 0
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from alcore.files.atomic import atomic_write

GENERATOR_VERSION = 1  # bump when the pixels change, so old folders are regenerated
MARKER = ".alcore-synthetic.json"
SPLITS = ("train", "test")
PARTIAL = ".alcore-synthetic-partial"  # generated here first, then moved into place
PROGRESS_EVERY = 500  # images between two progress(done, total) calls


@dataclass(frozen=True)
class ClassPatterns:
    """What distinguishes the classes; row k belongs to class k."""

    colours: np.ndarray  # (classes, 3) float64 mean RGB in [0, 255]
    angles: np.ndarray  # (classes,) float64 grating orientation in radians
    frequencies: np.ndarray  # (classes,) float64 grating cycles per image width


def class_patterns(classes: int) -> ClassPatterns:
    """Evenly spaced hues and orientations, and a frequency of 1.5, 2.5 or 3.5 cycles."""
    k = np.arange(classes)
    return ClassPatterns(
        colours=_hsv_to_rgb(k / classes, saturation=0.6, value=0.7) * 255,
        angles=np.pi * k / classes,
        frequencies=1.5 + (k % 3).astype(np.float64),
    )


def synthetic_image(
    index: int, split: str, *, classes: int, size: int, seed: int, patterns: ClassPatterns
) -> tuple[np.ndarray, int]:
    """Image ``index`` of ``split``: (size, size, 3) uint8 RGB and its class ``index % classes``."""
    label = index % classes
    rng = np.random.default_rng((seed, SPLITS.index(split), index))
    coords = (np.arange(size) + 0.5) / size  # pixel centres in (0, 1)
    y, x = np.meshgrid(coords, coords, indexing="ij")  # (size, size) each
    angle = patterns.angles[label] + rng.normal(0.0, 0.12)
    frequency = patterns.frequencies[label] * rng.uniform(0.85, 1.15)
    phase = rng.uniform(0.0, 2 * np.pi)
    wave = np.sin(2 * np.pi * frequency * (x * np.cos(angle) + y * np.sin(angle)) + phase)
    colour = patterns.colours[label] + rng.normal(0.0, 35.0, size=3)  # (3,)
    tint = rng.uniform(25.0, 60.0) * rng.uniform(0.6, 1.0, size=3)  # grating contrast per channel
    image = colour + wave[:, :, None] * tint  # (size, size, 3)
    centre = rng.uniform(0.0, 1.0, size=2)
    radius = rng.uniform(0.08, 0.22)
    disc = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 < radius**2  # (size, size) distractor
    image[disc] = 0.5 * image[disc] + 0.5 * rng.uniform(0.0, 255.0, size=3)
    image += rng.normal(0.0, 10.0, size=image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), label


def write_synthetic_folder(
    root: Path,
    *,
    n_train: int,
    n_test: int,
    classes: int = 10,
    size: int = 32,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write ``root/{train,test}/class<k>/<index>.png`` unless a complete copy is already there.

    ``progress(done, total)`` is called every few hundred images while writing.
    """
    if classes < 1 or size < 1 or seed < 0:
        raise ValueError(f"need classes >= 1, size >= 1, seed >= 0; got {classes}, {size}, {seed}")
    if n_train < classes or n_test < 0:
        raise ValueError(
            f"n_train={n_train} must be at least classes={classes} (every class needs an image) "
            f"and n_test={n_test} at least 0"
        )
    root = Path(root)
    params = {
        "version": GENERATOR_VERSION,
        "n_train": n_train,
        "n_test": n_test,
        "classes": classes,
        "size": size,
        "seed": seed,
    }
    marker = root / MARKER
    found = _read_marker(marker)
    if found == {**params, "complete": True}:
        return
    if found is None and any((root / split).exists() for split in SPLITS):
        raise FileExistsError(
            f"{root} already holds train/ or test/ that write_synthetic_folder did not write "
            f"(there is no {MARKER}); give it an empty folder or delete them"
        )
    _write_marker(marker, {**params, "complete": False})  # from now on train/ and test/ are ours

    partial = root / PARTIAL
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
    patterns = class_patterns(classes)
    counts = {"train": n_train, "test": n_test}
    total, done = n_train + n_test, 0
    width = max(5, len(str(max(n_train, n_test) - 1)))
    for split in SPLITS:
        for index in range(counts[split]):
            pixels, label = synthetic_image(
                index, split, classes=classes, size=size, seed=seed, patterns=patterns
            )
            folder = partial / split / class_name(label, classes)
            if index < classes:
                folder.mkdir(parents=True, exist_ok=True)
            # Written in place, not through atomic_write: the folder as a whole is atomic (built
            # under PARTIAL, moved, then the marker), and atomic_write globs the folder per file.
            Image.fromarray(pixels).save(
                folder / f"{index:0{width}d}.png", optimize=False, compress_level=1
            )
            done += 1
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
    for split in SPLITS:
        shutil.rmtree(root / split, ignore_errors=True)  # ours: the marker said so
        if (partial / split).exists():
            (partial / split).rename(root / split)
    partial.rmdir()
    _write_marker(marker, {**params, "complete": True})  # last: the folder is now complete


def class_name(label: int, classes: int) -> str:
    """``class<k>`` zero-padded so that sorted names (ImageFolder's labels) keep numeric order."""
    return f"class{label:0{len(str(classes - 1))}d}"


def _read_marker(marker: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable, but its presence still says the folder is ours
    return found if isinstance(found, dict) else {}


def _write_marker(marker: Path, content: dict[str, Any]) -> None:
    with atomic_write(marker) as temporary:
        temporary.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")


def _hsv_to_rgb(hue: np.ndarray, *, saturation: float, value: float) -> np.ndarray:
    """(n,) hues in [0, 1) -> (n, 3) RGB in [0, 1] (the standard hexcone formula)."""
    h = (np.asarray(hue, dtype=np.float64) % 1.0)[:, None] * 6  # (n, 1)
    offsets = np.array([5.0, 3.0, 1.0])  # R, G, B
    k = (offsets + h) % 6  # (n, 3)
    return value - value * saturation * np.clip(np.minimum(k, 4 - k), 0, 1)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a synthetic image folder."""
    parser = argparse.ArgumentParser(
        prog="python -m alcore.data.synthetic_images",
        description="Write a CIFAR-like folder ROOT/{train,test}/class<k>/<index>.png from a seed "
        "(skipped when ROOT already holds a complete one made with the same arguments).",
    )
    parser.add_argument("root", type=Path, help="output folder")
    parser.add_argument("--train", type=int, default=50_000, help="train images (default 50000)")
    parser.add_argument("--test", type=int, default=10_000, help="test images (default 10000)")
    parser.add_argument("--classes", type=int, default=10, help="classes (default 10)")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    args = parser.parse_args(argv)
    start = last = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 5 or done == total:
            last = now
            print(f"{done}/{total} images, {now - start:.0f} s", file=sys.stderr, flush=True)

    write_synthetic_folder(
        args.root,
        n_train=args.train,
        n_test=args.test,
        classes=args.classes,
        size=args.size,
        seed=args.seed,
        progress=report,
    )
    print(f"{args.root}: {args.train} train + {args.test} test images", file=sys.stderr)


if __name__ == "__main__":
    main()
