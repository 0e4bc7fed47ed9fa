import sys
from pathlib import Path

import pytest

from alcore.data import load_dataset

# stage_cases.py is imported as a plain module by the tests beside it
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits", data_dir="unused")


@pytest.fixture(scope="session")
def blobs():
    return load_dataset("blobs", data_dir="unused", options={"n_pool": 300, "n_test": 200})
