"""``alcore``: the selection engine from the command line, for a training loop of your own.

``alcore select`` reads a pool's features / probabilities / labelled set from .npy, .pt or
parquet files, runs one strategy of :data:`alcore.select.STRATEGIES` and writes the picks as
the workflow's acquisitions table (:data:`alcore.stages.schemas.ACQUISITIONS`, one writer:
:func:`alcore.stages.select.acquisition_columns`). ``alcore strategies | models | datasets``
list the registries. See docs/cli.md.

Exit status: 0 done, 1 bad data (a file that cannot be used, a budget the pool cannot meet),
2 bad arguments (argparse's usage errors), 130 interrupted. Errors are one line on stderr that
names the problem and the fix, never a traceback. torch is imported by ``select``, ``models``
and ``datasets`` only, so ``alcore --help`` and ``alcore strategies`` start at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from alcore import __version__
from alcore.strategy_catalog import FEATURES, KINDS, MC_PROBS, PROBS

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from torch import Tensor

PROG = "alcore"
SUFFIXES = (".npy", ".pt", ".parquet")  # the input formats
OPTION_OF = {FEATURES: "--features", PROBS: "--probs", MC_PROBS: "--mc-probs"}  # Pool field
WHAT_OF = {  # what each option holds, for messages
    FEATURES: "(N, D) features",
    PROBS: "(N, C) softmax probabilities",
    MC_PROBS: "(T, N, C) softmax probabilities of T stochastic (dropout) passes",
}
# the workflow's embedding.parquet (alcore.stages.schemas.EMBEDDING) holds at least these
EMBEDDING_COLUMNS = frozenset({"split", "features", "probs", "labelled"})


class DataError(Exception):
    """A file or value ``alcore select`` cannot use: the message, exit status 1."""


class UsageError(Exception):
    """Arguments that do not go together: the message, exit status 2 (as argparse's own)."""


# ---------------------------------------------------------------------------------------------
# the parser

MAIN_EPILOG = """\
examples:
  alcore strategies                      # what each strategy reads
  alcore select --features feats.npy --probs probs.npy --labelled labelled.npy \\
      --budget 100 --strategy coreset --weighted --beam-width 4 --out picks.parquet
  alcore select --features results/digits/greedy/seed0/round2/embedding.parquet \\
      --budget 50 --strategy least_confidence --out picks.parquet
  alcore select --help                   # the file formats and output columns

exit status: 0 done, 1 a file or value that cannot be used, 2 bad arguments.
`python -m alcore` is the same program. Documentation: docs/cli.md.
"""

SELECT_EPILOG = """\
input files (.npy: np.save, read with allow_pickle=False; .pt: torch.save of one tensor, read
with weights_only=True; .parquet):
  --features  (N, D) floats. Parquet: a list column `features` (or the only list column), or
              else one numeric column per dimension. The workflow's embedding.parquet is read
              as its pool rows, and then also supplies the defaults of --probs and --labelled
              (its `probs` and `labelled` columns) and of --seed and --round (its metadata).
  --probs     (N, C) softmax probabilities (not logits), each row summing to 1. Parquet: a
              list column `probs` (or the only list column), or one numeric column per class.
  --mc-probs  (T, N, C) softmax of T stochastic forward passes; .npy or .pt only.
  --labelled  (L,) integer pool indices or an (N,) boolean mask. Parquet: a boolean `labelled`
              column (a mask) or an integer `index` column (the workflow's labelled.parquet).
A parquet file with a `split` column is read as its rows with split == "pool". Row i of the
features is pool index i.

output: the workflow's acquisitions table, written atomically (never half a file): one row per
pick (per pick of every final beam with --beam-width > 1; beam_rank 1 is the selection, in
pick_order), with index, score, doubt, U and the core-set radii before and after. The columns
dataset, strategy, seed and round are --dataset (default: the --features file's name without
its suffix), --name (default: the strategy kind), --seed and --round.

examples:
  alcore select --features feats.npy --labelled labelled.npy --budget 100 \\
      --strategy coreset --out picks.parquet
  alcore select --features feats.pt --probs probs.pt --labelled mask.pt --budget 100 \\
      --strategy coreset --weighted --beam-width 4 --device cuda --out picks.parquet
  alcore select --features feats.npy --labelled labelled.npy --budget 10 --strategy random \\
      --seed 3 --out picks.parquet
  python -c "import pandas as pd; print(pd.read_parquet('picks.parquet')['index'].tolist())"
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``alcore`` parser with its subcommands (the strategy kinds read from the catalog)."""

    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28)

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Deep active learning with exact, doubt-weighted core-sets: pick the next points to\n"
            "label from your own model's features and probabilities, and list what alcore holds."
        ),
        epilog=MAIN_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True

    select = commands.add_parser(
        "select",
        help="pick the next points to label from feature / probability files",
        description=(
            "Run one selection strategy on a pool read from files and write the picks as a\n"
            "parquet table. Progress goes to stderr at least every 30 s (--quiet: none)."
        ),
        epilog=SELECT_EPILOG,
        formatter_class=formatter,
    )
    inputs = select.add_argument_group("inputs (.npy, .pt or .parquet; see below)")
    inputs.add_argument("--features", type=Path, metavar="FILE", help=WHAT_OF[FEATURES])
    inputs.add_argument("--probs", type=Path, metavar="FILE", help=WHAT_OF[PROBS])
    inputs.add_argument("--mc-probs", type=Path, metavar="FILE", help=WHAT_OF[MC_PROBS])
    inputs.add_argument(
        "--labelled",
        type=Path,
        metavar="FILE",
        help="labelled pool indices or a boolean mask (default: the embedding's)",
    )
    how = select.add_argument_group("selection")
    kinds = ", ".join(KINDS)
    how.add_argument(
        "--strategy",
        required=True,
        choices=list(KINDS),
        metavar="NAME",
        help=f"strategy kind: {kinds} (`alcore strategies` says what each reads)",
    )
    how.add_argument(
        "--budget", required=True, type=int, metavar="B", help="number of points to pick"
    )
    how.add_argument(
        "--weighted",
        action="store_true",
        help="coreset: scale distances by doubt 1 - max P(y|x) (needs --probs)",
    )
    how.add_argument(
        "--beam-width",
        type=int,
        default=1,
        metavar="K",
        help="coreset: beams kept by the beam search; 1 = greedy (default; > 1 needs --probs)",
    )
    how.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="seeds the random kinds (the workflow's stream for this seed and round) and fills "
        "the seed column (default: the embedding's seed, else 0)",
    )
    how.add_argument(
        "--device",
        default="cpu",
        metavar="DEVICE",
        help="where to compute: cpu (default), cuda, cuda:1, ...",
    )
    output = select.add_argument_group("output")
    output.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="the picks table (parquet)"
    )
    output.add_argument(
        "--dataset", metavar="NAME", help="the dataset column (default: the features file's stem)"
    )
    output.add_argument(
        "--name", metavar="NAME", help="the strategy column (default: the strategy kind)"
    )
    output.add_argument(
        "--round",
        type=int,
        metavar="R",
        help="the round column, also part of the random kinds' seed (default: the embedding's "
        "round, else 0)",
    )
    output.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    select.set_defaults(run=run_select)

    for name, run, what, epilog in (
        ("strategies", list_strategies, "the strategy kinds, what each reads, its reference",
         "example:\n  alcore strategies"),
        ("models", list_models, "the registered models (for the workflow's training)",
         "example:\n  alcore models"),
        ("datasets", list_datasets, "the registered datasets and their options",
         "example:\n  alcore datasets"),
    ):  # fmt: skip
        listing = commands.add_parser(
            name, help=f"list {what}", description=f"List {what}.", epilog=epilog,
            formatter_class=formatter,
        )  # fmt: skip
        listing.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``alcore`` with ``argv`` (default: the command line); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2 here
    command = f"{PROG} {args.command}"
    try:
        status: int = args.run(args)
        return status
    except UsageError as error:
        _usage_error(parser, args.command, str(error))
    except DataError as error:
        print(f"{command}: error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{command}: interrupted; no output written", file=sys.stderr)
        return 130
    finally:
        _stderr_log(quiet=True)  # no handler left bound to this call's stderr
    return 1


