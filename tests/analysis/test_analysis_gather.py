"""Reading, checking and concatenating the parquet result files."""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alcore.analysis.gather import gather_acquisitions, gather_metrics
from alcore.analysis.synthetic import synthetic_acquisitions, synthetic_metrics


def write(df: pd.DataFrame, path: Path) -> Path:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return path


def test_gather_concatenates_and_sorts(tmp_path: Path) -> None:
    metrics = synthetic_metrics(strategies=("random", "greedy"), seeds=2, rounds=3)
    shuffled = metrics.sample(frac=1.0, random_state=0)
    paths = [
        write(shuffled[shuffled["strategy"] == "random"], tmp_path / "r.parquet"),
        write(shuffled[shuffled["strategy"] == "greedy"], tmp_path / "g.parquet"),
    ]
    out = gather_metrics(paths)
    assert len(out) == len(metrics) == 2 * 2 * 3
    key = ["dataset", "strategy", "seed", "round"]
    assert out[key].equals(out[key].sort_values(key).reset_index(drop=True))
    assert list(out["strategy"].unique()) == ["greedy", "random"]
    assert out["seed"].dtype == "int64" and out["test_accuracy"].dtype == "float64"
    assert list(out.index) == list(range(len(out)))
    expected = metrics.set_index(key).sort_index()["test_accuracy"]
    assert out.set_index(key)["test_accuracy"].sort_index().equals(expected)


def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    good = write(synthetic_metrics(seeds=1, rounds=2), tmp_path / "good.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:40])
    with pytest.raises(ValueError, match="not a readable parquet file") as error:
        gather_metrics([good, bad])
    message = str(error.value)
    assert str(bad) in message and "delete it and rerun the stage that writes it" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.parquet"):
        gather_metrics([tmp_path / "nope.parquet"])


def test_schema_error_names_the_file(tmp_path: Path) -> None:
    old = synthetic_metrics(seeds=1, rounds=2).drop(columns="radius")
    path = write(old, tmp_path / "old.parquet")
    with pytest.raises(ValueError, match=r"old\.parquet.*'radius'"):
        gather_metrics([path])


def test_duplicate_rows_are_named(tmp_path: Path) -> None:
    metrics = synthetic_metrics(seeds=1, rounds=2)
    a = write(metrics, tmp_path / "a.parquet")
    b = write(metrics[metrics["round"] == 1], tmp_path / "b.parquet")
    with pytest.raises(ValueError, match="duplicate metrics rows") as error:
        gather_metrics([a, b])
    message = str(error.value)
    assert "'round': 1" in message and "a.parquet" in message and "b.parquet" in message
    assert "'round': 0" not in message


def test_empty_or_single_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no metrics files"):
        gather_metrics([])
    with pytest.raises(TypeError, match="sequence of paths"):
        gather_metrics(str(tmp_path / "x.parquet"))


def test_gather_acquisitions_keys_include_beam_and_pick(tmp_path: Path) -> None:
    acq = synthetic_acquisitions(200, seeds=2, rounds=2, budget=5, beams=3)
    path = write(acq.iloc[::-1], tmp_path / "acq.parquet")
    out = gather_acquisitions([path])
    assert len(out) == len(acq)
    first = out.iloc[:5]
    assert list(first["beam_rank"]) == [1] * 5 and list(first["pick_order"]) == [0, 1, 2, 3, 4]
    again = write(acq.iloc[:1], tmp_path / "again.parquet")
    with pytest.raises(ValueError, match="duplicate acquisitions rows"):
        gather_acquisitions([path, again])
