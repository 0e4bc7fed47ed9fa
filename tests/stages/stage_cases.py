"""Settings shared by the stage tests."""

from alcore.settings import DatasetSettings, StrategySettings, TrainSettings


def digits_settings(**train_changes):
    train = {"model": "small_cnn", "epochs_first": 3, "epochs_thereafter": 2, "lr": 0.003}
    train.update(train_changes)
    return DatasetSettings(
        name="digits", train=TrainSettings(**train), initial_size=100, budget=40, rounds=2
    )


def blobs_settings():
    train = TrainSettings(model="mlp", epochs_first=4, epochs_thereafter=2, lr=0.01)
    return DatasetSettings(
        name="blobs",
        train=train,
        initial_size=20,
        budget=15,
        rounds=2,
        options={"n_pool": 300, "n_test": 200},
    )


PWEIGHTED_BEAM = StrategySettings("pweighted_beam4", "coreset", weighted=True, beam_width=4)
RANDOM = StrategySettings("random", "random")
