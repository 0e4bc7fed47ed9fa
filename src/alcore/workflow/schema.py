"""Validate a config against the JSON schema, with one line per problem naming its key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alcore.workflow.config import ConfigError


def check_schema(config: Mapping[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`ConfigError` listing every schema violation as ``key.path: problem``.

    Draft 2020-12; defaults are not filled in here (:func:`parse_config` applies them).
    """
    import jsonschema
    import yaml

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(dict(config)), key=lambda e: list(map(str, e.path)))
    if problems:
        lines = [f"  {_key(error.path)}: {error.message}" for error in problems]
        raise ConfigError(
            "the config does not match workflow/schemas/config.schema.yaml (each key's type, "
            "allowed values and description are there):\n" + "\n".join(lines)
        )


def _key(path: Any) -> str:
    """``experiments.tiny.seeds[0]`` from a jsonschema error path."""
    key = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return key.removeprefix(".") or "(top level)"