def _usage_error(parser: argparse.ArgumentParser, command: str, message: str) -> NoReturn:
    """argparse's usage message and exit status 2, from the subcommand's parser."""
    for action in parser._actions:  # the subcommands' parsers
        if isinstance(action, argparse._SubParsersAction):
            subparser = action.choices[command]
            assert isinstance(subparser, argparse.ArgumentParser)
            subparser.error(message)  # exits 2
    parser.error(message)


# ---------------------------------------------------------------------------------------------
# alcore select


def run_select(args: argparse.Namespace) -> int:
    """``alcore select``: check the arguments, read the files, select, write the picks."""
    kind = KINDS[args.strategy]
    _check_arguments(args, kind.needs)
    import torch  # after the cheap checks: a bad argument is refused at once

    device = _device(args.device)
    log = _stderr_log(args.quiet)
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
    if args.strategy != "coreset" and (args.weighted or args.beam_width != 1):
        raise UsageError(
            f"--weighted and --beam-width apply to --strategy coreset only, not {args.strategy}; "
            "drop them"
        )
    given = {FEATURES: args.features, PROBS: args.probs, MC_PROBS: args.mc_probs}
    available = {field for field, path in given.items() if path is not None}
    if args.features is not None and args.features.suffix == ".parquet":
        available.add(PROBS)  # perhaps: a workflow embedding.parquet holds probs too
    _require_inputs(args, needs, available)
    if not any(v is not None for v in given.values()) and args.labelled is None:
        raise UsageError("no pool given: pass --features FILE (and --labelled FILE)")
    for option, path in (
        ("--features", args.features), ("--probs", args.probs),
        ("--mc-probs", args.mc_probs), ("--labelled", args.labelled),
    ):  # fmt: skip
        if path is None:
            continue
        if path.suffix not in SUFFIXES:
            raise UsageError(
                f"{option} {path}: unknown file type {path.suffix or '(no suffix)'!r}; save "
                f"it as one of {', '.join(SUFFIXES)}"
            )
        if not path.is_file():
            raise UsageError(f"{option} {path}: no such file; check the path")
    out: Path = args.out
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; pass a file name, e.g. {out / 'picks.parquet'}")
    if not out.parent.is_dir():
        raise UsageError(
            f"--out {out}: the folder {out.parent} does not exist; create it (mkdir -p "
            f"{out.parent}) or choose another --out"
        )


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


