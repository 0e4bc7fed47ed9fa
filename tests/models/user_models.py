"""User models for the tests of ``model: "user_models:<function>"`` (not a test module).

The tests put this folder on ``sys.path``; each function is called as
``function(num_classes=C, input_shape=shape)``.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from alcore.models import EmbeddingClassifier

NOT_CALLABLE = 3


def mlp(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    """Features = the 16-d input of the last Linear (the last-Linear contract)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(math.prod(input_shape), 16),
        nn.ReLU(),
        nn.Linear(16, num_classes),
    )


class _ConvNet(nn.Module):
    def __init__(self, num_classes: int, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(32, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool(self.conv(x).relu()).flatten(1)  # (B, 32)
        out: Tensor = self.classifier(x)
        return out


def conv_net(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    """A conv net whose head sits in a Sequential after dropout: features (B, 32)."""
    return _ConvNet(num_classes, input_shape[0])


class _Interface(nn.Module):
    """alcore's interface without deriving from EmbeddingClassifier."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(dim, 12), nn.Tanh())
        self.head = nn.Linear(12, num_classes)
        self.aux = nn.Linear(3, 3)  # registered last, unused: fine for the interface

    def embed(self, x: Tensor) -> Tensor:
        out: Tensor = self.body(x)
        return out

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.head(self.embed(x))
        return out


def interface(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return _Interface(num_classes, math.prod(input_shape))


class _Subclass(EmbeddingClassifier):
    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(dim, 6))
        self.head = nn.Linear(6, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        out: Tensor = self.body(x)
        return out


def subclass(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return _Subclass(num_classes, math.prod(input_shape))


class _ForwardNotHeadOfEmbed(_Interface):
    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.head(self.embed(x)) * 2
        return out


def forward_not_head_of_embed(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return _ForwardNotHeadOfEmbed(num_classes, math.prod(input_shape))


class _EmbedNot2D(_Interface):
    def embed(self, x: Tensor) -> Tensor:
        return self.body(x).unsqueeze(1)  # (B, 1, 12)


def embed_not_2d(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return _EmbedNot2D(num_classes, math.prod(input_shape))


def softmax_after(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes), nn.Softmax(dim=1)
    )


def no_linear(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return nn.Sequential(nn.Conv2d(input_shape[0], num_classes, 1), nn.AdaptiveAvgPool2d(1))


def wrong_classes(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes + 1))


class _UnusedLast(nn.Module):
    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, num_classes)
        self.spare = nn.Linear(num_classes, num_classes)  # defined last, never called

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.fc(x.flatten(1))
        return out


def unused_last_linear(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    return _UnusedLast(num_classes, math.prod(input_shape))


def needs_flat(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    """Fails in forward for image input: no Flatten before the Linear."""
    return nn.Sequential(nn.Linear(math.prod(input_shape), num_classes))


def unflattened(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    """Runs, but the final Linear acts on the last axis: features (B, C, H, W), not (B, F)."""
    return nn.Sequential(nn.Linear(input_shape[-1], 4), nn.ReLU(), nn.Linear(4, num_classes))


def no_keywords(n_classes: int) -> nn.Module:
    return nn.Linear(2, n_classes)


def not_a_module(num_classes: int, input_shape: tuple[int, ...]) -> dict[str, int]:
    return {"num_classes": num_classes}


def raises(num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    raise RuntimeError("this model is broken")
