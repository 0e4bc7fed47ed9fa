"""The config's JSON schema: validation with one line per problem naming its key, and the
defaults, both read from ``workflow/schemas/config.schema.yaml`` with the catalogue's names and
the strategy options' defaults filled in from :mod:`alcore.catalog`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

# workflow/schemas/ beside src/: the package is installed in place (pip install -e, as
# envs/alcore.yaml does), so the schema the Snakefile validates against is this one
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The config asks for something impossible; the message says where and how to fix it."""


@cache
def _load(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise FileNotFoundError(
            f"no config schema at {path}; alcore reads it from the workflow's "
            "workflow/schemas/ folder: install alcore in place (pip install -e .)"
        )
    schema: dict[str, Any] = yaml.safe_load(path.read_text())
    return schema


def load_schema(path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """The schema as a dict, with the catalogue's names and defaults filled in: the dataset
    names and strategy kinds as enums, the strategy options' defaults (the file is read once
    per path; the catalogue is read at every call)."""
    from alcore.catalog.datasets import known_datasets
    from alcore.catalog.strategies import OPTION_DEFAULTS, known_kinds

    schema = copy.deepcopy(_load(Path(path).resolve()))
    strategy = schema["properties"]["strategies"]["additionalProperties"]["properties"]
    strategy["kind"]["enum"] = list(known_kinds())
    for option, default in OPTION_DEFAULTS.items():
        strategy[option]["default"] = default
    dataset = _node(schema, "experiments", "*", "datasets", "*", "dataset")
    dataset["enum"] = list(known_datasets())
    return schema


def check_schema(config: Mapping[str, Any], schema_path: str | Path = SCHEMA_PATH) -> None:
    """Raise :class:`ConfigError` listing every schema violation as ``key.path: problem``.

    Draft 2020-12; defaults are not filled in here (:func:`with_defaults` does that).
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
    problems = sorted(validator.iter_errors(dict(config)), key=lambda e: list(map(str, e.path)))
    if problems:
        lines = [f"  {_key(error.path)}: {error.message}" for error in problems]
        raise ConfigError(
            "the config does not match workflow/schemas/config.schema.yaml (each key's type, "
            "allowed values and description are there):\n" + "\n".join(lines)
        )


def with_defaults(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``config`` with every absent key that has a ``default`` in ``schema``
    filled in, at every level (properties, additionalProperties and array items).

    Keys without a default stay absent; ``config`` is not changed.
    """
    return cast(dict[str, Any], _fill(copy.deepcopy(dict(config)), schema))


def _fill(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                value[name] = _fill(item, properties[name])
            elif isinstance(extra, Mapping):
                value[name] = _fill(item, extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_fill(item, schema["items"]) for item in value]
    return value


def enum_of(schema: Mapping[str, Any], *path: str) -> tuple[str, ...]:
    """The allowed values of the property at ``path`` (as :func:`_node` walks it)."""
    return tuple(_node(schema, *path)["enum"])


def _node(schema: Mapping[str, Any], *path: str) -> Any:
    """The schema of the property at ``path``: property names, with ``*`` for the values of an
    object's additionalProperties and ``[]`` for an array's items."""
    node: Mapping[str, Any] = schema
    for step in path:
        if step == "*":
            node = node["additionalProperties"]
        elif step == "[]":
            node = node["items"]
        else:
            node = node["properties"][step]
    return node


def _key(path: Any) -> str:
    """``experiments.tiny.seeds[0]`` from a jsonschema error path."""
    key = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return key.removeprefix(".") or "(top level)"
