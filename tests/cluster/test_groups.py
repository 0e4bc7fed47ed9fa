"""The cluster profiles' job groups, planned by dry runs (no SLURM needed): one cluster job per
model round, never one that joins rounds, arms or seeds."""

import re
import subprocess

import pytest
import yaml
from slurm_runs import (
    GROUP,
    ROUND_RULES,
    TINY,
    expected_groups,
    planned_groups,
    run,
    workflow,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The tiny config with two seeds: two strategies (one without an embedding), rounds 0-2."""
    config = yaml.safe_load(TINY.read_text())
    config["experiments"]["tiny"]["seeds"] = [0, 1]
    path = tmp_path_factory.mktemp("config") / "groups.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("profile", ["slurm", "generic"])
def test_a_profile_plans_one_group_job_per_model_round(profile, config, tmp_path):
    output = run(workflow(tmp_path, config, "--dry-run", profile=profile))
    groups = planned_groups(output)
    assert set(groups) == expected_groups(config)  # 10 rounds: 2 seeds x (initial + 2 x 2)
    for name, jobs in groups.items():
        rules = sorted(rule for rule, _ in jobs)
        # train and evaluate always; embed when a strategy needs the round's embedding
        assert rules in (["embed", "evaluate", "train"], ["evaluate", "train"]), (name, jobs)
        for _, wildcards in jobs:
            values = dict(item.split("=") for item in wildcards.split(", "))
            assert GROUP.format(**values) == name, (name, wildcards)
    # every train, embed and evaluate job is in a group
    table = output.split("Job stats:")[1].split("total")[0]
    stats = dict(re.findall(r"^(\w+) +(\d+)$", table, flags=re.MULTILINE))
    grouped = [rule for jobs in groups.values() for rule, _ in jobs]
    for rule in ROUND_RULES:
        assert grouped.count(rule) == int(stats[rule]), (rule, stats)


def test_one_group_name_for_every_round_is_refused(config, tmp_path):
    """Why the group name holds the wildcards: a fixed one would put round r's embed and round
    r + 1's train in one job, with select between them outside it."""
    fixed = [f"{rule}=model" for rule in ROUND_RULES]
    command = workflow(tmp_path, config, "--dry-run", "--groups", *fixed, profile="slurm")
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    # "Job of rule train depends on rule(s) initial_labels,select from outside the group, but
    # they in turn depend on rule(s) embed from inside the group again" (the order varies)
    assert re.search(r"depends on rule\(s\) \S*select", done.stdout + done.stderr)
