"""Measure the prompts a metadata generator writes, per disaster type: coverage of what a viewer must see,
diversity across seeds (distinct-n), length, and the share of outputs that needed cleanup or failed.

    python bench/bench_prompts.py                       # the built-in template, English and Korean
    python bench/bench_prompts.py --seeds 50
    python bench/bench_prompts.py --llm models/llama --adapter out/lora --seeds 5 --types flood,wildfire

See cinealert.evaluate.prompts for the definitions.
"""
from __future__ import annotations

import argparse
import time

from cinealert.evaluate.prompts import measure, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="seeds per disaster type (default 20)")
    ap.add_argument("--types", default=None, help="comma-separated disaster types (default: all)")
    ap.add_argument("--lang", default="en,ko", help="alert languages to measure (default en,ko)")
    ap.add_argument("--llm", default=None, help="a local model folder or an OpenAI-compatible server URL")
    ap.add_argument("--adapter", default=None, help="a LoRA adapter folder for --llm")
    args = ap.parse_args()

    if args.llm:
        from cinealert.prompting.llm import create_generator
        generator = create_generator(args.llm, adapter=args.adapter)
    else:
        from cinealert.prompting import TemplateGenerator
        generator = TemplateGenerator()
    types = [t.strip() for t in args.types.split(",")] if args.types else None
    for lang in [x.strip() for x in args.lang.split(",") if x.strip()]:
        start = time.perf_counter()
        stats = measure(generator, disasters=types, seeds=range(args.seeds), language=lang)
        seconds = time.perf_counter() - start
        n = sum(s.outputs for s in stats)
        print(f"\n{generator.name}, {lang} alerts, {args.seeds} seeds per type "
              f"({n} outputs, {1000 * seconds / n:.1f} ms each)\n")
        print(table(stats))
        mean = lambda f: sum(getattr(s, f) for s in stats) / len(stats)  # noqa: E731
        print(f"\nmean: coverage {mean('coverage'):.2f}, full {mean('full_coverage'):.2f}, "
              f"distinct-2 {mean('distinct_2'):.2f}, words {mean('words'):.0f}, cleanup {mean('cleanup'):.2f}")


if __name__ == "__main__":
    main()
