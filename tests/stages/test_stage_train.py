import torch
from stage_cases import digits_settings

from alcore.files import load_checkpoint
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
    logits = model(digits.test_inputs[:5])
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
