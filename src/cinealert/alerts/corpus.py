"""A table of real alerts and what each should give: the check that cinealert reads alerts as their senders
meant (``tests/data/alerts_corpus``, ``bench/alerts_corpus.py``).

``expected.tsv`` has one row per file: the expected disaster type (``refuse`` when no picture must be made;
``a|b`` when either reading is fair), the expected level (``*``: not judged), and which alert or language must be
chosen (a language tag, a word of the chosen event, or ``*``).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cinealert.errors import InputError


@dataclass
class Outcome:
    """What cinealert made of one file."""

    file: str
    type: str            # a disaster key, or "refuse"
    level: str | None
    language: str
    event: str
    error: str = ""


@dataclass
class Row:
    file: str
    type: str
    level: str
    chosen: str
    reason: str

    def judge(self, got: Outcome) -> list[str]:
        """What ``got`` gets wrong against this row (empty when right)."""
        wrong = []
        if got.type not in self.type.split("|"):
            wrong.append(f"type {got.type} (expected {self.type})")
        if got.type != "refuse" and self.level != "*" and got.level != self.level:
            wrong.append(f"level {got.level} (expected {self.level})")
        if got.type != "refuse" and self.chosen != "*" and not _chosen_matches(self.chosen, got):
            wrong.append(f"chose {got.language} {got.event!r} (expected {self.chosen})")
        return wrong


def _chosen_matches(want: str, got: Outcome) -> bool:
    lang = (got.language or "").lower()
    if want.lower() == lang or lang.startswith(want.lower() + "-"):
        return True
    return want.lower() in got.event.lower()


def read_table(folder: str | Path) -> list[Row]:
    with open(Path(folder) / "expected.tsv", encoding="utf-8", newline="") as f:
        return [Row(**{k: (v or "").strip() for k, v in r.items()})
                for r in csv.DictReader(f, delimiter="\t")]


def outcome(path: str | Path) -> Outcome:
    """Read ``path`` as ``cinealert make`` would and say which type, level and block it takes."""
    from cinealert.alerts import read_input
    name = Path(path).name
    try:
        alert = read_input(str(path))
    except InputError as e:
        return Outcome(name, "refuse", None, "", "", error=str(e))
    kind = alert.disaster if (alert.disaster and alert.makes_media and not _ends(alert)) else "refuse"
    return Outcome(name, kind, alert.level, alert.language, alert.event)


def _ends(alert) -> bool:
    return bool(getattr(alert, "ending", False))


def score(folder: str | Path) -> tuple[int, list[tuple[Row, Outcome, list[str]]]]:
    """How many rows of the table the current code gets right, and every row's result."""
    results = []
    for row in read_table(folder):
        got = outcome(Path(folder) / row.file)
        results.append((row, got, row.judge(got)))
    return sum(1 for *_, wrong in results if not wrong), results
