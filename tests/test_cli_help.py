"""Every command's ``--help`` against its golden file in tests/data/help/.

The golden files are the help of the command line as it was before it became a package; they keep the
text of every option, group and example from changing by accident. The width is fixed (COLUMNS=100,
which argparse reads through shutil.get_terminal_size) so the wrapping does not depend on the terminal.
argparse's layout differs between Python versions; the files were written with Python 3.11.

To accept an intended change of the help text: ``PYTHONPATH=src python tests/test_cli_help.py`` rewrites
the files (then read the diff of tests/data/help/ before committing it).
"""
from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cinealert.cli import build_parser, main

HELP_DIR = Path(__file__).parent / "data" / "help"
WIDTH = "100"


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The command paths of ``parser``: (), ("make",), ..., ("motion", "extract"), ... in parser order."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, path + (name,))
    return found


COMMANDS = _commands(build_parser())


def _golden(path: tuple[str, ...]) -> Path:
    return HELP_DIR / ("_".join(("cinealert",) + path) + ".txt")


def _help(path: tuple[str, ...], capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", WIDTH)
    code = main([*path, "--help"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", (code, err)
    return out


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("cinealert",) + p))
def test_help_matches_golden(path, capsys, monkeypatch):
    text = _help(path, capsys, monkeypatch)
    golden = _golden(path)
    assert golden.exists(), f"{golden} is missing: a new command needs its golden help file"
    want = golden.read_text(encoding="utf-8")
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                            fromfile=str(golden), tofile="now"))
        pytest.fail(f"`cinealert {' '.join(path)} --help` changed:\n{diff}", pytrace=False)


def test_every_golden_file_names_a_command():
    """A golden file left over from a removed or renamed command fails here, not silently."""
    expected = {_golden(p).name for p in COMMANDS}
    assert {f.name for f in HELP_DIR.glob("*.txt")} == expected


def test_commands_found():
    """The walk over the parser sees the sub-commands of sub-commands too."""
    assert ("make",) in COMMANDS and ("motion", "extract") in COMMANDS and ("dataset", "build") in COMMANDS


def test_module_help_is_the_same_as_main():
    """``python -m cinealert --help`` (the real entry point, a fresh process) prints the golden text."""
    env = dict(os.environ, COLUMNS=WIDTH, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    res = subprocess.run([sys.executable, "-m", "cinealert", "--help"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == _golden(()).read_text(encoding="utf-8")


if __name__ == "__main__":                 # rewrite the golden files from the current parser
    import contextlib
    import io
    os.environ["COLUMNS"] = WIDTH
    HELP_DIR.mkdir(parents=True, exist_ok=True)
    for command in COMMANDS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*command, "--help"]) == 0
        _golden(command).write_text(buf.getvalue(), encoding="utf-8")
        print(_golden(command))
