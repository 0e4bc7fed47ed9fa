"""`LeNet5`: the channels-last layout survives loading and training, and computes what the same
weights compute in the default layout; pooling before ReLU trains bit for bit as ReLU before
pooling."""

from __future__ import annotations

import torch
from torch import nn

from alcore.models.lenet import LeNet5
from alcore.stages.adam import Adam


def _conv_weights(model: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in model.modules() if isinstance(m, nn.Conv2d)]


def _default_layout_copy(model: LeNet5) -> nn.Module:
    """The same layers and weights, every tensor contiguous in the default (NCHW) layout."""
    body = nn.Sequential(*[layer for layer in LeNet5((1, 28, 28), 10).body])
    head = nn.Linear(84, 10)
    with torch.no_grad():
        for dst, src in zip(
            [*body.parameters(), *head.parameters()],
            [*model.body.parameters(), *model.head.parameters()],
            strict=True,
        ):
            dst.set_(src.detach().contiguous().clone())
    return nn.Sequential(body, head)


def test_the_convolutions_are_channels_last_after_loading_a_default_layout_state():
    torch.manual_seed(0)
    default_state = {k: v.contiguous() for k, v in LeNet5((1, 28, 28), 10).state_dict().items()}
    model = LeNet5((1, 28, 28), 10)
    model.load_state_dict(default_state)
    for weight in _conv_weights(model):
        assert weight.is_contiguous(memory_format=torch.channels_last)
        if weight.shape[1] > 1:  # with one input channel the two layouts coincide
            assert not weight.is_contiguous()


def test_outputs_match_the_default_layout_within_float_rounding():
    torch.manual_seed(1)
    model = LeNet5((1, 28, 28), 10)
    reference = _default_layout_copy(model)
    x = torch.randn(32, 1, 28, 28)
    with torch.no_grad():
        fast = model.head(model.embed(x))
        slow = reference(x)
    assert fast.shape == (32, 10)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)


def test_a_training_step_keeps_the_layout_and_moves_the_weights():
    torch.manual_seed(2)
    model = LeNet5((1, 28, 28), 10)
    before = [w.detach().clone() for w in _conv_weights(model)]
    optimiser = Adam(list(model.parameters()), lr=1e-3)
    loss = nn.functional.cross_entropy(
        model.head(model.embed(torch.randn(8, 1, 28, 28))), torch.arange(8)
    )
    loss.backward()
    optimiser.step()
    for weight, old in zip(_conv_weights(model), before, strict=True):
        assert weight.is_contiguous(memory_format=torch.channels_last)
        assert not torch.equal(weight, old)


def _relu_before_pooling(model: LeNet5) -> LeNet5:
    """A copy of ``model`` whose convolutions are followed by ReLU, then pooling (the textbook
    order), sharing nothing with it."""
    copy = LeNet5((1, 28, 28), 10)
    copy.load_state_dict(model.state_dict())
    conv1, pool1, relu1, conv2, pool2, relu2, *rest = copy.body
    assert isinstance(pool1, nn.MaxPool2d) and isinstance(relu1, nn.ReLU)
    copy.body = nn.Sequential(conv1, relu1, pool1, conv2, relu2, pool2, *rest)
    return copy


def test_pooling_before_relu_trains_bit_for_bit_as_relu_before_pooling():
    torch.manual_seed(3)
    model = LeNet5((1, 28, 28), 10)
    textbook = _relu_before_pooling(model)
    initial = model.body[0].weight.detach().clone()
    optimisers = [Adam(list(m.parameters()), lr=1e-2) for m in (model, textbook)]
    # large inputs: some pooling windows lie entirely below zero, so the gradient's masking
    # by ReLU and its routing by pooling both matter
    batches = [torch.randn(16, 1, 28, 28) * 4 for _ in range(5)]
    for x in batches:
        for m, optimiser in zip((model, textbook), optimisers, strict=True):
            optimiser.zero_grad()
            nn.functional.cross_entropy(m.head(m.embed(x)), torch.arange(16) % 10).backward()
            optimiser.step()
    for mine, theirs in zip(model.parameters(), textbook.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    assert not torch.equal(model.body[0].weight, initial)
