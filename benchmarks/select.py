"""Speed of alcore's core-set engine against the per-pick approach most toolkits use.

The per-pick baseline is what google/active-learning's ``kcenter_greedy`` does: one call of
``sklearn.metrics.pairwise_distances`` for the labelled set, then one per pick. Every run
checks that alcore's greedy picks the same points as the baseline.

    python benchmarks/select.py            # the full grid of the README (about 15 minutes here)
    python benchmarks/select.py --quick    # N=5,000, b=500: a minute
    python benchmarks/select.py --device cuda --sklearn-budgets 0
    python benchmarks/select.py --min-distance   # the first pass against torch.cdist
    python benchmarks/select.py --memory         # N=50,000, D=4,096: peak memory, progress
    python benchmarks/select.py --million        # N=1,000,000, D=512, b=1,000, in place

Columns: seconds for the whole call (initial min distances included), of which the first
min-distance pass ("first pass s"; for the baseline its own first ``pairwise_distances``),
picks per second, effective GB/s against the N*D*4 bytes a literal pick reads (above the
memory bandwidth only because the lazy updates read less), the peak memory the call adds on
top of the features (RSS on the CPU, the CUDA allocator's peak on a GPU), the baseline's time
over ours ("vs sklearn") and beam 20's time over beam 1's ("vs beam 1").

``--min-distance`` times ``alcore.select.min_distances`` (paper Algorithm 3, exact) against
``torch.cdist(x, c).min(dim=1)`` (float32 expansion, not exact) on the same input, with how
many rows the old screen (plain expansion, loose margin, whole-tile recompute) left undecided
and how many pairs the current pass computes directly. ``--memory`` runs greedy and pweighted
beam 10 for 400 picks at N=50,000, D=4,096, each in a fresh process, and reports the peak
memory and the longest wait between two progress callbacks.
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

from alcore.select import coreset_search, distances, min_distances

_LIBC = ctypes.CDLL("libc.so.6")
DIM = 512
N_LABELLED = 1000
N_CLUSTERS = 10
DEFAULT_DATA = "gaussian,clustered"


@dataclass(frozen=True)
class Case:
    data: str  # gaussian, clustered or vgg-like
    n: int
    budget: int
    dim: int = DIM
    n_labelled: int = N_LABELLED
    overwrite: bool = False  # the engine centres the features in place (no working copy)


def vgg_like(
    n: int, dim: int, g: torch.Generator, classes: int = 10, rank: int = 64
) -> torch.Tensor:
    """(n, dim) float32 non-negative sparse features like a CNN's ReLU layer (VGG fc7).

    ReLU of a random rank-64 projection of 10 tight latent clusters plus noise, about half the
    entries 0 (tests/select/cases.py has the same generator). Distances concentrate: a point's
    distances to its own class's centres differ by less than a float32 screening margin.
    """
    means = 6.0 * torch.randn(classes, rank, generator=g)
    latent = means[torch.randint(classes, (n,), generator=g)]
    latent += 0.3 * torch.randn(n, rank, generator=g)
    projection = torch.randn(rank, dim, generator=g) / rank**0.5
    features: torch.Tensor = latent @ projection - 1.0 + 0.3 * torch.randn(n, dim, generator=g)
    return features.clamp_(min=0.0)


def make_features(case: Case, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, D) float32 features, a labelled mask and doubt in [0, 0.9)."""
    g = torch.Generator().manual_seed(seed)
    if case.data == "vgg-like":
        features = vgg_like(case.n, case.dim, g)
    else:
        features = torch.randn(case.n, case.dim, generator=g)
    if case.data == "clustered":
        # well-separated class-like clusters: centres 4x further apart than the points' spread
        centres = 4.0 * torch.randn(N_CLUSTERS, case.dim, generator=g)
        features += centres[torch.randint(N_CLUSTERS, (case.n,), generator=g)]
    labelled = torch.zeros(case.n, dtype=torch.bool)
    labelled[torch.randperm(case.n, generator=g)[: case.n_labelled]] = True
    doubt = 0.9 * torch.rand(case.n, generator=g)
    return features, labelled, doubt


