"""Run the real Snakemake workflow in a scratch folder (helpers for the workflow tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "workflow" / "configs" / "tiny.yaml"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def snakemake_command(workdir: Path, *args: str, config: Path = TINY) -> list[str]:
    return [
        SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(config), "--cores", "2", *args,
    ]  # fmt: skip


def run(workdir: Path, *args: str, config: Path = TINY, check: bool = True) -> str:
    """Run snakemake to the end; returns its combined output."""
    done = subprocess.run(
        snakemake_command(workdir, *args, config=config),
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    output = done.stdout + done.stderr
    if check and done.returncode != 0:
        raise AssertionError(f"snakemake failed ({done.returncode}):\n{output[-4000:]}")
    return output


def steps_run(output: str) -> int:
    """How many jobs a snakemake run executed (its last 'N of M steps' line)."""
    found = re.findall(r"(\d+) of (\d+) steps", output)
    return int(found[-1][0]) if found else 0


def start(workdir: Path, *args: str, config: Path = TINY) -> tuple[subprocess.Popen[bytes], Path]:
    """Start snakemake in its own process group; its output goes to a file returned beside it."""
    log = workdir / f"snakemake-{len(list(workdir.glob('snakemake-*.out')))}.out"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            snakemake_command(workdir, *args, config=config),
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
    return process, log


def wait_for_steps(process: subprocess.Popen[bytes], log: Path, steps: int) -> bool:
    """Wait until the run has finished `steps` jobs; False when it ended before that.

    Progress is read from the run's own log, never from a clock: a slow or busy machine only
    makes the wait longer, and a run that ends early says so instead of timing out."""
    while steps_run(log.read_text(errors="replace")) < steps:
        if process.poll() is not None:
            # the last jobs may have finished between the read above and the poll
            return steps_run(log.read_text(errors="replace")) >= steps
        time.sleep(0.1)  # pacing of the polling only
    return True


def wait_for_jobs_started(process: subprocess.Popen[bytes], log: Path, jobs: int) -> bool:
    """Wait until the run has started `jobs` jobs (read from its log); False when it ended
    before that."""
    while jobs_started(log.read_text(errors="replace")) < jobs:
        if process.poll() is not None:
            return jobs_started(log.read_text(errors="replace")) >= jobs
        time.sleep(0.1)  # pacing of the polling only
    return True


def jobs_started(output: str) -> int:
    """How many jobs a snakemake run started (one 'rule NAME:' or 'localrule NAME:' header each)."""
    return len(re.findall(r"^(?:local)?rule \w+:$", output, flags=re.MULTILINE))


def job_outputs(output: str) -> tuple[dict[str, str], set[str]]:
    """What a run started and finished: ({snakemake job id: its first output}, finished job ids).

    Job ids are per run; the first output names a job across runs."""
    started: dict[str, str] = {}
    first_output = None
    for line in output.splitlines():
        if re.match(r"^(?:local)?rule \w+:$", line):
            first_output = "(target rule)"
        elif first_output and (found := re.match(r"^\s+output: ([^,]+)", line)):
            first_output = found.group(1)
        elif first_output and (found := re.match(r"^\s+jobid: (\d+)$", line)):
            started[found.group(1)] = first_output
            first_output = None
    finished = set(re.findall(r"^Finished jobid: (\d+)", output, flags=re.MULTILINE))
    return started, finished
