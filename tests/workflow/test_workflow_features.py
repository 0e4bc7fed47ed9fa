"""The real workflow on a features dataset: a few hundred rows of a .npy, mlp, random and greedy."""

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from workflow_runs import run

pytestmark = pytest.mark.slow

N, D, CLASSES = 400, 16, 4


def write_features(data: str) -> np.ndarray:
    """Gaussian clusters (N, D) float32 with labels = cluster, the last 100 rows the test set;
    returns the labels."""
    rng = np.random.default_rng(0)
    labels = np.arange(N) % CLASSES
    centres = 4.0 * rng.standard_normal((CLASSES, D))
    x = (centres[labels] + rng.standard_normal((N, D))).astype(np.float32)
    np.save(f"{data}/emb.npy", x)
    np.save(f"{data}/labels.npy", labels)
    np.save(f"{data}/split.npy", np.where(np.arange(N) < N - 100, "pool", "test"))
    return labels


def test_a_features_dataset_runs_through_the_workflow(tmp_path):
    (tmp_path / "data").mkdir()
    labels = write_features(str(tmp_path / "data"))
    config = {
        "data_dir": "data", "device": "cpu", "threads": 1,
        "strategies": {"random": {"kind": "random"}, "greedy": {"kind": "coreset"}},
        "experiments": {"feat": {
            "datasets": {"emb": {
                "dataset": "features", "model": "mlp", "initial": 20, "budget": 20,
                "rounds": 1, "epochs": {"first": 3, "thereafter": 3}, "lr": 0.01,
                "options": {"path": "emb.npy", "labels": "labels.npy", "split": "split.npy"},
            }},
            "strategies": ["random", "greedy"], "seeds": [0],
        }},
    }  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run(tmp_path, "all", config=tmp_path / "config.yaml")
    metrics = pq.read_table(tmp_path / "results/feat/metrics.parquet").to_pandas()
    assert sorted(metrics.strategy.unique()) == ["greedy", "random"]
    assert sorted(metrics["round"].unique()) == [0, 1]
    assert metrics.groupby("strategy").n_labels.max().tolist() == [40, 40]
    assert (metrics.test_accuracy > 1 / CLASSES).all()  # separable clusters: better than chance
    embedding = pq.read_table(tmp_path / "results/feat/emb/initial/seed0/round0/embedding.parquet")
    split = np.array(embedding.column("split").to_pylist())
    assert (split == "pool").sum() == N - 100 and (split == "test").sum() == 100
    # pool index i is file row i: the embedding's pool labels are the file's first 300 labels
    np.testing.assert_array_equal(embedding.column("label").to_numpy()[: N - 100],
                                  labels[: N - 100])  # fmt: skip
    for strategy in ("random", "greedy"):
        picks = pq.read_table(
            tmp_path / f"results/feat/emb/{strategy}/seed0/round0/acquisitions.parquet"
        ).to_pandas()
        chosen = picks[picks.beam_rank == 1]["index"]
        assert len(chosen) == 20 and chosen.is_unique and chosen.between(0, N - 101).all()
