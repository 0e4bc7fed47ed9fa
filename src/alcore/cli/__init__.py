"""``alcore``: the selection engine from the command line, for a training loop of your own.

``alcore select`` reads a pool's features / probabilities / labelled set from .npy, .pt or
parquet files, runs one kind of :data:`alcore.catalog.strategies.KINDS` and writes the picks as
the workflow's acquisitions table (:data:`alcore.stages.schemas.ACQUISITIONS`, one writer:
:func:`alcore.stages.select.acquisition_columns`). ``alcore strategies | models | datasets``
list the catalogue. See docs/cli.md.

Exit status: 0 done, 1 bad data (a file that cannot be used, a budget the pool cannot meet),
2 bad arguments (argparse's usage errors), 130 interrupted. Errors are one line on stderr that
names the problem and the fix, never a traceback. torch is imported by ``select``, ``models``
and ``datasets`` only, so ``alcore --help`` and ``alcore strategies`` start at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from alcore.cli.common import PROG, DataError, UsageError
from alcore.cli.parser import build_parser
from alcore.cli.select import stderr_log

__all__ = ["DataError", "UsageError", "build_parser", "main"]


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
        stderr_log(quiet=True)  # no handler left bound to this call's stderr
    return 1


def _usage_error(parser: argparse.ArgumentParser, command: str, message: str) -> NoReturn:
    """argparse's usage message and exit status 2, from the subcommand's parser."""
    for action in parser._actions:  # the subcommands' parsers
        if isinstance(action, argparse._SubParsersAction):
            subparser = action.choices[command]
            assert isinstance(subparser, argparse.ArgumentParser)
            subparser.error(message)  # exits 2
    parser.error(message)
