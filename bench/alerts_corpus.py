"""How many real alerts of tests/data/alerts_corpus cinealert reads as their senders meant.

    PYTHONPATH=src python bench/alerts_corpus.py [--folder DIR] [--all]

Prints one line per file (wrong ones only unless --all) and the score.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from cinealert.alerts.corpus import score

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "alerts_corpus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", default=str(HERE))
    ap.add_argument("--all", action="store_true", help="show the right ones too")
    args = ap.parse_args()
    right, results = score(args.folder)
    print(f"{'file':58} {'got':14} {'level':9} {'language':9} verdict")
    for row, got, wrong in results:
        if wrong or args.all:
            verdict = "ok" if not wrong else "; ".join(wrong)
            print(f"{row.file[:58]:58} {got.type:14} {str(got.level):9} {got.language[:9]:9} {verdict}")
    print(f"\nright: {right}/{len(results)}")


if __name__ == "__main__":
    main()
