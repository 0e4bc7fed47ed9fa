"""Typed settings of one experiment's dataset and strategies, as the stages receive them.

The workflow builds these from the validated config; the stages never read the config file.
``fingerprint`` hashes everything that changes a trained model, so a checkpoint written under
other settings is recognised and refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alcore.catalog.strategies import BEAM_WIDTH, KINDS, PASSES, WEIGHTED


@dataclass(frozen=True)
class TrainSettings:
    """How each round's model is trained (paper Section 3, docs/method.md section 8)."""

    model: str  # a model name of one of the forms of alcore.catalog.models
    epochs_first: int  # epochs of round 0 (the paper's "first pass")
    epochs_thereafter: int  # epochs of every later round
    lr: float  # Adam learning rate; other Adam settings are PyTorch's defaults
    batch_size: int = 64
    pretrained: bool = False  # published ImageNet weights (alcore.catalog.models)
    warm_start: bool = True  # start round r from round r-1's weights (optimiser always fresh)
    augment: bool = False  # random crop (padding 4) and horizontal flip of image batches
    precision: str = "fp32"  # "bf16": autocast the forward pass (fp32 keeps exact results)

    def epochs(self, round_: int) -> int:
        return self.epochs_first if round_ == 0 else self.epochs_thereafter


@dataclass(frozen=True)
class DatasetSettings:
    """One dataset of an experiment and its active-learning schedule."""

    name: str  # a key of alcore.catalog.datasets.DATASETS
    train: TrainSettings
    initial_size: int  # random labels before round 0
    budget: int  # labels acquired per round
    rounds: int  # selection rounds; the model is trained rounds + 1 times
    options: Mapping[str, Any] = field(default_factory=dict)  # dataset options
    data_dir: str = "data"
    download: bool = False
    feature_dtype: str = "float32"  # precision of the stored embedding features

    def labels_at(self, round_: int) -> int:
        """Number of labels the model of ``round_`` is trained on."""
        return self.initial_size + round_ * self.budget

    def fingerprint(self) -> str:
        """Short hash of every setting that changes training (not the data location)."""
        content = dataclasses.asdict(self)
        for unrelated_to_training in ("data_dir", "download", "feature_dtype"):
            content.pop(unrelated_to_training)
        from alcore.catalog.models import model_source_hash

        user_code = model_source_hash(self.train.model)  # None but for "package.module:fn"
        if user_code is not None:  # a user's model is code alcore's provenance cannot see
            content["model_source"] = user_code
        return stable_hash(content)


@dataclass(frozen=True)
class StrategySettings:
    """A named acquisition strategy: an alcore.select kind and its options."""

    name: str  # e.g. "pweighted_beam20"
    kind: str  # a key of alcore.catalog.strategies.KINDS
    # the options (the kinds that take each: alcore.catalog.strategies.KINDS)
    weighted: bool = WEIGHTED
    beam_width: int = BEAM_WIDTH
    passes: int = PASSES

    @property
    def needs_embedding(self) -> bool:
        """Reads the round's embedding (features, probabilities; random reads nothing)."""
        return bool(KINDS[self.kind].needs)

    @property
    def needs_model(self) -> bool:
        """Also runs the round's model itself (stochastic forward passes)."""
        return KINDS[self.kind].needs_model


def stable_hash(content: Any) -> str:
    """First 16 hex digits of the SHA-256 of ``content`` as canonical JSON."""
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