def _stderr_log(quiet: bool) -> logging.Logger:
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


# ---------------------------------------------------------------------------------------------
# reading the inputs


class PoolInputs:
    """The tensors read for ``alcore select`` (on the CPU), with their sources."""

    def __init__(self) -> None:
        self.features: Tensor | None = None  # (N, D)
        self.probs: Tensor | None = None  # (N, C)
        self.mc_probs: Tensor | None = None  # (T, N, C)
        self.labelled: Tensor  # (N,) bool
        self.paths: dict[str, Path] = {}  # field -> the file it came from
        self.seed = 0  # defaults of --seed / --round (an embedding's metadata)
        self.round = 0
        self.stem = "pool"  # default of --dataset

    @property
    def n_points(self) -> int:
        return int(self.labelled.shape[0])

    def tensors(self) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        """features, probs, mc_probs, in :class:`alcore.select.Pool`'s order."""
        return self.features, self.probs, self.mc_probs


def read_inputs(args: argparse.Namespace) -> PoolInputs:
    """Read and check every input file; a problem raises :class:`DataError` naming the file."""
    import torch

    from alcore.select import check_features, check_probs

    inputs = PoolInputs()
    embedding_labelled = None
    if args.features is not None:
        inputs.paths[FEATURES] = args.features
        inputs.stem = args.features.stem
        if _is_embedding(args.features):
            embedding = _read_embedding(args.features)
            inputs.features = embedding.pool_features
            embedding_labelled = embedding.pool_labelled
            if args.probs is None:
                inputs.probs, inputs.paths[PROBS] = embedding.pool_probs, args.features
            inputs.seed = _metadata_int(embedding.metadata, "seed")
            inputs.round = _metadata_int(embedding.metadata, "round")
        else:
            inputs.features = _read_matrix(args.features, FEATURES)
        if not inputs.features.is_floating_point():
            inputs.features = inputs.features.float()
        _checked(args.features, check_features, inputs.features)
    n_points = None if inputs.features is None else inputs.features.shape[0]
    if args.probs is not None:
        inputs.paths[PROBS] = args.probs
        inputs.stem = args.probs.stem if args.features is None else inputs.stem
        inputs.probs = _read_matrix(args.probs, PROBS)
    if inputs.probs is not None:
        if not inputs.probs.is_floating_point():
            inputs.probs = inputs.probs.float()
        path = inputs.paths[PROBS]
        _checked(path, check_probs, inputs.probs, n_points)
        n_points = inputs.probs.shape[0]
    if args.mc_probs is not None:
        inputs.paths[MC_PROBS] = args.mc_probs
        inputs.mc_probs = _read_mc_probs(args.mc_probs, n_points)
        n_points = inputs.mc_probs.shape[1]
    if args.labelled is not None:
        inputs.paths["labelled"] = args.labelled
        inputs.labelled = _read_labelled(args.labelled, n_points)
        if embedding_labelled is not None and not torch.equal(inputs.labelled, embedding_labelled):
            logging.getLogger("alcore.cli.select").warning(
                "--labelled differs from the labelled column of %s; selecting with --labelled",
                args.features,
            )
    elif embedding_labelled is not None:
        inputs.labelled = embedding_labelled
    else:
        raise UsageError(
            "pass --labelled FILE (pool indices or a boolean mask); only a workflow "
            "embedding.parquet as --features holds its own labelled set"
        )
    if not bool(inputs.labelled.any()):
        raise DataError(
            f"{inputs.paths.get('labelled', args.features)}: the labelled set is empty; "
            "selection measures distances to labelled points: label a random sample first "
            "(e.g. --strategy random on a one-point labelled set)"
        )
    return inputs


