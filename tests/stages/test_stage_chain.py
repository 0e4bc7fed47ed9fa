"""Two chained rounds of train -> embed -> select -> evaluate on digits and a toy set."""

import json
import logging
import math
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from stage_cases import PWEIGHTED_BEAM, RANDOM, blobs_settings, digits_settings

from alcore.files import StageFileError, load_checkpoint
from alcore.select import coreset_radii
from alcore.stages import (
    embed_round,
    evaluate_round,
    initial_labelled,
    read_labelled,
    select_round,
    train_round,
    write_labelled,
)
from alcore.stages.embed import Embedding
from alcore.stages.evaluate import stored_radii
from alcore.stages.labelled import read_rounds_added


def run_rounds(bundle, settings, strategy, seed, folder, rounds=2):
    """Chain the stages as the workflow does; return the per-round file paths."""
    first = initial_labelled(bundle.n_pool, settings.initial_size, seed)
    labelled_path = folder / "round0" / "labelled.parquet"
    write_labelled(first, torch.full_like(first, -1), bundle.n_pool, labelled_path)
    paths = []
    previous = None
    for r in range(rounds):
        here = folder / f"round{r}"
        labelled, _ = read_labelled(labelled_path, bundle.n_pool)
        model = here / "model.pt"
        train_round(bundle, labelled, settings, seed, r, model, warm_start_from=previous)
        embedding = here / "embedding.parquet"
        embed_round(bundle, model, labelled, embedding)
        metrics = here / "metrics.parquet"
        evaluate_round(
            metrics, labelled=labelled, dataset=settings.name, strategy=strategy.name,
            seed=seed, round_=r, embedding=embedding,
        )  # fmt: skip
        acquisitions = here / "acquisitions.parquet"
        next_labelled = folder / f"round{r + 1}" / "labelled.parquet"
        select_round(
            labelled_path, embedding, strategy, settings.budget, dataset=settings.name,
            seed=seed, round_=r, acquisitions_out=acquisitions, labelled_out=next_labelled,
        )  # fmt: skip
        paths.append({"labelled": labelled_path, "model": model, "embedding": embedding,
                      "metrics": metrics, "acquisitions": acquisitions})  # fmt: skip
        labelled_path, previous = next_labelled, model
    paths.append({"labelled": labelled_path})
    return paths


@pytest.mark.parametrize("which", ["digits", "blobs"])
def test_two_rounds_keep_the_contracts(which, digits, blobs, tmp_path):
    bundle, settings = (
        (digits, digits_settings()) if which == "digits" else (blobs, blobs_settings())
    )
    paths = run_rounds(bundle, settings, PWEIGHTED_BEAM, seed=0, folder=tmp_path)
    sizes = [len(read_labelled(p["labelled"])[0]) for p in paths]
    assert sizes == [settings.initial_size + r * settings.budget for r in range(3)]
    final, n_pool = read_labelled(paths[-1]["labelled"])
    assert n_pool == bundle.n_pool and len(set(final.tolist())) == len(final)
    assert read_rounds_added(paths[-1]["labelled"]).tolist().count(1) == settings.budget
    for r, p in enumerate(paths[:-1]):
        picks = pq.read_table(p["acquisitions"]).to_pandas()
        chosen = picks[picks.beam_rank == 1].sort_values("pick_order")
        assert len(chosen) == settings.budget
        assert set(picks.beam_rank) == {1, 2, 3, 4}
        before, _ = read_labelled(p["labelled"])
        assert not set(chosen["index"]) & set(before.tolist())  # never re-picks a label
        assert chosen.radius_after.iloc[0] <= chosen.radius_before.iloc[0]
        embedding = pq.read_table(p["embedding"]).to_pandas()
        pool = embedding[embedding.split == "pool"]
        assert len(pool) == bundle.n_pool and int(pool.labelled.sum()) == len(before)
        assert len(embedding[embedding.split == "test"]) == bundle.n_test
        assert np.allclose([sum(v) for v in embedding.probs], 1.0, atol=1e-5)
        metrics = pq.read_table(p["metrics"]).to_pandas()
        assert len(metrics) == 1
        row = metrics.iloc[0]
        assert row["round"] == r and row.n_labels == len(before)
        assert 0.0 <= row.test_accuracy <= 1.0 and row.test_loss > 0
        assert len(row.per_class_accuracy) == bundle.num_classes
        assert not math.isnan(row.radius)
        # embed measured the radii that select starts from: the same values, computed once each
        assert row.radius == chosen.radius_before.iloc[0]
        assert row.weighted_radius == chosen.weighted_radius_before.iloc[0]


