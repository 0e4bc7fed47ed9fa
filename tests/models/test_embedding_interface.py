"""Every model: output shapes, ``feature_dim``, and `logits_and_features` against the forward pass
(the head's input and output, caught by a hook) and against the architecture computed by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alcore.models import EmbeddingClassifier, build_model, logits_and_features

CASES = [
    ("mlp", (2,), 64),
    ("small_cnn", (1, 8, 8), 64),
    ("small_cnn", (3, 32, 32), 64),
]


def by_hand(model, x):
    """Features of the documented architectures from their parameters, with torch.nn.functional:
    mlp: Linear-ReLU blocks; small_cnn: conv32-conv32-pool-conv64-pool-avgpool(2x2)-linear-ReLU.
    """
    if model.__class__.__name__ == "MLP":
        h = x.flatten(1)
        for layer in (m for m in model.body if isinstance(m, nn.Linear)):
            h = F.relu(F.linear(h, layer.weight, layer.bias))
        return h
    c1, c2, c3 = (m for m in model.conv if isinstance(m, nn.Conv2d))
    h = F.relu(F.conv2d(x, c1.weight, c1.bias, padding=1))
    h = F.max_pool2d(F.relu(F.conv2d(h, c2.weight, c2.bias, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, c3.weight, c3.bias, padding=1)), 2)
    h = F.adaptive_avg_pool2d(h, 2).flatten(1)
    (hidden,) = (m for m in model.hidden if isinstance(m, nn.Linear))
    return F.relu(F.linear(h, hidden.weight, hidden.bias))


@pytest.mark.parametrize(("name", "shape", "dim"), CASES)
def test_shapes_and_one_pass_agreement(name, shape, dim):
    model = build_model(name, num_classes=5, input_shape=shape, seed=0).eval()
    assert isinstance(model, EmbeddingClassifier)
    assert model.feature_dim == dim
    assert model.num_classes == 5
    assert isinstance(model.head, torch.nn.Linear)
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(1))
    seen = []  # the head's (input, output) in an ordinary forward pass
    model.head.register_forward_hook(lambda _, inputs, output: seen.append((inputs[0], output)))
    with torch.no_grad():
        logits, features = logits_and_features(model, x)
        seen.clear()
        model(x)
        ((head_input, head_output),) = seen
        expected = by_hand(model, x)
    assert logits.shape == (3, 5)
    assert features.shape == (3, dim)
    assert bool((features > 0).any()), "all-zero features would agree with anything"
    torch.testing.assert_close(features, expected)  # the documented architecture
    torch.testing.assert_close(features, head_input)  # features: what the head reads
    torch.testing.assert_close(logits, head_output)  # logits: what forward returns
    head = model.head
    torch.testing.assert_close(logits, expected @ head.weight.T + head.bias)


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
