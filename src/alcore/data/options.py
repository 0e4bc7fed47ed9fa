"""Dataset options: reject unknown keys, fill defaults, and read typed values with clear errors.

Each loader declares every option it accepts with its default; `resolve_options` is the only place
where a user's option mapping meets those declarations.
"""

from __future__ import annotations

from collections.abc import Mapping


def resolve_options(
    dataset: str, given: Mapping[str, object] | None, defaults: Mapping[str, object]
) -> dict[str, object]:
    """Return ``defaults`` overridden by ``given``; unknown keys raise ``ValueError``."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        allowed = f"allowed: {sorted(defaults)}" if defaults else "it takes no options"
        raise ValueError(f"unknown option(s) {unknown} for dataset {dataset!r}; {allowed}")
    return {**defaults, **given}


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
