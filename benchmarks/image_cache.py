"""Time and memory of loading an image folder: decode-once cache against the old torchvision path.

Writes a synthetic CIFAR-like folder (``alcore.data.synthetic_images``; skipped when a complete
one with the same arguments is there), deletes its image cache, then runs each step in a fresh
Python process and reports the seconds of the call, the seconds of the whole process (start-up
and imports included) and the process's peak RSS (``ru_maxrss``):

* ``imports only``: the baseline every other row pays (numpy, Pillow, torch, alcore).
* ``old path``: torchvision ``ImageFolder`` + ``Resize`` + ``ToTensor`` + ``torch.stack``, what
  ``alcore.data.imagefolder`` did before the cache.
* ``first load``: ``load_image_folder`` decoding every image into the cache.
* ``second load``: ``load_image_folder`` listing the folder and memory-mapping the cache.
* ``second load + read all``: the same, then summing every pixel (each page read once).
* ``folder_labels``: the listing alone.

Every row that yields pixels reports their sum, and the script fails unless all agree. The cache
is on the same disk as the images and stays in the page cache after it is written: the second
loads measure a warm cache (a cold one adds one sequential read of N x 3 x size x size bytes).

    python benchmarks/image_cache.py                          # 50,000 + 10,000 images
    python benchmarks/image_cache.py --train 5000 --test 1000 --skip-old
"""

from __future__ import annotations

import os
import sys

# This folder holds select.py: keep it off sys.path so that the standard library's ``select``
# module (imported by subprocess) is not shadowed by it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import json
import platform
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

STEPS = {
    "imports": "imports only",
    "old": "old path (torchvision ImageFolder)",
    "first": "first load (decode + write cache)",
    "second": "second load (memory map)",
    "read": "second load + read all pixels",
    "labels": "folder_labels (listing only)",
}


def child(step: str, folder: Path, size: int) -> None:
    """Run one step in this (fresh) process and print a JSON line with its measurements."""
    import numpy as np
    import torch  # the jobs that load images always have torch imported

    from alcore.data.image_cache import folder_labels, load_image_folder

    checksum: int | None = None
    start = time.perf_counter()
    if step == "old":
        from torchvision import transforms
        from torchvision.datasets import ImageFolder

        to_tensor = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])
        dataset = ImageFolder(str(folder), transform=to_tensor)
        old = torch.stack([dataset[i][0] for i in range(len(dataset))])  # (N, 3, size, size)
        seconds = time.perf_counter() - start
        peak = _peak_rss_mb()
        chunks = (old[i : i + 4096] for i in range(0, len(old), 4096))  # no second full copy
        checksum = sum(int((c * 255).round().long().sum()) for c in chunks)
    elif step in ("first", "second", "read"):
        images = load_image_folder(folder, size).images
        if step == "read":
            checksum = int(images.sum(dtype=np.uint64))
        seconds = time.perf_counter() - start
        peak = _peak_rss_mb()
    elif step == "labels":
        folder_labels(folder)
        seconds = time.perf_counter() - start
        peak = _peak_rss_mb()
    else:
        seconds, peak = 0.0, _peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "checksum": checksum}))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.machine()
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.machine()


def run_step(step: str, folder: Path, size: int) -> dict[str, Any]:
    """Run ``step`` in a fresh interpreter; its measurements plus the process's wall seconds."""
    command = [sys.executable, __file__, "--child", step, "--folder", str(folder)]
    start = time.perf_counter()
    done = subprocess.run([*command, "--size", str(size)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"step {step!r} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/alcore-bench-images"))
    parser.add_argument("--train", type=int, default=50_000, help="train images (default 50000)")
    parser.add_argument("--test", type=int, default=10_000, help="test images (default 10000)")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-old", action="store_true", help="skip the old torchvision path")
    parser.add_argument("--child", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.folder, args.size)
        return

    from alcore.data.synthetic_images import write_synthetic_folder

    start = time.perf_counter()
    write_synthetic_folder(
        args.dir, n_train=args.train, n_test=args.test, size=args.size, seed=args.seed
    )
    print(f"synthetic folder ready in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    shutil.rmtree(args.dir / ".alcore-cache", ignore_errors=True)  # the first load starts cold

    folder = args.dir / "train"
    steps = [s for s in STEPS if not (args.skip_old and s == "old")]
    results = {}
    for step in steps:
        print(f"running {STEPS[step]} ...", file=sys.stderr, flush=True)
        results[step] = run_step(step, folder, args.size)
    sums = {s: r["checksum"] for s, r in results.items() if r["checksum"] is not None}
    if len(set(sums.values())) != 1:
        raise SystemExit(f"the pixel sums disagree: {sums}")

    print(
        f"{args.train:,} train images of {args.size}x{args.size} px in {folder} "
        f"({_cpu_name()}, Python {platform.python_version()}); "
        "warm page cache; each row a fresh process\n"
    )
    baseline = results["imports"]["peak_rss_mb"]
    print("| step | call s | process s | peak RSS MB | RSS above imports MB |")
    print("|---|---:|---:|---:|---:|")
    for step, r in results.items():
        print(
            f"| {STEPS[step]} | {r['seconds']:.2f} | {r['process_seconds']:.2f} "
            f"| {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - baseline:.0f} |"
        )
    print(f"\npixel sums agree across {', '.join(sums)}: {next(iter(sums.values()))}")


if __name__ == "__main__":
    main()