def _checked(path: Path, check: Callable[..., None], *values: object) -> None:
    """Run an engine check on a file's values; its ValueError, prefixed by the file."""
    try:
        check(*values)
    except ValueError as error:
        raise DataError(f"{path}: {error}") from error


def _is_embedding(path: Path) -> bool:
    if path.suffix != ".parquet":
        return False
    return EMBEDDING_COLUMNS <= set(_parquet_schema(path).names)


def _read_embedding(path: Path) -> Any:
    from alcore.stages.embed import Embedding

    try:
        return Embedding(path)
    except ValueError as error:  # StageFileError names the file and the fix
        raise DataError(str(error)) from error


def _metadata_int(metadata: dict[str, str], key: str) -> int:
    try:
        return int(metadata.get(key, "0"))
    except ValueError:
        return 0


def _read_matrix(path: Path, field: str) -> Tensor:
    """An (N, K) matrix from .npy / .pt / parquet (pool rows; see SELECT_EPILOG)."""
    if path.suffix != ".parquet":
        values = _read_tensor(path, field)
    else:
        table = _pool_rows(path, _read_parquet(path))
        values = _parquet_matrix(path, table, field)
    if values.dim() != 2:
        hint = {FEATURES: "one row of D numbers per point", PROBS: "one row of C per point"}
        raise DataError(
            f"{path}: {field} must have shape (N, {'D' if field == FEATURES else 'C'}), got "
            f"shape {tuple(values.shape)}; save {hint[field]}"
        )
    return values


def _read_mc_probs(path: Path, n_points: int | None) -> Tensor:
    if path.suffix == ".parquet":
        raise DataError(
            f"{path}: --mc-probs is read from .npy or .pt only (a (T, N, C) array); save it "
            "with np.save(path, mc_probs) or torch.save(mc_probs, path)"
        )
    values = _read_tensor(path, MC_PROBS)
    if values.dim() != 3 or values.shape[0] < 1:
        raise DataError(
            f"{path}: mc-probs must have shape (T, N, C) (T stochastic passes), got shape "
            f"{tuple(values.shape)}; stack the passes: np.stack([probs_1, ..., probs_T])"
        )
    if n_points is not None and values.shape[1] != n_points:
        raise DataError(
            f"{path}: mc-probs has {values.shape[1]} points (shape {tuple(values.shape)}), the "
            f"pool has {n_points}; pass (T, {n_points}, C)"
        )
    if not values.is_floating_point():
        values = values.float()
    from alcore.select import check_probs

    _checked(path, check_probs, values.flatten(0, 1))
    return values


