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
    python benchmarks/select.py --peers --threads 1   # against fpsample, torch-quickfps, torch
    python benchmarks/select.py --contention     # 1 thread and the default, beside busy processes

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

``--peers`` times alcore's greedy against a plain torch loop (one ``addmv`` a pick), fpsample
and torch-quickfps (``pip install -e '.[bench]'``; one that does not import is skipped with a
line saying why) on the same data in one process, from the labelled set and from a single
start point, with the float64 gap where a peer's picks first part from alcore's; alcore's
time is the median of ``--repeats`` calls, each peer's one call.
``--contention`` runs one greedy call with one thread and with torch's default count, on the
machine as it is and beside ``--busy`` processes spinning in pure Python (docs/engine.md).
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
import importlib
import json
import multiprocessing
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from sklearn.metrics import pairwise_distances

from alcore.select import coreset, coreset_search, distances, min_distances

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
    repeats: int = 1,
) -> list[dict[str, object]]:
    """One row per method. alcore's methods run ``repeats`` times, taking turns (so that a
    drift of the machine's speed hits each alike), and report their median run; the per-pick
    baseline runs once."""
    feature_bytes = case.n * case.dim * 4
    rows: list[dict[str, object]] = []
    picks: dict[str, np.ndarray] = {}
    run = run_isolated if isolate else run_method
    ours = [method for method in methods if method != "sklearn per pick"]
    runs: dict[str, list[Run]] = {method: [] for method in ours}
    for _ in range(repeats):
        for method in ours:
            runs[method].append(run(case, method, device, None))
    for method in methods:
        if method == "sklearn per pick" and not (with_sklearn and "greedy" in picks):
            continue
        if method in runs:
            done = sorted(runs[method], key=lambda r: r.seconds)[(repeats - 1) // 2]
        else:
            done = run(case, method, device, picks["greedy"])
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
    (one Python call per tile: no measurable cost), and the rows of a tile with several
    (``contended``, summed over the tiles)."""

    def __init__(self) -> None:
        self.pairs = 0
        self.contended = 0

    def __enter__(self) -> PairCounter:
        self.original = distances.exact_pairs64
        distances.exact_pairs64 = self
        return self

    def __exit__(self, *exc: object) -> None:
        distances.exact_pairs64 = self.original

    def __call__(
        self, left: torch.Tensor, rows: torch.Tensor, right: torch.Tensor, cols: torch.Tensor
    ) -> torch.Tensor:
        self.pairs += int(rows.shape[0])
        # a tile's rows are numbered within the tile, each row's pairs in one run or two
        self.contended += int((torch.bincount(rows) > 1).sum())
        return self.original(left, rows, right, cols)


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
                with PairCounter() as counter:
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
                row: dict[str, object] = {
                    "data": kind, "N": n, "L": n_labelled, "D": dim,
                    "alcore s": round(seconds, 2), "cdist+min s": round(cdist_seconds, 2),
                    "ratio": round(seconds / cdist_seconds, 2),
                    "old undecided rows": f"{100 * old_undecided:.0f}%",
                    "contended tile rows/row": round(counter.contended / n, 3),
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


# The strongest peers: exact farthest-point sampling elsewhere, timed on the same data.
PEER_SHAPES = {512: (50_000, 2_000), 4096: (20_000, 1_000)}  # D -> default (N, b)
PEER_DATA = ("gaussian", "clustered", "vgg-like")
# torch's own thread count at import, untouched by --threads: what a caller gets by default
DEFAULT_THREADS = torch.get_num_threads()


def torch_loop(features: torch.Tensor, start: torch.Tensor, budget: int) -> torch.Tensor:
    """The plain torch greedy loop: (N, D) float features, (S,) int64 start indices ->
    (budget,) int64 picks.

    Min squared distances ``|x|^2 - 2 x.c + |c|^2``: to the start set by blocks of a matrix
    product, then one ``addmv`` over all N rows and an in-place ``minimum`` a pick. Not exact
    at near-ties: the expansion's rounding grows with ``|x|^2``, not with the distances.
    """
    n = features.shape[0]
    sq = features.square().sum(dim=1)  # (N,)
    best = torch.full((n,), float("inf"), dtype=features.dtype)
    centres = features[start]
    for row in range(0, n, 4096):  # (4096, S) blocks: bounded memory
        block = torch.addmm(
            sq[row : row + 4096, None] + sq[start][None, :],
            features[row : row + 4096], centres.T, alpha=-2.0,
        )  # fmt: skip
        best[row : row + 4096] = block.min(dim=1).values
    best[start] = -1.0  # a centre is never picked: -1 stays below every minimum
    picks = torch.empty(budget, dtype=torch.int64)
    row_sq = torch.empty_like(best)
    for step in range(budget):
        pick = int(best.argmax())
        picks[step] = pick
        torch.addmv(sq, features, features[pick], alpha=-2.0, out=row_sq)
        torch.minimum(best, row_sq.add_(sq[pick]), out=best)
        best[pick] = -1.0
    return picks


@dataclass(frozen=True)
class Peer:
    """A farthest-point sampler to time against alcore.

    run: (N, D) float32 features, (S,) int64 start indices, budget -> (budget,) int64
    picks, the start excluded. start_set: whether it takes a set of start points (else one
    index: single-start rows only).
    """

    name: str
    run: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]
    start_set: bool


def _fpsample_run(module: ModuleType) -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
    def run(features: torch.Tensor, start: torch.Tensor, budget: int) -> torch.Tensor:
        # vanilla FPS (exact); its answer begins with the start points
        points = features.numpy()
        given = start.tolist() if start.shape[0] > 1 else int(start[0])
        found = module.fps_sampling(points, start.shape[0] + budget, start_idx=given)
        return torch.from_numpy(np.asarray(found, dtype=np.int64)[start.shape[0] :])

    return run


def _quickfps_run(module: ModuleType) -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
    def run(features: torch.Tensor, start: torch.Tensor, budget: int) -> torch.Tensor:
        # bucket FPS (exact); its answer begins with the start index
        found = module.sample_idx(features, budget + 1, start_idx=int(start[0]))
        return found[1:].to(torch.int64)

    return run


def load_peers(
    import_module: Callable[[str], ModuleType] = importlib.import_module,
) -> tuple[list[Peer], list[str]]:
    """The peers that import, and one line for each that does not (what, why, how to get it)."""
    peers = [Peer("torch addmv loop", torch_loop, start_set=True)]
    skipped: list[str] = []
    optional = (
        ("fpsample", "fpsample", _fpsample_run, True),
        ("torch-quickfps", "torch_quickfps", _quickfps_run, False),
    )
    for name, module_name, runner, start_set in optional:
        try:
            module = import_module(module_name)
        except Exception as error:  # a broken build raises more than ImportError
            skipped.append(
                f"{name}: skipped ({type(error).__name__}: {error}); "
                f"pip install {name}, or pip install -e '.[bench]'"
            )
            continue
        peers.append(Peer(name, runner(module), start_set))
    return peers, skipped


@dataclass(frozen=True)
class Difference:
    """Where two pick sequences part: the first step whose picks differ, and each pick's
    min distance to the start set and the picks before it, recomputed in float64."""

    step: int
    ours: float
    theirs: float

    @property
    def gap(self) -> float:
        """(ours - theirs) / the larger: > 0 when our pick is the farther one, ~0 at a tie."""
        return (self.ours - self.theirs) / max(self.ours, self.theirs, np.finfo(float).tiny)


def first_difference(
    features: torch.Tensor, start: torch.Tensor, ours: torch.Tensor, theirs: torch.Tensor
) -> Difference | None:
    """The first step at which ``theirs`` (b,) departs from ``ours`` (b,), None if never.

    features: (N, D); start: (S,) int64 start indices. Both candidates' min distances to
    the start set plus ``ours[:step]`` are direct float64 differences, so a gap within the
    rounding of a float32 distance (a few 1e-7 at D = 512) is a near-tie that float32 cannot
    decide, and a larger one a pick that is not the farthest.
    """
    length = min(ours.shape[0], theirs.shape[0])
    differ = (ours[:length] != theirs[:length]).nonzero()
    if differ.shape[0] == 0:
        return None
    step = int(differ[0, 0])
    centres = torch.cat([start, ours[:step]])
    candidates = features[torch.stack([ours[step], theirs[step]])].to(torch.float64)
    distance = torch.cdist(
        candidates, features[centres].to(torch.float64),
        compute_mode="donot_use_mm_for_euclid_dist",
    ).min(dim=1).values  # fmt: skip
    return Difference(step, float(distance[0]), float(distance[1]))


def _timed_cpu(run: Callable[[], torch.Tensor]) -> tuple[float, float, torch.Tensor]:
    """(wall seconds, CPU seconds of this process, the answer) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def peer_rows(
    dims: list[int], data: list[str], n: int | None, budget: int | None, repeats: int = 1
) -> list[dict[str, object]]:
    """alcore's greedy against each peer on the same data, labelled and single start:
    alcore's call the median (by wall time) of ``repeats``, each peer's one call (the
    slowest take minutes)."""
    peers, skipped = load_peers()
    for line in skipped:
        print(f"# {line}", flush=True)
    rows: list[dict[str, object]] = []
    for dim in dims:
        default_n, default_budget = PEER_SHAPES.get(dim, PEER_SHAPES[4096])
        case_n, case_budget = n or default_n, budget or default_budget
        for kind in data:
            case = Case(kind, case_n, case_budget, dim)
            features, labelled, _ = make_features(case)
            labelled_start = labelled.nonzero().squeeze(1)
            coreset(features[:2000], labelled[:2000], 20)  # warm up the kernels and threads
            for start_name, start in (
                (f"labelled {labelled_start.shape[0]}", labelled_start),
                ("single", labelled_start[:1]),
            ):
                mask = torch.zeros(case_n, dtype=torch.bool)
                mask[start] = True
                runs = [_timed_cpu(partial(coreset, features, mask, case_budget))
                        for _ in range(repeats)]  # fmt: skip
                wall, cpu, ours = sorted(runs, key=lambda run: run[0])[(repeats - 1) // 2]
                head = {"data": kind, "D": dim, "N": case_n, "b": case_budget}
                head["start"] = start_name
                rows.append(_peer_row(head, "alcore greedy", (wall, cpu), None, ""))
                for peer in peers:
                    if start.shape[0] > 1 and not peer.start_set:
                        continue  # one start index only: the single-start rows
                    peer_wall, peer_cpu, theirs = _timed_cpu(
                        partial(peer.run, features, start, case_budget)
                    )
                    picks = _describe(first_difference(features, start, ours, theirs))
                    rows.append(
                        _peer_row(head, peer.name, (peer_wall, peer_cpu), (wall, cpu), picks)
                    )
            del features, labelled
            gc.collect()
    return rows


def _peer_row(
    head: dict[str, object],
    method: str,
    seconds: tuple[float, float],
    alcore: tuple[float, float] | None,
    picks: str,
) -> dict[str, object]:
    """One printed row of :func:`peer_rows`: (wall, CPU) seconds, and over alcore's."""
    row = {**head, "method": method, "wall s": round(seconds[0], 2), "CPU s": round(seconds[1], 2)}
    if alcore is not None:
        row["wall / alcore"] = f"{seconds[0] / alcore[0]:.1f}x"
        row["CPU / alcore"] = f"{seconds[1] / alcore[1]:.1f}x"
        row["picks"] = picks
    print(_format(row), flush=True)
    return row


def _describe(difference: Difference | None) -> str:
    if difference is None:
        return "same as alcore"
    return f"first differs at pick {difference.step}: float64 gap {difference.gap:+.1e}"


PEER_COLUMNS = ["data", "D", "N", "b", "start", "method", "wall s", "CPU s", "wall / alcore",
                "CPU / alcore", "picks"]  # fmt: skip


def _spin(stop: EventType) -> None:
    """Keep one core busy in pure Python until ``stop`` is set."""
    count = 0
    while not stop.is_set():
        for _ in range(100_000):
            count += 1


@contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """``count`` processes spinning in pure Python while the block runs, stopped after it."""
    context = multiprocessing.get_context("fork")  # no re-import: the child only spins
    stop = context.Event()
    workers = [context.Process(target=_spin, args=(stop,), daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    time.sleep(0.5 if workers else 0.0)  # every worker running before the clock starts
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()


def contention_rows(case: Case, busy: int, repeats: int) -> list[dict[str, object]]:
    """The same greedy call with one thread and with torch's default, on the machine as it
    is and beside ``busy`` spinning processes; the median (by wall time) of ``repeats`` runs
    each, with its CPU time."""
    features, labelled, _ = make_features(case)
    coreset(features[:2000], labelled[:2000], 20)  # warm up the kernels and threads
    rows: list[dict[str, object]] = []
    for n_busy in sorted({0, busy}):
        one_thread: tuple[float, float] | None = None
        for threads in sorted({1, DEFAULT_THREADS}):
            torch.set_num_threads(threads)
            runs = []
            with busy_processes(n_busy):
                for _ in range(repeats):
                    wall, cpu, _ = _timed_cpu(partial(coreset, features, labelled, case.budget))
                    runs.append((wall, cpu))
            wall, cpu = sorted(runs)[len(runs) // 2]
            one_thread = one_thread or (wall, cpu)
            row: dict[str, object] = {
                "data": case.data, "N": case.n, "D": case.dim, "b": case.budget,
                "busy processes": n_busy, "threads": threads,
                "wall s": round(wall, 2), "CPU s": round(cpu, 2),
                "wall / 1 thread": round(wall / one_thread[0], 2),
                "CPU / 1 thread": round(cpu / one_thread[1], 2),
            }  # fmt: skip
            print(_format(row), flush=True)
            rows.append(row)
    torch.set_num_threads(DEFAULT_THREADS)
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
    parser.add_argument(
        "--dims", default="512,4096",
        help="feature sizes for --min-distance and --peers (--contention: the first)",
    )  # fmt: skip
    parser.add_argument(
        "--peers", action="store_true",
        help="alcore against a plain torch loop, fpsample and torch-quickfps, same data",
    )  # fmt: skip
    parser.add_argument(
        "--contention", action="store_true",
        help="greedy with 1 thread and torch's default, quiet and beside --busy processes",
    )  # fmt: skip
    parser.add_argument("--n", type=int, help="--peers, --contention: pool size N")
    parser.add_argument("--budget", type=int, help="--peers, --contention: budget b")
    parser.add_argument("--busy", type=int, default=3, help="--contention: spinning processes")
    parser.add_argument(
        "--repeats", type=int,
        help="runs of each of alcore's methods, median (default 1; --contention: 3; "
        "--peers: alcore's greedy only)",
    )  # fmt: skip
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
    elif args.peers:
        data = list(PEER_DATA) if args.data == DEFAULT_DATA else args.data.split(",")
        dims = [int(d) for d in args.dims.split(",")]
        rows = peer_rows(dims, data, args.n, args.budget, args.repeats or 1)
    elif args.contention:
        kind = "clustered" if args.data == DEFAULT_DATA else args.data.split(",")[0]
        case = Case(kind, args.n or 50_000, args.budget or 2_000, int(args.dims.split(",")[0]))
        rows = contention_rows(case, args.busy, args.repeats or 3)
    if args.million:
        sizes, budgets = [MILLION.n], [MILLION.budget]
    special = args.min_distance or args.memory or args.peers or args.contention
    for data in [] if special else args.data.split(","):
        for n in sizes:
            for budget in budgets:
                if budget > n - N_LABELLED:
                    continue
                case = Case(data, n, budget, overwrite=args.million)
                rows += run_case(
                    case, device, budget in sklearn_budgets, not args.no_isolate,
                    tuple(args.methods.split(",")), args.repeats or 1,
                )  # fmt: skip
    columns = PEER_COLUMNS if args.peers else list(rows[0]) if rows and special else None
    table = markdown(rows, columns)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