@pytest.mark.slow
def test_same_seed_same_results_other_seed_other_start(digits, tmp_path):
    settings = digits_settings(epochs_first=2, epochs_thereafter=1)
    one = run_rounds(digits, settings, PWEIGHTED_BEAM, 3, tmp_path / "a")
    two = run_rounds(digits, settings, PWEIGHTED_BEAM, 3, tmp_path / "b")
    for a, b in zip(one, two, strict=True):
        for name in a:
            if name == "model":
                state_a, state_b = (load_checkpoint(p)["model_state"] for p in (a[name], b[name]))
                assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
            else:
                # assert_equal treats NaN as equal to NaN (unpicked beams have NaN scores)
                np.testing.assert_equal(
                    pq.read_table(a[name]).to_pydict(), pq.read_table(b[name]).to_pydict()
                )
    first = initial_labelled(digits.n_pool, 100, 3)
    other = initial_labelled(digits.n_pool, 100, 4)
    assert not torch.equal(first, other)


def test_random_strategy_needs_no_embedding(blobs, tmp_path):
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    write_labelled(labelled, torch.full_like(labelled, -1), blobs.n_pool, tmp_path / "l.parquet")
    kwargs = {"dataset": "blobs", "seed": 0, "round_": 0}
    select_round(tmp_path / "l.parquet", None, RANDOM, 10, acquisitions_out=tmp_path / "a1.parquet",
                 labelled_out=tmp_path / "n1.parquet", **kwargs)  # fmt: skip
    select_round(tmp_path / "l.parquet", None, RANDOM, 10, acquisitions_out=tmp_path / "a2.parquet",
                 labelled_out=tmp_path / "n2.parquet", **kwargs)  # fmt: skip
    np.testing.assert_equal(
        pq.read_table(tmp_path / "a1.parquet").to_pydict(),
        pq.read_table(tmp_path / "a2.parquet").to_pydict(),
    )
    with pytest.raises(ValueError, match="needs an embedding file"):
        select_round(tmp_path / "l.parquet", None, PWEIGHTED_BEAM, 10,
                     acquisitions_out=tmp_path / "x.parquet", labelled_out=tmp_path / "y.parquet",
                     **kwargs)  # fmt: skip


def test_evaluate_without_embedding_runs_the_model(blobs, tmp_path):
    settings = blobs_settings()
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    train_round(blobs, labelled, settings, 0, 0, tmp_path / "m.pt")
    row = evaluate_round(tmp_path / "e.parquet", labelled=labelled, bundle=blobs,
                         checkpoint=tmp_path / "m.pt", dataset="blobs", strategy="random",
                         seed=0, round_=0)  # fmt: skip
    assert math.isnan(row["radius"]) and 0 <= row["test_accuracy"] <= 1
    # the same model's embedding gives the same test metrics without running the model
    embed_round(blobs, tmp_path / "m.pt", labelled, tmp_path / "emb.parquet")
    (tmp_path / "m.pt").unlink()  # evaluate from an embedding needs no checkpoint
    from_embedding = evaluate_round(tmp_path / "e2.parquet", labelled=labelled, dataset="blobs",
                                    strategy="random", seed=0, round_=0,
                                    embedding=tmp_path / "emb.parquet")  # fmt: skip
    for key in ("test_accuracy", "test_loss", "mean_doubt", "n_labels"):
        assert from_embedding[key] == pytest.approx(row[key], rel=1e-6)
    assert not math.isnan(from_embedding["radius"])