def _read_labelled(path: Path, n_points: int | None) -> Tensor:
    """The labelled set as an (N,) bool mask, from indices or a mask."""
    import torch

    n_pool = None  # a workflow labelled.parquet's pool size
    if path.suffix == ".parquet":
        table = _read_parquet(path)
        names = table.column_names
        if "labelled" in names:
            values = _column_tensor(path, _pool_rows(path, table), "labelled")
        elif "index" in names:
            values = _column_tensor(path, table, "index")
            stored = (table.schema.metadata or {}).get(b"n_pool")
            n_pool = int(stored) if stored is not None else None
        else:
            raise DataError(
                f"{path}: has no `labelled` (boolean mask) or `index` (pool indices) column "
                f"(found {', '.join(names)}); write one of them"
            )
    else:
        values = _read_tensor(path, "labelled")
    if values.dim() != 1:
        raise DataError(
            f"{path}: the labelled set must be 1-D (indices or a mask), got shape "
            f"{tuple(values.shape)}; save labelled.reshape(-1)"
        )
    if values.dtype == torch.bool:
        if n_points is not None and values.shape[0] != n_points:
            raise DataError(
                f"{path}: the labelled mask has {values.shape[0]} entries, the pool has "
                f"{n_points} points; pass one bool per pool point (or the labelled indices)"
            )
        return values
    if values.is_floating_point() or values.is_complex():
        raise DataError(
            f"{path}: labelled holds {values.dtype} values; save integer pool indices "
            "(e.g. np.asarray(indices, dtype=np.int64)) or a boolean mask"
        )
    if n_points is None:
        n_points = n_pool
    if n_points is None:
        raise UsageError(
            f"{path} holds indices, so the pool size is unknown: pass --features or --probs "
            "(or a boolean mask as --labelled)"
        )
    if n_pool is not None and n_pool != n_points:
        raise DataError(
            f"{path}: was written for a pool of {n_pool} points, the inputs have {n_points}; "
            "pass the labelled set of this pool"
        )
    indices = values.long()
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= n_points):
        raise DataError(
            f"{path}: labelled indices must lie in [0, {n_points}) (the pool's rows), found "
            f"{int(indices.min())}..{int(indices.max())}; pass 0-based row indices of the "
            "features"
        )
    mask = torch.zeros(n_points, dtype=torch.bool)
    mask[indices] = True
    return mask


def _read_tensor(path: Path, field: str) -> Tensor:
    """A tensor from .npy (allow_pickle=False) or .pt (weights_only=True), on the CPU."""
    import numpy as np
    import torch

    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise DataError(
                f"{path}: not a readable .npy array ({_first_line(error)}); save a numeric "
                "array with np.save (object arrays are refused)"
            ) from error
        return _from_numpy(path, array, field)
    try:
        value = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and torch errors alike: the file is unusable
        reason = _first_line(error)
        if "Weights only load failed" in reason:  # torch's advice to unpickle is not ours
            reason = "corrupt, or holds pickled objects that weights_only=True refuses"
        raise DataError(
            f"{path}: not a readable tensor file ({reason}); save one tensor with "
            "torch.save(tensor, path)"
        ) from error
    if isinstance(value, np.ndarray):
        return _from_numpy(path, value, field)
    if not isinstance(value, torch.Tensor):
        raise DataError(
            f"{path}: holds a {type(value).__name__}, not a tensor; save the {field} tensor "
            "itself with torch.save(tensor, path)"
        )
    if value.dtype.is_complex:
        raise DataError(f"{path}: holds complex numbers; save real {field}")
    return value


def _from_numpy(path: Path, array: np.ndarray, field: str) -> Tensor:
    import numpy as np
    import torch

    if array.dtype.kind not in "biuf":
        raise DataError(
            f"{path}: holds {array.dtype} values, not numbers; save {field} as a numeric array"
        )
    if array.dtype.kind == "u" and array.dtype.itemsize > 1:
        array = array.astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(array.astype(array.dtype.newbyteorder("="))))


def _parquet_schema(path: Path) -> pa.Schema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as source:
            return source.schema_arrow
    except (pa.ArrowException, OSError) as error:
        raise DataError(
            f"{path}: not a readable parquet file ({_first_line(error)}); check the file"
        ) from error


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as source:
            return source.read()
    except (pa.ArrowException, OSError) as error:
        raise DataError(
            f"{path}: not a readable parquet file ({_first_line(error)}); check the file"
        ) from error


