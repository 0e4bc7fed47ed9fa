"""The first GPU in one command: every GPU row of alcore's docs, measured in about 8 minutes.

    python3 benchmarks/gpu_check.py --out DIR        # on the GPU machine: nothing to install
    make gpu-check OUT=DIR                            # the same (.venv's python, else python3)
    python benchmarks/gpu_check.py --tiny --out DIR   # every step at tiny sizes (the CPU here)
    python benchmarks/gpu_check.py --project DIR/rows.csv   # the GPU-hours projection again

Four parts, each with a time budget: a step that would start once its part's budget is spent is
skipped, and a running step stops at its next check (a core-set call at its next progress
call), each with a line in the report.

1. **CUDA tests**: pytest, in a subprocess with a timeout, on the test functions of ``tests/``
   whose code uses CUDA (``torch.cuda``, ``.cuda()``, ``device="cuda"``), in files whose
   imports work here.
2. **Engine rows**: greedy, pweighted and pweighted beam 20 at N = 50,000, b = 5,000, D = 512
   and 4,096 (Gaussian and clustered features generated on the device); the picks equal to the
   CPU path's on a subsample; a plain ``torch.cdist``-per-pick greedy loop on the same data;
   greedy at ImageNet-1k size (N = 1,281,167, D = 2,048, b = 10,000) with its peak GPU memory.
3. **VGG16 throughput** on generated CIFAR-shaped images, fp32 and bf16 autocast, through
   alcore's model builder, train epoch and embed pass; then the GPU-hours that
   ``configs/main.yaml`` and ``configs/ablation.yaml`` imply at those rates.
4. **Rehearsal round**: round 0 of ``configs/rehearsal.yaml`` at a tenth of its shapes through
   the stages as Python functions (initial labels, train, embed, select, evaluate), each
   strategy selecting on the device and on the CPU from the same embedding: the same picks.

``DIR/report.md`` and ``DIR/rows.csv`` (one number a row: part, item, metric, value, unit) are
rewritten atomically after every step, so a run cut short leaves what it finished; a watchdog
writes them and exits at ``--time-limit``. Exit status: 0 when no step failed (some may have
stopped or been skipped at their part's budget), 1 when one did (the report says which), 3 when
the watchdog stopped the run. Without CUDA (and without ``--tiny``) the script prints one line
and exits 0.

Needs torch (with CUDA), numpy, pyarrow and Pillow (torchvision's); alcore comes from ``src/``
beside this folder, installed or not. snakemake and jsonschema are never imported. PyYAML
reads the configs; without it the rehearsal uses the copy of its settings below and the
projection is left to ``--project`` on a machine that has it.
"""

from __future__ import annotations

import os
import sys

# benchmarks/select.py beside this file would shadow the standard library's ``select``
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import ast
import csv
import functools
import importlib.metadata
import importlib.util
import io
import logging
import math
import platform
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import torch
from torch import Tensor

REPO = Path(__file__).resolve().parents[1]
SRC = str(REPO / "src")
if SRC not in sys.path:  # alcore from this tree (imported lazily): the GPU machine has no install
    sys.path.insert(0, SRC)
log = logging.getLogger("gpu_check")

# seconds per part; with the start-up they make about 8 minutes
BUDGETS = {"tests": 45.0, "engine": 120.0, "imagenet": 110.0, "vgg16": 75.0, "rehearsal": 90.0}
TIME_LIMIT = 540.0  # the watchdog: the report is written and the run ends here
PROJECTED_CONFIGS = ("configs/main.yaml", "configs/ablation.yaml")
REHEARSAL_YAML = "configs/rehearsal.yaml"
CIFAR_SPLIT = (50_000, 10_000)  # the rehearsal's image folder at full size: pool, test
ENGINE_METHODS: dict[str, tuple[bool, int]] = {  # method: (weighted, beam width)
    "greedy": (False, 1),
    "pweighted": (True, 1),
    "pweighted beam 20": (True, 20),
}
CDIST_LOOP = "cdist per pick"
N_CLUSTERS = 10
GB = 1e9


# --------------------------------------------------------------------------------------------
# sizes: the GPU run and --tiny differ in these numbers only


@dataclass(frozen=True)
class EngineCase:
    """One input of the engine: generated features, a random labelled set, a budget."""

    data: str  # "gaussian" or "clustered"
    n: int
    dim: int
    labelled: int
    budget: int

    @property
    def label(self) -> str:
        return f"{self.data} N={self.n} D={self.dim} L={self.labelled} b={self.budget}"


@dataclass(frozen=True)
class Sizes:
    """Every size the check uses."""

    engine: tuple[EngineCase, ...]  # the N = 50,000 rows
    parity: tuple[EngineCase, ...]  # the device's picks against the CPU's
    imagenet: EngineCase  # greedy at ImageNet-1k size
    chunk_rows: int  # features are generated and the cdist loop's first pass runs in chunks
    train_images: int  # images of the timed training epoch
    train_warmup: int  # images of the untimed epoch before it
    train_batch: int  # the paper configs' batch size
    embed_images: int  # images of the timed embedding pass
    embed_batch: int  # the embed stage's batch
    rehearsal_size: float  # fraction of configs/rehearsal.yaml's shapes
    model: str  # the model of part 3
    rehearsal_model: str | None  # part 4's instead of configs/rehearsal.yaml's (None: its own)


def _cases(n: int, dims: Sequence[int], labelled: int, budget: int) -> tuple[EngineCase, ...]:
    return tuple(
        EngineCase(d, n, dim, labelled, budget) for dim in dims for d in ("gaussian", "clustered")
    )


FULL = Sizes(
    engine=_cases(50_000, (512, 4096), 1_000, 5_000),
    parity=_cases(5_000, (512,), 1_000, 200),
    imagenet=EngineCase("clustered", 1_281_167, 2048, 1_000, 10_000),
    chunk_rows=65_536,
    train_images=10_240,
    train_warmup=1_024,
    train_batch=64,
    embed_images=20_480,
    embed_batch=512,
    rehearsal_size=0.1,
    model="vgg16",
    rehearsal_model=None,
)
TINY = Sizes(
    engine=_cases(800, (16, 48), 40, 12),
    parity=_cases(400, (16,), 30, 10),
    imagenet=EngineCase("clustered", 3_000, 24, 30, 40),
    chunk_rows=700,
    train_images=32,
    train_warmup=16,
    train_batch=16,
    embed_images=64,
    embed_batch=32,
    rehearsal_size=0.004,
    model="small_cnn",  # VGG16 trains at about 2 images/s on a 2-core CPU
    rehearsal_model="small_cnn",
)


# --------------------------------------------------------------------------------------------
# the report


@dataclass
class Table:
    """A markdown table that grows row by row."""

    columns: list[str]
    rows: list[dict[str, object]] = field(default_factory=list)

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        for row in self.rows:
            lines.append("| " + " | ".join(fmt(row.get(c, "")) for c in self.columns) + " |")
        return "\n".join(lines)


@dataclass
class Section:
    title: str
    blocks: list[str | Table] = field(default_factory=list)

    def markdown(self) -> str:
        """The heading, then the blocks: a table or a paragraph apart, bullets together."""
        chunks = [f"## {self.title}"]
        after_bullet = False
        for block in self.blocks:
            if isinstance(block, Table):
                chunks.append(block.markdown())
                after_bullet = False
            elif block.lstrip().startswith("- ") and after_bullet:
                chunks[-1] += "\n" + block
            else:
                chunks.append(block)
                after_bullet = block.lstrip().startswith("- ")
        return "\n\n".join(chunks)


class Report:
    """``report.md`` and ``rows.csv`` in ``out``, rewritten atomically by :meth:`write`.

    Sections appear in the order they are first named; every measured number also goes to
    the CSV as (part, item, metric, value, unit). Thread-safe: the watchdog writes too.
    """

    def __init__(self, out: Path | None, title: str, header: Sequence[str] = ()) -> None:
        self.out, self.title, self.header = out, title, list(header)
        self.sections: dict[str, Section] = {}
        self.rows: list[tuple[str, str, str, object, str]] = []
        self.lock = threading.RLock()
        self.current = "start-up"  # the step running now, for the watchdog's line
        self.stopped: str | None = None

    def section(self, key: str, title: str) -> Section:
        with self.lock:
            return self.sections.setdefault(key, Section(title))

    def text(self, key: str, line: str) -> None:
        with self.lock:
            self.sections[key].blocks.append(line)

    def table(self, key: str, columns: Sequence[str]) -> Table:
        with self.lock:
            table = Table(list(columns))
            self.sections[key].blocks.append(table)
            return table

    def number(self, part: str, item: str, metric: str, value: object, unit: str = "") -> None:
        with self.lock:
            self.rows.append((part, item, metric, value, unit))

    def markdown(self) -> str:
        with self.lock:
            lines = [f"# {self.title}", ""]
            if self.stopped:
                lines += [f"**{self.stopped}**", ""]
            lines += [*self.header, ""] if self.header else []
            body = "\n\n".join(s.markdown() for s in self.sections.values())
            return "\n".join(lines) + "\n" + body + "\n"

    def csv_text(self) -> str:
        with self.lock:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(["part", "item", "metric", "value", "unit"])
            writer.writerows(self.rows)
            return buffer.getvalue()

    def write(self) -> None:
        """Both files, each replaced in one rename (nothing without a folder)."""
        if self.out is None:
            return
        with self.lock:
            atomic_write_text(self.out / "report.md", self.markdown())
            atomic_write_text(self.out / "rows.csv", self.csv_text())


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling of ``path``, then rename it over ``path``."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(name, path)
    finally:
        if os.path.exists(name):
            os.unlink(name)


