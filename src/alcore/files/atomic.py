"""Atomic file replacement: write to a temporary sibling, then rename over the target."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; on success rename it to ``path``.

    The file gets the permissions a plain ``open(path, "w")`` would give (0666 less the umask),
    not mkstemp's 0600, so results stay readable by the user's group. On an exception the
    temporary file is removed and an existing ``path`` is left untouched, so finished results
    are never destroyed by a failed rewrite. A SIGKILL skips that clean-up; the temporaries it
    leaves are removed by the next write of ``path`` (the rerun of the killed job: one job at a
    time writes a given file).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, 0o666 & ~_umask())
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (os.umask can only be read by setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