def _pool_rows(path: Path, table: pa.Table) -> pa.Table:
    """The rows with split == "pool" of a table with a `split` column (else all rows)."""
    import pyarrow.compute as pc

    if "split" not in table.column_names:
        return table
    return table.filter(pc.equal(table.column("split"), "pool"))


def _parquet_matrix(path: Path, table: pa.Table, field: str) -> Tensor:
    """A list column (``field`` or the only one) or all numeric columns, as (N, K)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import torch

    lists = [f.name for f in table.schema if pa.types.is_list(f.type)
             or pa.types.is_fixed_size_list(f.type) or pa.types.is_large_list(f.type)]  # fmt: skip
    name = field if field in lists else (lists[0] if len(lists) == 1 else None)
    if name is not None:
        column = table.column(name).combine_chunks()
        if column.null_count:
            raise DataError(f"{path}: column {name!r} has missing rows; write every row")
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        if len(lengths) and (lengths != lengths[0]).any():
            raise DataError(
                f"{path}: the rows of column {name!r} differ in length ({lengths.min()} to "
                f"{lengths.max()}); write {field} of one width"
            )
        width = int(lengths[0]) if len(lengths) else 0
        flat = column.flatten().to_numpy(zero_copy_only=False)
        return _from_numpy(path, np.asarray(flat).reshape(len(column), width), field)
    numeric = [f.name for f in table.schema if not f.name.startswith("__index_level_")
               and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type))]  # fmt: skip
    if len(lists) > 1 or not numeric:
        raise DataError(
            f"{path}: found no {field} column (columns: {', '.join(table.column_names)}); "
            f"write a list column named {field!r}, or one numeric column per dimension"
        )
    try:
        matrix = np.column_stack([table.column(n).to_numpy() for n in numeric])
    except (pa.ArrowException, ValueError) as error:  # nulls
        raise DataError(f"{path}: {_first_line(error)}; write every value") from error
    return torch.from_numpy(matrix.astype(np.result_type(matrix.dtype, np.float32)))


def _column_tensor(path: Path, table: pa.Table, name: str) -> Tensor:
    import numpy as np
    import pyarrow as pa

    column = table.column(name)
    if column.null_count:
        raise DataError(f"{path}: column {name!r} has missing values; write every row")
    if not (pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
        raise DataError(
            f"{path}: column {name!r} is {column.type}; write "
            f"{'booleans' if name == 'labelled' else 'integer pool indices'}"
        )
    return _from_numpy(path, np.asarray(column.to_numpy()), name)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ---------------------------------------------------------------------------------------------
# the listings


def list_strategies(args: argparse.Namespace) -> int:
    """``alcore strategies``: kind, summary, what it reads, its reference (torch-free)."""
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
        lines.append(f"{'':<{width}}reference: {kind.reference}")
    print("\n".join(lines))
    return 0


def list_models(args: argparse.Namespace) -> int:
    """``alcore models``: the registry's models with their summaries."""
    from alcore.models import registry

    names = registry.available_models()
    width = max(len(name) for name in names) + 2
    for name in names:
        print(f"{name:<{width}}{registry.MODELS[name].summary}")
    more: Callable[[], Any] | None = getattr(registry, "torchvision_model_names", None)
    if more is not None:
        extra = [n for n in more() if n not in registry.MODELS]
        if extra:
            print(f"\ntorchvision models ({len(extra)}):")
            print(textwrap.fill(", ".join(extra), width=96, initial_indent="  ",
                                subsequent_indent="  "))  # fmt: skip
    return 0


def list_datasets(args: argparse.Namespace) -> int:
    """``alcore datasets``: the registry's datasets, summaries and options with defaults."""
    from alcore.data.registry import DATASETS, available_datasets

    names = available_datasets()
    width = max(len(name) for name in names) + 2
    for name in names:
        entry = DATASETS[name]
        print(f"{name:<{width}}{entry.summary}")
        if entry.defaults:
            options = ", ".join(f"{k}={v!r}" for k, v in entry.defaults.items())
            print(textwrap.fill(f"options: {options}", width=96, initial_indent=" " * width,
                                subsequent_indent=" " * (width + 2)))  # fmt: skip
    return 0
