"""Monte Carlo dropout passes: dropout active, everything else in eval mode, seeded."""

import numpy as np
import pytest
import torch
from torch import nn

from alcore.models import EmbeddingClassifier, build_model
from alcore.stages.mc_dropout import check_dropout, dropout_layers, mc_dropout_probs

CPU = torch.device("cpu")


class NormDropNet(EmbeddingClassifier):
    """Batch norm (whose train mode would change the outputs) and dropout before the head."""

    def __init__(self, width: int, num_classes: int, p: float):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, width), nn.BatchNorm1d(width), nn.ReLU(),
                                  nn.Dropout(p))  # fmt: skip
        self.head = nn.Linear(width, num_classes)

    def embed(self, x):
        return self.body(x)


def trained_norm_net(p, blobs):
    torch.manual_seed(0)
    model = NormDropNet(16, blobs.num_classes, p)
    model.train()
    with torch.no_grad():  # give batch norm running statistics unlike any one batch's
        for _ in range(5):
            model(blobs.pool_inputs[:50] * 3 + 1)
    return model


def test_dropout_layers_and_the_refusal():
    with_dropout = build_model("small_cnn_dropout", num_classes=3, input_shape=(1, 8, 8), seed=0)
    without = build_model("small_cnn", num_classes=3, input_shape=(1, 8, 8), seed=0)
    assert [type(m) for m in dropout_layers(with_dropout)] == [nn.Dropout]
    assert dropout_layers(without) == []
    assert dropout_layers(nn.Sequential(nn.Dropout(0.0))) == []  # p = 0 draws nothing
    check_dropout(with_dropout, "small_cnn_dropout")
    with pytest.raises(ValueError, match="model 'small_cnn' has no dropout layer with p > 0"):
        check_dropout(without, "small_cnn")


def test_passes_are_seeded_distinct_and_leave_the_callers_rng(blobs):
    model = trained_norm_net(0.5, blobs)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    first = mc_dropout_probs(model, blobs, 6, CPU, ("bald", 0, 1), batch_size=128)
    assert torch.equal(torch.rand(3), before)  # the caller's RNG stream is untouched
    assert first.shape == (6, blobs.n_pool, blobs.num_classes) and first.dtype == np.float32
    np.testing.assert_allclose(first.sum(axis=2), 1.0, atol=1e-5)
    again = mc_dropout_probs(model, blobs, 6, CPU, ("bald", 0, 1), batch_size=128)
    other_seed = mc_dropout_probs(model, blobs, 6, CPU, ("bald", 1, 1), batch_size=128)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_seed)
    assert all(not np.array_equal(first[0], first[t]) for t in range(1, 6))  # masks differ
    assert model.training  # the mode it came in with


def test_only_dropout_is_active(blobs):
    # with a vanishing rate the masks keep every unit: the passes are the eval-mode outputs,
    # which they would not be if batch norm ran in train mode (batch statistics)
    model = trained_norm_net(1e-9, blobs)
    running_mean = model.body[1].running_mean.clone()
    passes = mc_dropout_probs(model, blobs, 3, CPU, ("bald", 0, 0), batch_size=64)
    assert torch.equal(model.body[1].running_mean, running_mean)  # statistics not updated
    model.eval()
    with torch.no_grad():
        expected = model(blobs.pool_inputs).softmax(dim=1).numpy()
        model.train()
        train_mode = model(blobs.pool_inputs[:64]).softmax(dim=1).numpy()
    for t in range(3):
        np.testing.assert_allclose(passes[t], expected, atol=1e-6)
    assert np.abs(train_mode - expected[:64]).max() > 1e-3


def test_refusals(blobs):
    model = trained_norm_net(0.5, blobs)
    with pytest.raises(ValueError, match="passes=0 must be an integer >= 1"):
        mc_dropout_probs(model, blobs, 0, CPU, ("bald",))
    plain = build_model("mlp", num_classes=blobs.num_classes, input_shape=(2,), seed=0)
    with pytest.raises(ValueError, match="no dropout layer"):
        mc_dropout_probs(plain, blobs, 2, CPU, ("bald",))
