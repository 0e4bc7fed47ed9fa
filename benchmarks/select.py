"""Speed of alcore's core-set engine against the per-pick approach most toolkits use.

The per-pick baseline is what google/active-learning's ``kcenter_greedy`` does: one call of
``sklearn.metrics.pairwise_distances`` for the labelled set, then one per pick. Every run
checks that alcore's greedy picks the same points as the baseline.

    python benchmarks/select.py            # the full grid of the README (about 40 minutes here)
    python benchmarks/select.py --quick    # N=5,000, b=500: a minute
    python benchmarks/select.py --device cuda --sklearn-budgets 0

Columns: seconds for the whole call (initial min distances included), picks per second,
effective GB/s against the N*D*4 bytes each pick must read, and the peak memory the call adds
on top of the features (RSS on the CPU, the CUDA allocator's peak on a GPU).
"""

from __future__ import annotations

import os
import sys

# This file is named select.py: keep its folder off sys.path so that the standard library's
# ``select`` module (used by socket, subprocess, ...) is not shadowed by it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import ctypes
import dataclasses
import gc
import json
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import pairwise_distances

from alcore.select import coreset_search

_LIBC = ctypes.CDLL("libc.so.6")
DIM = 512
N_LABELLED = 1000
N_CLUSTERS = 10


@dataclass(frozen=True)
class Case:
    data: str
    n: int
    budget: int


def make_features(case: Case, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 512) float32 features, a labelled mask of 1,000 and doubt in [0, 0.9)."""
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(case.n, DIM, generator=g)
    if case.data == "clustered":
        # well-separated class-like clusters: centres 4x further apart than the points' spread
        centres = 4.0 * torch.randn(N_CLUSTERS, DIM, generator=g)
        features += centres[torch.randint(N_CLUSTERS, (case.n,), generator=g)]
    labelled = torch.zeros(case.n, dtype=torch.bool)
    labelled[torch.randperm(case.n, generator=g)[:N_LABELLED]] = True
    doubt = 0.9 * torch.rand(case.n, generator=g)
    return features, labelled, doubt


def sklearn_per_pick(features: np.ndarray, labelled: np.ndarray, budget: int) -> np.ndarray:
    """google/active-learning's kcenter_greedy, restated: N x L distances, then a row per pick."""
    min_distance = pairwise_distances(features, features[labelled]).min(axis=1)
    picks = []
    for _ in range(budget):
        pick = int(np.argmax(np.where(labelled, -1.0, min_distance)))
        picks.append(pick)
        labelled = labelled.copy()
        labelled[pick] = True
        row = pairwise_distances(features, features[[pick]]).ravel()
        min_distance = np.minimum(min_distance, row)
    return np.array(picks)


def near_tie_gap(
    features: np.ndarray, labelled: np.ndarray, prefix: np.ndarray, pick_a: int, pick_b: int
) -> float:
    """Relative float64 gap between two candidate picks after a common prefix of picks."""
    centers = labelled.copy()
    centers[prefix] = True
    chosen = features[[pick_a, pick_b]].astype(np.float64)
    m = pairwise_distances(chosen, features[centers].astype(np.float64)).min(axis=1)
    return float(abs(m[0] - m[1]) / max(m))


class PeakMemory:
    """Peak memory a block adds: CUDA allocator peak, or Linux's resettable peak RSS."""

    def __init__(self, device: torch.device):
        self.device = device

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            gc.collect()
            _LIBC.malloc_trim(0)  # hand freed heap pages back, so that RSS counts live memory
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self.base = _status_kib("VmRSS") * 1024
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.extra = torch.cuda.max_memory_allocated() - self.base
        else:
            self.extra = _status_kib("VmHWM") * 1024 - self.base


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def timed(run: Callable[[], object], device: torch.device) -> tuple[float, int, object]:
    with PeakMemory(device) as memory:
        start = time.perf_counter()
        out = run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return seconds, memory.extra, out


METHODS = ("greedy", "greedy (no pruning)", "pweighted", "pweighted beam 20", "sklearn per pick")


def run_method(
    case: Case, method: str, device: torch.device, compare_with: np.ndarray | None = None
) -> tuple[float, int, np.ndarray, str]:
    """Time one method on one case in this process.

    Returns (seconds, peak extra bytes, picks, agreement with ``compare_with`` or "").
    """
    features, labelled, doubt = make_features(case)
    if method == "sklearn per pick":
        host_features, host_labelled = features.numpy(), labelled.numpy()
        seconds, extra, picks = timed(
            lambda: sklearn_per_pick(host_features, host_labelled, case.budget),
            torch.device("cpu"),
        )
        picks = np.asarray(picks)
        agreement = "" if compare_with is None else _agreement(case, picks, compare_with)
        return seconds, extra, picks, agreement
    features, labelled, doubt = features.to(device), labelled.to(device), doubt.to(device)
    # warm up kernels and thread pools so that the timed call is not charged for them
    coreset_search(features[:2000], labelled[:2000], 20, doubt[:2000], True, 4)
    runs: dict[str, Callable[[], object]] = {
        "greedy": lambda: coreset_search(features, labelled, case.budget),
        "greedy (no pruning)": lambda: coreset_search(features, labelled, case.budget, prune=False),
        "pweighted": lambda: coreset_search(features, labelled, case.budget, doubt, True),
        "pweighted beam 20": lambda: coreset_search(
            features, labelled, case.budget, doubt, True, 20
        ),
    }
    seconds, extra, result = timed(runs[method], device)
    return seconds, extra, result.picks.cpu().numpy(), ""  # type: ignore[attr-defined]


