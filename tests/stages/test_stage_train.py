import dataclasses
import logging

import pytest
import torch
from stage_cases import digits_settings

from alcore.data import DatasetBundle
from alcore.files import StageFileError, load_checkpoint
from alcore.stages import initial_labelled, model_from_checkpoint, train_round
from alcore.stages.train import state_path_for


def test_resumed_training_equals_uninterrupted_tensor_for_tensor(digits, tmp_path):
    settings = digits_settings(epochs_first=4)
    labelled = initial_labelled(digits.n_pool, 100, 0)
    whole = tmp_path / "whole.pt"
    train_round(digits, labelled, settings, 0, 0, whole)
    cut = tmp_path / "cut.pt"
    train_round(digits, labelled, settings, 0, 0, cut, stop_after_epoch=2)  # "killed" here
    assert not cut.exists() and state_path_for(cut).exists()
    epochs_run = []
    train_round(digits, labelled, settings, 0, 0, cut, on_epoch=epochs_run.append)
    assert epochs_run == [3, 4]  # resumed: epochs 1-2 were not redone
    a, b = load_checkpoint(whole), load_checkpoint(cut)
    assert a["history"] == b["history"]
    for name, tensor in a["model_state"].items():
        assert torch.equal(tensor, b["model_state"][name]), name
    assert not state_path_for(cut).exists()


def test_a_state_of_other_settings_is_not_resumed(digits, tmp_path):
    labelled = initial_labelled(digits.n_pool, 100, 0)
    out = tmp_path / "m.pt"
    train_round(digits, labelled, digits_settings(lr=0.01), 0, 0, out, stop_after_epoch=1)
    epochs_run = []
    train_round(digits, labelled, digits_settings(), 0, 0, out, on_epoch=epochs_run.append)
    assert epochs_run == [1, 2, 3]


def test_checkpoint_is_self_describing(digits, tmp_path):
    settings = digits_settings(epochs_first=1)
    labelled = initial_labelled(digits.n_pool, 100, 0)
    train_round(digits, labelled, settings, 0, 0, tmp_path / "m.pt")
    model, content = model_from_checkpoint(tmp_path / "m.pt")
    assert content["config_hash"] == settings.fingerprint()
    assert content["n_labels"] == 100 and content["model_args"]["name"] == "small_cnn"
    assert len(content["history"]) == 1 and 0 <= content["history"][0]["accuracy"] <= 1
    logits = model(digits.prepare(digits.test_inputs[:5]))
    assert logits.shape == (5, digits.num_classes)


def test_warm_start_changes_the_start_and_is_checked(digits, tmp_path):
    settings = digits_settings(epochs_first=1, epochs_thereafter=1)
    labelled = initial_labelled(digits.n_pool, 100, 0)
    train_round(digits, labelled, settings, 0, 0, tmp_path / "r0.pt")
    more = initial_labelled(digits.n_pool, 140, 0)
    warm = train_round(digits, more, settings, 0, 1, tmp_path / "r1.pt",
                       warm_start_from=tmp_path / "r0.pt")  # fmt: skip
    cold_settings = digits_settings(epochs_first=1, epochs_thereafter=1, warm_start=False)
    cold = train_round(digits, more, cold_settings, 0, 1, tmp_path / "c1.pt")
    assert warm["history"][0]["loss"] < cold["history"][0]["loss"]
    # checked: a warm round needs the previous checkpoint, of these settings and this seed
    r0 = tmp_path / "r0.pt"
    with pytest.raises(ValueError, match="round 1 warm-starts: pass the previous round's"):
        train_round(digits, more, settings, 0, 1, tmp_path / "none.pt")
    other = digits_settings(epochs_first=1, epochs_thereafter=1, lr=0.01)
    with pytest.raises(StageFileError, match=r"r0\.pt: written for config_hash=") as refused:
        train_round(digits, more, other, 0, 1, tmp_path / "o1.pt", warm_start_from=r0)
    assert f"but this run has config_hash='{other.fingerprint()}'" in str(refused.value)
    with pytest.raises(StageFileError, match="written for seed=0, but this run has seed=1"):
        train_round(digits, more, settings, 1, 1, tmp_path / "s1.pt", warm_start_from=r0)
    assert not {"none.pt", "o1.pt", "s1.pt"} & {p.name for p in tmp_path.iterdir()}


def image_bundles():
    """The same small image set stored as uint8 (normalised per batch) and as float32."""
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(240) % 4
    images = torch.randint(0, 200, (240, 3, 8, 8), generator=g) + 12 * labels.view(-1, 1, 1, 1)
    images = images.clamp(max=255).to(torch.uint8)
    stored = DatasetBundle(
        name="imgs", pool_inputs=images[:200], pool_labels=labels[:200],
        test_inputs=images[200:], test_labels=labels[200:], num_classes=4,
        input_shape=(3, 8, 8), class_names=("a", "b", "c", "d"),
        pixel_mean=(0.45, 0.5, 0.55), pixel_std=(0.25, 0.2, 0.3),
    )  # fmt: skip
    as_float = dataclasses.replace(
        stored, pool_inputs=stored.prepare(stored.pool_inputs),
        test_inputs=stored.prepare(stored.test_inputs), pixel_mean=None, pixel_std=None,
    )  # fmt: skip
    return stored, as_float


def test_per_batch_normalisation_trains_exactly_like_normalising_up_front(tmp_path):
    stored, as_float = image_bundles()
    settings = digits_settings(epochs_first=2)
    labelled = initial_labelled(200, 100, 0)
    a = train_round(stored, labelled, settings, 0, 0, tmp_path / "u8.pt")
    b = train_round(as_float, labelled, settings, 0, 0, tmp_path / "f32.pt")
    assert a["history"] == b["history"]
    assert all(torch.equal(a["model_state"][k], b["model_state"][k]) for k in a["model_state"])


def test_augmented_training_resumes_bit_identical_and_differs_from_plain(tmp_path):
    stored, _ = image_bundles()
    settings = digits_settings(epochs_first=3, augment=True)
    labelled = initial_labelled(200, 100, 0)
    whole = train_round(stored, labelled, settings, 0, 0, tmp_path / "whole.pt")
    train_round(stored, labelled, settings, 0, 0, tmp_path / "cut.pt", stop_after_epoch=1)
    cut = train_round(stored, labelled, settings, 0, 0, tmp_path / "cut.pt")
    assert whole["history"] == cut["history"]
    assert all(torch.equal(whole["model_state"][k], cut["model_state"][k])
               for k in whole["model_state"])  # fmt: skip
    plain = train_round(stored, labelled, digits_settings(epochs_first=3), 0, 0, tmp_path / "p.pt")
    assert plain["history"] != whole["history"]
    assert plain["config_hash"] != whole["config_hash"]  # augmentation is part of the identity


def test_training_logs_progress(digits, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="alcore.stages.train"):
        train_round(digits, initial_labelled(digits.n_pool, 100, 0),
                    digits_settings(epochs_first=2), 0, 0, tmp_path / "m.pt")  # fmt: skip
    lines = [r.getMessage() for r in caplog.records if "images/s" in r.getMessage()]
    assert lines and lines[-1].startswith("train round 0: 200/200 images (100%)")
