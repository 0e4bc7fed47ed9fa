"""The select stage on hand-written embedding and labelled files: right picks, or an error
that names the file."""

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from alcore.files import StageFileError, write_table
from alcore.files.parquet import vector_column
from alcore.select import coreset, doubt_from_probs, entropy
from alcore.settings import StrategySettings
from alcore.stages import read_labelled, select_round, write_labelled
from alcore.stages.schemas import EMBEDDING

N_POOL, N_TEST, FEATURES, CLASSES = 120, 3, 8, 4
PWEIGHTED_BEAM3 = StrategySettings("pweighted_beam3", "coreset", weighted=True, beam_width=3)
STRATEGIES = [
    PWEIGHTED_BEAM3,
    StrategySettings("greedy", "coreset"),
    StrategySettings("entropy", "entropy"),
    StrategySettings("random", "random"),
]


def pool_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, F) float32 features, (N, C) float32 softmax, (L,) int64 sorted labelled indices."""
    g = torch.Generator().manual_seed(seed)
    features = (
        torch.randn(N_POOL, FEATURES, generator=g)
        + 5 * torch.randn(4, FEATURES, generator=g)[torch.randint(4, (N_POOL,), generator=g)]
    )
    probs = (2 * torch.randn(N_POOL, CLASSES, generator=g)).softmax(dim=1)
    labelled = torch.randperm(N_POOL, generator=g)[:10].sort().values
    return features.numpy(), probs.numpy(), labelled.numpy()


def write_embedding(path, features: np.ndarray, probs: np.ndarray, labelled: np.ndarray) -> None:
    """An embedding file as embed writes it: pool rows, then a few test rows."""
    is_labelled = np.zeros(N_POOL + N_TEST, dtype=bool)
    is_labelled[labelled] = True
    test_probs = np.full((N_TEST, CLASSES), 1.0 / CLASSES, dtype=np.float32)
    all_probs = np.concatenate([probs, test_probs]).astype(np.float32)
    columns = {
        "split": ["pool"] * N_POOL + ["test"] * N_TEST,
        "index": np.concatenate([np.arange(N_POOL), np.arange(N_TEST)]),
        "label": np.zeros(N_POOL + N_TEST, dtype=np.int64),
        "labelled": is_labelled,
        "probs": vector_column(all_probs),
        "doubt": np.zeros(N_POOL + N_TEST, dtype=np.float32),  # select recomputes it
        "features": vector_column(np.concatenate([features, np.zeros((N_TEST, FEATURES))])),
    }
    write_table(columns, EMBEDDING, path)


def run(tmp_path, features, probs, labelled, strategy=PWEIGHTED_BEAM3, budget=15, indices=None):
    """Write the inputs, run the stage; return the acquisitions table and the next labels."""
    labelled_path, embedding = tmp_path / "labelled.parquet", tmp_path / "embedding.parquet"
    written = labelled if indices is None else indices
    write_labelled(written, np.full(len(written), -1), N_POOL, labelled_path)
    write_embedding(embedding, features, probs, labelled)
    acquisitions, next_labelled = tmp_path / "acq.parquet", tmp_path / "next.parquet"
    select_round(
        labelled_path, embedding, strategy, budget, dataset="toy", seed=0, round_=0,
        acquisitions_out=acquisitions, labelled_out=next_labelled,
    )  # fmt: skip
    return pq.read_table(acquisitions).to_pandas(), read_labelled(next_labelled, N_POOL)[0]


def test_picks_are_the_engines_on_the_files_values(tmp_path):
    features, probs, labelled = pool_case()
    picks, next_labelled = run(tmp_path, features, probs, labelled)
    mask = torch.zeros(N_POOL, dtype=torch.bool)
    mask[labelled] = True
    doubt = doubt_from_probs(torch.from_numpy(probs))
    expected = coreset(torch.from_numpy(features), mask, 15, doubt, True, 3)
    chosen = picks[picks.beam_rank == 1].sort_values("pick_order")
    assert chosen["index"].tolist() == expected.tolist()
    assert next_labelled.tolist() == labelled.tolist() + expected.tolist()


def test_entropy_picks(tmp_path):
    features, probs, labelled = pool_case(1)
    picks, _ = run(tmp_path, features, probs, labelled, StrategySettings("entropy", "entropy"))
    mask = torch.zeros(N_POOL, dtype=torch.bool)
    mask[labelled] = True
    expected = entropy(torch.from_numpy(probs), mask, 15)
    assert picks.sort_values("pick_order")["index"].tolist() == expected.tolist()


def broken_probs():
    """(name, probs) that no strategy may read, with the message part naming the problem."""
    _, probs, _ = pool_case()
    nan = probs.copy()
    nan[7, 1] = np.nan
    logits = np.log(probs) * 3 + 1
    return [
        ("nan", nan, r"pool probs contain NaN or inf in 1 row\(s\) \(first: row 7\)"),
        ("logits", logits, r"pool probs must lie in \[0, 1\]"),
        ("unnormalised", probs * 0.7, r"pool probs rows must sum to 1"),
    ]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.name)
@pytest.mark.parametrize(("name", "probs", "message"), broken_probs())
def test_probabilities_that_are_not_are_refused_naming_the_file(
    tmp_path, strategy, name, probs, message
):
    features, _, labelled = pool_case()
    with pytest.raises(StageFileError, match=message) as error:
        run(tmp_path, features, probs, labelled, strategy)
    assert "embedding.parquet" in str(error.value) and "Delete" in str(error.value)
    assert not (tmp_path / "acq.parquet").exists()  # nothing written from bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features_are_refused_naming_the_file(tmp_path, bad):
    features, probs, labelled = pool_case()
    features[33, 2] = bad
    with pytest.raises(StageFileError, match=r"embedding\.parquet: pool features contain NaN"):
        run(tmp_path, features, probs, labelled)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda idx: np.append(idx, idx[0]), "lists an index twice"),
        (lambda idx: np.append(idx, N_POOL), rf"has indices outside the pool \[0, {N_POOL}\)"),
        (lambda idx: np.append(idx, -1), r"has indices outside the pool .* \(found -1\.\."),
    ],
)
def test_labelled_files_with_repeated_or_foreign_indices_are_refused(tmp_path, change, message):
    features, probs, labelled = pool_case()
    with pytest.raises(StageFileError, match=rf"labelled\.parquet: {message}"):
        run(tmp_path, features, probs, labelled, indices=change(labelled))


def test_budget_beyond_the_unlabelled_pool_is_refused(tmp_path):
    features, probs, labelled = pool_case()
    n_free = N_POOL - len(labelled)
    with pytest.raises(ValueError, match=rf"budget={n_free + 1} exceeds the {n_free} unlabelled"):
        run(tmp_path, features, probs, labelled, budget=n_free + 1)
    _, next_labelled = run(tmp_path, features, probs, labelled, budget=n_free)
    assert sorted(next_labelled.tolist()) == list(range(N_POOL))  # every point, once


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.name)
def test_each_pick_records_its_doubt(tmp_path, strategy):
    # docs/method.md section 7: the mean doubt of a round's picks comes from this column
    features, probs, labelled = pool_case(3)
    picks, _ = run(tmp_path, features, probs, labelled, strategy=strategy)
    expected = 1.0 - probs.astype(np.float64).max(axis=1)  # the obvious formula, in float64
    np.testing.assert_allclose(picks["doubt"], expected[picks["index"]], rtol=0, atol=1e-7)
    assert len(picks) >= 15 and picks["doubt"].notna().all()
