import pytest

from alcore.catalog.datasets import pool_size_from_config
from alcore.workflow.config import ConfigError, gpus_per_model_job, parse_config
from alcore.workflow.schema import SCHEMA_PATH


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
    with pytest.raises(ConfigError, match=r"pretrained: model .mlp. has no pretrained weights"):
        parse_config(config(pretrained=True))
    bad = config()
    bad["strategies"]["initial"] = {"kind": "random"}
    with pytest.raises(ConfigError, match="'initial' names the shared round 0"):
        parse_config(bad)
    bad = config()
    bad["strategies"]["greedy"] = {"kind": "random", "beam_width": 3}
    with pytest.raises(ConfigError, match="coreset only"):
        parse_config(bad)
    bad["strategies"]["greedy"] = {"kind": "entropy", "passes": 20}  # even the default value
    with pytest.raises(ConfigError, match=r"strategies\.greedy: passes applies to kind: bald"):
        parse_config(bad)
    bad["strategies"]["greedy"] = {"kind": "bald", "passes": 7}
    assert parse_config(bad).strategies["greedy"].passes == 7


@pytest.mark.parametrize(
    ("device", "request_gpu", "gpus"),
    [("cpu", "auto", 0), ("cuda", "auto", 1), ("cpu", "always", 1), ("cuda", "never", 0)],
)
def test_model_jobs_ask_for_a_gpu_as_configured(device, request_gpu, gpus):
    parsed = parse_config({**config(), "device": device, "request_gpu": request_gpu})
    assert gpus_per_model_job(parsed) == gpus


def test_pool_sizes_without_loading():
    assert pool_size_from_config("digits", {}) == 1346
    assert pool_size_from_config("blobs", {"n_pool": 300}) == 300
    assert pool_size_from_config("cifar10", {}) == 50_000
    assert pool_size_from_config("imagefolder", {}) is None


def test_scale_settings_reach_the_typed_settings():
    raw = config(augment=False, precision="bf16", feature_dtype="float16")
    raw["keep_checkpoints"] = "last"
    parsed = parse_config(raw)
    settings = parsed.dataset("e", "blobs")
    assert (settings.train.precision, settings.feature_dtype) == ("bf16", "float16")
    assert parsed.keep_checkpoints == "last"
    # the stored precision of the features does not change the trained model's identity
    assert (
        settings.fingerprint()
        == parse_config(config(precision="bf16")).dataset("e", "blobs").fingerprint()
    )
    assert settings.fingerprint() != parse_config(config()).dataset("e", "blobs").fingerprint()
    with pytest.raises(ConfigError, match=r"blobs\.augment: crops and flips apply to images"):
        parse_config(config(augment=True))


def test_schema_enums_are_the_catalogues():
    # the schema's names are filled in from the catalogue: a name there is a name here
    from alcore.catalog.datasets import DATASETS
    from alcore.catalog.strategies import KINDS, OPTION_DEFAULTS
    from alcore.workflow.draw import FIGURES
    from alcore.workflow.schema import _load, enum_of, load_schema

    schema = load_schema()
    dataset = ("experiments", "*", "datasets", "*")
    assert enum_of(schema, "strategies", "*", "kind") == tuple(sorted(KINDS))
    assert enum_of(schema, *dataset, "dataset") == tuple(sorted(DATASETS))
    assert set(enum_of(schema, "experiments", "*", "figures", "[]")) == set(FIGURES)
    strategy = schema["properties"]["strategies"]["additionalProperties"]["properties"]
    assert {o: strategy[o]["default"] for o in OPTION_DEFAULTS} == OPTION_DEFAULTS
    # and the file itself holds none of them: the catalogue is their one place
    raw = _load(SCHEMA_PATH)["properties"]["strategies"]["additionalProperties"]["properties"]
    assert "enum" not in raw["kind"] and not any("default" in raw[o] for o in OPTION_DEFAULTS)
    # model: any torchvision or "package.module:function" name, so no enum
    model = schema["properties"]["experiments"]["additionalProperties"]["properties"]
    assert "enum" not in model["datasets"]["additionalProperties"]["properties"]["model"]


def test_defaults_come_from_the_schema():
    from alcore.workflow.schema import load_schema, with_defaults

    schema = load_schema()
    blobs = schema["properties"]["experiments"]["additionalProperties"]["properties"]["datasets"]
    blobs = blobs["additionalProperties"]["properties"]
    parsed = parse_config(config())
    settings = parsed.dataset("e", "blobs")
    assert settings.train.batch_size == blobs["batch_size"]["default"]
    assert settings.train.warm_start is blobs["warm_start"]["default"]
    assert settings.feature_dtype == blobs["feature_dtype"]["default"]
    assert parsed.threads == schema["properties"]["threads"]["default"]
    assert parsed.strategies["greedy"].beam_width == 1
    assert parsed.experiments["e"].figures == ()
    # required keys have no default to fall back on; given values are kept
    filled = with_defaults({"strategies": {"s": {"kind": "coreset", "beam_width": 4}}}, schema)
    assert filled["strategies"]["s"] == {
        "kind": "coreset", "beam_width": 4, "weighted": False, "passes": 20
    }  # fmt: skip
    assert "experiments" not in filled
    with pytest.raises(ConfigError, match=r"experiments\.e\.datasets\.blobs: 'lr' is a required"):
        raw = config()
        del raw["experiments"]["e"]["datasets"]["blobs"]["lr"]
        parse_config(raw)


def test_rounds_or_ceiling_exactly_once():
    with pytest.raises(ConfigError, match=r"blobs: give rounds or ceiling, not both"):
        parse_config(config(ceiling=50))
    raw = config()
    del raw["experiments"]["e"]["datasets"]["blobs"]["rounds"]
    with pytest.raises(ConfigError, match=r"blobs: give rounds or ceiling \(the label count"):
        parse_config(raw)


def test_a_dataset_key_must_name_a_dataset_unless_dataset_is_set():
    raw = config()
    datasets = raw["experiments"]["e"]["datasets"]
    datasets["toy"] = datasets.pop("blobs")
    with pytest.raises(ConfigError, match=r"datasets\.toy: unknown dataset 'toy'; use one of"):
        parse_config(raw)
    datasets["toy"]["dataset"] = "blobs"
    assert parse_config(raw).dataset("e", "toy").name == "blobs"


def test_the_settings_defaults_agree_with_the_schema():
    # the typed settings keep defaults for direct construction (tests, notebooks); they must
    # be the schema's, which parse_config applies
    import dataclasses

    from alcore.settings import DatasetSettings, StrategySettings, TrainSettings
    from alcore.workflow.schema import load_schema

    top = load_schema()["properties"]
    strategy = top["strategies"]["additionalProperties"]["properties"]
    dataset = top["experiments"]["additionalProperties"]["properties"]["datasets"]
    dataset = dataset["additionalProperties"]["properties"]
    where = {
        TrainSettings: dataset,
        StrategySettings: strategy,
        DatasetSettings: {**top, **dataset},
    }
    checked = 0
    for settings, properties in where.items():
        for field in dataclasses.fields(settings):
            if field.default is not dataclasses.MISSING:
                assert field.default == properties[field.name]["default"], field.name
                checked += 1
    assert checked == 11  # every defaulted field has a schema default with its name