def fmt(value: object) -> str:
    """A table cell: floats to about 3 significant digits, ints with thousands separators."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) >= 0.01 or value == 0 else f"{value:.2e}"
    return str(value)


# --------------------------------------------------------------------------------------------
# budgets


class BudgetSpentError(Exception):
    """A part's time budget ran out in the middle of a step."""


class Deadline:
    """A point in time, ``seconds`` from now."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock, self.seconds = clock, seconds
        self.start = clock()
        self.at = self.start + seconds

    def left(self) -> float:
        return self.at - self.clock()

    def check(self, doing: str) -> None:
        if self.left() <= 0:
            raise BudgetSpentError(f"budget spent {doing}")


class EngineProgress:
    """A core-set progress callback: stops the call at the deadline (by raising
    :class:`BudgetSpentError`) and notes when the first pass ended (host clock)."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.start = time.perf_counter()
        self.first_pass = math.nan

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "min-distance" and done == total:
            self.first_pass = time.perf_counter() - self.start
        if self.deadline.left() <= 0:
            what = "picks (beam steps)" if phase == "picks" else "first-pass tiles"
            raise BudgetSpentError(f"budget spent after {done:,} of {total:,} {what}")


OUTCOMES = ("ran", "stopped", "skipped", "failed")


@dataclass
class Part:
    """A report section whose steps share one time budget."""

    report: Report
    key: str
    title: str
    budget: float
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def __post_init__(self) -> None:
        self.report.section(self.key, self.title)
        self.deadline = Deadline(self.budget)
        self.used = 0.0  # seconds its steps ran
        print(f"[gpu-check] {self.title} (budget {self.budget:.0f} s)", flush=True)

    def step(self, name: str, run: Callable[[Deadline], None], *, always: bool = False) -> bool:
        """Run ``run(deadline)`` unless the budget is spent (``always``: even then, for a step
        that costs nothing); a skip, a stop at the budget or an error becomes a line of the
        report (the part goes on); the report is written after."""
        if self.deadline.left() <= 0 and not always:
            self._line("skipped", name, f"the part's {self.budget:.0f} s budget is spent")
            return False
        self.report.current = f"{self.title}: {name}"
        print(f"[gpu-check]   {name}", flush=True)
        ok = False
        started = time.perf_counter()
        try:
            run(self.deadline)
            ok = True
            self.counts["ran"] += 1
        except BudgetSpentError as stop:
            self._line("stopped", name, str(stop))
        except Exception as error:
            where = traceback.extract_tb(error.__traceback__)[-1]
            detail = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
            self._line("failed", name, f"{detail} ({Path(where.filename).name}:{where.lineno})")
        finally:
            self.used += time.perf_counter() - started
            free_device_memory()
            self.report.write()
        return ok

    def skip(self, name: str, why: str) -> None:
        """Record a step that does not run because an earlier one did not finish."""
        self._line("skipped", name, why)

    def _line(self, outcome: str, name: str, why: str) -> None:
        self.counts[outcome] += 1
        self.report.text(self.key, f"- {outcome}: {name}: {why}")
        print(f"[gpu-check]   {outcome}: {name}: {why}", flush=True)
        self.report.write()


def free_device_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


ON_EXIT: list[Callable[[], None]] = []  # what the watchdog undoes: children, temporary folders


def start_watchdog(report: Report, limit: float) -> threading.Timer:
    """At ``limit`` seconds: run :data:`ON_EXIT`, note the step that was running, write the
    report, exit 3."""

    def fire() -> None:
        for clean_up in list(ON_EXIT):
            try:
                clean_up()
            except Exception as error:
                print(f"[gpu-check] clean-up failed: {error!r}", flush=True)
        with report.lock:
            report.stopped = (
                f"Stopped by the watchdog at {limit:.0f} s, during "
                f"{report.current}; the parts after it did not run."
            )
            report.write()
            print(f"[gpu-check] {report.stopped}", flush=True)
            os._exit(3)

    timer = threading.Timer(limit, fire)
    timer.daemon = True
    timer.start()
    return timer


# --------------------------------------------------------------------------------------------
# devices


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def peak_gb(device: torch.device) -> float:
    """The CUDA allocator's peak since :func:`reset_peak`, in GB (NaN on the CPU)."""
    if device.type != "cuda":
        return math.nan
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / GB


# --------------------------------------------------------------------------------------------
# 0. what is here

REQUIRED = {"torch": "torch", "numpy": "numpy", "pyarrow": "pyarrow", "PIL": "pillow"}
USED_IF_PRESENT = {
    "torchvision": "torchvision",
    "yaml": "PyYAML",
    "pytest": "pytest",
    "pandas": "pandas",
    "sklearn": "scikit-learn",
}
AVOIDED = {"snakemake": "snakemake", "jsonschema": "jsonschema"}


def module_version(module: str, distribution: str) -> str | None:
    """The installed version of ``module`` (None when it cannot be imported)."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "present"


def environment_part(report: Report, device: torch.device) -> bool:
    """Record the software and the device; True when alcore imports and the device works."""
    report.section("environment", "0. What is here")
    table = report.table("environment", ["module", "version", "role"])
    missing = []
    for role, modules in (
        ("needed", REQUIRED),
        ("used if present", USED_IF_PRESENT),
        ("never imported", AVOIDED),
    ):
        for module, distribution in modules.items():
            version = module_version(module, distribution)
            table.rows.append({"module": module, "version": version or "absent", "role": role})
            if version is None and role == "needed":
                missing.append(module)
    try:
        import alcore
        import alcore.select  # the engine, with torch
        import alcore.stages.train  # models, files, data: what the parts use

        where = Path(alcore.__file__).resolve()
        origin = "src/ of this tree" if Path(SRC).resolve() in where.parents else str(where)
        table.rows.append({"module": "alcore", "version": f"from {origin}", "role": "needed"})
        usable = True
    except Exception as error:
        table.rows.append(
            {"module": "alcore", "version": f"import failed: {error!r}", "role": "needed"}
        )
        usable = False
    absent = [m for m in ("snakemake", "jsonschema") if module_version(m, m) is None]
    try:
        if device.type == "cuda":
            torch.zeros(1, device=device)  # the CUDA context, before the first timed part
        report.text("environment", f"- device: {device_line(device)}")
    except Exception as error:  # a driver or a device that torch sees but cannot use
        report.text("environment", f"- device {device} unusable: {error!r}")
        usable = False
    report.text(
        "environment",
        f"- python {platform.python_version()}, {os.cpu_count()} CPU "
        f"cores, torch {torch.get_num_threads()} threads",
    )
    if absent:
        report.text(
            "environment",
            f"- absent and avoided: {', '.join(absent)} (the stages and the engine need neither)",
        )
    if missing:
        report.text(
            "environment",
            f"- missing: {', '.join(missing)}: the steps that need them fail with a line below",
        )
    for row in table.rows:
        print(f"[gpu-check]   {row['module']}: {row['version']} ({row['role']})", flush=True)
    report.write()
    return usable


def device_line(device: torch.device) -> str:
    if device.type != "cuda":
        return f"{device} ({platform.processor() or platform.machine()})"
    props = torch.cuda.get_device_properties(device)
    return (
        f"{torch.cuda.get_device_name(device)}, {props.total_memory / GB:.1f} GB, "
        f"compute capability {props.major}.{props.minor}, CUDA {torch.version.cuda}, "
        f"cuDNN {torch.backends.cudnn.version()}"
    )


# --------------------------------------------------------------------------------------------
# 1. the CUDA tests

CUDA_WORD = re.compile(r"\bcuda\b")  # files without the word are not parsed


@dataclass(frozen=True)
class CudaTests:
    """The test functions of one file that use CUDA, and what its imports lack here."""

    file: str  # relative to the repository
    names: tuple[str, ...]  # "test_x" or "TestClass::test_x"
    missing: tuple[str, ...]  # top-level imports (of the file or its conftests) not found

    @property
    def node_ids(self) -> list[str]:
        return [f"{self.file}::{name}" for name in self.names]


def find_cuda_tests(tests: Path, root: Path) -> list[CudaTests]:
    """Every test function under ``tests`` whose code (decorators included) uses CUDA."""
    found = []
    for path in sorted(tests.rglob("test_*.py")):
        text = path.read_text()
        if not CUDA_WORD.search(text):
            continue
        names = [prefix + node.name for node, prefix in _test_functions(ast.parse(text))
                 if uses_cuda(node)]  # fmt: skip
        if names:
            found.append(
                CudaTests(
                    str(path.relative_to(root)), tuple(names), tuple(missing_imports(path, tests))
                )
            )
    return found


def uses_cuda(node: ast.AST) -> bool:
    """Whether the code under ``node`` (strings aside) names ``torch.cuda``, calls a
    ``.cuda()`` method or passes ``device="cuda..."``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "cuda":
            if isinstance(sub.value, ast.Name) and sub.value.id == "torch":
                return True
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            if sub.func.attr == "cuda":
                return True
        elif isinstance(sub, ast.keyword) and sub.arg == "device":
            value = sub.value
            if isinstance(value, ast.Constant) and str(value.value).startswith("cuda"):
                return True
    return False


