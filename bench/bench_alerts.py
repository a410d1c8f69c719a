"""Time the alert readers on every real sample: one table, one row per file.

Each file is read ``--repeat`` times in this process after one warm-up read (the CAP schemas load once per
process; that one-time cost is shown on its own line). Columns: bytes, alerts found, mean milliseconds per
read (decode + safe parse + model + schema validation for CAP), and peak traced memory of one read.

    python bench/bench_alerts.py --repeat 50
"""
from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

from cinealert.alerts import read_all_bytes
from cinealert.alerts.schema import _schema

ROOT = Path(__file__).resolve().parents[1]
DIRS = (ROOT / "tests" / "data" / "cap", ROOT / "tests" / "data" / "mois")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50, help="reads per file (default 50)")
    args = ap.parse_args()

    t = time.perf_counter()
    _schema("1.1"), _schema("1.2")
    print(f"one-time schema load (CAP 1.1 + 1.2): {1000 * (time.perf_counter() - t):.0f} ms\n")
    print("| file | bytes | alerts | ms per read | peak KiB |")
    print("|---|---|---|---|---|")
    total = 0.0
    files = sorted(p for d in DIRS for p in d.iterdir() if p.suffix in (".xml", ".json"))
    for path in files:
        data = path.read_bytes()
        alerts = read_all_bytes(data, name=path.name)
        start = time.perf_counter()
        for _ in range(args.repeat):
            read_all_bytes(data, name=path.name)
        ms = 1000 * (time.perf_counter() - start) / args.repeat
        total += ms
        tracemalloc.start()
        read_all_bytes(data, name=path.name)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"| {path.parent.name}/{path.name} | {len(data)} | {len(alerts)} | {ms:.2f} | {peak / 1024:.0f} |")
    print(f"\n{len(files)} files, mean {total / len(files):.2f} ms per read")


if __name__ == "__main__":
    main()
