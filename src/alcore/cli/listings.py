"""``alcore strategies | models | datasets | catalogue``: the catalogue's entries."""

from __future__ import annotations

import argparse
import textwrap

from alcore.catalog.datasets import DATASETS, known_datasets
from alcore.catalog.models import BUILTINS, torchvision_model_names
from alcore.catalog.strategies import KINDS, OPTION_DEFAULTS
from alcore.cli.common import OPTION_OF


def list_strategies(args: argparse.Namespace) -> int:
    """``alcore strategies``: kind, summary, what it reads, its options, its reference
    (torch-free)."""
    width = max(len(name) for name in KINDS) + 2
    lines = []
    for name, kind in KINDS.items():
        needs = ", ".join(OPTION_OF.get(f, f) for f in sorted(kind.needs)) or "nothing"
        if name == "coreset":
            needs += " (and --probs with --weighted or --beam-width > 1)"
        if kind.stochastic:
            needs += "; random: seeded by --seed"
        lines.append(f"{name:<{width}}{kind.summary}")
        lines.append(f"{'':<{width}}reads: {needs}")
        if kind.takes:
            taken = ", ".join(f"{o}={OPTION_DEFAULTS[o]!r}" for o in kind.takes)
            lines.append(f"{'':<{width}}options: {taken}")
        lines.append(f"{'':<{width}}reference: {kind.reference}")
    print("\n".join(lines))
    return 0


def list_models(args: argparse.Namespace) -> int:
    """``alcore models``: the builtins with their summaries, then torchvision's models."""
    width = max(len(name) for name in BUILTINS) + 2
    for name in sorted(BUILTINS):
        print(f"{name:<{width}}{BUILTINS[name].summary}")
    extra = [n for n in torchvision_model_names() if n not in BUILTINS]
    if extra:
        print(f"\ntorchvision models ({len(extra)}):")
        print(textwrap.fill(", ".join(extra), width=96, initial_indent="  ",
                            subsequent_indent="  "))  # fmt: skip
    return 0


def list_datasets(args: argparse.Namespace) -> int:
    """``alcore datasets``: the datasets, summaries and options with defaults (torch-free)."""
    names = known_datasets()
    width = max(len(name) for name in names) + 2
    for name in names:
        entry = DATASETS[name]
        print(f"{name:<{width}}{entry.summary}")
        if entry.options:
            options = ", ".join(f"{k}={v!r}" for k, v in entry.options.items())
            print(textwrap.fill(f"options: {options}", width=96, initial_indent=" " * width,
                                subsequent_indent=" " * (width + 2)))  # fmt: skip
    return 0


def print_catalogue(args: argparse.Namespace) -> int:
    """``alcore catalogue``: every entry as Markdown tables (``docs/catalogue.md`` is its
    output; torch-free)."""
    print(catalogue_markdown(), end="")
    return 0


def catalogue_markdown() -> str:
    """The datasets, builtin models and strategy kinds as Markdown tables, in catalogue order."""

    def cell(text: object) -> str:
        return str(text).replace("|", "\\|")

    lines = [
        "# The catalogue",
        "",
        "Written by `alcore catalogue > docs/catalogue.md` from `src/alcore/catalog/` (a test",
        "holds this page to it); how to add an entry: [contributing.md](contributing.md).",
        "",
        "## Datasets",
        "",
        "| dataset | what | options (defaults) |",
        "| --- | --- | --- |",
    ]
    for name in known_datasets():
        entry = DATASETS[name]
        options = ", ".join(f"`{k}={v!r}`" for k, v in entry.options.items()) or "none"
        lines.append(f"| `{name}` | {cell(entry.summary)} | {cell(options)} |")
    lines += ["", "## Builtin models", "", "| model | what |", "| --- | --- |"]
    for name in sorted(BUILTINS):
        lines.append(f"| `{name}` | {cell(BUILTINS[name].summary)} |")
    lines += [
        "",
        "Any torchvision classification model by name, and your own as",
        '`"package.module:function"`: [models.md](models.md).',
        "",
        "## Strategy kinds",
        "",
        "| kind | picks | reads | seeded | options (defaults) | reference |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, kind in KINDS.items():
        reads = ", ".join(sorted(kind.needs)) or "nothing"
        taken = ", ".join(f"`{o}={OPTION_DEFAULTS[o]!r}`" for o in kind.takes) or "none"
        seeded = "yes" if kind.stochastic else "no"
        row = [f"`{name}`", cell(kind.summary), reads, seeded, taken, cell(kind.reference)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
