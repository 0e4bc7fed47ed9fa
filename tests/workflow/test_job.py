"""A model-stage job's process: pandas unimportable, files the same as with it; its cost file."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import yaml

from alcore.stages.labelled import read_labelled_indices, write_labelled
from alcore.workflow.job import COST_COLUMNS, read_cost

ROOT = Path(__file__).resolve().parents[2]


def test_without_pandas_the_files_are_the_same_and_pandas_stays_out(tmp_path):
    indices = np.array([5, 1, 9, 3])
    write_labelled(indices, np.full(4, -1), 12, tmp_path / "with.parquet")
    code = (
        "import sys; from alcore.workflow.job import without_pandas; without_pandas(); "
        "import numpy as np; from alcore.stages.labelled import write_labelled, "
        "read_labelled_indices; "
        f"write_labelled(np.array([5, 1, 9, 3]), np.full(4, -1), 12, "
        f"{str(tmp_path / 'without.parquet')!r}); "
        f"read, n = read_labelled_indices({str(tmp_path / 'with.parquet')!r}); "
        "print(read.tolist(), n, 'pandas' in sys.modules)\n"
        "try:\n    import pandas\nexcept ImportError as error:\n    print(error)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "[5, 1, 9, 3] 12 False"
    assert "does not use pandas" in lines[1]
    assert pq.read_table(tmp_path / "without.parquet").equals(
        pq.read_table(tmp_path / "with.parquet"), check_metadata=True
    )
    assert read_labelled_indices(tmp_path / "without.parquet")[0].tolist() == [5, 1, 9, 3]


def test_a_job_writes_its_own_cost_at_exit(tmp_path):
    """The cost file counts from the process's start (the interpreter's start-up included),
    CPU apart from wall (a sleep costs none), and is written by the Job at exit."""
    cost_file = tmp_path / "logs" / "train.tsv"
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    experiment, spec = next(iter(config["experiments"].items()))
    wildcards = {"experiment": experiment, "dataset": next(iter(spec["datasets"])), "seed": "0"}
    logs = {"log": str(tmp_path / "train.log"), "cost": str(cost_file)}
    code = (
        "import time; from types import SimpleNamespace\n"
        "from snakemake.iocontainers import Log, Wildcards\n"
        "from alcore.workflow.job import Job\n"
        f"Job(SimpleNamespace(log=Log(fromdict={logs!r}), config={config!r}, "
        f"wildcards=Wildcards(fromdict={wildcards!r})))\n"
        "time.sleep(0.5)\n"
        "busy = time.process_time() + 0.3\n"
        "while time.process_time() < busy:\n    pass\n"
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code], check=True)
    elapsed = time.monotonic() - started
    cost = read_cost(cost_file)
    assert set(cost) == set(COST_COLUMNS)
    assert 0.8 <= cost["s"] <= elapsed + 0.02  # clock ticks of 10 ms
    assert 0.3 <= cost["cpu_time"] <= cost["s"] - 0.2  # the busy loop costs CPU, the sleep none
    assert cost["max_rss"] > 10  # MB: an interpreter that imported alcore
