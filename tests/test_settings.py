"""Settings fingerprints: what changes a trained model changes the fingerprint."""

import dataclasses

from alcore.settings import DatasetSettings, TrainSettings


def settings(model):
    train = TrainSettings(model=model, epochs_first=2, epochs_thereafter=1, lr=0.01)
    return DatasetSettings(name="digits", train=train, initial_size=10, budget=5, rounds=1)


def test_a_user_models_source_is_part_of_the_fingerprint(tmp_path, monkeypatch):
    package = tmp_path / "mynets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "heads.py"
    module.write_text("def build(num_classes, input_shape):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    user = settings("mynets.heads:build")
    first = user.fingerprint()
    assert user.fingerprint() == first  # stable
    module.write_text("def build(num_classes, input_shape):\n    return 1\n")
    assert user.fingerprint() != first  # an edit of the user's code retrains
    # builtin names keep the fingerprint they had (no source entry): checkpoints stay valid
    builtin = settings("small_cnn")
    content = dataclasses.asdict(builtin)
    for key in ("data_dir", "download", "feature_dtype"):
        content.pop(key)
    from alcore.settings import stable_hash

    assert builtin.fingerprint() == stable_hash(content)
