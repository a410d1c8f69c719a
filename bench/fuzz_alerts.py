"""Fuzz the alert reader with mutated real CAP samples and report what came out.

Every input is a real sample from ``tests/data/cap`` with one to five random mutations (byte flips,
deletions, truncation, hostile fragments such as DTDs, entity references, CDATA markers, invalid UTF-8
and NULs, deep runs of open tags, duplicated elements, swapped tag names, odd field values, elements
added between tags, another encoding named in the declaration, or the whole document re-encoded).
Each goes through ``cinealert.alerts.read_bytes`` (or ``parse_xml`` with ``--target xml``); the only
acceptable outcomes are an ``Alert`` and an ``InputError`` with a one-line message. Anything else is
counted, shown, and makes the exit status 1. The same seed gives the same inputs. The mutations are those
of :mod:`cinealert.alerts.fuzz`, the engine ``tests/test_alerts_fuzz.py`` draws from as well.

Timings are taken with tracemalloc running (for the memory column) unless ``--no-trace`` is given;
every sample is read once before the run so that one-time loading (schemas) is not counted.

    python bench/fuzz_alerts.py --inputs 20000 --seed 0
    python bench/fuzz_alerts.py --inputs 2000 --target xml --save-failures out/fuzz
"""
from __future__ import annotations

import argparse
import re
import signal
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from cinealert.alerts.fuzz import RandomMutator, describe

ROOT = Path(__file__).resolve().parents[1]
CAP_DIR = ROOT / "tests" / "data" / "cap"

class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=20_000, help="how many mutated inputs to try")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", choices=("read_bytes", "xml"), default="read_bytes",
                    help="read_bytes: the whole alert reader; xml: cinealert.alerts.xmlsafe.parse_xml only")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before one input counts as a hang")
    ap.add_argument("--no-trace", action="store_true", help="skip tracemalloc (faster, no memory column)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--save-failures", type=Path, help="folder to write inputs that raised anything else")
    args = ap.parse_args(argv)

    from cinealert.errors import InputError
    if args.target == "xml":
        from xml.etree.ElementTree import Element as expected

        from cinealert.alerts.xmlsafe import parse_xml as target
    else:
        from cinealert.alerts import Alert as expected
        from cinealert.alerts import read_bytes as target

    samples = [(p.name, p.read_bytes()) for p in sorted(CAP_DIR.glob("*.xml"))]
    mutate = RandomMutator(args.seed)
    counts = Counter()
    messages = Counter()
    failures: list[tuple[str, list[str], str, bytes]] = []
    slowest = (0.0, "", [])
    heaviest = (0, "", [])
    total_s = 0.0
    use_alarm = hasattr(signal, "setitimer") and args.timeout > 0
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    # Warm up outside the measurements: first use loads schemas and tables once per process.
    for _, original in samples:
        try:
            target(original)
        except InputError:
            pass
    if not args.no_trace:
        tracemalloc.start()

    for _ in tqdm(range(args.inputs), desc=f"fuzz {args.target}", unit="input", disable=args.no_progress,
                  mininterval=0.5, file=sys.stderr):
        name, original = mutate.rng.choice(samples)
        data, mutations = mutate(original)
        ops = [describe(op) for op in mutations]
        if not args.no_trace:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        outcome = None
        t0 = time.perf_counter()
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                result = target(data)
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except InputError as e:
            text = str(e)
            if "\n" in text or "\r" in text or not text.strip():
                outcome = f"InputError without a one-line message: {text!r}"
            else:
                counts["input_error"] += 1
                messages[re.sub(r"\d+", "N", text)[:60]] += 1
        except _Hang:
            outcome = f"hang: still running after {args.timeout:g} s"
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            outcome = f"{type(e).__name__}: {e!r}"[:300]
        else:
            if isinstance(result, expected):
                counts["parsed"] += 1
            else:
                outcome = f"returned {type(result).__name__}, not {expected.__name__}"
        elapsed = time.perf_counter() - t0
        total_s += elapsed
        if not args.no_trace:
            peak = tracemalloc.get_traced_memory()[1] - base
            if peak > heaviest[0]:
                heaviest = (peak, name, ops)
        if elapsed > slowest[0]:
            slowest = (elapsed, name, ops)
        if outcome is not None:
            counts["other"] += 1
            failures.append((name, ops, outcome, data))

    if not args.no_trace:
        tracemalloc.stop()
    tried = args.inputs
    rows = [
        ("target", "read_bytes" if args.target == "read_bytes" else "parse_xml"),
        ("seed", str(args.seed)),
        ("inputs tried", f"{tried}"),
        ("parsed to an " + expected.__name__, f"{counts['parsed']} ({100 * counts['parsed'] / max(tried, 1):.1f} %)"),
        ("clean InputError", f"{counts['input_error']} ({100 * counts['input_error'] / max(tried, 1):.1f} %)"),
        ("other exceptions", f"{counts['other']}"),
        ("slowest input", f"{slowest[0] * 1000:.1f} ms ({slowest[1]}: {'; '.join(slowest[2])[:80]})"),
        ("mean per input", f"{total_s / max(tried, 1) * 1e6:.0f} µs" + ("" if args.no_trace else " (traced)")),
        ("peak traced memory", "not traced" if args.no_trace else
         f"{heaviest[0] / 2**20:.1f} MiB ({heaviest[1]}: {'; '.join(heaviest[2])[:80]})"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")
    print()
    print("most frequent InputError messages (digits shown as N):")
    for text, n in messages.most_common(8):
        print(f"  {n:6d}  {text}")
    if failures:
        print()
        print(f"first {min(len(failures), 5)} of {len(failures)} other exceptions:")
        for name, ops, outcome, data in failures[:5]:
            print(f"  {name}: {'; '.join(ops)}")
            print(f"    {outcome}")
            print(f"    input ({len(data)} bytes): {data[:160]!r}{' ...' if len(data) > 160 else ''}")
        if args.save_failures:
            args.save_failures.mkdir(parents=True, exist_ok=True)
            for i, (_, _, _, data) in enumerate(failures):
                (args.save_failures / f"failure_{i:04d}.xml").write_bytes(data)
            print(f"wrote {len(failures)} failing inputs to {args.save_failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
