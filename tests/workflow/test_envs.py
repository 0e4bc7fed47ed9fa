"""envs/alcore.yaml installs what pyproject.toml declares, with the same version ranges."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_conda_env_matches_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "envs" / "alcore.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = [r for r in pip if not r.startswith("-e")]
    assert sorted(requirements) == sorted(declared)
    assert "-e .." in pip  # the package itself