def run_isolated(
    case: Case, method: str, device: torch.device, compare_with: np.ndarray | None = None
) -> tuple[float, int, np.ndarray, str]:
    """:func:`run_method` in a fresh process, so that peak memory is this method's alone.

    The parent does no numerical work meanwhile: idle BLAS threads of a busy parent would
    compete with the child for the two cores.
    """
    with tempfile.TemporaryDirectory() as folder:
        picks_path = Path(folder) / "picks.npy"
        compare_path = Path(folder) / "compare.npy"
        if compare_with is not None:
            np.save(compare_path, compare_with)
        request = {"case": dataclasses.asdict(case), "method": method, "device": str(device),
                   "picks": str(picks_path),
                   "compare": str(compare_path) if compare_with is not None else None}  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(request)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{method} on {case} failed:\n{done.stderr}")
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return answer["seconds"], answer["extra"], np.load(picks_path), answer["agreement"]


def child(request_json: str) -> None:
    request = json.loads(request_json)
    compare = None if request["compare"] is None else np.load(request["compare"])
    seconds, extra, picks, agreement = run_method(
        Case(**request["case"]), request["method"], torch.device(request["device"]), compare
    )
    np.save(request["picks"], picks)
    print(json.dumps({"seconds": seconds, "extra": extra, "agreement": agreement}))


def run_case(
    case: Case,
    device: torch.device,
    with_sklearn: bool,
    isolate: bool,
    methods: tuple[str, ...] = METHODS,
) -> list[dict[str, object]]:
    feature_bytes = case.n * DIM * 4
    rows, picks = [], {}
    for method in methods:
        if method == "sklearn per pick" and not (with_sklearn and "greedy" in picks):
            continue
        run = run_isolated if isolate else run_method
        compare = picks["greedy"] if method == "sklearn per pick" else None
        seconds, extra, picks[method], agreement = run(case, method, device, compare)
        row = _row(case, method, seconds, extra, feature_bytes, feature_bytes)
        if method == "sklearn per pick":
            row["same picks"] = agreement
            for other in rows:
                other["vs sklearn"] = f"{seconds / float(other['seconds']):.1f}x"  # type: ignore[arg-type]
        rows.append(row)
        print(_format(row), flush=True)
    return rows


def _agreement(case: Case, theirs: np.ndarray, ours: np.ndarray) -> str:
    if np.array_equal(theirs, ours):
        return "all"
    first = int(np.argmin(theirs == ours))
    features, labelled, _ = make_features(case)
    gap = near_tie_gap(features.numpy(), labelled.numpy(), ours[:first], theirs[first], ours[first])
    return f"first {first}, then a near-tie (gap {gap:.0e})"


def _row(
    case: Case, method: str, seconds: float, extra: int, bytes_per_pick: int, feature_bytes: int
) -> dict[str, object]:
    return {
        "data": case.data,
        "N": case.n,
        "b": case.budget,
        "method": method,
        "seconds": round(seconds, 2),
        "picks/s": round(case.budget / seconds),
        "GB/s": round(case.budget * bytes_per_pick / seconds / 1e9, 1),
        "peak extra MB": round(extra / 2**20),
        "x features": round(extra / feature_bytes, 2),
    }


def _format(row: dict[str, object]) -> str:
    return "  ".join(f"{k}={v}" for k, v in row.items())


def markdown(rows: list[dict[str, object]]) -> str:
    columns = [
        "data", "N", "b", "method", "seconds", "picks/s", "GB/s",
        "peak extra MB", "x features", "vs sklearn", "same picks",
    ]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=5,000, b=500 only")
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--budgets", default="500,2000,5000")
    parser.add_argument("--data", default="gaussian,clustered")
    parser.add_argument(
        "--sklearn-budgets",
        default="500,2000",
        help="budgets at which to run the slow per-pick baseline (0 for none)",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, help="also write the table as markdown here")
    parser.add_argument(
        "--no-isolate", action="store_true", help="run all methods in this process (faster)"
    )
    parser.add_argument(
        "--methods", default=",".join(METHODS), help=f"comma-separated subset of {METHODS}"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    budgets = [500] if args.quick else [int(b) for b in args.budgets.split(",")]
    sklearn_budgets = {int(b) for b in args.sklearn_budgets.split(",")}
    device = torch.device(args.device)
    print(
        f"# torch {torch.__version__}, {device}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}"
    )
    rows: list[dict[str, object]] = []
    for data in args.data.split(","):
        for n in sizes:
            for budget in budgets:
                if budget > n - N_LABELLED:
                    continue
                case = Case(data, n, budget)
                rows += run_case(
                    case, device, budget in sklearn_budgets, not args.no_isolate,
                    tuple(args.methods.split(",")),
                )  # fmt: skip
    table = markdown(rows)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
