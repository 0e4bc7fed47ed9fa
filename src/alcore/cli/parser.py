"""The ``alcore`` parser: its commands, options and help texts."""

from __future__ import annotations

import argparse
from pathlib import Path

from alcore import __version__
from alcore.catalog.strategies import FEATURES, KINDS, MC_PROBS, PROBS
from alcore.cli.common import PROG, WHAT_OF
from alcore.cli.listings import list_datasets, list_models, list_strategies, print_catalogue
from alcore.cli.select import run_select

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
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="the picks table (parquet); never one of the input files",
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
        ("catalogue", print_catalogue, "every catalogue entry as Markdown (docs/catalogue.md)",
         "example:\n  alcore catalogue > docs/catalogue.md"),
    ):  # fmt: skip
        listing = commands.add_parser(
            name, help=f"list {what}", description=f"List {what}.", epilog=epilog,
            formatter_class=formatter,
        )  # fmt: skip
        listing.set_defaults(run=run)
    return parser
