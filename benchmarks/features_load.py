"""Time and memory of loading a `features` dataset: memory-mapped .npy against decoded parquet.

Writes (once; kept when a complete set with the same arguments is there) ``--rows`` pool rows
plus ``--test`` test rows of ``--dim`` float32 features, labels of ``--classes`` Gaussian
clusters, and a split putting the pool first, as ``x.npy`` + ``y.npy`` + ``split.npy`` and as
``x.parquet`` (features a fixed-size list column). Then runs each load in a fresh Python process
that has already imported torch, pyarrow and alcore and blocks pandas (as a workflow job does),
and reports the seconds of ``load_dataset`` and the memory it added over that baseline: peak
RSS (``VmHWM``, file pages of a memory map included), and anonymous memory after the load
(``RssAnon``: what the process owns, not the page cache).

* ``npy (memmap)``: the split file puts the pool in one block: the pool is a view of the map.
* ``npy, seeded split``: no split file, ``test_fraction`` 0.01: the pool is scattered over the
  file, so it is gathered into memory.
* ``parquet``: decoded batch by batch into the pool and test arrays.
* ``headers only``: ``alcore.dataset_catalog.pool_size`` and ``input_shape`` (torch-free).

The files stay in the page cache after they are written: these are warm-cache times (a cold
cache adds one sequential read of the file).

    python benchmarks/features_load.py                         # 1,000,000 x 512 (2 GB)
    python benchmarks/features_load.py --rows 100000 --dim 64 --dir /tmp/small
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
import subprocess
import time
from pathlib import Path

import numpy as np

MEASURE = r"""
import json, re, sys, time
from pathlib import Path
from alcore.workflow.job import without_pandas
without_pandas()  # as in a job
import pyarrow.parquet  # noqa: F401  (the baseline: a job has these imported)
import torch  # noqa: F401
from alcore.data import load_dataset
from alcore.dataset_catalog import input_shape, pool_size

def status(key):
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, flags=re.MULTILINE).group(1)) / 1024

data_dir, options, headers = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
rss, anon = status("VmRSS"), status("RssAnon")
started = time.perf_counter()
if headers:
    n, shape = pool_size("features", options, data_dir), input_shape("features", options, data_dir)
else:
    b = load_dataset("features", data_dir=data_dir, options=options)
    n, shape = b.n_pool, b.input_shape
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": status("VmHWM") - rss,
                  "anon_mb": status("RssAnon") - anon, "n_pool": n, "shape": list(shape)}))
"""


def write_files(folder: Path, rows: int, test: int, dim: int, classes: int) -> None:
    """x.npy, y.npy, split.npy and x.parquet; skipped when a complete set is there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp = folder / "complete.json"
    wanted = {"rows": rows, "test": test, "dim": dim, "classes": classes}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return
    folder.mkdir(parents=True, exist_ok=True)
    n = rows + test
    rng = np.random.default_rng(0)
    centres = (3.0 * rng.standard_normal((classes, dim))).astype(np.float32)
    labels = rng.integers(0, classes, size=n).astype(np.int64)
    x = np.lib.format.open_memmap(folder / "x.npy", mode="w+", dtype=np.float32, shape=(n, dim))
    fixed = pa.list_(pa.float32(), dim)
    schema = pa.schema([("features", fixed), ("label", pa.int64()), ("split", pa.string())])
    split = np.where(np.arange(n) < rows, "pool", "test")
    block = 100_000
    with pq.ParquetWriter(folder / "x.parquet", schema) as writer:
        for start in range(0, n, block):
            end = min(start + block, n)
            chunk = centres[labels[start:end]] + rng.standard_normal(
                (end - start, dim), dtype=np.float32
            )
            x[start:end] = chunk
            values = pa.FixedSizeListArray.from_arrays(pa.array(chunk.ravel()), dim)
            columns = {"features": values, "label": labels[start:end], "split": split[start:end]}
            writer.write_table(pa.table(columns, schema=schema))
    x.flush()
    del x
    np.save(folder / "y.npy", labels)
    np.save(folder / "split.npy", split)
    stamp.write_text(json.dumps(wanted))


def measure(folder: Path, options: dict[str, object], headers: bool = False) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder), json.dumps(options), "1" if headers else "0"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="pool rows")
    parser.add_argument("--test", type=int, default=10_000, help="test rows")
    parser.add_argument("--dim", type=int, default=512, help="features a row")
    parser.add_argument("--classes", type=int, default=10, help="Gaussian clusters = classes")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/features-bench"))
    parser.add_argument("--repeats", type=int, default=2, help="runs of each row (best kept)")
    args = parser.parse_args()
    started = time.perf_counter()
    write_files(args.dir, args.rows, args.test, args.dim, args.classes)
    print(f"files in {args.dir} ({time.perf_counter() - started:.1f} s to write or check)")
    npy = {"path": "x.npy", "labels": "y.npy", "split": "split.npy"}
    cases = [
        ("npy (memmap)", npy, False),
        ("npy, seeded split", {"path": "x.npy", "labels": "y.npy", "test_fraction": 0.01}, False),
        ("parquet", {"path": "x.parquet"}, False),
        ("headers only, npy", npy, True),
        ("headers only, parquet", {"path": "x.parquet"}, True),
    ]
    size_gb = (args.rows + args.test) * args.dim * 4 / 1e9
    rows = f"{args.rows:,} pool + {args.test:,} test rows x {args.dim} float32"
    print(f"\n{rows} ({size_gb:.2f} GB)\n")
    print("| load | seconds | peak extra RSS (MB) | extra anonymous (MB) | pool |")
    print("|---|---:|---:|---:|---:|")
    for name, options, headers in cases:
        runs = [measure(args.dir, options, headers) for _ in range(args.repeats)]
        best = min(runs, key=lambda r: r["seconds"])
        print(f"| {name} | {best['seconds']:.2f} | {best['peak_mb']:,.0f} | "
              f"{best['anon_mb']:,.0f} | {int(best['n_pool']):,} |")  # fmt: skip


if __name__ == "__main__":
    main()