def test_evaluate_from_an_embedding_imports_no_torch(blobs, tmp_path):
    # torch is 2 s of every job's start-up; most evaluate jobs read an embedding's metadata only
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    train_round(blobs, labelled, blobs_settings(), 0, 0, tmp_path / "m.pt")
    embed_round(blobs, tmp_path / "m.pt", labelled, tmp_path / "emb.parquet")
    write_labelled(labelled, labelled * 0 - 1, blobs.n_pool, tmp_path / "l.parquet")
    code = (
        "import sys, json; from alcore.stages import evaluate_round, read_labelled_indices; "
        f"labelled, _ = read_labelled_indices({str(tmp_path / 'l.parquet')!r}); "
        f"row = evaluate_round({str(tmp_path / 'e.parquet')!r}, labelled=labelled, "
        "dataset='blobs', strategy='greedy', seed=0, round_=0, "
        f"embedding={str(tmp_path / 'emb.parquet')!r}); "
        "print(json.dumps([row['test_accuracy'], 'torch' in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    accuracy, imported_torch = json.loads(done.stdout)
    assert not imported_torch
    model_row = evaluate_round(tmp_path / "e2.parquet", labelled=labelled, bundle=blobs,
                               checkpoint=tmp_path / "m.pt", dataset="blobs", strategy="greedy",
                               seed=0, round_=0)  # fmt: skip
    assert accuracy == model_row["test_accuracy"]


def test_evaluate_refuses_an_embedding_of_another_labelled_set(blobs, tmp_path):
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    train_round(blobs, labelled, blobs_settings(), 0, 0, tmp_path / "m.pt")
    embed_round(blobs, tmp_path / "m.pt", labelled, tmp_path / "emb.parquet")
    with pytest.raises(StageFileError, match="another labelled set"):
        evaluate_round(tmp_path / "e.parquet", labelled=initial_labelled(blobs.n_pool, 20, 1),
                       dataset="blobs", strategy="greedy", seed=0, round_=0,
                       embedding=tmp_path / "emb.parquet")  # fmt: skip


def test_float16_features_are_stored_and_selected_on_as_stored(digits, tmp_path):
    labelled = initial_labelled(digits.n_pool, 60, 0)
    train_round(digits, labelled, digits_settings(epochs_first=1), 0, 0, tmp_path / "m.pt")
    embed_round(digits, tmp_path / "m.pt", labelled, tmp_path / "e32.parquet")
    embed_round(digits, tmp_path / "m.pt", labelled, tmp_path / "e16.parquet",
                feature_dtype="float16")  # fmt: skip
    full, half = (Embedding(tmp_path / f"e{b}.parquet") for b in (32, 16))
    assert pq.read_schema(tmp_path / "e16.parquet").field("features").type.value_type == "halffloat"
    # the stored values are the float32 features rounded to half precision, nothing else
    assert half.pool_features.dtype == torch.float16
    assert torch.equal(half.pool_features, full.pool_features.half())
    assert torch.equal(half.pool_probs, full.pool_probs)
    # the radii in the metadata are those of the stored (rounded) features
    mask = torch.zeros(digits.n_pool, dtype=torch.bool)
    mask[labelled] = True
    radius = stored_radii(half.metadata, tmp_path / "e16.parquet")[0]
    assert radius == coreset_radii(half.pool_features, mask).radius
    with pytest.raises(ValueError, match="feature_dtype='float64'"):
        embed_round(digits, tmp_path / "m.pt", labelled, tmp_path / "x.parquet",
                    feature_dtype="float64")  # fmt: skip


def test_select_refuses_an_embedding_of_another_labelled_set(blobs, tmp_path):
    settings = blobs_settings()
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    train_round(blobs, labelled, settings, 0, 0, tmp_path / "m.pt")
    embed_round(blobs, tmp_path / "m.pt", labelled, tmp_path / "emb.parquet")
    other = initial_labelled(blobs.n_pool, 20, 1)
    write_labelled(other, torch.full_like(other, -1), blobs.n_pool, tmp_path / "l.parquet")
    with pytest.raises(StageFileError, match="another labelled set"):
        select_round(tmp_path / "l.parquet", tmp_path / "emb.parquet", PWEIGHTED_BEAM, 5,
                     dataset="blobs", seed=0, round_=0, acquisitions_out=tmp_path / "a.parquet",
                     labelled_out=tmp_path / "n.parquet")  # fmt: skip


def test_select_logs_the_progress_of_both_engine_phases(blobs, tmp_path, caplog):
    labelled = initial_labelled(blobs.n_pool, 20, 0)
    train_round(blobs, labelled, blobs_settings(), 0, 0, tmp_path / "m.pt")
    embed_round(blobs, tmp_path / "m.pt", labelled, tmp_path / "emb.parquet")
    write_labelled(labelled, torch.full_like(labelled, -1), blobs.n_pool, tmp_path / "l.parquet")
    with caplog.at_level(logging.INFO, logger="alcore.stages.select"):
        select_round(tmp_path / "l.parquet", tmp_path / "emb.parquet", PWEIGHTED_BEAM, 12,
                     dataset="blobs", seed=0, round_=0, acquisitions_out=tmp_path / "a.parquet",
                     labelled_out=tmp_path / "n.parquet")  # fmt: skip
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("select pweighted_beam4 round 0, picks: 12/12 picks (100%)")
               for line in lines)  # fmt: skip
    assert any(", min-distance: " in line and "(100%)" in line for line in lines)