def _test_functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            functions.append((node, ""))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            functions += [
                (item, f"{node.name}::")
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            ]
    return functions


def missing_imports(path: Path, tests: Path) -> list[str]:
    """Top-level modules that ``path`` and the conftest.py files above it (up to ``tests``)
    import and that cannot be found here (modules beside a conftest count as found)."""
    folders = [p for p in [path.parent, *path.parent.parents] if p == tests or tests in p.parents]
    files = [path] + [f / "conftest.py" for f in folders if (f / "conftest.py").exists()]
    missing: list[str] = []
    for file in files:
        for node in ast.parse(file.read_text()).body:
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            for name in roots:
                local = any((f / f"{name}.py").exists() or (f / name).is_dir() for f in folders)
                if not local and importlib.util.find_spec(name) is None and name not in missing:
                    missing.append(name)
    return missing


@dataclass(frozen=True)
class PytestResult:
    passed: int
    failed: int
    skipped: int
    failures: tuple[str, ...]  # "node: message" of each failure or error
    skips: tuple[str, ...]  # "node: reason"


def read_junit(path: Path) -> PytestResult:
    """Counts and short messages from pytest's ``--junitxml`` file."""
    passed = failed = skipped = 0
    failures: list[str] = []
    skips: list[str] = []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        node = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        if outcome is None:
            passed += 1
        elif outcome.tag == "skipped":
            skipped += 1
            skips.append(f"{node}: {outcome.get('message', '')}")
        else:
            failed += 1
            message = (outcome.get("message") or outcome.text or "").strip().splitlines()
            failures.append(f"{node}: {message[0][:300] if message else outcome.tag}")
    return PytestResult(passed, failed, skipped, tuple(failures), tuple(skips))


def run_child(
    command: Sequence[str], env: Mapping[str, str], deadline: Deadline
) -> tuple[int, str]:
    """Run ``command`` in the repository until the deadline; its exit status and output. The
    watchdog kills it if it is still running when the watchdog fires."""
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        ON_EXIT.append(child.kill)
        try:
            output, _ = child.communicate(timeout=max(1.0, deadline.left()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise BudgetSpentError(f"budget spent: {command[2]} killed") from None
        finally:
            ON_EXIT.remove(child.kill)
    return child.returncode, output


def tests_part(report: Report, budget: float) -> Part:
    part = Part(report, "tests", "1. CUDA tests", budget)

    def run(deadline: Deadline) -> None:
        found = find_cuda_tests(REPO / "tests", REPO)
        runnable = [t for t in found if not t.missing]
        for t in found:
            names = ", ".join(t.names)
            if t.missing:
                report.text(
                    "tests",
                    f"- not run: {t.file} ({names}): imports {', '.join(t.missing)}, absent here",
                )
            else:
                report.text("tests", f"- selected: {t.file}: {names}")
        if not found:
            report.text("tests", "- no test function under tests/ uses CUDA")
            return
        if module_version("pytest", "pytest") is None:
            report.text(
                "tests",
                "- not run: pytest is absent here (part 2's parity rows check "
                "the engine's CUDA picks against the CPU's instead)",
            )
            return
        nodes = [n for t in runnable for n in t.node_ids]
        if not nodes:
            return
        with tempfile.TemporaryDirectory() as folder:
            junit = Path(folder) / "junit.xml"
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={junit}",
                *nodes,
            ]
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])]),
            }
            started = time.perf_counter()
            returncode, output = run_child(command, env, deadline)
            seconds = time.perf_counter() - started
            if not junit.exists():
                tail = output.strip().splitlines()[-5:]
                raise RuntimeError(
                    f"pytest exited {returncode} without a result: " + " / ".join(tail)
                )
            result = read_junit(junit)
        report.text(
            "tests",
            f"- pytest exit {returncode} in {seconds:.1f} s: "
            f"{result.passed} passed, {result.failed} failed, "
            f"{result.skipped} skipped",
        )
        report.text("tests", f"- command: `python -m pytest {shlex.join(nodes)}`")
        for line in result.failures:
            report.text("tests", f"  - FAILED {line}")
        for line in result.skips:
            report.text("tests", f"  - skipped {line}")
        for metric in ("passed", "failed", "skipped"):
            report.number("tests", "cuda tests", metric, getattr(result, metric))

    part.step("pytest on the tests that use CUDA", run)
    return part


# --------------------------------------------------------------------------------------------
# 2. the engine


def generate_features(
    case: EngineCase, device: torch.device, seed: int = 0, chunk_rows: int = 65_536
) -> Tensor:
    """(N, D) float32 features made on ``device`` in chunks of rows (no host copy, no second
    copy of the whole): standard normal rows ("gaussian"), plus one of 10 centres 4x further
    apart than the points' spread ("clustered", as benchmarks/select.py's)."""
    g = torch.Generator(device=device).manual_seed(seed)
    centres = 4.0 * torch.randn(N_CLUSTERS, case.dim, generator=g, device=device)
    features = torch.empty(case.n, case.dim, device=device)
    for start in range(0, case.n, chunk_rows):
        block = features[start : start + chunk_rows]
        block.normal_(generator=g)
        if case.data == "clustered":
            which = torch.randint(N_CLUSTERS, (block.shape[0],), generator=g, device=device)
            block += centres[which]
        elif case.data != "gaussian":
            raise ValueError(f"data {case.data!r}: gaussian or clustered")
    return features


