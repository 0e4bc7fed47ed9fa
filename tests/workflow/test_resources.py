"""mem_mb per job: grows with what the stage holds, never below what it measurably needs."""

from __future__ import annotations

import dataclasses

import pytest

from alcore.settings import DatasetSettings, TrainSettings
from alcore.workflow.resources import BASE_MB, STAGES, data_facts, memory_mb


def settings(name="cifar10", model="vgg16", **changes):
    train = TrainSettings(model=model, epochs_first=1, epochs_thereafter=1, lr=0.01)
    return dataclasses.replace(
        DatasetSettings(name=name, train=train, initial_size=10, budget=10, rounds=1), **changes
    )


def test_every_stage_asks_at_least_the_interpreter_in_whole_hundreds():
    for stage in STAGES:
        mem = memory_mb(stage, settings())
        assert mem >= BASE_MB and mem % 100 == 0


def test_larger_datasets_and_wider_features_ask_more():
    for stage in ("train", "embed", "select"):
        assert memory_mb(stage, settings("svhn")) > memory_mb(stage, settings("cifar10"))
    assert memory_mb("embed", settings(model="small_cnn")) < memory_mb("embed", settings())
    # half-precision features: smaller embedding files and reads
    half = settings(feature_dtype="float16")
    assert memory_mb("select", half) < memory_mb("select", settings())
    # the initial labels need no data, no model
    assert memory_mb("initial", settings("svhn")) == memory_mb("initial", settings("digits"))


def test_vgg16_training_asks_for_weights_gradients_and_adam_moments():
    # 134 M parameters x 4 bytes x (weights, gradients, two moments) = 2.1 GB at least
    assert memory_mb("train", settings()) >= 2148 + BASE_MB


def test_image_folder_size_comes_from_the_files(tmp_path):
    for k in range(7):
        (tmp_path / "f" / "train" / "a").mkdir(parents=True, exist_ok=True)
        (tmp_path / "f" / "train" / "a" / f"{k}.png").write_bytes(b"")
    found = data_facts(settings("imagefolder", options={"root": "f", "image_size": 16},
                               data_dir=str(tmp_path)))  # fmt: skip
    assert (found.n_pool + found.n_test, found.item_bytes) == (7, 3 * 16 * 16)


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'plot'"):
        memory_mb("plot", settings())
