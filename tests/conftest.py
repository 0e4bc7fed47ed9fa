"""Fixtures shared by the test folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# where Debian's dataset-fashion-mnist puts its files
FASHION = Path("/usr/share/datasets/fashion-mnist")


def why_no_apt() -> str | None:
    """Why dataset-fashion-mnist cannot be installed here, or None when apt-get can try."""
    if os.geteuid() != 0:
        return "needs root to apt-get install dataset-fashion-mnist"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "needs Debian's apt-get to install dataset-fashion-mnist"
    return None


@pytest.fixture(scope="session")
def fashion_files() -> Path:
    """Debian's Fashion-MNIST files, installed with apt-get when missing (root on Debian);
    the tests skip with the reason only where apt-get cannot install them."""
    if not (FASHION / "train-images-idx3-ubyte.gz").is_file():
        reason = why_no_apt()
        if reason is not None:
            pytest.skip(f"Fashion-MNIST's files are absent: {reason}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--reinstall", "dataset-fashion-mnist"]
        done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:  # perhaps an outdated package list: refresh it once
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
            done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:  # no Debian mirror reachable: as the SLURM tests do
            pytest.skip(f"apt-get cannot install dataset-fashion-mnist: {done.stderr[-300:]}")
        assert (FASHION / "train-images-idx3-ubyte.gz").is_file(), "the package moved its files"
    return FASHION
