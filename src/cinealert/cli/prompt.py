"""``cinealert prompt``: print an alert's scene metadata, prompt and negative prompt."""
from __future__ import annotations

import argparse
import json
import sys

from cinealert.cli.options import add_json, add_lang, add_models, add_seed, llm_kwargs, llm_options


def add_parser(sub) -> None:
    p = sub.add_parser("prompt", help="print the scene metadata and prompt",
                       description="Print the scene metadata, prompt and negative prompt for an alert.")
    p.add_argument("input", metavar="INPUT", help="CAP file, disaster type or free text")
    add_lang(p)
    add_seed(p)
    add_json(p)
    add_models(p, "a folder with llm/ (and adapter/) subfolders, used when --llm is not given; "
                  "default $CINEALERT_MODELS")
    llm_options(p)


def run(args: argparse.Namespace) -> None:
    from cinealert.alerts import read_input
    from cinealert.disasters import require_visual
    from cinealert.prompting import generate_metadata
    alert = read_input(args.input, lang=args.lang)
    require_visual(alert.event or alert.headline, alert.disaster)
    meta, how = generate_metadata(alert, seed=args.seed, **llm_kwargs(args))
    if args.json:
        print(json.dumps({"metadata": meta.to_dict(), "prompt": meta.to_prompt(),
                          "negative_prompt": meta.negative_prompt(), "generator": how},
                         ensure_ascii=False, indent=2))
        return
    if how.get("fallback_from"):
        sys.stderr.write(f"note: {how['problem']}; the template wrote the metadata\n")
    print(meta.to_prompt())
    print(f"\nnegative: {meta.negative_prompt()}")
