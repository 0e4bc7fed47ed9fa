import pytest

from alcore.workflow.code_version import _normalised, code_version
from alcore.workflow.config import ConfigError, gpus_per_model_job, parse_config, pool_size


def config(**dataset_changes):
    dataset = {"model": "mlp", "initial": 10, "budget": 10, "rounds": 2,
               "epochs": {"first": 2, "thereafter": 1}, "lr": 0.01}  # fmt: skip
    dataset.update(dataset_changes)
    return {
        "strategies": {"greedy": {"kind": "coreset"}},
        "experiments": {
            "e": {"datasets": {"blobs": dataset}, "strategies": ["greedy"], "seeds": [0, 1]}
        },
    }


def test_ceiling_sets_the_rounds():
    raw = config(ceiling=55)
    del raw["experiments"]["e"]["datasets"]["blobs"]["rounds"]
    parsed = parse_config(raw)
    settings = parsed.dataset("e", "blobs")
    assert settings.rounds == 4 and settings.labels_at(4) == 50


def test_impossible_settings_are_refused_with_the_key():
    with pytest.raises(ConfigError, match=r"experiments\.e\.datasets\.blobs: initial=10"):
        parse_config(config(budget=600))
    with pytest.raises(
        ConfigError, match=r"options: unknown option\(s\) \['spred'\] for dataset blobs"
    ):
        parse_config(config(options={"spred": 1.0}))
    with pytest.raises(ConfigError, match="only vgg16 has pretrained weights"):
        parse_config(config(pretrained=True))
    bad = config()
    bad["strategies"]["initial"] = {"kind": "random"}
    with pytest.raises(ConfigError, match="'initial' names the shared round 0"):
        parse_config(bad)
    bad = config()
    bad["strategies"]["greedy"] = {"kind": "random", "beam_width": 3}
    with pytest.raises(ConfigError, match="coreset only"):
        parse_config(bad)


@pytest.mark.parametrize(
    ("device", "request_gpu", "gpus"),
    [("cpu", "auto", 0), ("cuda", "auto", 1), ("cpu", "always", 1), ("cuda", "never", 0)],
)
def test_model_jobs_ask_for_a_gpu_as_configured(device, request_gpu, gpus):
    parsed = parse_config({**config(), "device": device, "request_gpu": request_gpu})
    assert gpus_per_model_job(parsed) == gpus


def test_pool_sizes_without_loading():
    assert pool_size("digits", {}) == 1346
    assert pool_size("blobs", {"n_pool": 300}) == 300
    assert pool_size("cifar10", {}) == 50_000
    assert pool_size("imagefolder", {}) is None


def test_code_version_ignores_docstrings_and_comments(tmp_path):
    one = tmp_path / "one.py"
    two = tmp_path / "two.py"
    one.write_text('"""Doc."""\n\ndef f(x):\n    """Doc."""\n    return x + 1  # note\n')
    two.write_text('"""Other doc."""\n\n\ndef f(x):\n    return x + 1\n')
    assert _normalised(one) == _normalised(two)
    two.write_text("def f(x):\n    return x + 2\n")
    assert _normalised(one) != _normalised(two)


def test_each_stage_has_a_code_version():
    versions = {stage: code_version(stage) for stage in ("train", "embed", "select", "evaluate")}
    assert len(set(versions.values())) == 4


def test_scale_settings_reach_the_typed_settings():
    raw = config(augment=False, precision="bf16", feature_dtype="float16")
    raw["keep_checkpoints"] = "last"
    parsed = parse_config(raw)
    settings = parsed.dataset("e", "blobs")
    assert (settings.train.precision, settings.feature_dtype) == ("bf16", "float16")
    assert parsed.keep_checkpoints == "last"
    # the stored precision of the features does not change the trained model's identity
    assert settings.fingerprint() == parse_config(config(precision="bf16")).dataset(
        "e", "blobs"
    ).fingerprint()
    assert settings.fingerprint() != parse_config(config()).dataset("e", "blobs").fingerprint()
    with pytest.raises(ConfigError, match=r"blobs\.augment: crops and flips apply to images"):
        parse_config(config(augment=True))
