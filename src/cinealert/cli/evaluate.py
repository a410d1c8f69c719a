"""``cinealert evaluate``: the paper's image metrics per disaster type, cinemagraph and motion metrics, and
``evaluate sweep``, which makes the images to measure."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from cinealert.cli.options import add_device, add_json, add_quiet, add_seed, parse_size
from cinealert.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="the paper's Table 1 (FID, CLIP score, LPIPS, SSIM) and cinemagraph metrics",
                       description="Measure images per disaster type against references (FID, CLIP score, "
                                   "LPIPS, SSIM), measure finished cinemagraphs (--videos), or generate a sweep "
                                   "of images to measure (`evaluate sweep`). Metrics whose weights are not given "
                                   "are reported as unavailable with the reason, never as zero.",
                       epilog="examples:\n"
                              "  cinealert evaluate --generated runs/template --reference photos/ --out eval/\n"
                              "  cinealert evaluate --generated runs/sd --reference photos/ --inception "
                              "models/inception-2015-12-05.pt \\\n      --clip models/clip --lpips "
                              "models/alexnet.pth,models/lpips_alex.pth --json\n"
                              "  cinealert evaluate --videos out/ --out eval/videos\n"
                              "  cinealert evaluate sweep -o runs/template --n 8            # procedural, template metadata\n"
                              "  cinealert evaluate sweep -o runs/keyword --t2i models/sd15 --prompt keyword\n"
                              "layout: DIR/<disaster type>/*.png; prompts from NAME.txt, NAME.json or prompts.json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", nargs="?", choices=("sweep",), help="sweep: generate images per disaster type")
    p.add_argument("--generated", metavar="DIR", help="generated images, one subfolder per disaster type")
    p.add_argument("--reference", metavar="DIR", help="reference images, one subfolder per disaster type")
    p.add_argument("--videos", metavar="DIR", help="result folders of `make` (or video files) to measure")
    p.add_argument("--motion", metavar="VIDEOS", help="held-out real clips (VIDEOS/<class>/*.mp4): end-point and "
                                                      "angular error of the motion backends")
    p.add_argument("--motion-model", metavar="DIR", help="with --motion: also the trained network")
    p.add_argument("--inception", metavar="FILE", help="TorchScript Inception for FID (inception-2015-12-05.pt)")
    p.add_argument("--fid-backbone", metavar="DIR", help="CLIP or DINOv2 folder for FID on its features")
    p.add_argument("--clip", metavar="DIR", help="CLIP folder for the CLIP score")
    p.add_argument("--lpips", metavar="FILE[,FILE]", help="AlexNet and LPIPS head weights (.pth/.safetensors)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N images per type")
    p.add_argument("-o", "--out", metavar="DIR", help="tables (md, csv, json) and plots here; for sweep: the images")
    add_json(p, "print the results as JSON")
    add_device(p)
    g = p.add_argument_group("sweep")
    g.add_argument("--n", type=int, default=4, help="images per disaster type (default 4)")
    g.add_argument("--types", default=None, help="comma-separated disaster types (default: the paper's seven)")
    g.add_argument("--prompt", choices=("metadata", "keyword"), default="metadata",
                   help="metadata (the scene metadata's prompt) or keyword (the bare disaster name; needs --t2i)")
    g.add_argument("--t2i", default=None, metavar="DIR", help="a diffusers text-to-image folder (default procedural)")
    g.add_argument("--llm", default=None, metavar="DIR|URL", help="write the metadata with this LLM")
    g.add_argument("--adapter", default=None, metavar="DIR", help="LoRA adapter for --llm")
    g.add_argument("--size", type=parse_size, default=(512, 512), metavar="WxH", help="image size (default 512x512)")
    add_seed(g, "first seed (default 0)")
    add_quiet(g)


def run(args: argparse.Namespace) -> None:
    if args.mode == "sweep":
        _sweep(args)
    else:
        _measure(args)


def _sweep(args: argparse.Namespace) -> None:
    if not args.out:
        raise InputError("evaluate sweep needs -o DIR for the images")
    from cinealert.evaluate.sweep import PAPER_TYPES, run_sweep
    types = tuple(t.strip() for t in args.types.split(",")) if args.types else PAPER_TYPES
    summary = run_sweep(args.out, types=types, n=args.n, prompt=args.prompt, t2i=args.t2i, llm=args.llm,
                        adapter=args.adapter, width=args.size[0], height=args.size[1], seed=args.seed,
                        device=args.device, progress=not args.quiet)
    print(f"sweep written to {summary['out']}: {sum(summary['types'].values())} images "
          f"({args.prompt} prompt, {summary['imaging']}) in {summary['seconds']:.1f} s")
    print(f"  score it  cinealert evaluate --generated {summary['out']} --reference REFERENCE_DIR")


def _measure(args: argparse.Namespace) -> None:
    from cinealert.evaluate.tables import IMAGE_COLUMNS, VIDEO_COLUMNS, markdown, write_all
    if sum(bool(v) for v in (args.videos, args.generated, args.motion)) != 1:
        raise InputError("give --generated DIR (with --reference DIR) for images, --videos DIR for cinemagraphs, "
                         "or --motion VIDEOS for motion backends")
    if args.motion:
        from cinealert.evaluate.motion_eval import evaluate_motion
        from cinealert.evaluate.tables import MOTION_COLUMNS
        result, columns, stem = (evaluate_motion(args.motion, motion_model=args.motion_model, device=args.device),
                                 MOTION_COLUMNS, "motion")
    elif args.videos:
        from cinealert.evaluate.videos import evaluate_videos
        result, columns, stem = evaluate_videos(args.videos), VIDEO_COLUMNS, "videos"
    else:
        from cinealert.evaluate import image_metrics as im
        if args.inception and args.fid_backbone:
            raise InputError("give --inception or --fid-backbone, not both")
        features = (im.InceptionFeatures(args.inception, device=args.device) if args.inception else
                    im.TransformersFeatures(args.fid_backbone, device=args.device) if args.fid_backbone else None)
        clip = im.ClipScorer(args.clip, device=args.device) if args.clip else None
        lpips = None
        if args.lpips:
            from cinealert.evaluate.lpips import LPIPS
            lpips = LPIPS(args.lpips, device=args.device)
        generated = im.read_sets(args.generated, limit=args.limit)
        reference = im.read_sets(args.reference, limit=args.limit) if args.reference else None
        result = im.evaluate_sets(generated, reference, features=features, clip=clip, lpips=lpips)
        columns, stem = IMAGE_COLUMNS, "images"
    if args.out:
        paths = write_all(result, Path(args.out), columns, stem=stem)
        result["files"] = {k: str(v) for k, v in paths.items()}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(markdown(result, columns), end="")
        if args.out:
            print(f"tables and plots written to {args.out}/")
