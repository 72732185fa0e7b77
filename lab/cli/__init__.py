"""The command line: `python -m lab train|eval|mteb|chapter|runs|recipes|losses`. Errors: one line on stderr, exit 2."""

from __future__ import annotations

import os
import sys

from lab.cli.args import EXIT_RUN_FAILED, EXIT_USAGE, CliError, _Parser, build_parser
from lab.cli.chapter import cmd_chapter
from lab.cli.info import cmd_eval, cmd_losses, cmd_mteb, cmd_recipes, cmd_runs
from lab.cli.train import cmd_train
from lab.errors import ConfigError, ModelError

COMMANDS = {
    "train": cmd_train,
    "eval": cmd_eval,
    "mteb": cmd_mteb,
    "chapter": cmd_chapter,
    "runs": cmd_runs,
    "recipes": cmd_recipes,
    "losses": cmd_losses,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (CliError, ConfigError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m lab losses | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


__all__ = ["COMMANDS", "EXIT_RUN_FAILED", "EXIT_USAGE", "CliError", "_Parser", "build_parser", "main", "cmd_chapter",
           "cmd_eval", "cmd_losses", "cmd_mteb", "cmd_recipes", "cmd_runs", "cmd_train"]
