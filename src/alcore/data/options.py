"""Dataset options: reject unknown keys, fill defaults, and read typed values with clear errors.

Every option a dataset accepts, with its default, is in its catalogue entry
(:data:`alcore.catalog.datasets.DATASETS`); `resolve_options` is where a loader meets them.
"""

from __future__ import annotations

from collections.abc import Mapping

from alcore.catalog.datasets import with_defaults


def resolve_options(dataset: str, given: Mapping[str, object] | None) -> dict[str, object]:
    """The catalogue's defaults of ``dataset`` overridden by ``given``; unknown keys raise
    ``ValueError``."""
    return with_defaults(dataset, given)


def int_option(dataset: str, options: Mapping[str, object], key: str, *, minimum: int) -> int:
    """Read ``options[key]`` as an int >= ``minimum`` (bools are refused)."""
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"dataset {dataset!r}: option {key}={value!r} must be an integer >= {minimum}"
        )
    return value


def float_option(
    dataset: str,
    options: Mapping[str, object],
    key: str,
    *,
    low: float,
    high: float = float("inf"),
) -> float:
    """Read ``options[key]`` as a float in the open interval (``low``, ``high``)."""
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
        interval = f"> {low}" if high == float("inf") else f"in ({low}, {high})"
        raise ValueError(f"dataset {dataset!r}: option {key}={value!r} must be a number {interval}")
    return float(value)


def str_option(dataset: str, options: Mapping[str, object], key: str) -> str:
    """Read ``options[key]`` as a non-empty string."""
    value = options[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"dataset {dataset!r}: option {key}={value!r} must be a non-empty string")
    return value
