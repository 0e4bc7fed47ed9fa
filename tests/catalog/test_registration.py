"""A new dataset, model and strategy kind, each registered in its one place (a catalogue
entry naming its code), are known to every consumer: the schema, the config checks, the DAG,
the jobs' memory, the pre-job checks, loading, selection and the ``alcore`` listings.

The fixture is what docs/contributing.md tells a contributor to write.
"""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch

from alcore.catalog import datasets, models, strategies
from alcore.catalog.datasets import Dataset, Facts
from alcore.catalog.models import Builtin, Size
from alcore.catalog.strategies import FEATURES, Kind
from alcore.cli import main
from alcore.data import load_dataset
from alcore.select import Options, Pool, select
from alcore.select.strategies import strategy_of
from alcore.workflow.config import ConfigError, parse_config
from alcore.workflow.dag import Dag
from alcore.workflow.preflight import check_inputs
from alcore.workflow.resources import memory_mb
from alcore.workflow.schema import check_schema, enum_of, load_schema

# the contributor's code: a loader, a model and a strategy in a module of their own
CODE = '''
import torch
from torch import nn

from alcore.data.bundle import DatasetBundle
from alcore.models.base import EmbeddingClassifier
from alcore.select.pool import Selection, with_diagnostics


def load_rings(name, *, data_dir, download, options):
    g = torch.Generator().manual_seed(int(options["data_seed"]))
    n = int(options["n_pool"])
    radius = torch.arange(n + 50) % 2 + 1.0
    angle = torch.rand(n + 50, generator=g) * 6.283
    points = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    labels = (radius > 1.5).long()
    return DatasetBundle("rings", points[:n], labels[:n], points[n:], labels[n:], 2, (2,),
                         ("inner", "outer"))


class Tiny(EmbeddingClassifier):
    def __init__(self, input_shape, num_classes, width=3):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(2, width), nn.ReLU())
        self.head = nn.Linear(width, num_classes)

    def embed(self, x):
        return self.body(x)


def farthest_first(pool, budget, options):
    """The unlabelled points farthest from the origin."""
    norms = pool.features.norm(dim=1).masked_fill(pool.labelled, -1.0)
    picks = norms.argsort(descending=True, stable=True)[:budget]
    return with_diagnostics(pool, picks, norms[picks].double(), options.progress)
'''


@pytest.fixture
def registered(tmp_path, monkeypatch):
    (tmp_path / "newbits.py").write_text(textwrap.dedent(CODE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "newbits", raising=False)
    monkeypatch.setitem(
        datasets.DATASETS,
        "rings",
        Dataset(
            "two rings (a contributor's dataset)",
            "newbits:load_rings",
            {"n_pool": 200, "data_seed": 0},
            images=False,
            facts=Facts(200, 50, (2,), 8),
        ),
    )
    monkeypatch.setitem(
        models.BUILTINS,
        "tiny",
        Builtin("a contributor's tiny MLP", "newbits:Tiny", Size(9, 3, 1, (2,)), {"width": 3}),
    )
    monkeypatch.setitem(
        strategies.KINDS,
        "farthest",
        Kind(
            frozenset({FEATURES}),
            False,
            "farthest from the origin",
            "a test",
            "newbits:farthest_first",
        ),
    )
    strategy_of.cache_clear()
    yield
    strategy_of.cache_clear()


def config(strategy=None):
    return {
        "results": "out",
        "strategies": {"far": strategy or {"kind": "farthest"}, "random": {"kind": "random"}},
        "experiments": {
            "e": {
                "datasets": {"rings": {"model": "tiny", "initial": 10, "budget": 20, "rounds": 2,
                                       "epochs": {"first": 1, "thereafter": 1}, "lr": 0.01}},
                "strategies": ["far", "random"],
                "seeds": [0],
                "figures": [],
            }
        },
    }  # fmt: skip


def test_the_schema_knows_them(registered):
    schema = load_schema()
    assert "rings" in enum_of(schema, "experiments", "*", "datasets", "*", "dataset")
    assert "farthest" in enum_of(schema, "strategies", "*", "kind")
    check_schema(config())  # no error


def test_the_schema_does_not_know_them_unregistered():
    schema = load_schema()
    assert "rings" not in enum_of(schema, "experiments", "*", "datasets", "*", "dataset")
    with pytest.raises(ConfigError, match=r"strategies\.far\.kind: 'farthest' is not one of"):
        check_schema(config())


def test_the_config_checks_and_the_dry_run_know_them(registered):
    parsed = parse_config(config())
    settings = parsed.dataset("e", "rings")
    assert settings.name == "rings" and settings.train.model == "tiny"
    dag = Dag(parsed)
    # features only: the arm is embedded, its select reads the embedding and not the model
    assert dag.needs_embedding("e", "far")
    assert dag.select_embedding("e", "rings", "far", 0, 1).endswith(
        "far/seed0/round1/embedding.parquet"
    )
    assert dag.select_model("e", "rings", "far", 0, 1) == []
    assert "out/e/rings/far/seed0/round2/metrics.parquet" in dag.experiment_metrics("e")
    # the pool size the entry gives bounds the schedule (10 + 10 x 20 > 200)
    too_long = config()
    too_long["experiments"]["e"]["datasets"]["rings"]["rounds"] = 10
    with pytest.raises(ConfigError, match="exceed the 200 items of the rings pool"):
        parse_config(too_long)
    # the options a kind takes: none here
    with pytest.raises(
        ConfigError, match=r"strategies\.far: weighted and beam_width apply to kind: coreset only"
    ):
        parse_config(config({"kind": "farthest", "weighted": True}))


def test_resources_read_the_entries(registered):
    settings = parse_config(config()).dataset("e", "rings")
    # select: the feature column (250 items x F=3 x 4 bytes) and the engine's copy (200 x 3 x 4)
    peak = 250 * 3 * 4 + 200 * 3 * 4
    assert memory_mb("select", settings) == -(-(700 + 1.3 * peak / (1 << 20)) // 100) * 100
    # train: the data (250 x 8 bytes), 4 x the 9 weights' bytes, the batch's 1 MB
    peak = 250 * 8 + 4 * 9 * 4 + (1 << 20)
    assert memory_mb("train", settings) == -(-(700 + 1.3 * peak / (1 << 20)) // 100) * 100


def test_preflight_loading_and_selection_know_them(registered):
    check_inputs(parse_config(config()))  # the model builds on the entry's shape: no error
    bundle = load_dataset("rings", data_dir="unused")
    assert bundle.n_pool == 200 and bundle.input_shape == (2,)
    labelled = torch.zeros(200, dtype=torch.bool)
    labelled[:5] = True
    result = select("farthest", Pool(labelled, bundle.pool_inputs), 4, Options())
    norms = bundle.pool_inputs.norm(dim=1)
    norms[:5] = -1
    assert result.picks.tolist() == norms.argsort(descending=True, stable=True)[:4].tolist()
    assert result.after is not None and result.after.radius <= result.before.radius


def test_the_listings_show_them(registered, capsys):
    for command, entry, summary in (
        ("datasets", "rings", "two rings (a contributor's dataset)"),
        ("models", "tiny", "a contributor's tiny MLP"),
        ("strategies", "farthest", "farthest from the origin"),
    ):
        assert main([command]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert any(line.split()[:1] == [entry] and summary in line for line in lines), command
