import sys
from pathlib import Path

import pytest

# workflow_runs.py is imported as a plain module by the tests beside it
sys.path.insert(0, str(Path(__file__).parent))

from workflow_runs import run


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """One uninterrupted run of the tiny config: (its folder, its output)."""
    workdir = tmp_path_factory.mktemp("reference")
    output = run(workdir, "all_figures")
    return workdir, output
