"""Run the real Snakemake workflow in a scratch folder (helpers for the workflow tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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
