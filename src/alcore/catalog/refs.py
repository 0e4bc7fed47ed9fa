"""``"package.module:attribute"`` references: how a catalogue entry names its code."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(reference: str) -> Any:
    """The object ``reference`` names, importing its module on first use.

    Raises:
        ValueError: not of the form ``"module:attribute"``, or nothing there by that name.
    """
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{reference!r} is not a 'package.module:attribute' reference")
    target: Any = importlib.import_module(module_name)
    try:
        for part in attribute.split("."):
            target = getattr(target, part)
    except AttributeError:
        raise ValueError(f"{reference!r}: module {module_name!r} has no {attribute!r}") from None
    return target
