"""A real one-node SLURM for the cluster tests: start it, run the workflow through it, read it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "tests" / "cluster" / "start_slurm.sh"
TINY = ROOT / "tests" / "workflow" / "configs" / "tiny.yaml"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# poll the queue every 2 s instead of the profiles' 40 s start and growing pauses
FAST_STATUS = {
    "slurm": [
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
    ],
    "generic": ["--seconds-between-status-checks", "2"],
}


def why_not_here() -> str | None:
    """Why this machine cannot run the SLURM tests, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to install and start slurmctld/slurmd (run .ci/run as root)"
    if not Path("/etc/debian_version").exists() or not Path("/usr/bin/apt-get").exists():
        return "needs Debian's apt-get to install slurm-wlm and munge"
    return None


def start_slurm() -> str:
    """Start the one-node cluster; skips the tests when apt-get cannot install SLURM here."""
    done = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=600)
    if done.returncode == 3:
        pytest.skip(
            f"SLURM tests skipped: apt-get cannot install slurm-wlm munge: {done.stderr[-300:]}"
        )
    if done.returncode != 0:
        raise AssertionError(f"start_slurm.sh failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def cluster_config(folder: Path) -> Path:
    """The tiny config cut to one strategy, one round and one figure (8 cluster jobs), its
    model jobs asking for a GPU."""
    config = yaml.safe_load(TINY.read_text())
    config["request_gpu"] = "always"
    config["experiments"]["tiny"]["datasets"]["blobs"]["rounds"] = 1
    config["experiments"]["tiny"]["strategies"] = ["pweighted_beam4"]
    config["experiments"]["tiny"]["figures"] = ["radius"]
    path = folder / "cluster.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def workflow(workdir: Path, config: Path, *args: str, profile: str | None = None) -> list[str]:
    """The snakemake command line for a run in ``workdir``, through a profile or locally."""
    where = (
        ["--profile", str(ROOT / "profiles" / profile), *FAST_STATUS[profile]]
        if profile
        else ["--cores", "2"]
    )
    return [
        SNAKEMAKE,
        "all_figures",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        *where,
        *args,
        "--configfile",
        str(config),
    ]


def run(command: list[str], check: bool = True) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    if check and done.returncode != 0:
        raise AssertionError(f"snakemake failed ({done.returncode}):\n{output[-4000:]}")
    return output


def submitted_ids(output: str) -> list[str]:
    """The SLURM job ids a run printed: the slurm plugin's or cluster-generic's wording."""
    slurm = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    generic = re.findall(r"with external jobid '(\d+)'", output)
    return slurm + generic


def job_record(job_id: str) -> dict[str, str]:
    """scontrol's fields of one job (finished jobs stay visible for the config's MinJobAge)."""
    done = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True)
    assert done.returncode == 0, f"scontrol does not know job {job_id}: {done.stderr}"
    return dict(re.findall(r"(\w+)=(\S*)", done.stdout))


def rule_of(record: dict[str, str]) -> str:
    """The rule a job ran, from the slurm plugin's comment (rule_<rule>_wildcards_<values>) or
    the generic profile's job name (alcore-<rule>). A group job gives its group and rules:
    model_tiny_blobs_initial_seed0_round0_embed_evaluate_train."""
    comment = re.fullmatch(r"rule_(.+?)(_wildcards_.*)?", record.get("Comment", ""))
    return comment.group(1) if comment else record["JobName"].removeprefix("alcore-")


# the profiles' groups: entry, one group per model round (profiles/slurm/config.yaml)
GROUP = "model_{experiment}_{dataset}_{arm}_seed{seed}_round{round}"
ROUND_RULES = ("train", "embed", "evaluate")


def expected_groups(config: Path) -> set[str]:
    """The group of every model of ``config``: one per (experiment, dataset, arm, seed, round),
    round 0 being the shared "initial" arm."""
    experiments = yaml.safe_load(config.read_text())["experiments"]
    groups = set()
    for name, experiment in experiments.items():
        for dataset, settings in experiment["datasets"].items():
            for strategy in experiment["strategies"]:
                for seed in experiment["seeds"]:
                    for r in range(settings["rounds"] + 1):
                        arm = "initial" if r == 0 else strategy
                        groups.add(
                            GROUP.format(
                                experiment=name, dataset=dataset, arm=arm, seed=seed, round=r
                            )
                        )
    return groups


def group_of(job_name: str) -> str | None:
    """The group of a sbatch job named by rule_of, or None for a job of one rule."""
    rules = "(?:embed|evaluate|train)"
    match = re.fullmatch(rf"(model_.+?_seed\d+_round\d+)_{rules}(?:_{rules})*", job_name)
    return match.group(1) if match else None


def planned_groups(output: str) -> dict[str, list[tuple[str, str]]]:
    """The group jobs a snakemake run printed: group -> [(rule, wildcards), ...]."""
    groups: dict[str, list[tuple[str, str]]] = {}
    jobs = None
    for line in output.splitlines():
        header = re.search(r"Group job (\S+) \(jobs in", line)
        if header:
            jobs = groups.setdefault(header.group(1), [])
            continue
        rule = re.match(r"(\s*)(?:local)?rule (\w+):", line)
        if rule:
            if not rule.group(1):  # a job at the top level: not in a group
                jobs = None
            elif jobs is not None:
                jobs.append((rule.group(2), ""))
            continue
        wildcards = re.match(r"\s+wildcards: (.*)", line)
        if wildcards and jobs:
            jobs[-1] = (jobs[-1][0], wildcards.group(1))
    return groups