def labelled_and_doubt(
    case: EngineCase, device: torch.device, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """A random (N,) labelled mask with ``case.labelled`` points and doubt in [0, 0.9)."""
    g = torch.Generator(device=device).manual_seed(seed + 1)
    labelled = torch.zeros(case.n, dtype=torch.bool, device=device)
    labelled[torch.randperm(case.n, generator=g, device=device)[: case.labelled]] = True
    return labelled, 0.9 * torch.rand(case.n, generator=g, device=device)


@dataclass(frozen=True)
class Timed:
    """One timed selection: picks (on the host), wall seconds, peak GPU GB, first pass s."""

    picks: np.ndarray
    seconds: float
    peak_gb: float = math.nan
    first_pass: float = math.nan
    done: int = -1  # picks made when the loop stopped at its deadline (-1: all)


def run_coreset(
    features: Tensor,
    labelled: Tensor,
    doubt: Tensor,
    method: str,
    budget: int,
    deadline: Deadline,
) -> Timed:
    """alcore's ``coreset_search`` for one of :data:`ENGINE_METHODS`, timed with a device
    synchronisation; stops with :class:`BudgetSpentError` at the deadline."""
    from alcore.select import coreset_search

    weighted, width = ENGINE_METHODS[method]
    progress = EngineProgress(deadline)
    device = features.device
    reset_peak(device)
    start = time.perf_counter()
    result = coreset_search(
        features,
        labelled,
        budget,
        doubt if weighted or width > 1 else None,
        weighted,
        width,
        progress=progress,
    )
    synchronize(device)
    seconds = time.perf_counter() - start
    return Timed(result.picks.cpu().numpy(), seconds, peak_gb(device), progress.first_pass)


def warm_up(device: torch.device, dim: int) -> None:
    """Run every method once on a small input, so that no timed call pays for CUDA's start-up
    (context, cuBLAS handles, kernel loading)."""
    from alcore.select import coreset_search

    case = EngineCase("gaussian", 512, dim, 16, 8)
    features = generate_features(case, device)
    labelled, doubt = labelled_and_doubt(case, device)
    for weighted, width in ENGINE_METHODS.values():
        coreset_search(features, labelled, case.budget, doubt, weighted, width)
    torch.cdist(features, features[:1])
    synchronize(device)


def cdist_greedy(
    features: Tensor,
    labelled: Tensor,
    budget: int,
    deadline: Deadline | None = None,
    chunk_rows: int = 65_536,
    check_every: int = 256,
) -> Tensor:
    """The plain GPU loop: min distances to the labelled set by ``torch.cdist`` (in chunks of
    rows), then per pick the farthest point and one ``torch.cdist`` of it against every row.

    No host synchronisation per pick. Not exact (cdist's matrix-product expansion), so its
    picks may part from alcore's at a near-tie. Returns the picks made: all ``budget``, or
    fewer when ``deadline`` passed (checked every ``check_every`` picks).
    """
    centres = features[labelled]
    min_d = torch.cat(
        [
            torch.cdist(features[s : s + chunk_rows], centres).min(dim=1).values
            for s in range(0, features.shape[0], chunk_rows)
        ]
    )
    min_d[labelled] = -math.inf
    picks = torch.empty(budget, dtype=torch.long, device=features.device)
    for i in range(budget):
        pick = torch.argmax(min_d).view(1)
        picks[i : i + 1] = pick
        row = torch.cdist(features, features.index_select(0, pick)).squeeze(1)
        min_d = torch.minimum(min_d, row).index_fill_(0, pick, -math.inf)
        if deadline is not None and (i + 1) % check_every == 0 and deadline.left() <= 0:
            return picks[: i + 1]
    return picks


def run_cdist_greedy(
    features: Tensor,
    labelled: Tensor,
    budget: int,
    deadline: Deadline,
    chunk_rows: int,
    check_every: int = 256,
) -> Timed:
    """:func:`cdist_greedy` timed like :func:`run_coreset`; ``done`` says how many picks it
    made when it stopped at the deadline."""
    device = features.device
    reset_peak(device)
    start = time.perf_counter()
    picks = cdist_greedy(features, labelled, budget, deadline, chunk_rows, check_every)
    synchronize(device)
    seconds = time.perf_counter() - start
    done = int(picks.shape[0])
    return Timed(picks.cpu().numpy(), seconds, peak_gb(device), done=-1 if done == budget else done)


def same_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading picks two selections share."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n


ENGINE_COLUMNS = [
    "data",
    "N",
    "D",
    "L",
    "b",
    "method",
    "seconds",
    "picks/s",
    "first pass s",
    "peak GPU GB",
    "cdist loop / alcore",
    "same picks as cdist loop",
]


def engine_row(case: EngineCase, method: str, run: Timed) -> dict[str, object]:
    picks = run.done if run.done >= 0 else case.budget
    return {
        "data": case.data,
        "N": case.n,
        "D": case.dim,
        "L": case.labelled,
        "b": case.budget,
        "method": method if run.done < 0 else f"{method} ({picks:,} picks, then the budget)",
        "seconds": run.seconds,
        "picks/s": picks / run.seconds,
        "first pass s": run.first_pass,
        "peak GPU GB": run.peak_gb,
    }


def record_engine(report: Report, part: str, case: EngineCase, method: str, run: Timed) -> None:
    item = f"{method} {case.label}"
    report.number(part, item, "seconds", run.seconds, "s")
    report.number(part, item, "peak_gpu", run.peak_gb, "GB")
    if run.done >= 0:
        report.number(part, item, "picks_done", run.done)


def compare_with_cdist(
    report: Report,
    part: str,
    table: Table,
    case: EngineCase,
    ours: Timed,
    loop: Timed,
    ours_row: dict[str, object],
    loop_row: dict[str, object],
) -> None:
    """The loop's time over alcore's greedy (extrapolated when the loop stopped early) and how
    many leading picks they share, in ``ours_row`` (already in ``table``) and the loop's row,
    added to ``table``."""
    loop_seconds = loop.seconds
    if loop.done >= 0:  # stopped at the budget: its per-pick rate over the whole budget
        loop_seconds = loop.seconds * case.budget / max(loop.done, 1)
        loop_row["seconds"] = loop_seconds
        loop_row["method"] = f"{CDIST_LOOP} (extrapolated from {loop.done:,} picks)"
    shared = same_prefix(ours.picks, loop.picks)
    if shared < min(len(ours.picks), len(loop.picks)):
        agreement = f"first {shared:,}"
    else:
        agreement = "all" if len(ours.picks) == len(loop.picks) else f"all {shared:,} it made"
    ratio = loop_seconds / ours.seconds
    ours_row.update({"cdist loop / alcore": ratio, "same picks as cdist loop": agreement})
    loop_row.update({"cdist loop / alcore": ratio, "same picks as cdist loop": agreement})
    report.number(part, f"{CDIST_LOOP} {case.label}", "seconds", loop_seconds, "s")
    report.number(part, f"greedy {case.label}", "cdist_loop_over_alcore", ratio)
    report.number(part, f"greedy {case.label}", "same_prefix_as_cdist_loop", shared)
    table.rows.append(loop_row)


def engine_part(report: Report, sizes: Sizes, device: torch.device, budget: float) -> Part:
    part = Part(report, "engine", "2. Engine rows", budget)
    report.text(
        "engine",
        f"alcore.select.coreset_search on {device.type}, float32 features "
        "generated on the device, a random labelled set, doubt uniform in "
        "[0, 0.9); wall seconds with a device synchronisation; peak GPU GB is "
        "the CUDA allocator's peak during the call (features included). "
        f"`{CDIST_LOOP}`: the plain loop of `cdist_greedy` (not exact).",
    )
    parity = report.table(
        "engine", ["data", "N", "D", "L", "b", "method", "CPU s", f"{device.type} s", "same picks"]
    )
    rows = report.table("engine", ENGINE_COLUMNS)
    cpu = torch.device("cpu")

    def warm(deadline: Deadline) -> None:
        for dim in sorted({c.dim for c in sizes.engine}):
            warm_up(device, dim)

    def check_parity(case: EngineCase) -> Callable[[Deadline], None]:
        def run(deadline: Deadline) -> None:
            features = generate_features(case, cpu, chunk_rows=sizes.chunk_rows)
            labelled, doubt = labelled_and_doubt(case, cpu)
            for method in ENGINE_METHODS:
                on_cpu = run_coreset(features, labelled, doubt, method, case.budget, deadline)
                on_device = run_coreset(
                    features.to(device),
                    labelled.to(device),
                    doubt.to(device),
                    method,
                    case.budget,
                    deadline,
                )
                shared = same_prefix(on_cpu.picks, on_device.picks)
                equal = bool(np.array_equal(on_cpu.picks, on_device.picks))
                parity.rows.append(
                    {
                        "data": case.data,
                        "N": case.n,
                        "D": case.dim,
                        "L": case.labelled,
                        "b": case.budget,
                        "method": method,
                        "CPU s": on_cpu.seconds,
                        f"{device.type} s": on_device.seconds,
                        "same picks": "all" if equal else f"NO: first {shared:,}",
                    }
                )
                report.number(
                    "engine", f"{method} {case.label}", "same_picks_cpu_device", int(equal)
                )

        return run

    def time_case(case: EngineCase) -> Callable[[Deadline], None]:
        def run(deadline: Deadline) -> None:
            features = generate_features(case, device, chunk_rows=sizes.chunk_rows)
            labelled, doubt = labelled_and_doubt(case, device)
            runs: dict[str, tuple[Timed, dict[str, object]]] = {}
            for method in ENGINE_METHODS:
                done = run_coreset(features, labelled, doubt, method, case.budget, deadline)
                record_engine(report, "engine", case, method, done)
                runs[method] = (done, engine_row(case, method, done))
                rows.rows.append(runs[method][1])
                report.write()
            greedy_run, greedy_row = runs["greedy"]
            loop = run_cdist_greedy(features, labelled, case.budget, deadline, sizes.chunk_rows)
            compare_with_cdist(
                report,
                "engine",
                rows,
                case,
                greedy_run,
                loop,
                greedy_row,
                engine_row(case, CDIST_LOOP, loop),
            )

        return run

    part.step("warm-up", warm)
    for case in sizes.parity:
        part.step(f"CPU and {device.type} picks, {case.label}", check_parity(case))
    for case in sizes.engine:
        part.step(f"timings, {case.label}", time_case(case))
    return part


def imagenet_part(report: Report, sizes: Sizes, device: torch.device, budget: float) -> Part:
    case = sizes.imagenet
    part = Part(report, "imagenet", "2b. Greedy at ImageNet-1k size", budget)
    feature_gb = case.n * case.dim * 4 / GB
    report.text(
        "imagenet",
        f"{case.label}: {feature_gb:.1f} GB of float32 features, generated "
        f"on the device in chunks of {sizes.chunk_rows:,} rows; the engine "
        "centres a working copy (a second copy of the features).",
    )
    table = report.table("imagenet", [*ENGINE_COLUMNS, "features GB"])

    def run(deadline: Deadline) -> None:
        started = time.perf_counter()
        features = generate_features(case, device, chunk_rows=sizes.chunk_rows)
        labelled, doubt = labelled_and_doubt(case, device)
        synchronize(device)
        report.text("imagenet", f"- generated in {time.perf_counter() - started:.1f} s")
        ours = run_coreset(features, labelled, doubt, "greedy", case.budget, deadline)
        record_engine(report, "imagenet", case, "greedy", ours)
        report.number("imagenet", f"greedy {case.label}", "features", feature_gb, "GB")
        ours_row = {**engine_row(case, "greedy", ours), "features GB": feature_gb}
        table.rows.append(ours_row)
        report.write()
        loop = run_cdist_greedy(features, labelled, case.budget, deadline, sizes.chunk_rows)
        loop_row = {**engine_row(case, CDIST_LOOP, loop), "features GB": feature_gb}
        compare_with_cdist(report, "imagenet", table, case, ours, loop, ours_row, loop_row)

    part.step(f"greedy and the cdist loop, {case.label}", run)
    return part


# --------------------------------------------------------------------------------------------
# 3. VGG16 throughput and the GPU-hours projection


def generated_bundle(n_pool: int, n_test: int, seed: int = 0) -> Any:
    """A DatasetBundle of uniformly random CIFAR-shaped uint8 images in 10 classes."""
    from alcore.data import DatasetBundle

    g = torch.Generator().manual_seed(seed)
    shape = (3, 32, 32)
    return DatasetBundle(
        name="generated",
        num_classes=10,
        input_shape=shape,
        pool_inputs=torch.randint(0, 256, (n_pool, *shape), generator=g, dtype=torch.uint8),
        pool_labels=torch.randint(0, 10, (n_pool,), generator=g),
        test_inputs=torch.randint(0, 256, (n_test, *shape), generator=g, dtype=torch.uint8),
        test_labels=torch.randint(0, 10, (n_test,), generator=g),
        class_names=tuple(f"class{k}" for k in range(10)),
        pixel_mean=(0.5, 0.5, 0.5),
        pixel_std=(0.29, 0.29, 0.29),
    )


def cifar_model(name: str, device: torch.device) -> Any:
    """alcore's model ``name`` for CIFAR-shaped inputs (random weights: pretrained ones have the
    same shapes), laid out as the stages lay it out on ``device``."""
    from alcore.models import build_model

    model = build_model(name, num_classes=10, input_shape=(3, 32, 32), seed=0).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model


def train_rate(
    model: Any, optimiser: Any, bundle: Any, precision: str, sizes: Sizes, device: torch.device
) -> tuple[float, float]:
    """Images per second of alcore's training epoch (:func:`alcore.stages.train._train_epoch`,
    what every train job runs) and the peak GPU GB, after an untimed epoch."""
    from alcore.progress import Progress
    from alcore.settings import TrainSettings
    from alcore.stages.train import _train_epoch, to_device

    if device.type == "cuda":  # as train_round sets them
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    settings = TrainSettings(
        model=sizes.model,
        epochs_first=1,
        epochs_thereafter=1,
        lr=1e-4,
        batch_size=sizes.train_batch,
        precision=precision,
    )
    rows = torch.arange(sizes.train_images)
    inputs = to_device(bundle.pool_inputs[rows], device)
    labels = to_device(bundle.pool_labels[rows], device)
    progress = Progress("gpu-check train", 10 * sizes.train_images, "images", log)
    warm = sizes.train_warmup
    _train_epoch(
        model,
        optimiser,
        bundle,
        inputs[:warm],
        labels[:warm],
        settings,
        device,
        (0, 0, 0),
        progress,
    )
    reset_peak(device)
    start = time.perf_counter()
    _train_epoch(model, optimiser, bundle, inputs, labels, settings, device, (0, 0, 1), progress)
    synchronize(device)  # the epoch's loss is read on the host: it has waited already
    return sizes.train_images / (time.perf_counter() - start), peak_gb(device)


def embed_rate(
    model: Any, bundle: Any, precision: str, sizes: Sizes, device: torch.device
) -> tuple[float, float]:
    """Images per second of the embed stage's pass (:func:`alcore.stages.embed.predict`:
    probabilities and float16 features to the host) and the peak GPU GB, after an untimed
    batch: fp32 as the stage runs it, or with :func:`bf16_features`."""
    from alcore.stages.embed import predict

    if precision == "bf16":
        model = bf16_features(model, device)
    n, batch = sizes.embed_images, sizes.embed_batch
    probs = np.empty((n, model.num_classes), dtype=np.float32)
    features = np.empty((n, model.feature_dim), dtype=np.float16)
    pool = bundle.pool_inputs[:n]
    first = generated_view(bundle, pool[:batch])
    predict(model, first, "pool", device, probs[:batch], features[:batch], batch_size=batch)
    reset_peak(device)
    start = time.perf_counter()
    view = generated_view(bundle, pool)
    predict(model, view, "pool", device, probs, features, batch_size=batch)
    synchronize(device)
    return n / (time.perf_counter() - start), peak_gb(device)


def bf16_features(model: Any, device: torch.device) -> Any:
    """``model`` whose ``embed`` runs in a bf16 autocast and returns float32 (the head, a
    single small linear layer, stays fp32): the embed pass as ``precision: bf16`` would run
    it."""
    from alcore.models import EmbeddingClassifier

    class Bf16Features(EmbeddingClassifier):
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.head = model, model.head

        def embed(self, x: Tensor) -> Tensor:
            with torch.autocast(device.type, torch.bfloat16):
                features: Tensor = self.inner.embed(x)
            return features.float()

    return Bf16Features()


def generated_view(bundle: Any, pool: Tensor) -> Any:
    """``bundle`` with ``pool`` as its pool (the first rows of its own)."""
    from dataclasses import replace

    return replace(bundle, pool_inputs=pool, pool_labels=bundle.pool_labels[: pool.shape[0]])


def state_save_seconds(model: Any, optimiser: Any, folder: Path) -> tuple[float, float]:
    """Seconds and GB of one save of the model and optimiser states, as train_round writes
    after every epoch (``alcore.files.save_checkpoint``)."""
    from alcore.files import save_checkpoint

    path = folder / "model.pt.partial"
    start = time.perf_counter()
    save_checkpoint(
        {"model_state": model.state_dict(), "optimiser_state": optimiser.state_dict()}, path
    )
    seconds = time.perf_counter() - start
    size = path.stat().st_size / GB
    path.unlink()
    return seconds, size


@dataclass(frozen=True)
class Arm:
    """A strategy arm whose jobs run (arms with the same settings share one)."""

    name: str
    embeds: bool  # its models are embedded (pool + test); else evaluate runs the test set
    beam_width: int  # 0: not a core-set kind; else the core-set's beam width
    dropout_passes: int = 0  # forward passes over the pool per selection (kinds using dropout)


@dataclass(frozen=True)
class Schedule:
    """One dataset of an experiment with its schedule, arms and seeds."""

    experiment: str
    dataset: str
    pool: int
    test: int
    initial: int
    budget: int
    rounds: int
    epochs_first: int
    epochs_thereafter: int
    seeds: int
    precision: str
    batch_size: int
    arms: tuple[Arm, ...]


@dataclass(frozen=True)
class Workload:
    """What a schedule asks of the GPU."""

    train_images: int  # images through a training step (image-epochs)
    forward_images: int  # images through an inference pass (embed, evaluate, dropout passes)
    epochs: int  # training epochs (each ends with a save of the model and optimiser states)
    greedy_rows: int  # sum over core-set selections of beam width 1 of pool size x budget
    beam_rows: int  # the same for beam widths > 1

    def __add__(self, other: Workload) -> Workload:
        return Workload(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(w: Workload) -> tuple[int, ...]:
    return (w.train_images, w.forward_images, w.epochs, w.greedy_rows, w.beam_rows)


@dataclass(frozen=True)
class Rates:
    """Measured speeds the projection multiplies by."""

    train_images_per_s: float
    forward_images_per_s: float
    epoch_overhead_s: float = 0.0  # one state save
    greedy_s_per_row: float = 0.0  # selection seconds per (pool row x pick), beam width 1
    beam_s_per_row: float = 0.0  # the same for beam search (measured at width 20)


def workload(s: Schedule) -> Workload:
    """The work of a schedule over all its seeds.

    Round 0 trains on ``initial`` labels for ``epochs_first`` epochs, once per seed for every
    arm, and is embedded (pool + test) when some arm reads an embedding, else evaluated on the
    test set. Each arm then trains rounds 1..R on ``initial + r * budget`` labels for
    ``epochs_thereafter`` epochs; an arm that reads embeddings embeds each model (pool + test),
    another evaluates it on the test set. Each arm selects in rounds 0..R-1.
    """
    embeds0 = any(a.embeds for a in s.arms)
    train = s.initial * s.epochs_first
    forward = s.pool + s.test if embeds0 else s.test
    epochs = s.epochs_first
    greedy_rows = beam_rows = 0
    for arm in s.arms:
        for r in range(1, s.rounds + 1):
            train += (s.initial + r * s.budget) * s.epochs_thereafter
            forward += s.pool + s.test if arm.embeds else s.test
            epochs += s.epochs_thereafter
        forward += s.rounds * arm.dropout_passes * s.pool
        if arm.beam_width == 1:
            greedy_rows += s.rounds * s.pool * s.budget
        elif arm.beam_width > 1:
            beam_rows += s.rounds * s.pool * s.budget
    return Workload(
        train * s.seeds,
        forward * s.seeds,
        epochs * s.seeds,
        greedy_rows * s.seeds,
        beam_rows * s.seeds,
    )


def gpu_hours(w: Workload, rates: Rates) -> float:
    """Hours of GPU time: training and inference images at the measured rates, one state save
    per epoch, and the core-set selections scaled from the measured rows."""
    seconds = (
        w.train_images / rates.train_images_per_s
        + w.forward_images / rates.forward_images_per_s
        + w.epochs * rates.epoch_overhead_s
        + w.greedy_rows * rates.greedy_s_per_row
        + w.beam_rows * rates.beam_s_per_row
    )
    return seconds / 3600


def schedules_from_config(
    config: Mapping[str, Any], splits: Mapping[str, tuple[int, int]]
) -> list[Schedule]:
    """The schedules of a config (as read from YAML) with ``splits``: dataset -> (pool, test).

    Semantics of docs/config.md: ``rounds``, or ``(ceiling - initial) // budget``; strategies
    with the same settings (defaults filled in) are one arm; ``batch_size`` 64 and
    ``precision`` fp32 unless given.
    """
    from alcore.catalog.strategies import KINDS, OPTION_DEFAULTS

    definitions = config["strategies"]
    schedules = []
    for experiment, e in config["experiments"].items():
        arms: dict[tuple[tuple[str, object], ...], Arm] = {}
        for name in e["strategies"]:
            settings = {**OPTION_DEFAULTS, **definitions[name]}
            key = tuple(sorted(settings.items()))
            kind = KINDS[str(settings["kind"])]
            arms.setdefault(
                key,
                Arm(
                    name,
                    embeds=bool(kind.needs),
                    beam_width=int(settings["beam_width"]) if settings["kind"] == "coreset" else 0,  # type: ignore[call-overload]
                    dropout_passes=int(settings["passes"]) if kind.needs_model else 0,  # type: ignore[call-overload]
                ),
            )
        for key, d in e["datasets"].items():
            dataset = d.get("dataset", key)
            if dataset not in splits:
                raise ValueError(f"{experiment}/{key}: no pool and test sizes for {dataset!r}")
            rounds = d["rounds"] if "rounds" in d else (d["ceiling"] - d["initial"]) // d["budget"]
            schedules.append(
                Schedule(
                    experiment,
                    key,
                    *splits[dataset],
                    d["initial"],
                    d["budget"],
                    rounds,
                    d["epochs"]["first"],
                    d["epochs"]["thereafter"],
                    len(e["seeds"]),
                    d.get("precision", "fp32"),
                    d.get("batch_size", 64),
                    tuple(arms.values()),
                )
            )
    return schedules


def catalogue_splits() -> dict[str, tuple[int, int]]:
    """Pool and test sizes of the catalogue's datasets whose sizes are fixed."""
    from alcore.catalog.datasets import DATASETS, Facts

    return {
        name: (d.facts.n_pool, d.facts.n_test)
        for name, d in DATASETS.items()
        if isinstance(d.facts, Facts)
    }


# the measured numbers the projection needs: (part, item, metric) in rows.csv
RATE_KEYS = {
    "train_fp32": ("vgg16", "train fp32", "images_per_s"),
    "train_bf16": ("vgg16", "train bf16", "images_per_s"),
    "embed_fp32": ("vgg16", "embed fp32", "images_per_s"),
    "state_save": ("vgg16", "state save", "seconds"),
}
SELECT_REFERENCE = {"greedy": "greedy", "beam": "pweighted beam 20"}  # at D = 4,096


def rates_from_rows(
    rows: Sequence[tuple[str, str, str, object, str]], precision: str
) -> Rates | None:
    """The projection's rates from a report's rows (None without the training rates): training
    at ``precision``, inference fp32 (the embed stage), selections from the slowest measured
    D = 4,096 row of each kind that made all its picks (0 when there is none)."""
    found = {(part, item, metric): float(str(value)) for part, item, metric, value, _ in rows}
    train = found.get(RATE_KEYS[f"train_{precision}"])
    forward = found.get(RATE_KEYS["embed_fp32"])
    if train is None or forward is None:
        return None
    per_row = {}
    for kind, method in SELECT_REFERENCE.items():
        whole = [
            item
            for (part, item, metric) in found
            if part == "engine"
            and metric == "seconds"
            and " D=4096 " in item
            and item.split(" N=")[0] in (f"{method} gaussian", f"{method} clustered")
            and ("engine", item, "picks_done") not in found
        ]
        per_row[kind] = max(
            (
                found[("engine", item, "seconds")] / (_size(item, "N") * _size(item, "b"))
                for item in whole
            ),
            default=0.0,
        )
    return Rates(
        train, forward, found.get(RATE_KEYS["state_save"], 0.0), per_row["greedy"], per_row["beam"]
    )


def _size(item: str, name: str) -> int:
    match = re.search(rf"\b{name}=(\d+)", item)
    if match is None:
        raise ValueError(f"{item!r} has no {name}=")
    return int(match.group(1))


PROJECTION_COLUMNS = [
    "config",
    "experiment",
    "dataset",
    "seeds",
    "rounds",
    "arms",
    "image-epochs",
    "forward images",
    "epochs",
    "GPU-h as configured",
    "GPU-h with bf16 training",
]


def projection_rows(
    configs: Mapping[str, Mapping[str, Any]],
    splits: Mapping[str, tuple[int, int]],
    rows: Sequence[tuple[str, str, str, object, str]],
) -> list[dict[str, object]]:
    """One row per (config, experiment, dataset) and a total per config; ``item`` names the
    row in rows.csv."""
    out: list[dict[str, object]] = []
    for name, config in configs.items():
        total: dict[str, float] = {"as": 0.0, "bf16": 0.0}
        for s in schedules_from_config(config, splits):
            w = workload(s)
            configured, bf16 = rates_from_rows(rows, s.precision), rates_from_rows(rows, "bf16")
            hours = gpu_hours(w, configured) if configured else math.nan
            hours_bf16 = gpu_hours(w, bf16) if bf16 else math.nan
            total["as"] += hours
            total["bf16"] += hours_bf16
            out.append(
                {
                    "item": f"{name} {s.experiment} {s.dataset}",
                    "config": name,
                    "experiment": s.experiment,
                    "dataset": s.dataset,
                    "seeds": s.seeds,
                    "rounds": s.rounds,
                    "arms": ", ".join(a.name for a in s.arms),
                    "image-epochs": w.train_images,
                    "forward images": w.forward_images,
                    "epochs": w.epochs,
                    "GPU-h as configured": hours,
                    "GPU-h with bf16 training": hours_bf16,
                }
            )
        out.append(
            {
                "item": f"{name} total",
                "config": f"**{name}**",
                "GPU-h as configured": total["as"],
                "GPU-h with bf16 training": total["bf16"],
            }
        )
    return out


def read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def vgg16_part(report: Report, sizes: Sizes, device: torch.device, budget: float) -> Part:
    part = Part(report, "vgg16", "3. VGG16 throughput and the GPU-hours projection", budget)
    report.text(
        "vgg16",
        f"alcore's {sizes.model} (`build_model`), 3x32x32 generated images, 10 "
        f"classes; training: the train stage's epoch (`_train_epoch`: Adam, "
        f"batch {sizes.train_batch}, cuDNN deterministic as train_round sets "
        f"it) over {sizes.train_images:,} images after an untimed epoch; "
        f"embedding: the embed stage's `predict` (batch {sizes.embed_batch}, "
        f"probabilities and float16 features copied to the host) over "
        f"{sizes.embed_images:,} images. The embed stage runs fp32; its bf16 "
        "row runs the model's `embed` in an autocast (the head stays fp32).",
    )
    table = report.table("vgg16", ["pass", "precision", "images/s", "peak GPU GB"])
    state: dict[str, Any] = {}

    def setup(deadline: Deadline) -> None:
        from alcore.stages.adam import Adam

        state["bundle"] = generated_bundle(max(sizes.train_images, sizes.embed_images), 16)
        state["model"] = cifar_model(sizes.model, device)
        state["optimiser"] = Adam(state["model"].parameters(), lr=1e-4)

    def train(precision: str) -> Callable[[Deadline], None]:
        def run(deadline: Deadline) -> None:
            rate, peak = train_rate(
                state["model"], state["optimiser"], state["bundle"], precision, sizes, device
            )
            table.rows.append(
                {"pass": "train", "precision": precision, "images/s": rate, "peak GPU GB": peak}
            )
            report.number("vgg16", f"train {precision}", "images_per_s", rate, "images/s")
            report.number("vgg16", f"train {precision}", "peak_gpu", peak, "GB")

        return run

    def embed(precision: str) -> Callable[[Deadline], None]:
        def run(deadline: Deadline) -> None:
            rate, peak = embed_rate(state["model"], state["bundle"], precision, sizes, device)
            table.rows.append(
                {"pass": "embed", "precision": precision, "images/s": rate, "peak GPU GB": peak}
            )
            report.number("vgg16", f"embed {precision}", "images_per_s", rate, "images/s")
            report.number("vgg16", f"embed {precision}", "peak_gpu", peak, "GB")

        return run

    def save(deadline: Deadline) -> None:
        with tempfile.TemporaryDirectory() as folder:
            seconds, size = state_save_seconds(state["model"], state["optimiser"], Path(folder))
        report.text(
            "vgg16",
            f"- one save of the model and Adam states (train_round writes one "
            f"per epoch): {seconds:.2f} s, {size:.2f} GB",
        )
        report.number("vgg16", "state save", "seconds", seconds, "s")
        report.number("vgg16", "state save", "size", size, "GB")

    def project(deadline: Deadline) -> None:
        state.clear()
        free_device_memory()
        write_projection(report, "vgg16", report.rows)

    steps = [(f"train epoch, {p}", train(p)) for p in ("fp32", "bf16")]
    steps += [(f"embedding pass, {p}", embed(p)) for p in ("fp32", "bf16")]
    steps.append(("state save", save))
    built = part.step(f"build {sizes.model} and the images", setup)
    for name, run in steps:
        if built:
            part.step(name, run)
        else:
            part.skip(name, f"{sizes.model} was not built")
    part.step("GPU-hours of configs/main.yaml and configs/ablation.yaml", project, always=True)
    return part


def write_projection(
    report: Report, key: str, rows: Sequence[tuple[str, str, str, object, str]]
) -> None:
    """The projection table of the paper configs, from the measured rows."""
    if importlib.util.find_spec("yaml") is None:
        report.text(
            key,
            "- projection not computed: PyYAML is absent here; on a machine with "
            "it: `python benchmarks/gpu_check.py --project OUT/rows.csv`",
        )
        return
    configs = {name: read_yaml(REPO / name) for name in PROJECTED_CONFIGS}
    table_rows = projection_rows(configs, catalogue_splits(), rows)
    report.text(
        key,
        "GPU-hours: image-epochs at the training rate of the config's precision "
        "(and at bf16's), forward images (embed: pool + test; evaluate without an "
        "embedding: test) at the fp32 embedding rate, one state save per epoch, "
        "and each core-set selection at the slowest measured D = 4,096 row of its "
        "kind scaled by pool size x budget. Not counted: model builds, checkpoint "
        "loads, data loading, job start-up.",
    )
    report.table(key, PROJECTION_COLUMNS).rows.extend(table_rows)
    for row in table_rows:
        item = str(row["item"])
        report.number("projection", item, "gpu_hours", row["GPU-h as configured"], "h")
        report.number("projection", item, "gpu_hours_bf16", row["GPU-h with bf16 training"], "h")


def read_rows_csv(path: Path) -> list[tuple[str, str, str, object, str]]:
    """The rows of a report's rows.csv (values as text)."""
    with path.open(newline="") as handle:
        return [
            (r["part"], r["item"], r["metric"], r["value"], r["unit"])
            for r in csv.DictReader(handle)
        ]


# --------------------------------------------------------------------------------------------
# 4. one round of the rehearsal through the stages

# configs/rehearsal.yaml's settings this check reads, for a machine without PyYAML (a test
# holds the two equal)
REHEARSAL_CONFIG: dict[str, Any] = {
    "strategies": {
        "greedy": {"kind": "coreset"},
        "pweighted_beam10": {"kind": "coreset", "weighted": True, "beam_width": 10},
    },
    "experiments": {
        "rehearsal": {
            "datasets": {
                "synthetic_cifar": {
                    "model": "vgg16",
                    "pretrained": False,
                    "initial": 5000,
                    "budget": 5000,
                    "epochs": {"first": 1, "thereafter": 1},
                    "lr": 0.0001,
                    "feature_dtype": "float16",
                }
            },
            "strategies": ["greedy", "pweighted_beam10"],
            "seeds": [0],
        }
    },
}


@dataclass(frozen=True)
class RehearsalSpec:
    """Round 0 of the rehearsal's first dataset, scaled like ``make rehearsal SIZE=size``."""

    model: str
    pretrained: bool
    n_pool: int
    n_test: int
    initial: int
    budget: int
    epochs: int
    lr: float
    batch_size: int
    feature_dtype: str
    seed: int
    strategies: tuple[tuple[str, Mapping[str, Any]], ...]  # (name, definition)


def rehearsal_spec(
    config: Mapping[str, Any], size: float, model: str | None = None
) -> RehearsalSpec:
    """Sizes scaled as alcore.workflow.rehearsal scales them: images by ``size``, initial and
    budget by ``size`` but at least 10; ``model`` instead of the config's when given."""
    experiment = next(iter(config["experiments"].values()))
    d = next(iter(experiment["datasets"].values()))
    return RehearsalSpec(
        model or d["model"],
        bool(d.get("pretrained", False)),
        round(CIFAR_SPLIT[0] * size),
        round(CIFAR_SPLIT[1] * size),
        max(10, round(d["initial"] * size)),
        max(10, round(d["budget"] * size)),
        d["epochs"]["first"],
        d["lr"],
        d.get("batch_size", 64),
        d.get("feature_dtype", "float32"),
        experiment["seeds"][0],
        tuple((s, config["strategies"][s]) for s in experiment["strategies"]),
    )


def synthetic_bundle(n_pool: int, n_test: int, seed: int) -> Any:
    """The rehearsal's synthetic CIFAR images (alcore.data.synthetic_images: the pixels of its
    image folder), in memory, normalised with the pool's channel statistics."""
    from alcore.data import DatasetBundle
    from alcore.data.synthetic_images import class_name, class_patterns, synthetic_image

    patterns = class_patterns(10)
    splits = {}
    for split, n in (("train", n_pool), ("test", n_test)):
        images = [
            synthetic_image(i, split, classes=10, size=32, seed=seed, patterns=patterns)
            for i in range(n)
        ]
        pixels = torch.from_numpy(np.stack([im for im, _ in images])).permute(0, 3, 1, 2)
        splits[split] = (pixels.contiguous(), torch.tensor([label for _, label in images]))
    scaled = splits["train"][0].double() / 255
    return DatasetBundle(
        name="imagefolder",
        num_classes=10,
        input_shape=(3, 32, 32),
        pool_inputs=splits["train"][0],
        pool_labels=splits["train"][1],
        test_inputs=splits["test"][0],
        test_labels=splits["test"][1],
        class_names=tuple(class_name(k, 10) for k in range(10)),
        pixel_mean=tuple(float(v) for v in scaled.mean(dim=(0, 2, 3))),
        pixel_std=tuple(float(v) for v in scaled.std(dim=(0, 2, 3))),
    )


def same_acquisitions(a: Path, b: Path) -> tuple[bool, float]:
    """Whether two acquisitions files hold the same beams (rank, order, index), and the
    largest difference of their scores."""
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    same = all(ta.column(c).equals(tb.column(c)) for c in ("beam_rank", "pick_order", "index"))
    scores = [np.asarray(t.column("score").to_numpy(), dtype=np.float64) for t in (ta, tb)]
    gap = float(np.nanmax(np.abs(scores[0] - scores[1]))) if same and len(scores[0]) else math.nan
    return same, gap


def rehearsal_part(report: Report, sizes: Sizes, device: torch.device, budget: float) -> Part:
    part = Part(report, "rehearsal", "4. Rehearsal round 0 through the stages", budget)
    try:
        config = (
            read_yaml(REPO / REHEARSAL_YAML)
            if importlib.util.find_spec("yaml")
            else REHEARSAL_CONFIG
        )
        spec = rehearsal_spec(config, sizes.rehearsal_size, sizes.rehearsal_model)
    except Exception as error:
        part.counts["failed"] += 1
        report.text("rehearsal", f"- failed: reading {REHEARSAL_YAML}: {error!r}")
        return part
    report.text(
        "rehearsal",
        f"{REHEARSAL_YAML} at size {sizes.rehearsal_size:g}: "
        f"{spec.n_pool:,} pool + {spec.n_test:,} test synthetic images in "
        f"memory, {spec.model}, {spec.epochs} epoch, {spec.initial:,} "
        f"initial labels, {spec.budget:,} picks per strategy, features "
        f"{spec.feature_dtype}; the stages called as Python functions on "
        f"{device.type}; each selection also on the CPU from the same "
        "embedding file.",
    )
    table = report.table("rehearsal", ["stage", "device", "wall s", "peak GPU GB", "result"])
    threads = torch.get_num_threads()
    folder = Path(tempfile.mkdtemp(prefix="gpu-check-rehearsal-"))  # checkpoints: GBs
    remove_folder = functools.partial(shutil.rmtree, folder, ignore_errors=True)
    ON_EXIT.append(remove_folder)
    state: dict[str, Any] = {}

    def stage(name: str, on: torch.device, work: Callable[[], str]) -> None:
        reset_peak(on)
        start = time.perf_counter()
        result = work()
        synchronize(on)
        seconds = time.perf_counter() - start
        table.rows.append(
            {
                "stage": name,
                "device": on.type,
                "wall s": seconds,
                "peak GPU GB": peak_gb(on),
                "result": result,
            }
        )
        report.number("rehearsal", f"{name} {on.type}", "seconds", seconds, "s")
        report.write()

    def images(deadline: Deadline) -> None:
        def work() -> str:
            state["bundle"] = synthetic_bundle(spec.n_pool, spec.n_test, spec.seed)
            return f"{spec.n_pool:,} + {spec.n_test:,} images"

        stage("make images", torch.device("cpu"), work)

    def initial(deadline: Deadline) -> None:
        from alcore.stages.labelled import initial_labelled, write_labelled

        def work() -> str:
            state["labelled"] = initial_labelled(spec.n_pool, spec.initial, spec.seed)
            write_labelled(
                state["labelled"],
                torch.full_like(state["labelled"], -1),
                spec.n_pool,
                folder / "labelled.parquet",
            )
            return f"{spec.initial:,} labels"

        stage("initial labels", torch.device("cpu"), work)

    def train(deadline: Deadline) -> None:
        from alcore.settings import DatasetSettings, TrainSettings
        from alcore.stages.train import train_round

        settings = DatasetSettings(
            name="imagefolder",
            initial_size=spec.initial,
            budget=spec.budget,
            rounds=1,
            train=TrainSettings(
                model=spec.model,
                epochs_first=spec.epochs,
                epochs_thereafter=spec.epochs,
                lr=spec.lr,
                batch_size=spec.batch_size,
                pretrained=spec.pretrained,
            ),
            data_dir=str(folder),
            feature_dtype=spec.feature_dtype,
        )

        def work() -> str:
            content = train_round(
                state["bundle"],
                state["labelled"],
                settings,
                spec.seed,
                0,
                folder / "model.pt",
                device=device,
                threads=threads,
            )
            last = content["history"][-1]
            return f"loss {last['loss']:.3g}, training accuracy {last['accuracy']:.3f}"

        stage("train", device, work)

    def embed(deadline: Deadline) -> None:
        from alcore.stages.embed import embed_round

        def work() -> str:
            embed_round(
                state["bundle"],
                folder / "model.pt",
                state["labelled"],
                folder / "embedding.parquet",
                device=device,
                threads=threads,
                feature_dtype=spec.feature_dtype,
            )
            return f"{(folder / 'embedding.parquet').stat().st_size / 1e6:.1f} MB"

        stage("embed", device, work)

    def select(name: str, definition: Mapping[str, Any]) -> Callable[[Deadline], None]:
        def run(deadline: Deadline) -> None:
            from alcore.settings import StrategySettings
            from alcore.stages.select import select_round

            strategy = StrategySettings(name=name, **definition)
            outputs = []
            for i, on in enumerate((device, torch.device("cpu"))):
                out = folder / f"{name}-{i}-{on.type}"
                outputs.append(out.with_suffix(".acquisitions.parquet"))

                def work(on: torch.device = on, out: Path = out) -> str:
                    select_round(
                        folder / "labelled.parquet",
                        folder / "embedding.parquet",
                        strategy,
                        spec.budget,
                        dataset="synthetic_cifar",
                        seed=spec.seed,
                        round_=0,
                        acquisitions_out=out.with_suffix(".acquisitions.parquet"),
                        labelled_out=out.with_suffix(".labelled.parquet"),
                        device=on,
                    )
                    return f"{spec.budget:,} picks"

                deadline.check(f"before selecting {name} on {on.type}")
                stage(f"select {name}", on, work)
            same, gap = same_acquisitions(*outputs)
            verdict = (
                f"same beams and picks on {device.type} and cpu (largest score "
                f"difference {gap:.2e})"
                if same
                else f"DIFFERENT picks on {device.type} and cpu"
            )
            table.rows[-1]["result"] = verdict
            report.number("rehearsal", f"select {name}", "same_picks_cpu_device", int(same))

        return run

    def evaluate(deadline: Deadline) -> None:
        from alcore.stages.evaluate import evaluate_round

        def work() -> str:
            row = evaluate_round(
                folder / "metrics.parquet",
                labelled=state["labelled"],
                dataset="synthetic_cifar",
                strategy="initial",
                seed=spec.seed,
                round_=0,
                embedding=folder / "embedding.parquet",
            )
            report.number("rehearsal", "evaluate", "test_accuracy", row["test_accuracy"])
            return f"test accuracy {row['test_accuracy']:.3f}, radius {row['radius']:.4g}"

        stage("evaluate", torch.device("cpu"), work)

    chain = [
        ("synthetic images", images),
        ("initial labels", initial),
        ("train round 0", train),
        ("embed round 0", embed),
    ]
    after = [
        (f"select {name} on {device.type} and on the CPU", select(name, definition))
        for name, definition in spec.strategies
    ]
    after.append(("evaluate round 0", evaluate))
    try:
        for i, (name, run) in enumerate(chain):
            if not part.step(name, run):
                for later, _ in chain[i + 1 :] + after:
                    part.skip(later, f"{name} did not finish")
                break
        else:
            for name, run in after:
                part.step(name, run)
    finally:
        ON_EXIT.remove(remove_folder)
        remove_folder()
    return part


# --------------------------------------------------------------------------------------------
# the command


def budgets_section(report: Report, parts: Sequence[Part], started: float) -> None:
    report.section("budgets", "Time")
    table = report.table(
        "budgets", ["part", "budget s", "used s", "steps ran", "stopped", "skipped", "failed"]
    )
    for p in parts:
        table.rows.append(
            {
                "part": p.title,
                "budget s": p.budget,
                "used s": p.used,
                "steps ran": p.counts["ran"],
                "stopped": p.counts["stopped"],
                "skipped": p.counts["skipped"],
                "failed": p.counts["failed"],
            }
        )
    report.text("budgets", f"- whole run: {time.perf_counter() - started:.0f} s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for report.md and rows.csv")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="every step at tiny sizes, on the CPU when there is no CUDA",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cuda", "cpu"),
        default="auto",
        help="auto: cuda when torch sees a GPU (cpu needs --tiny)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT,
        help="seconds after which the watchdog writes the report and exits",
    )
    parser.add_argument(
        "--project",
        type=Path,
        metavar="ROWS_CSV",
        help="print the GPU-hours projection from a report's rows.csv and exit",
    )
    args = parser.parse_args(argv)
    if args.project is not None:
        if not args.project.is_file():
            parser.error(f"--project {args.project}: no such file")
        return args
    if args.out is None:
        parser.error("--out DIR is required: the folder for report.md and rows.csv")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file: give a folder")
    if args.device == "cpu" and not args.tiny:
        parser.error("--device cpu runs only with --tiny: the full sizes take hours on a CPU")
    if args.time_limit <= 0:
        parser.error(f"--time-limit {args.time_limit:g} must be positive")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {args.out}: cannot create it ({error.strerror})")
    if not os.access(args.out, os.W_OK):
        parser.error(f"--out {args.out}: not writable")
    return args


def choose_device(args: argparse.Namespace) -> torch.device | None:
    """cuda when asked or available; the CPU for --tiny without CUDA; None: nothing to run."""
    if args.device == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if args.tiny and args.device == "auto":
        return torch.device("cpu")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.project is not None:
        report = Report(None, "projection")
        report.section("projection", "GPU-hours projection")
        write_projection(report, "projection", read_rows_csv(args.project))
        print(report.sections["projection"].markdown())
        return 0
    device = choose_device(args)
    if device is None:
        print(
            f"gpu_check: no CUDA device here (torch {torch.__version__}): nothing measured; "
            "--tiny runs every step at tiny sizes on the CPU"
        )
        return 0
    started = time.perf_counter()
    sizes = TINY if args.tiny else FULL
    mode = "tiny sizes (a self-test: the numbers mean nothing)" if args.tiny else "full sizes"
    header = [
        f"- command: `{shlex.join(['gpu_check.py', *(sys.argv[1:] if argv is None else argv)])}`",
        f"- {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, host {platform.node()}, {mode}",
        f"- torch {torch.__version__}, device {device}, commit {git_commit()}",
    ]
    report = Report(args.out, "alcore on a GPU: gpu_check", header)
    print(f"[gpu-check] {device}, {mode}; report in {args.out}", flush=True)
    watchdog = start_watchdog(report, args.time_limit)
    usable = environment_part(report, device)
    parts = [tests_part(report, BUDGETS["tests"])]
    if usable:
        parts.append(engine_part(report, sizes, device, BUDGETS["engine"]))
        parts.append(imagenet_part(report, sizes, device, BUDGETS["imagenet"]))
        parts.append(vgg16_part(report, sizes, device, BUDGETS["vgg16"]))
        parts.append(rehearsal_part(report, sizes, device, BUDGETS["rehearsal"]))
    else:
        report.text(
            "environment", "- parts 2-4 not run: alcore does not import or the device fails (above)"
        )
    budgets_section(report, parts, started)
    report.write()
    watchdog.cancel()
    failed = sum(p.counts["failed"] for p in parts)
    print(
        f"[gpu-check] done in {time.perf_counter() - started:.0f} s, {failed} failed steps: "
        f"{args.out / 'report.md'}",
        flush=True,
    )
    return 1 if failed or not usable else 0


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown (no git here)"


if __name__ == "__main__":
    sys.exit(main())
