"""``cinealert dataset build``: folders of disaster photos → keywords → metadata training pairs (JSONL)."""
from __future__ import annotations

import argparse

from cinealert.cli.options import Parser, add_device, add_models, add_quiet, add_seed

EPILOG_BUILD = """\
examples:
  cinealert dataset build photos/ -o data/meta.jsonl
  cinealert dataset build photos/ -o data/meta.jsonl --captioner models/blip-large

photos/ holds one folder per disaster type (flood/, wildfire/, heavy_snow/, 산불/ ...). Images that are
too small, too blurry, too dark or washed out, or near-duplicates are dropped; DATA.report.json next to
the JSONL lists what was dropped and why. Each kept image becomes one keywords → metadata pair.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("dataset", help="build fine-tuning data from folders of disaster photos",
                       description="Fine-tuning data for the metadata LLM.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", parser_class=Parser, required=True)
    d = dsub.add_parser("build", help="photos → quality filters → captions → metadata JSONL",
                        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_BUILD,
                        description="Build keywords → metadata training pairs from folders of photos named "
                                    "by disaster type.")
    d.add_argument("images", metavar="IMAGES", help="a folder with one subfolder per disaster type "
                                                    "(flood/, wildfire/, 산불/, ...)")
    d.add_argument("-o", "--out", required=True, metavar="DATA.jsonl", help="the JSONL file to write")
    d.add_argument("--captioner", default=None, metavar="DIR",
                   help="a BLIP captioning model folder (default: no captions; the metadata comes from "
                        "the template and the measured image attributes)")
    d.add_argument("--val-fraction", type=float, default=0.1, help="share of each type kept for "
                                                                   "validation (default 0.1)")
    add_seed(d, "seed of the split and metadata (default 0)")
    d.add_argument("--min-side", type=int, default=256, help="drop images with a shorter side below "
                                                             "this many pixels (default 256)")
    add_models(d, "a folder whose captioner/ subfolder is used when --captioner is not given "
                  "(default $CINEALERT_MODELS)")
    add_device(d, "torch device for the captioner")
    add_quiet(d)


def run(args: argparse.Namespace) -> None:
    import warnings

    from cinealert.training.dataset import DatasetWarning, build_dataset
    warnings.simplefilter("ignore", DatasetWarning)       # the summary lists them
    from cinealert import models
    captioner = args.captioner or _opt_str(models.resolve("captioner", None, models.models_root(args.models)))
    report = build_dataset(args.images, args.out, captioner=captioner,
                           val_fraction=args.val_fraction, seed=args.seed, min_side=args.min_side,
                           device=args.device, progress=not args.quiet)
    print(f"training data written to {args.out}")
    print(report.summary())


def _opt_str(value) -> str | None:
    return None if value is None else str(value)
