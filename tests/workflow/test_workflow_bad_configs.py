"""Bad configs: each stops `snakemake -n` with one message naming the key, before any job."""

import pytest
import yaml
from workflow_runs import TINY, run, steps_run

pytestmark = pytest.mark.slow

BLOBS = ("experiments", "tiny", "datasets", "blobs")
CIFAR = {"model": "vgg16", "initial": 10, "budget": 10, "rounds": 1, "lr": 0.01,
         "epochs": {"first": 1, "thereafter": 1}}  # fmt: skip


def setting(*path_and_value):
    """A change that sets config[path...] = value."""
    *path, key, value = path_and_value

    def change(config, folder):
        node = config
        for step in path:
            node = node[step]
        node[key] = value

    return change


def offline_cifar(pretrained, with_files):
    def change(config, folder):
        config["experiments"]["tiny"]["datasets"] = {"cifar10": {**CIFAR, "pretrained": pretrained}}
        config["data_dir"] = str(folder / "data")
        if with_files:  # the folder is there; the VGG16 weights are not
            (folder / "data" / "cifar-10-batches-py").mkdir(parents=True)
            (folder / "data" / "cifar-10-batches-py" / "batches.meta").write_bytes(b"")

    return change


CASES = {
    "typo in a top-level key": (
        setting("resultz", "out"),
        "(top level): Additional properties are not allowed ('resultz' was unexpected)",
    ),
    "wrong type": (setting("threads", "two"), "threads: 'two' is not of type 'integer'"),
    "unknown dataset": (
        setting(*BLOBS, "dataset", "cifar11"),
        "experiments.tiny.datasets.blobs.dataset: 'cifar11' is not one of",
    ),
    "unknown dataset key": (
        setting("experiments", "tiny", "datasets", "cifar11", {**CIFAR, "model": "mlp"}),
        "unknown dataset 'cifar11'",
    ),
    "unknown model": (
        setting(*BLOBS, "model", "resnet"),
        "unknown model 'resnet'; known models:",  # from alcore.models.check_model
    ),
    "unknown strategy kind": (
        setting("strategies", "odd", {"kind": "kcenter"}),
        "strategies.odd.kind: 'kcenter' is not one of",
    ),
    "unknown strategy": (
        setting("experiments", "tiny", "strategies", ["random", "nope"]),
        "unknown strategy 'nope'",
    ),
    "negative budget": (
        setting(*BLOBS, "budget", -5),
        "experiments.tiny.datasets.blobs.budget: -5 is less than the minimum of 1",
    ),
    "typo in a dataset option": (
        setting(*BLOBS, "options", {"npool": 100}),
        "experiments.tiny.datasets.blobs.options: unknown option(s) ['npool'] for dataset blobs",
    ),
    "budget larger than the pool": (
        setting(*BLOBS, "budget", 500),
        "exceed the 200 items of the blobs pool",
    ),
    "beam width 0": (
        setting("strategies", "pweighted_beam4", "beam_width", 0),
        "strategies.pweighted_beam4.beam_width: 0 is less than the minimum of 1",
    ),
    "weighted without doubt": (
        setting("strategies", "random", {"kind": "random", "weighted": True}),
        "strategies.random: weighted and beam_width apply to kind: coreset only",
    ),
    "seeds not integers": (
        setting("experiments", "tiny", "seeds", ["zero"]),
        "experiments.tiny.seeds[0]: 'zero' is not of type 'integer'",
    ),
    "a seed twice": (setting("experiments", "tiny", "seeds", [1, 1]), "lists a seed twice"),
    "ceiling below initial": (
        lambda c, f: (
            c["experiments"]["tiny"]["datasets"]["blobs"].update(ceiling=5)
            or c["experiments"]["tiny"]["datasets"]["blobs"].pop("rounds")
        ),
        "ceiling 5 is below initial=10",
    ),
    "learning rate 0": (
        setting(*BLOBS, "lr", 0),
        "experiments.tiny.datasets.blobs.lr: 0 is less than or equal to the minimum of 0",
    ),
    "pretrained weights for a small model": (
        setting(*BLOBS, "pretrained", True),
        "blobs.pretrained: model 'mlp' has no pretrained weights",
    ),
    "unknown figure": (
        setting("experiments", "tiny", "figures", ["figure2"]),
        "experiments.tiny.figures[0]: 'figure2' is not one of",
    ),
    "strategy named like round 0": (
        setting("strategies", "initial", {"kind": "random"}),
        "'initial' names the shared round 0",
    ),
    "missing data directory": (offline_cifar(False, False), "dataset 'cifar10' is not available"),
    "pretrained weights offline": (
        offline_cifar(True, True),
        "pretrained VGG16 weights are not available",
    ),
    "no experiments": (setting("experiments", {}), "experiments: {} should be non-empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_config_stops_before_any_job_with_one_message(case, tmp_path, monkeypatch):
    change, message = CASES[case]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no cached weights
    config = yaml.safe_load(TINY.read_text())
    change(config, tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    output = run(tmp_path, "-n", "all", config=path, check=False)
    assert message in output, output[-2000:]
    assert steps_run(output) == 0 and not (tmp_path / "results").exists()
    assert "Traceback" not in output
