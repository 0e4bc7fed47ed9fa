"""Time the strategies beside the core-set (badge, kmeans, typiclust, probcover, batchbald).

    python benchmarks/strategies.py                    # N=50,000, D=512, b=5,000, C=10
    python benchmarks/strategies.py --n 5000 --budget 500 --dim 128    # a quick look
    python benchmarks/strategies.py --kinds badge --dim 4096 --budget 200  # badge at F=4,096

Features are VGG-like (ReLU, sparse; ``tests/select/cases.vgg_like``), probabilities a softmax
of random logits, 10% of the pool labelled; the dropout passes (``--passes`` T) add noise of
their own to those logits. ``kmeans`` is timed in parts as well: its k-means++
seeding and one Lloyd iteration (assignment of every point to k = budget centres, then the
means), since the full run repeats the iteration up to ``MAX_LLOYD_ITERATIONS`` times. The D^2
seedings (k-means++ and badge) also get their cost a pick (seconds / budget), to compare with
one pass over the features (``one pass``: the matrix-vector product of the unlabelled points'
(n, D) working copy with one row, the least a pick's exact update can cost).

    python benchmarks/strategies.py --budget 500 --kinds pass,kmeans-parts,badge   # per pick
    python benchmarks/strategies.py --n 1347 --dim 64 --budget 40 --kinds probcover,batchbald
"""

from __future__ import annotations

import os
import sys

# benchmarks/select.py beside this file would shadow the standard library's ``select``
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "select"))
from cases import labelled_mask, vgg_like

from alcore.select import Options, Pool, select
from alcore.select.distances import make_workspace
from alcore.select.kmeans import _assign, _update, kmeans_plusplus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--budget", type=int, default=5_000)
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--kinds", default="pass,badge,kmeans-parts,typiclust,kmeans")
    args = parser.parse_args()
    features = vgg_like(args.n, args.dim, seed=0)
    logits = 3.0 * torch.randn(args.n, args.classes, generator=torch.Generator().manual_seed(1))
    labelled = labelled_mask(args.n, args.n // 10, 2)
    noise = torch.randn(args.passes, *logits.shape, generator=torch.Generator().manual_seed(3))
    pool = Pool(labelled, features, logits.softmax(dim=1), (logits + noise).softmax(dim=2))
    threads = torch.get_num_threads()
    print(
        f"N={args.n} D={args.dim} C={args.classes} T={args.passes} b={args.budget} "
        f"threads={threads}"
    )
    print("| part | seconds | ms a pick |\n| --- | --- | --- |", flush=True)
    for kind in args.kinds.split(","):
        generator = torch.Generator().manual_seed(0)
        if kind == "pass":
            points = make_workspace(features[~labelled]).points
            row = points[0].clone()
            torch.mv(points, row)  # warm up
            repeats = 20
            start = time.perf_counter()
            for _ in range(repeats):
                torch.mv(points, row)
            each = (time.perf_counter() - start) / repeats
            print(
                f"| one pass over the (n, D) features (mv, mean of {repeats}) | - "
                f"| {1e3 * each:.2f} |",
                flush=True,
            )
            continue
        if kind == "badge":
            start = time.perf_counter()
            select(kind, pool, args.budget, Options(generator=generator))
            took = time.perf_counter() - start
            print(
                f"| badge (whole call, radii included) | {took:.1f} "
                f"| {1e3 * took / args.budget:.1f} |",
                flush=True,
            )
            continue
        if kind == "kmeans-parts":
            space = make_workspace(features[~labelled])
            u = torch.rand(args.budget, generator=generator, dtype=torch.float64)
            start = time.perf_counter()
            seeds = kmeans_plusplus(space, args.budget, u)
            seeded = time.perf_counter()
            centers = space.points[seeds].double()
            labels = _assign(space, centers)
            centers = _update(space, labels, centers)
            done = time.perf_counter()
            seeding = seeded - start
            print(
                f"| kmeans: k-means++ seeding, k = {args.budget} | {seeding:.1f} "
                f"| {1e3 * seeding / args.budget:.1f} |",
                flush=True,
            )
            print(f"| kmeans: one Lloyd iteration | {done - seeded:.1f} | - |", flush=True)
            continue
        start = time.perf_counter()
        select(kind, pool, args.budget, Options(generator=generator))
        print(
            f"| {kind} (whole call, radii included) | {time.perf_counter() - start:.1f} | - |",
            flush=True,
        )


if __name__ == "__main__":
    main()
