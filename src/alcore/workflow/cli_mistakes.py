"""Catch a target rule swallowed by a Snakemake option that takes rule or file names.

Snakemake's options that take one *or more* values read a target written after them as one
more value. Most then fail inside Snakemake's own argument handling, before the Snakefile is
read, so no workflow code can explain them: ``--resources gpu=1 all_figures`` (a resource
without ``=``: ``ValueError: dictionary update sequence element #1 has length 1``),
``--configfile configs/main.yaml all_figures`` (``FileNotFoundError: 'all_figures'``, raised
while the config files are loaded), ``--config``, ``--set-resources``, ``--set-threads``.

The options that take rule or file names accept a target rule silently: ``-R FILE all`` forces
the rule ``all`` (which has no output to force) and builds the default target instead of
``all``; ``--until``, ``--omit-from`` and ``--prioritize`` likewise. The Snakefile is read after
the command line, so it can see these in ``sys.argv`` (Snakemake's parsed settings are not
set yet while the Snakefile is read) and stop with a message that says what to write instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

# Snakemake options whose values are rule or file names, in every spelling Snakemake accepts
NAME_OPTIONS = {
    "-R": "--forcerun",
    "--forcerun": "--forcerun",
    "-U": "--until",
    "--until": "--until",
    "-O": "--omit-from",
    "--omit-from": "--omit-from",
    "-P": "--prioritize",
    "--prioritize": "--prioritize",
}


class CommandLineError(ValueError):
    """A target rule was given as the value of an option; the message says how to write it."""


def swallowed_targets(args: Sequence[str], target_rules: Iterable[str]) -> list[tuple[str, str]]:
    """(option as written, target rule) for every target rule read as an option's value.

    args: Snakemake's arguments without the program name. Values of an option run until the
    next argument that starts with ``-``; ``--`` ends the options (what follows is targets).
    """
    targets = set(target_rules)
    found: list[tuple[str, str]] = []
    option: str | None = None
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-"):
            option = arg if arg in NAME_OPTIONS else None
            continue
        if option is not None and arg in targets:
            found.append((option, arg))
    return found


def is_snakemake_command(argv: Sequence[str]) -> bool:
    """Whether ``argv`` is Snakemake's own command line (``snakemake ...`` or ``python -m
    snakemake ...``), not that of a program calling Snakemake's API."""
    if not argv:
        return False
    program = Path(argv[0])
    return program.name == "snakemake" or (
        program.name == "__main__.py" and program.parent.name == "snakemake"
    )


def check_command_line(target_rules: Iterable[str], argv: Sequence[str] | None = None) -> None:
    """Raise :class:`CommandLineError` when a target rule is the value of ``-R``, ``--until``,
    ``--omit-from`` or ``--prioritize`` on Snakemake's command line (``argv``, default
    ``sys.argv``); do nothing for other programs."""
    argv = sys.argv if argv is None else argv
    if not is_snakemake_command(argv):
        return
    found = swallowed_targets(argv[1:], target_rules)
    if not found:
        return
    option, target = found[0]
    long = NAME_OPTIONS[option]
    raise CommandLineError(
        f"{option} {target}: {long} takes one or more rule or file names, so it read the "
        f"target {target!r} as one of them, and Snakemake would build the default target "
        f"instead. Write the target first (snakemake {target} {option} ...) or after "
        f"'--' (snakemake {option} ... -- {target})."
    )
