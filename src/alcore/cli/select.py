"""``alcore select``: check the arguments, read the files, select, write the picks."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from alcore.catalog.strategies import (
    FEATURES,
    KINDS,
    MC_PROBS,
    OPTION_DEFAULTS,
    PROBS,
    options_apply,
    refused_options,
)
from alcore.cli.common import OPTION_OF, PROG, WHAT_OF, DataError, UsageError
from alcore.cli.inputs import read_inputs
from alcore.files.arrays import FORMATS, array_format


def run_select(args: argparse.Namespace) -> int:
    """``alcore select``: check the arguments, read the files, select, write the picks."""
    kind = KINDS[args.strategy]
    _check_arguments(args, kind.needs)
    import torch  # after the cheap checks: a bad argument is refused at once

    device = _device(args.device)
    log = stderr_log(args.quiet)
    pool_inputs = read_inputs(args)
    read = {f for f in (FEATURES, PROBS, MC_PROBS) if getattr(pool_inputs, f) is not None}
    _require_inputs(args, kind.needs, read)  # a parquet file may lack the probs after all
    n_points = pool_inputs.n_points
    n_unlabelled = n_points - int(pool_inputs.labelled.sum())
    if args.budget > n_unlabelled:
        raise DataError(
            f"--budget {args.budget} exceeds the {n_unlabelled} unlabelled points ({n_points} "
            f"in the pool, {n_points - n_unlabelled} labelled); pass --budget {n_unlabelled} "
            "or less"
        )
    seed = args.seed if args.seed is not None else pool_inputs.seed
    round_ = args.round if args.round is not None else pool_inputs.round
    if seed < 0 or round_ < 0:
        raise UsageError(f"--seed {seed} and --round {round_} must be >= 0")

    from alcore.progress import PhaseProgress
    from alcore.seeding import generator
    from alcore.select import Options, Pool, select
    from alcore.stages.schemas import ACQUISITIONS
    from alcore.stages.select import acquisition_columns, summary

    pool = Pool(
        pool_inputs.labelled.to(device),
        *(None if t is None else t.to(device) for t in pool_inputs.tensors()),
    )
    options = Options(
        weighted=args.weighted,
        beam_width=args.beam_width,
        generator=generator("select", seed, round_) if kind.stochastic else None,
        progress=PhaseProgress(f"{args.strategy}", log),
    )
    try:
        result = select(args.strategy, pool, args.budget, options)
    except ValueError as error:  # the engine's message names the problem and the fix
        raise DataError(str(error)) from error
    except torch.cuda.OutOfMemoryError as error:
        raise DataError(
            f"out of GPU memory on {device}; free the GPU or run on the CPU (drop --device)"
        ) from error
    except MemoryError as error:
        raise DataError(
            f"out of memory selecting from {n_points} points; run on a machine with more "
            "memory or a GPU (--device cuda)"
        ) from error
    columns = acquisition_columns(
        result,
        pool,
        dataset=args.dataset or pool_inputs.stem,
        strategy=args.name or args.strategy,
        seed=seed,
        round_=round_,
    )
    provenance = {
        "kind": args.strategy,
        "weighted": str(args.weighted),
        "beam_width": str(args.beam_width),
        "budget": str(args.budget),
        **{f"{field}_file": str(path) for field, path in pool_inputs.paths.items()},
    }
    from alcore.files import write_table

    try:
        write_table(columns, ACQUISITIONS, args.out, metadata=provenance)
    except OSError as error:
        raise DataError(
            f"cannot write {args.out} ({error.strerror or error}); choose a writable --out"
        ) from error
    log.info(
        "%s: %s of %d unlabelled -> %s",
        args.name or args.strategy, summary(result, columns), n_unlabelled, args.out,
    )  # fmt: skip
    return 0


def _check_arguments(args: argparse.Namespace, needs: frozenset[str]) -> None:
    """What can be refused before reading a file: missing inputs, bad numbers, the output."""
    if args.budget < 0:
        raise UsageError(f"--budget {args.budget} must be >= 0 (the number of points to pick)")
    if args.beam_width < 1:
        raise UsageError(f"--beam-width {args.beam_width} must be >= 1 (1 = greedy)")
    changed = [k for k in ("weighted", "beam_width") if getattr(args, k) != OPTION_DEFAULTS[k]]
    refused, takers = refused_options(args.strategy, changed)
    if refused:
        flags = ["--" + option.replace("_", "-") for option in refused]
        raise UsageError(
            f"{options_apply(flags)} to --strategy {', '.join(takers)} only, not "
            f"{args.strategy}; drop them"
        )
    given = {FEATURES: args.features, PROBS: args.probs, MC_PROBS: args.mc_probs}
    available = {field for field, path in given.items() if path is not None}
    if args.features is not None and args.features.suffix == ".parquet":
        available.add(PROBS)  # perhaps: a workflow embedding.parquet holds probs too
    _require_inputs(args, needs, available)
    if not any(v is not None for v in given.values()) and args.labelled is None:
        raise UsageError("no pool given: pass --features FILE (and --labelled FILE)")
    inputs = [(option, path) for option, path in _input_paths(args) if path is not None]
    for option, path in inputs:
        if array_format(path) is None:
            raise UsageError(
                f"{option} {path}: unknown file type {path.suffix or '(no suffix)'!r}; save "
                f"it as one of {', '.join(FORMATS)}"
            )
        if not path.is_file():
            raise UsageError(f"{option} {path}: no such file; check the path")
    out: Path = args.out
    for option, path in inputs:
        if _same_file(out, path):
            raise UsageError(
                f"--out {out} and {option} {path} are the same file: the picks would replace "
                f"the input; write them elsewhere, e.g. --out "
                f"{out.with_name(out.stem + '_picks.parquet')}"
            )
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; pass a file name, e.g. {out / 'picks.parquet'}")
    if not out.parent.is_dir():
        raise UsageError(
            f"--out {out}: the folder {out.parent} does not exist; create it (mkdir -p "
            f"{out.parent}) or choose another --out"
        )


def _input_paths(args: argparse.Namespace) -> tuple[tuple[str, Path | None], ...]:
    """(option, path or None) of every file ``alcore select`` reads."""
    return (
        ("--features", args.features), ("--probs", args.probs),
        ("--mc-probs", args.mc_probs), ("--labelled", args.labelled),
    )  # fmt: skip


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same file through a symlink or a hard link when
    both exist, else the same resolved path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:  # unreadable: fall back on the paths
        pass
    return a.resolve() == b.resolve()


def _require_inputs(args: argparse.Namespace, needs: frozenset[str], available: set[str]) -> None:
    """Refuse a strategy whose inputs (``needs``, Pool fields) are not all ``available``."""
    for field in sorted(needs - available):
        option = OPTION_OF.get(field, f"--{field.replace('_', '-')}")
        raise UsageError(
            f"strategy {args.strategy} needs {WHAT_OF.get(field, field)}: pass {option} FILE"
        )
    if (args.weighted or args.beam_width != 1) and PROBS not in available:
        raise UsageError(
            "--weighted and --beam-width > 1 need class probabilities for the doubt: pass "
            "--probs FILE"
        )


def _device(name: str) -> Any:
    """``--device`` as a torch.device that can be used here."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise UsageError(f"--device {name!r} is not a device ({error}); use cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DataError(
            f"--device {name}: CUDA is not available on this machine; drop --device to run on "
            "the CPU, or run on a machine with an NVIDIA GPU"
        )
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise DataError(
            f"--device {name}: this machine has {torch.cuda.device_count()} GPU(s); pass "
            "--device cuda (the first one)"
        )
    return device


def stderr_log(quiet: bool) -> logging.Logger:
    """A logger printing ``alcore select: ...`` lines to the current stderr (none if quiet)."""
    log = logging.getLogger("alcore.cli.select")
    log.propagate = False
    log.setLevel(logging.INFO)
    for handler in list(log.handlers):
        log.removeHandler(handler)
    if not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{PROG} select: %(message)s"))
        log.addHandler(handler)
    else:
        log.addHandler(logging.NullHandler())
    return log