def sklearn_per_pick(
    features: np.ndarray, labelled: np.ndarray, budget: int, first_pass: list[float]
) -> np.ndarray:
    """google/active-learning's kcenter_greedy, restated: N x L distances, then a row per pick.
    Appends the seconds of the first pass to ``first_pass``."""
    start = time.perf_counter()
    min_distance = pairwise_distances(features, features[labelled]).min(axis=1)
    first_pass.append(time.perf_counter() - start)
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


METHODS = ("greedy", "greedy (eager)", "pweighted", "pweighted beam 20", "sklearn per pick")
BEAM_WIDTHS = {"pweighted beam 10": 10, "pweighted beam 20": 20}


@dataclass(frozen=True)
class Run:
    """One timed call: seconds, peak extra bytes, picks, agreement with another method's picks
    (or ""), and the longest time between two progress callbacks (or with the call's ends)."""

    seconds: float
    extra: int
    picks: np.ndarray
    agreement: str = ""
    progress_gap: float = float("nan")
    first_pass: float = float("nan")


class ProgressGap:
    """A progress callback that keeps the longest time between two calls, and when the first
    pass ended (its last call)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.longest = 0.0
        self.first_pass = float("nan")

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        if phase == "min-distance" and done == total:
            self.first_pass = now - self.start

    def finish(self) -> float:
        return max(self.longest, time.perf_counter() - self.last)


def run_method(
    case: Case, method: str, device: torch.device, compare_with: np.ndarray | None = None
) -> Run:
    """Time one method on one case in this process."""
    features, labelled, doubt = make_features(case)
    if method == "sklearn per pick":
        host_features, host_labelled = features.numpy(), labelled.numpy()
        first_pass: list[float] = []
        seconds, extra, picks = timed(
            lambda: sklearn_per_pick(host_features, host_labelled, case.budget, first_pass),
            torch.device("cpu"),
        )
        picks = np.asarray(picks)
        agreement = "" if compare_with is None else _agreement(case, picks, compare_with)
        return Run(seconds, extra, picks, agreement, first_pass=first_pass[0])
    features, labelled, doubt = features.to(device), labelled.to(device), doubt.to(device)
    # warm up kernels and thread pools so that the timed call is not charged for them
    coreset_search(features[:2000], labelled[:2000], 20, doubt[:2000], True, 4)
    weighted = method.startswith("pweighted")
    width = BEAM_WIDTHS.get(method, 1)
    lazy = False if method == "greedy (eager)" else None
    gaps: list[ProgressGap] = []

    def run() -> object:
        gaps.append(ProgressGap())  # the clock starts with the call
        return coreset_search(
            features, labelled, case.budget, doubt if weighted else None, weighted, width,
            lazy=lazy, progress=gaps[-1], overwrite_features=case.overwrite,
        )  # fmt: skip

    seconds, extra, result = timed(run, device)
    picks = result.picks.cpu().numpy()  # type: ignore[attr-defined]
    return Run(seconds, extra, picks, "", gaps[-1].finish(), gaps[-1].first_pass)


def run_isolated(
    case: Case, method: str, device: torch.device, compare_with: np.ndarray | None = None
) -> Run:
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
        return Run(
            answer["seconds"], answer["extra"], np.load(picks_path), answer["agreement"],
            answer["progress_gap"], answer["first_pass"],
        )  # fmt: skip


def child(request_json: str) -> None:
    request = json.loads(request_json)
    compare = None if request["compare"] is None else np.load(request["compare"])
    done = run_method(
        Case(**request["case"]), request["method"], torch.device(request["device"]), compare
    )
    np.save(request["picks"], done.picks)
    answer = {"seconds": done.seconds, "extra": done.extra, "agreement": done.agreement,
              "progress_gap": done.progress_gap, "first_pass": done.first_pass}  # fmt: skip
    print(json.dumps(answer))


def run_case(
    case: Case,
    device: torch.device,
    with_sklearn: bool,
    isolate: bool,
    methods: tuple[str, ...] = METHODS,
) -> list[dict[str, object]]:
    feature_bytes = case.n * case.dim * 4
    rows: list[dict[str, object]] = []
    picks: dict[str, np.ndarray] = {}
    for method in methods:
        if method == "sklearn per pick" and not (with_sklearn and "greedy" in picks):
            continue
        run = run_isolated if isolate else run_method
        compare = picks["greedy"] if method == "sklearn per pick" else None
        done = run(case, method, device, compare)
        seconds, extra, picks[method] = done.seconds, done.extra, done.picks
        row = _row(case, method, seconds, extra, feature_bytes, feature_bytes)
        row["first pass s"] = round(done.first_pass, 2)
        if method == "sklearn per pick":
            row["same picks"] = done.agreement
            for other in rows:
                other["vs sklearn"] = f"{seconds / float(other['seconds']):.1f}x"  # type: ignore[arg-type]
        for beam in BEAM_WIDTHS:
            if method == beam and "pweighted" in picks:
                beam_one = next(r for r in rows if r["method"] == "pweighted")
                row["vs beam 1"] = f"{seconds / float(beam_one['seconds']):.2f}x"  # type: ignore[arg-type]
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


def markdown(rows: list[dict[str, object]], columns: list[str] | None = None) -> str:
    columns = columns or [
        "data", "N", "b", "method", "seconds", "first pass s", "picks/s", "GB/s",
        "peak extra MB", "x features", "vs sklearn", "vs beam 1", "same picks",
    ]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


class PairCounter:
    """Counts the pairs the min-distance pass computes directly, by wrapping its direct kernel
    (one Python call per tile: no measurable cost), and the rows with several in one tile."""

    def __init__(self, n_points: int):
        self.pairs = 0
        self.undecided = torch.zeros(n_points, dtype=torch.bool)

    def __enter__(self) -> PairCounter:
        self.original = distances.exact_pairs64_at
        distances.exact_pairs64_at = self
        return self

    def __exit__(self, *exc: object) -> None:
        distances.exact_pairs64_at = self.original

    def __call__(
        self, space: distances.Workspace, rows: torch.Tensor, cols: torch.Tensor
    ) -> torch.Tensor:
        self.pairs += int(rows.shape[0])
        values, counts = torch.unique_consecutive(rows, return_counts=True)
        self.undecided[values[counts > 1]] = True
        return self.original(space, rows, cols)


def old_screen_undecided(
    features: torch.Tensor, labelled: torch.Tensor, block: int = 1024, sample: int = 8192
) -> float:
    """Share of rows that the previous pass (expansion with ``2 (D + 4) eps (|x|^2 + |c|^2)``
    margin) left undecided in some tile, and so recomputed against the whole tile; estimated
    on the first ``sample`` rows (the rows are in random order)."""
    mean = features.mean(dim=0)
    centres = features[labelled] - mean
    centre_sq = centres.square().sum(dim=1)
    gamma = 2.0 * (features.shape[1] + 4) * float(torch.finfo(torch.float32).eps)
    undecided = 0
    for start in range(0, min(sample, features.shape[0]), block):
        rows = features[start : start + block] - mean
        row_sq = rows.square().sum(dim=1)
        hit = torch.zeros(rows.shape[0], dtype=torch.bool)
        for col in range(0, centres.shape[0], block):
            c, c_sq = centres[col : col + block], centre_sq[col : col + block]
            screened = torch.addmm(row_sq[:, None] + c_sq[None, :], rows, c.T, alpha=-2.0)
            margin = gamma * (row_sq[:, None] + c_sq[None, :])
            upper = (screened + margin).min(dim=1, keepdim=True).values
            hit |= (screened - margin <= upper).sum(dim=1) > 1
        undecided += int(hit.sum())
    return undecided / min(sample, features.shape[0])


MIN_DISTANCE_CASES = ((8000, 1000), (50000, 5000))  # (N, labelled)
MILLION = Case("clustered", 1_000_000, 1000, overwrite=True)  # 2 GB of float32 features


def min_distance_rows(dims: list[int], data: list[str]) -> list[dict[str, object]]:
    """alcore's exact first pass against ``torch.cdist(x, c).min(dim=1)`` on the same input."""
    rows: list[dict[str, object]] = []
    for kind in data:
        for n, n_labelled in MIN_DISTANCE_CASES:
            for dim in dims:
                case = Case(kind, n, 0, dim, n_labelled)
                features, labelled, _ = make_features(case)
                centres = features[labelled]
                min_distances(features[:2048], labelled[:2048])  # warm up
                torch.cdist(features[:2048], centres[:256]).min(dim=1)
                with PairCounter(n) as counter:
                    start = time.perf_counter()
                    ours = min_distances(features, labelled)
                    seconds = time.perf_counter() - start
                start = time.perf_counter()
                theirs = torch.cdist(features, centres).min(dim=1)
                cdist_seconds = time.perf_counter() - start
                free = ~labelled
                centre_index = labelled.nonzero().squeeze(1)
                other = int((centre_index[theirs.indices] != ours.nearest)[free].sum())
                old_undecided = old_screen_undecided(features, labelled)
                undecided = float(counter.undecided.float().mean())
                row: dict[str, object] = {
                    "data": kind, "N": n, "L": n_labelled, "D": dim,
                    "alcore s": round(seconds, 2), "cdist+min s": round(cdist_seconds, 2),
                    "ratio": round(seconds / cdist_seconds, 2),
                    "old undecided rows": f"{100 * old_undecided:.0f}%",
                    "rows with >1 contender": f"{100 * undecided:.1f}%",
                    "direct pairs/row": round(counter.pairs / n, 2),
                    "cdist's nearest differs": other,
                }  # fmt: skip
                print(_format(row), flush=True)
                rows.append(row)
                del features, labelled, centres, ours, theirs
                gc.collect()
    return rows


