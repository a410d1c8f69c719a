"""``cinealert inspect``: print what cinealert understood of an alert."""
from __future__ import annotations

import argparse
import json

from cinealert.cli.options import add_json, add_lang, parse_time

EPILOG = """\
examples:
  cinealert inspect alert.xml
  cinealert inspect alert.xml --lang ko --json
  cinealert inspect feed.atom --all --json
  cinealert inspect alert.xml --now 2024-07-10T09:00:00+09:00     # judge expiry at another time

Prints what cinealert understood: the chosen info block, the disaster type and level (or why there is
none), areas, schema problems and warnings. --json prints every field of the CAP model.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("inspect", help="print the normalised alert",
                       description="Parse an alert and print what cinealert understood.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="INPUT", help="CAP / feed / disaster-text JSON file, disaster type or free text")
    add_lang(p)
    p.add_argument("--all", action="store_true", help="every alert of the file, not only the one shown")
    p.add_argument("--now", type=parse_time, default=None, metavar="TIME",
                   help="judge expiry at this ISO 8601 time instead of now")
    add_json(p)


def run(args: argparse.Namespace) -> None:
    from cinealert.alerts import choose, read_alerts
    alerts = read_alerts(args.input, lang=args.lang, now=args.now)
    shown = alerts if args.all else [choose(alerts)]
    if args.json:
        data = [a.to_dict() for a in shown]
        print(json.dumps(data if args.all else data[0], ensure_ascii=False, indent=2))
        return
    for k, a in enumerate(shown):
        if k:
            print()
        for key, v in a.summary().items():
            if key != "why":
                print(f"{key:11s} {v}")
        for w in a.why:
            print(f"why         {w['decision']} = {w['value']}: {w['because']}")
        for problem in a.schema_errors:
            print(f"schema      {problem}")
        for w in a.warnings:
            print(f"warning     {w}")
