"""The one error a dataset loader raises when its files are not on disk.

It subclasses ``FileNotFoundError`` so callers that only know the standard library still catch it.
"""

from __future__ import annotations


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are missing (or failed their checksum) and could not be fetched.

    The message always names the dataset, the exact directory the files must go into, and how to
    get them there.
    """
