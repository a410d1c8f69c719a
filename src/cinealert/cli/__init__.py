"""The command line. Thin: it parses options, calls the pipeline and prints results.

Exit status: 0 done; 2 bad input or unusable option (one line on stderr); 1 internal error.

Each command is one module of this package (``make``, ``animate``, ... ``backends``) with
``add_parser(sub)``, which adds the command's parser, and ``run(args)``, which does its work; the
options several commands share (the clip, the backends, the metadata LLM, the settings of service
jobs, ``--lang``, ``--quiet`` ...) are defined once in :mod:`cinealert.cli.options`. Heavy imports
happen inside ``run``, so ``--help`` and bad options answer at once.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback

from cinealert import __version__
from cinealert.cli import (animate, backends, batch, dataset, evaluate, finetune, gallery, inspect, make, motion,
                           prompt, serve, store, watch, worker)
from cinealert.cli.options import Parser
from cinealert.errors import InputError

#: The commands, in the order ``cinealert --help`` lists them.
COMMANDS = {"make": make, "animate": animate, "inspect": inspect, "prompt": prompt, "dataset": dataset,
            "finetune": finetune, "evaluate": evaluate, "motion": motion, "serve": serve, "worker": worker,
            "store": store, "watch": watch, "batch": batch, "gallery": gallery, "backends": backends}

__all__ = ["COMMANDS", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cinealert", description=(
        "Turn disaster alerts into short, seamlessly looping 3D cinemagraphs: one picture of the "
        "disaster with its water, fire, smoke or snow moving while the camera glides through it."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `cinealert COMMAND --help` for each command's options and examples.")
    parser.add_argument("--version", action="version", version=f"cinealert {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS.values():
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from cinealert.models import offline
    offline()                           # nothing is ever downloaded (an explicit HF_HUB_OFFLINE=0 is kept)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:          # --help, --version and usage errors (already printed)
        return stop.code if isinstance(stop.code, int) else 2
    if not args.command:
        parser.print_help()
        return 2
    try:
        COMMANDS[args.command].run(args)
        return 0
    except InputError as err:
        sys.stderr.write(f"cinealert {args.command}: error: {err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("cinealert: interrupted\n")
        return 130
    except BrokenPipeError:             # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - the last line of defence prints one line, not a traceback
        if os.environ.get("CINEALERT_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"cinealert {args.command}: internal error: {type(err).__name__}: {err} "
                         "(set CINEALERT_DEBUG=1 for the traceback)\n")
        return 1