def memory_rows(device: torch.device) -> list[dict[str, object]]:
    """Peak memory of 400 picks at N=50,000, D=4,096 (819 MB of float32 features), each method
    in a fresh process, and the longest wait between two progress callbacks."""
    rows: list[dict[str, object]] = []
    for kind in ("vgg-like", "gaussian"):
        case = Case(kind, 50000, 400, 4096)
        feature_bytes = case.n * case.dim * 4
        for method in ("greedy", "pweighted beam 10"):
            done = run_isolated(case, method, device)
            row: dict[str, object] = {
                "data": kind, "N": case.n, "D": case.dim, "b": case.budget, "method": method,
                "seconds": round(done.seconds, 1),
                "features MB": round(feature_bytes / 2**20),
                "peak extra MB": round(done.extra / 2**20),
                "x features": round(done.extra / feature_bytes, 2),
                "peak / features": round(1 + done.extra / feature_bytes, 2),
                "longest progress gap s": round(done.progress_gap, 1),
            }  # fmt: skip
            print(_format(row), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=5,000, b=500 only")
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--budgets", default="500,2000,5000")
    parser.add_argument("--data", default=DEFAULT_DATA, help="gaussian, clustered, vgg-like")
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
    parser.add_argument(
        "--min-distance", action="store_true",
        help="time the exact first pass against torch.cdist (N=8,000 and 50,000)",
    )  # fmt: skip
    parser.add_argument("--dims", default="512,4096", help="feature sizes for --min-distance")
    parser.add_argument(
        "--memory", action="store_true",
        help="peak memory and progress of 400 picks at N=50,000, D=4,096",
    )  # fmt: skip
    parser.add_argument(
        "--million", action="store_true",
        help="N=1,000,000, D=512, b=1,000, features centred in place (--methods to choose)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, help="torch threads (children inherit them)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
        torch.set_num_threads(args.threads)
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
    if args.min_distance:
        data = ["vgg-like", "gaussian"] if args.data == DEFAULT_DATA else args.data.split(",")
        rows = min_distance_rows([int(d) for d in args.dims.split(",")], data)
    elif args.memory:
        rows = memory_rows(device)
    if args.million:
        sizes, budgets = [MILLION.n], [MILLION.budget]
    for data in [] if args.min_distance or args.memory else args.data.split(","):
        for n in sizes:
            for budget in budgets:
                if budget > n - N_LABELLED:
                    continue
                case = Case(data, n, budget, overwrite=args.million)
                rows += run_case(
                    case, device, budget in sklearn_budgets, not args.no_isolate,
                    tuple(args.methods.split(",")),
                )  # fmt: skip
    table = markdown(rows, list(rows[0]) if rows and (args.min_distance or args.memory) else None)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
