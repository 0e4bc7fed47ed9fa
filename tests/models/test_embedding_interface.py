"""Every model: output shapes, ``feature_dim``, and `logits_and_features` == forward/embed."""

from __future__ import annotations

import pytest
import torch

from alcore.models import EmbeddingClassifier, build_model, logits_and_features

CASES = [
    ("mlp", (2,), 64),
    ("small_cnn", (1, 8, 8), 64),
    ("small_cnn", (3, 32, 32), 64),
]


@pytest.mark.parametrize(("name", "shape", "dim"), CASES)
def test_shapes_and_one_pass_agreement(name, shape, dim):
    model = build_model(name, num_classes=5, input_shape=shape, seed=0).eval()
    assert isinstance(model, EmbeddingClassifier)
    assert model.feature_dim == dim
    assert model.num_classes == 5
    assert isinstance(model.head, torch.nn.Linear)
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits, features = logits_and_features(model, x)
        assert logits.shape == (3, 5)
        assert features.shape == (3, dim)
        torch.testing.assert_close(logits, model(x))
        torch.testing.assert_close(features, model.embed(x))
        torch.testing.assert_close(logits, model.head(features))


def test_one_pass_runs_embed_once():
    model = build_model("mlp", num_classes=3, input_shape=(2,), seed=0)
    calls = []
    model.body.register_forward_hook(lambda *args: calls.append(1))
    logits_and_features(model, torch.zeros(4, 2))
    assert len(calls) == 1


def test_small_cnn_refuses_inputs_it_cannot_pool():
    with pytest.raises(ValueError, match=r"small_cnn needs input_shape \(C, H, W\).*got \(2,\)"):
        build_model("small_cnn", num_classes=3, input_shape=(2,), seed=0)


def test_models_without_weights_refuse_pretrained():
    with pytest.raises(ValueError, match="'mlp' has no pretrained weights"):
        build_model("mlp", num_classes=3, input_shape=(2,), seed=0, pretrained=True)


def test_gradients_reach_every_parameter():
    model = build_model("small_cnn", num_classes=4, input_shape=(1, 8, 8), seed=0)
    loss = model(torch.randn(2, 1, 8, 8)).logsumexp(dim=1).sum()
    loss.backward()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters())
