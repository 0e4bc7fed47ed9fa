"""The select stage with a strategy that runs the round's model: bald's dropout passes."""

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from stage_cases import digits_settings

from alcore.files import StageFileError
from alcore.select.bald import bald_scores
from alcore.settings import StrategySettings
from alcore.stages import (
    embed_round,
    initial_labelled,
    read_labelled,
    select_round,
    train_round,
    write_labelled,
)
from alcore.stages.mc_dropout import mc_dropout_probs
from alcore.stages.train import model_from_checkpoint

BALD = StrategySettings("bald", "bald", passes=5)


@pytest.fixture(scope="module")
def round0(digits, tmp_path_factory):
    """Round 0 of seed 3 on digits with small_cnn_dropout: labelled set, model, embedding."""
    folder = tmp_path_factory.mktemp("bald")
    settings = digits_settings(model="small_cnn_dropout", epochs_first=2)
    first = initial_labelled(digits.n_pool, settings.initial_size, 3)
    labelled_path = folder / "labelled.parquet"
    write_labelled(first, torch.full_like(first, -1), digits.n_pool, labelled_path)
    labelled, _ = read_labelled(labelled_path, digits.n_pool)
    train_round(digits, labelled, settings, 3, 0, folder / "model.pt")
    embed_round(digits, folder / "model.pt", labelled, folder / "embedding.parquet")
    return folder, settings


def run_select(folder, settings, digits, *, model="model.pt", round_=0, out="a"):
    select_round(
        folder / "labelled.parquet", folder / "embedding.parquet", BALD, settings.budget,
        dataset="digits", seed=3, round_=round_, acquisitions_out=folder / out / "acq.parquet",
        labelled_out=folder / out / "next.parquet", model_path=folder / model, bundle=digits,
    )  # fmt: skip
    return pq.read_table(folder / out / "acq.parquet").to_pandas()


def test_bald_picks_the_largest_mutual_information(round0, digits):
    folder, settings = round0
    table = run_select(folder, settings, digits)
    model, _ = model_from_checkpoint(folder / "model.pt")
    passes = torch.from_numpy(
        mc_dropout_probs(model, digits, 5, torch.device("cpu"), ("bald", 3, 0))
    )
    scores = bald_scores(passes).numpy()
    labelled, _ = read_labelled(folder / "labelled.parquet", digits.n_pool)
    scores[labelled.numpy()] = -np.inf
    expected = np.lexsort((np.arange(len(scores)), -scores))[: settings.budget]
    assert table["index"].tolist() == expected.tolist()
    np.testing.assert_allclose(table["score"], scores[expected], rtol=1e-12)
    assert (table["score"] > 0).all()  # dropout passes disagree somewhere
    again = run_select(folder, settings, digits, out="b")  # seeded passes: the same picks
    assert again["index"].tolist() == table["index"].tolist()


def test_refuses_another_rounds_model_and_models_without_dropout(round0, digits, tmp_path):
    folder, settings = round0
    with pytest.raises(StageFileError, match="written for round=0, but this run has round=1"):
        run_select(folder, settings, digits, round_=1, out="c")
    plain = digits_settings(model="small_cnn", epochs_first=1)
    labelled, _ = read_labelled(folder / "labelled.parquet", digits.n_pool)
    train_round(digits, labelled, plain, 3, 0, folder / "plain.pt")
    with pytest.raises(ValueError, match="no dropout layer"):
        run_select(folder, settings, digits, model="plain.pt", out="d")
    with pytest.raises(ValueError, match="pass model_path and bundle"):
        select_round(
            folder / "labelled.parquet", folder / "embedding.parquet", BALD, 5,
            dataset="digits", seed=3, round_=0, acquisitions_out=tmp_path / "a.parquet",
            labelled_out=tmp_path / "n.parquet",
        )  # fmt: skip
    assert not (tmp_path / "a.parquet").exists()
