import sys
from pathlib import Path

import pytest
import torch

# tests/select/reference.py is imported as a plain module by the tests beside it
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(1234)
