"""A model-stage job's process: pandas unimportable, files the same as with it."""

import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq

from alcore.stages.labelled import read_labelled_indices, write_labelled


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
