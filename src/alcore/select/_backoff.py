"""When to try an optional speed-up: skip it for a while after it fails.

Used by the first min-distance pass for its float32 screen: optional (the float64 screen
decides the same), so this only trades time. Where the float32 screen keeps failing
(concentrated high-dimensional features), the next ``wait`` tiles go straight to the float64
screen, ``wait`` doubling with every failure in a row (up to 64) and resetting on success.
"""

from __future__ import annotations

_MAX_WAIT = 64


class Backoff:
    """Exponential back-off for an optional speed-up."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._wait = 0
        self._skip = 0

    def should_try(self) -> bool:
        """Whether to try the speed-up now; call :meth:`record` after each try."""
        if not self.enabled:
            return False
        if self._skip > 0:
            self._skip -= 1
            return False
        return True

    def record(self, helped: bool) -> None:
        """Report whether the last try paid off."""
        if helped:
            self._wait = 0
        else:
            self._wait = min(max(1, 2 * self._wait), _MAX_WAIT)
            self._skip = self._wait
