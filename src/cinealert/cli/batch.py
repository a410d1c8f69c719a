"""``cinealert batch``: render a pre-rendered library from a manifest (resumable)."""
from __future__ import annotations

import argparse

from cinealert.cli.options import add_quiet


def add_parser(sub) -> None:
    p = sub.add_parser("batch", help="render a pre-rendered library from a manifest (resumable)",
                       description="Render every entry of MANIFEST (YAML or JSON: entries and/or a grid of disaster "
                                   "× level × time_of_day × season × language × camera × preset, with defaults) "
                                   "into LIBRARY/<entry>/, indexed in LIBRARY/library.json. Entries already "
                                   "finished with the same settings (outputs verified by digest) are skipped, "
                                   "interrupted ones are rendered again: run it again after a crash. "
                                   "`cinealert serve --library LIBRARY` answers matching alerts from it at once.",
                       epilog="examples:\n  cinealert batch season.yaml -o /srv/library --workers 2\n"
                              "  ray start --head; cinealert batch season.yaml -o /shared/library --engine ray "
                              "--ray-address 10.0.0.1:6379\n\nmanifest:\n"
                              "  defaults: {size: 1024x576, seconds: 3, formats: [mp4, poster, card]}\n"
                              "  grid: {disaster: [flood, wildfire], level: [advisory, warning], "
                              "time_of_day: [noon, night], language: [ko, en]}\n"
                              "  entries:\n    - {name: typhoon-night, disaster: typhoon, level: warning, "
                              "time_of_day: night, seed: 7}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manifest", metavar="MANIFEST", help="the manifest (.yaml, .yml or .json)")
    p.add_argument("-o", "--out", required=True, metavar="LIBRARY", help="the library folder")
    p.add_argument("--engine", default="local", help="local (a process pool, default) or ray")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: a running cluster (host:port of "
                                                         "`ray start --head`); default: a local Ray")
    p.add_argument("--workers", type=int, metavar="N", help="local engine: processes (default min(2, CPUs))")
    add_quiet(p)


def run(args: argparse.Namespace) -> None:
    from cinealert.batch import Batch, print_summary
    from cinealert.library import load_manifest
    entries = load_manifest(args.manifest)
    summary = Batch(entries, args.out, engine=args.engine, workers=args.workers, ray_address=args.ray_address,
                    progress=not args.quiet).run()
    print_summary(summary)
    if summary["failed"]:
        raise SystemExit(1)
