"""Stable seeds derived from names: the same (seed, round, purpose) gives the same stream.

Python's ``hash`` is salted per process, so seeds come from SHA-256 instead.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any printable parts, e.g. ``derive_seed("train", 3, 1, 7)``."""
    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


def generator(*parts: object) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`derive_seed` of ``parts``."""
    import torch  # here, so that torch-free jobs (the initial labels) can derive seeds

    return torch.Generator().manual_seed(derive_seed(*parts))
