"""Reading, checking and concatenating the parquet result files, and the experiment tables."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alcore.analysis.gather import (
    gather_acquisitions,
    gather_metrics,
    read_acquisitions,
    read_metrics,
)
from alcore.analysis.synthetic import synthetic_acquisitions, synthetic_metrics
from alcore.files import Column, StageFileError, write_table
from alcore.settings import StrategySettings
from alcore.stages.schemas import (
    ACQUISITIONS,
    ARM,
    EXPERIMENT_ACQUISITIONS,
    EXPERIMENT_METRICS,
    METRICS,
)
from alcore.workflow.tables import aggregate

KEY = ["dataset", "strategy", "seed", "round"]


def write(df: pd.DataFrame, path: Path, schema: Sequence[Column] = METRICS) -> Path:
    """``df`` as a per-round file of ``schema`` (the arm columns are the aggregate's)."""
    write_table({c.name: df[c.name].to_numpy() for c in schema}, schema, path)
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
    assert out[KEY].equals(out[KEY].sort_values(KEY).reset_index(drop=True))
    assert list(out["strategy"].unique()) == ["greedy", "random"]
    assert out["seed"].dtype == "int64" and out["test_accuracy"].dtype == "float64"
    assert list(out.index) == list(range(len(out)))
    expected = metrics.set_index(KEY).sort_index()["test_accuracy"]
    assert out.set_index(KEY)["test_accuracy"].sort_index().equals(expected)


@pytest.mark.parametrize("kind", ["metrics", "acquisitions"])
def test_synthetic_tables_are_experiment_tables(tmp_path: Path, kind: str) -> None:
    # written with the experiment schema (which refuses a missing or extra column) and read
    # back, a synthetic table is unchanged: tests on it test what the pipeline reads
    if kind == "metrics":
        table, schema = synthetic_metrics(seeds=1, rounds=2), EXPERIMENT_METRICS
        back = read_metrics(write(table, tmp_path / "t.parquet", schema))
    else:
        table, schema = synthetic_acquisitions(30, seeds=1, rounds=1), EXPERIMENT_ACQUISITIONS
        back = read_acquisitions(write(table, tmp_path / "t.parquet", schema))
    assert list(table.columns) == [c.name for c in schema]
    pd.testing.assert_frame_equal(
        back.drop(columns="per_class_accuracy", errors="ignore"),
        table.drop(columns="per_class_accuracy", errors="ignore"),
    )


def test_owners_rename_the_rows_of_each_file(tmp_path: Path) -> None:
    # the shared round-0 file is listed once per strategy that reports it
    metrics = synthetic_metrics(strategies=("random",), seeds=1, rounds=2)
    round0 = write(metrics[metrics["round"] == 0], tmp_path / "initial.parquet")
    round1 = write(metrics[metrics["round"] == 1], tmp_path / "r1.parquet")
    out = gather_metrics([round0, round0, round1], owners=["a", "b", "b"])
    assert out[["strategy", "round"]].values.tolist() == [["a", 0], ["b", 0], ["b", 1]]
    with pytest.raises(ValueError, match="3 metrics files but 2 owners"):
        gather_metrics([round0, round0, round1], owners=["a", "b"])


def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    good = write(synthetic_metrics(seeds=1, rounds=2), tmp_path / "good.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:40])
    with pytest.raises(StageFileError, match="not a readable parquet file") as error:
        gather_metrics([good, bad])
    message = str(error.value)
    assert str(bad) in message and "rerun the stage that writes it" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StageFileError, match=r"nope\.parquet: file is missing"):
        gather_metrics([tmp_path / "nope.parquet"])


def test_schema_error_names_the_file_and_the_column(tmp_path: Path) -> None:
    path = write(synthetic_metrics(seeds=1, rounds=2), tmp_path / "old.parquet", METRICS[:-3])
    with pytest.raises(StageFileError, match=r"old\.parquet: column 'radius' is missing"):
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
        gather_metrics(str(tmp_path / "x.parquet"))  # type: ignore[arg-type]


def test_gather_acquisitions_keys_include_beam_and_pick(tmp_path: Path) -> None:
    acq = synthetic_acquisitions(200, seeds=2, rounds=2, budget=5, beams=3)
    path = write(acq.iloc[::-1], tmp_path / "acq.parquet", ACQUISITIONS)
    out = gather_acquisitions([path])
    assert len(out) == len(acq)
    first = out.iloc[:5]
    assert list(first["beam_rank"]) == [1] * 5 and list(first["pick_order"]) == [0, 1, 2, 3, 4]
    again = write(acq.iloc[:1], tmp_path / "again.parquet", ACQUISITIONS)
    with pytest.raises(ValueError, match="duplicate acquisitions rows"):
        gather_acquisitions([path, again])


def test_aggregate_writes_each_rows_arm_settings(tmp_path: Path) -> None:
    settings = {
        "plain": StrategySettings("plain", "coreset"),
        "twin": StrategySettings("twin", "coreset"),  # same settings: reports plain's files
        "my_beam": StrategySettings("my_beam", "coreset", weighted=True, beam_width=10),
    }
    arms = [settings["plain"], settings["my_beam"]]
    metrics = synthetic_metrics(("blobs",), arms, seeds=1, rounds=2)
    picks = synthetic_acquisitions(50, arms, "blobs", seeds=1, rounds=1, budget=3)
    files = {
        (s, r): write(metrics[(metrics.strategy == s) & (metrics["round"] == r)],
                      tmp_path / f"{s}{r}.parquet")
        for s in ("plain", "my_beam") for r in (0, 1)
    }  # fmt: skip
    acquisitions = {
        s: write(picks[picks.strategy == s], tmp_path / f"{s}-picks.parquet", ACQUISITIONS)
        for s in ("plain", "my_beam")
    }
    aggregate(
        [files["plain", 0], files["plain", 1], files["plain", 0], files["plain", 1],
         files["plain", 0], files["my_beam", 1]],
        ["plain", "plain", "twin", "twin", "my_beam", "my_beam"],
        [acquisitions["plain"], acquisitions["plain"], acquisitions["my_beam"]],
        acquisition_owners=["plain", "twin", "my_beam"],
        strategies=settings,
        metrics_out=tmp_path / "metrics.parquet",
        acquisitions_out=tmp_path / "acquisitions.parquet",
    )  # fmt: skip
    out = read_metrics(tmp_path / "metrics.parquet")
    arm = out.groupby("strategy")[[c.name for c in ARM]].first()
    assert arm.loc["my_beam"].tolist() == ["coreset", True, 10, 20]
    assert arm.loc["twin"].tolist() == arm.loc["plain"].tolist() == ["coreset", False, 1, 20]
    assert len(out) == 6 and out[KEY].equals(out[KEY].sort_values(KEY, ignore_index=True))
    twin = out[out.strategy == "twin"]["test_accuracy"].to_numpy()
    np.testing.assert_array_equal(twin, out[out.strategy == "plain"]["test_accuracy"])
    picked = pd.read_parquet(tmp_path / "acquisitions.parquet")
    assert picked.groupby("strategy").size().to_dict() == {"my_beam": 3, "plain": 3, "twin": 3}
    assert set(picked.loc[picked.strategy == "my_beam", "beam_width"]) == {10}
    with pytest.raises(ValueError, match=r"no settings for strategies \['gone'\]"):
        aggregate(
            [files["plain", 0]], ["gone"], [acquisitions["plain"]],
            acquisition_owners=["plain"], strategies=settings,
            metrics_out=tmp_path / "m2.parquet", acquisitions_out=tmp_path / "a2.parquet",
        )  # fmt: skip
