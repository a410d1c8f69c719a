"""The command line. Thin: it parses options, calls the pipeline and prints results.

Exit status: 0 done; 2 bad input or unusable option (one line on stderr); 1 internal error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from cinealert import __version__, registry
from cinealert.errors import InputError
from cinealert.render import CAMERAS

EPILOG_MAKE = """\
examples:
  cinealert make flood -o out/flood
  cinealert make "호우경보 발령" -o out/rain --camera up-down
  cinealert make alert.xml --lang ko -o out/alert --size 1920x1080 --seconds 4
  cinealert make wildfire -o out/fire --seed 7 --camera zoom-in --motion-speed 1.5

INPUT is a CAP file (1.0/1.1/1.2; also an <alerts> list, an ATOM/RSS feed or an EDXL-DE envelope),
a Korean disaster-text record file (JSON with MSG_CN, DST_SE_NM, ...), a disaster type (flood,
landslide, drought, wildfire, heavy_snow, typhoon, earthquake, heavy_rain, tsunami, ...; Korean names
work too) or a sentence of free text. A file with several alerts renders the first one that can be
pictured (see `cinealert inspect FILE --all`).
DIR receives cinemagraph.mp4, cinemagraph.gif, cinemagraph.webp, poster.png, report.json and, for
CAP input, alert.xml (the alert with <resource> entries for the media, checked against the schema).
A Cancel makes no media, only report.json; a Test, Exercise, System or Draft message gets its status
written on every frame.
"""

EPILOG_INSPECT = """\
examples:
  cinealert inspect alert.xml
  cinealert inspect alert.xml --lang ko --json
  cinealert inspect feed.atom --all --json
  cinealert inspect alert.xml --now 2024-07-10T09:00:00+09:00     # judge expiry at another time

Prints what cinealert understood: the chosen info block, the disaster type and level (or why there is
none), areas, schema problems and warnings. --json prints every field of the CAP model.
"""

EPILOG_ANIMATE = """\
examples:
  cinealert animate photo.jpg --disaster flood -o out/photo
  cinealert animate fire.png --disaster wildfire --size 1280x720 --camera static -o out/fire

The photo keeps its own size unless --size is given (then it is scaled to cover and centre-cropped).
Moving regions and depth are estimated from the photo (built-in heuristics, or a model backend).
"""


EPILOG_DATASET = """\
examples:
  cinealert dataset build photos/ -o data/meta.jsonl
  cinealert dataset build photos/ -o data/meta.jsonl --captioner models/blip-large

photos/ holds one folder per disaster type (flood/, wildfire/, heavy_snow/, 산불/ ...). Images that are
too small, too blurry, too dark or washed out, or near-duplicates are dropped; DATA.report.json next to
the JSONL lists what was dropped and why. Each kept image becomes one keywords → metadata pair.
"""

EPILOG_FINETUNE = """\
examples:
  cinealert finetune --base models/llama-2-7b-chat --data data/meta.jsonl --out out/lora --epochs 3
  cinealert finetune --base models/tiny --data data/meta.jsonl --out out/lora --steps 200 --rank 8
  cinealert prompt flood --llm models/llama-2-7b-chat --adapter out/lora

Progress and losses go to OUT/train_log.jsonl; checkpoints to OUT/checkpoints/ (a stopped run continues
from the latest one when started again with the same settings); the adapter is saved in OUT itself.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def _size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1024x576, got {text!r}")
    return int(parts[0]), int(parts[1])


def _time(text: str):
    from datetime import datetime, timezone
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2024-07-10T09:00:00+09:00, "
                                         f"got {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _llm_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("metadata LLM (default: the built-in template)")
    g.add_argument("--llm", default=None, metavar="DIR|URL",
                   help="a local Hugging Face causal LM folder, or an OpenAI-compatible server URL "
                        "(vLLM, llama.cpp, Ollama: http://host:port or http://host:port/v1)")
    g.add_argument("--adapter", default=None, metavar="DIR",
                   help="a LoRA adapter folder for --llm (from `cinealert finetune`)")
    g.add_argument("--llm-model", default=None, metavar="NAME",
                   help="model name to ask a server for (default: the first it lists)")
    g.add_argument("--fallback", choices=("template",), default=None,
                   help="when the LLM's answer cannot be used, write the metadata with the template "
                        "instead of failing (the report says so)")
    if "--device" not in p._option_string_actions:
        g.add_argument("--device", default=None, help="torch device for model backends (default: cuda if "
                                                       "available, else cpu)")


def _narration_options(p: argparse.ArgumentParser) -> None:
    """``--tts``, ``--voice``, ``--loudness`` and ``--burn-captions`` (the narration of ``--formats narration``)."""
    g = p.add_argument_group("narration (--formats ...,narration; on with --preset broadcast and mobile)")
    g.add_argument("--tts", default=None, metavar="NAME|DIR",
                   help=f"speech: {', '.join(registry.names('narration'))}, or a local VITS / MMS-TTS folder "
                        "(default: --models DIR's tts/ folder, else espeak, the Debian package espeak-ng)")
    g.add_argument("--voice", default=None, metavar="NAME",
                   help="an eSpeak NG voice variant (espeak-ng --voices=variant: f3, klatt, Alicia, ...) or a "
                        "VITS speaker number (default: the backend's own)")
    g.add_argument("--loudness", type=float, default=None, metavar="LUFS",
                   help="integrated loudness of the narration (default -23 for --preset broadcast, else -16); "
                        "true peaks stay under -1 dBTP")
    g.add_argument("--burn-captions", action="store_true",
                   help="also draw the captions into card.mp4's frames (open captions)")


def _narration_kwargs(args: argparse.Namespace) -> dict:
    return {"tts": getattr(args, "tts", None), "voice": getattr(args, "voice", None),
            "loudness": getattr(args, "loudness", None), "burn_captions": getattr(args, "burn_captions", False)}


def _render_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("clip")
    g.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (created if needed)")
    g.add_argument("--seed", type=int, default=0, help="seed for every random choice (default 0)")
    g.add_argument("--size", type=_size, default=None, metavar="WxH",
                   help="frame size, both sides even, 64-4096 (default 1024x576)")
    g.add_argument("--seconds", type=float, default=3.0, help="loop length in seconds (default 3)")
    g.add_argument("--fps", type=float, default=None, help="frames per second (default 24)")
    g.add_argument("--camera", choices=CAMERAS, default="circle",
                   help="looping camera path (default circle)")
    g.add_argument("--camera-amplitude", type=float, default=1.0, metavar="A",
                   help="camera motion as a multiple of the safe default (0-4, default 1)")
    g.add_argument("--motion-speed", type=float, default=1.0, metavar="S",
                   help="fluid speed multiplier (0 freezes, default 1)")
    g.add_argument("--flow-cycles", type=int, default=None, metavar="K",
                   help="run the fluid's symmetric loop K times per loop (a divisor of the frame count): the two "
                        "blended copies lie K times closer, so fast fire or water ghosts less, but the texture "
                        "repeats every N/K frames (default: chosen from the fluid's speed and the texture's "
                        "grain, see report.json motion.flow_cycles_auto)")
    g.add_argument("--formats", default=None,
                   help="media to write, comma-separated from mp4,webm,gif,webp,poster,card,narration "
                        "(default mp4,gif,webp,poster,card; card = card.mp4 + card.png; narration = "
                        "narration.m4a + narration.ogg + captions.vtt, and the speech on card.mp4)")
    g.add_argument("--preset", choices=("broadcast", "mobile", "messaging", "web"), default=None,
                   help="a channel's settings: broadcast (1920x1080, 30 or 29.97 fps, H.264 High, with the "
                        "card), mobile (1080x1920 cut around the motion, with the card), messaging (GIF + "
                        "WebP under --max-bytes, default 1 MB), web (MP4 + WebM/VP9 + poster)")
    g.add_argument("--max-bytes", type=int, default=None, metavar="N",
                   help="byte budget of the GIF and WebP; quality is lowered until each fits")
    g.add_argument("--card-lang", default="en", metavar="LANG",
                   help="second language of the alert card (default en; 'none' for the alert's language only)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    b = p.add_argument_group("backends and model folders (see `cinealert backends`; nothing is downloaded)")
    b.add_argument("--models", default=None, metavar="DIR",
                   help="a folder with one subfolder per role (t2i/ segmenter/ depth/ inpainter/ llm/ "
                        "adapter/), used where no folder is given; default $CINEALERT_MODELS")
    b.add_argument("--segmenter", default=None, metavar="NAME|DIR",
                   help=f"moving regions: {', '.join(registry.names('segmenter'))}, or a CLIPSeg folder, "
                        "or a folder holding GroundingDINO + SAM (default: the image's exact hints, else "
                        "heuristic)")
    b.add_argument("--depth", default=None, metavar="NAME|DIR",
                   help=f"depth: {', '.join(registry.names('depth'))}, or a DPT / Depth Anything folder "
                        "(default: the image's exact hints, else heuristic)")
    b.add_argument("--mask", default=None, metavar="PNG|JSON",
                   help="your own moving regions instead of --segmenter, at the picture's size: a PNG (white "
                        "= moves, as the disaster's first class), a class-index PNG with --mask-classes, "
                        "regions.png from an earlier run, or labelme JSON polygons labelled water, fire, ...")
    b.add_argument("--mask-classes", default=None, metavar="C1,C2",
                   help="what a class-index --mask PNG's values 1, 2, ... are, e.g. water,fire (0 stays still)")
    b.add_argument("--depth-map", default=None, metavar="PNG|NPY",
                   help="your own depth instead of --depth, at the picture's size: NPY float (larger = "
                        "farther) or a grey PNG (white = near, as depth.png is written); see docs/scene.md")
    b.add_argument("--inpainter", default=None, metavar="NAME|DIR",
                   help=f"fills what nearer layers hide: {', '.join(registry.names('inpainter'))}, or a "
                        "diffusers inpainting folder (default mirror)")
    b.add_argument("--motion-model", default=None, metavar="DIR",
                   help="a trained motion network (`cinealert motion train`) predicts the flow (default: the rules)")
    b.add_argument("--motion-from", default=None, metavar="VIDEO|NPZ",
                   help="take the motion from a real clip (or a FLOW.npz from `cinealert motion extract`)")
    b.add_argument("--renderer", choices=registry.names("render"), default="layered",
                   help="layered (OpenCV, fastest on a CPU) or torch (the same loop in torch, on --device: "
                        "CUDA when available); default layered")
    if "--device" not in p._option_string_actions:
        b.add_argument("--device", default=None, help="torch device for model backends and --renderer torch "
                                                       "(default: cuda if available, else cpu)")
    _narration_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cinealert", description=(
        "Turn disaster alerts into short, seamlessly looping 3D cinemagraphs: one picture of the "
        "disaster with its water, fire, smoke or snow moving while the camera glides through it."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `cinealert COMMAND --help` for each command's options and examples.")
    parser.add_argument("--version", action="version", version=f"cinealert {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("make", help="alert → cinemagraph (the main job)", epilog=EPILOG_MAKE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Make a looping 3D cinemagraph from an alert, a keyword or free text.")
    p.add_argument("input", metavar="INPUT", help="CAP file, disaster type or free text")
    p.add_argument("--lang", default=None, help="preferred alert language, e.g. ko or en")
    p.add_argument("--t2i", default=None, metavar="DIR",
                   help="a diffusers text-to-image folder (Stable Diffusion 1.x/2.x, SDXL, SD(XL)-Turbo); "
                        "default: the built-in procedural illustrator")
    _render_options(p)
    _llm_options(p)

    p = sub.add_parser("animate", help="animate your own photo", epilog=EPILOG_ANIMATE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Animate a photo of a disaster as a looping 3D cinemagraph.")
    p.add_argument("image", metavar="IMAGE", help="PNG, JPEG, WebP, BMP or TIFF file")
    p.add_argument("--disaster", required=True, metavar="TYPE",
                   help="disaster type shown in the photo (flood, wildfire, ...)")
    _render_options(p)

    p = sub.add_parser("inspect", help="print the normalised alert",
                       description="Parse an alert and print what cinealert understood.",
                       epilog=EPILOG_INSPECT, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="INPUT", help="CAP / feed / disaster-text JSON file, disaster type or free text")
    p.add_argument("--lang", default=None, help="preferred alert language, e.g. ko or en")
    p.add_argument("--all", action="store_true", help="every alert of the file, not only the one shown")
    p.add_argument("--now", type=_time, default=None, metavar="TIME",
                   help="judge expiry at this ISO 8601 time instead of now")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("prompt", help="print the scene metadata and prompt",
                       description="Print the scene metadata, prompt and negative prompt for an alert.")
    p.add_argument("input", metavar="INPUT", help="CAP file, disaster type or free text")
    p.add_argument("--lang", default=None, help="preferred alert language, e.g. ko or en")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--models", default=None, metavar="DIR",
                   help="a folder with llm/ (and adapter/) subfolders, used when --llm is not given; "
                        "default $CINEALERT_MODELS")
    _llm_options(p)

    p = sub.add_parser("dataset", help="build fine-tuning data from folders of disaster photos",
                       description="Fine-tuning data for the metadata LLM.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", parser_class=_Parser, required=True)
    d = dsub.add_parser("build", help="photos → quality filters → captions → metadata JSONL",
                        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_DATASET,
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
    d.add_argument("--seed", type=int, default=0, help="seed of the split and metadata (default 0)")
    d.add_argument("--min-side", type=int, default=256, help="drop images with a shorter side below "
                                                             "this many pixels (default 256)")
    d.add_argument("--models", default=None, metavar="DIR",
                   help="a folder whose captioner/ subfolder is used when --captioner is not given "
                        "(default $CINEALERT_MODELS)")
    d.add_argument("--device", default=None, help="torch device for the captioner")
    d.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("finetune", help="LoRA fine-tune a local causal LM on keywords → metadata pairs",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_FINETUNE,
                       description="LoRA (peft) supervised fine-tuning of a local causal LM on the JSONL "
                                   "of `cinealert dataset build`; the adapter loads with --adapter.")
    p.add_argument("--base", required=True, metavar="DIR", help="the base model folder (Hugging Face)")
    p.add_argument("--data", required=True, metavar="DATA.jsonl", help="training pairs")
    p.add_argument("--out", required=True, metavar="DIR", help="adapter, checkpoints and logs go here")
    g = p.add_argument_group("schedule")
    g.add_argument("--steps", type=int, default=None, help="optimizer steps (default: one epoch)")
    g.add_argument("--epochs", type=float, default=None, help="epochs instead of --steps")
    g.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    g.add_argument("--batch-size", type=int, default=4, help="examples per micro-batch (default 4)")
    g.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step (default 1)")
    g.add_argument("--max-length", type=int, default=512, help="tokens per example (default 512)")
    g.add_argument("--warmup", type=float, default=0.03, help="warm-up share of the steps (default 0.03)")
    g.add_argument("--eval-every", type=int, default=None, help="validation every N steps "
                                                                "(default: about 10 times per run)")
    g.add_argument("--save-every", type=int, default=None, help="checkpoint every N steps")
    g.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    g.add_argument("--no-resume", action="store_true", help="start over even if --out holds checkpoints")
    g = p.add_argument_group("LoRA")
    g.add_argument("--rank", type=int, default=16, help="LoRA rank r (default 16)")
    g.add_argument("--alpha", type=float, default=32, help="LoRA alpha (default 32)")
    g.add_argument("--dropout", type=float, default=0.05, help="LoRA dropout (default 0.05)")
    g.add_argument("--target-modules", default=None, metavar="NAMES",
                   help="comma-separated module names (default: the attention projections)")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    p.add_argument("--dtype", default=None, help="float32, bfloat16 or float16 (default: float32 on "
                                                 "CPU, bf16 on CUDA)")
    p.add_argument("--quiet", action="store_true", help="no progress output")

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
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    g = p.add_argument_group("sweep")
    g.add_argument("--n", type=int, default=4, help="images per disaster type (default 4)")
    g.add_argument("--types", default=None, help="comma-separated disaster types (default: the paper's seven)")
    g.add_argument("--prompt", choices=("metadata", "keyword"), default="metadata",
                   help="metadata (the scene metadata's prompt) or keyword (the bare disaster name; needs --t2i)")
    g.add_argument("--t2i", default=None, metavar="DIR", help="a diffusers text-to-image folder (default procedural)")
    g.add_argument("--llm", default=None, metavar="DIR|URL", help="write the metadata with this LLM")
    g.add_argument("--adapter", default=None, metavar="DIR", help="LoRA adapter for --llm")
    g.add_argument("--size", type=_size, default=(512, 512), metavar="WxH", help="image size (default 512x512)")
    g.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("motion", help="motion from real videos: extract a field, train the image-to-flow network",
                       description="Real videos as motion: `motion extract` averages a clip's optical flow into "
                                   "one Eulerian field (camera shake removed); `motion train` trains the "
                                   "image-to-flow network on a folder of clips (VIDEOS/<class>/*.mp4).",
                       epilog="examples:\n  cinealert motion extract river.mp4 -o river.npz\n"
                              "  cinealert animate photo.jpg --disaster flood --motion-from river.mp4 -o out/photo\n"
                              "  cinealert motion train clips/ -o models/motion --steps 500\n"
                              "  cinealert make flood --motion-model models/motion -o out/learned",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    msub = p.add_subparsers(dest="motion_command", metavar="ACTION", parser_class=_Parser)
    m = msub.add_parser("extract", help="a video's motion as one Eulerian field (FLOW.npz)")
    m.add_argument("video", metavar="VIDEO")
    m.add_argument("-o", "--out", required=True, metavar="FLOW.npz", help="output file (.npz: flow, confidence, mask)")
    m.add_argument("--max-side", type=int, default=512, help="reduce frames to this many pixels on the longer side")
    m.add_argument("--max-frames", type=int, default=240, help="use at most this many frames (default 240)")
    m.add_argument("--no-stabilise", action="store_true", help="keep the camera's own motion in the field")
    m.add_argument("--preview", metavar="PNG", help="also write a colour picture of the field")
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    m = msub.add_parser("train", help="train the image-to-flow network on a folder of videos")
    m.add_argument("videos", metavar="VIDEOS", help="VIDEOS/<motion class>/*.mp4 (water, fire, smoke, ...)")
    m.add_argument("-o", "--out", required=True, metavar="DIR", help="model folder (resumes from its checkpoints)")
    m.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    m.add_argument("--batch-size", type=int, default=8, help="crops per step (default 8)")
    m.add_argument("--lr", type=float, default=2e-3, help="learning rate (default 2e-3)")
    m.add_argument("--size", type=int, default=128, help="working size, longer side (default 128)")
    m.add_argument("--crop", type=int, default=64, help="training crop side, a multiple of 8 (default 64)")
    m.add_argument("--val", type=float, default=0.25, help="share of videos held out (default 0.25)")
    m.add_argument("--eval-every", type=int, default=None, help="validation every N steps")
    m.add_argument("--save-every", type=int, default=None, help="checkpoint every N steps")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--no-resume", action="store_true", help="start over even if OUT holds checkpoints")
    m.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    m.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("serve", help="the alert service: HTTP intake, durable job store, render worker",
                       description="Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) with its job store "
                                   "in DATA/jobs.db and one render worker process. POST /v1/alerts needs a bearer "
                                   "token from the token file.",
                       epilog="example:\n  cinealert serve --port 8080 --data /var/lib/cinealert --token-file tokens.txt\n"
                              "  curl -H 'Authorization: Bearer $TOKEN' --data-binary @alert.xml "
                              "http://127.0.0.1:8080/v1/alerts",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--data", metavar="DIR", help="the embedded set-up: job store DATA/jobs.db (made when new), "
                                                 "inputs and media under DATA")
    p.add_argument("--token-file", required=True, metavar="FILE", help="bearer tokens, one per line")
    p.add_argument("--store", metavar="URL", help="a shared job store: postgresql://USER@HOST/DB (several API "
                                                  "replicas and workers), or a path / sqlite:///PATH; made and "
                                                  "upgraded only by `cinealert store migrate`")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="render worker processes started beside the API (default 1; 0: intake only, "
                        "`cinealert worker` renders)")
    p.add_argument("--library", metavar="DIR", help="a pre-rendered library (cinealert batch): alerts it matches "
                                                    "are answered at once from it while their own render runs")
    p.add_argument("--media", metavar="URL", help="where the jobs' media are published and served from: a folder "
                                                  "(also a shared mount) or s3://BUCKET/PREFIX (endpoint from "
                                                  "AWS_ENDPOINT_URL; default: the --data folder)")
    p.add_argument("--size", type=_size, default=(1024, 576), metavar="WxH", help="clip size (default 1024x576)")
    p.add_argument("--seconds", type=float, default=3.0, help="loop length (default 3)")
    p.add_argument("--fps", type=float, default=24.0, help="frames per second (default 24)")
    p.add_argument("--formats", default="mp4,webm,gif,webp,poster,card", help="media per job")
    p.add_argument("--max-queue", type=int, default=1000, help="most jobs waiting before 503 (default 1000)")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second per token (default 20)")
    p.add_argument("--burst", type=int, default=40, help="burst per token (default 40)")
    p.add_argument("--lease", type=float, default=30.0, help="worker lease in seconds (default 30)")
    p.add_argument("--no-worker", action="store_true", help="intake only (the same as --workers 0)")
    p.add_argument("--websub-secret", metavar="FILE", help="enable the WebSub subscriber at /websub; the hub's "
                                                          "HMAC secret is the file's first line")

    p = sub.add_parser("worker", help="render workers pulling from a shared job store (processes or Ray actors)",
                       description="Claim jobs from the job store, render them and publish their media, until "
                                   "stopped. SIGTERM: finish the job at hand, then exit (a second SIGTERM, or "
                                   "--drain-timeout, hands it back to the queue at once). A worker killed outright "
                                   "loses nothing: its lease runs out and another worker renders the job again. "
                                   "With --engine ray, N render actors are placed across a Ray cluster (one GPU "
                                   "each with --gpus-per-actor 1); Ray restarts an actor whose node is lost.",
                       epilog="examples:\n  cinealert store migrate --store postgresql://cinealert@db/cinealert\n"
                              "  cinealert worker --store postgresql://cinealert@db/cinealert --media s3://media/alerts\n"
                              "  ray start --head --port 6379            # on the head node\n"
                              "  ray start --address HEAD:6379           # on every other node\n"
                              "  cinealert worker --store postgresql://cinealert@db/cinealert --media s3://media/alerts "
                              "--engine ray --ray-address HEAD:6379 --actors 8 --gpus-per-actor 1",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", required=True, metavar="URL", help="the job store (postgresql://… or a SQLite path)")
    p.add_argument("--media", metavar="URL", help="the media store: a folder every API replica sees, or "
                                                  "s3://BUCKET/PREFIX (default: the SQLite store's folder)")
    p.add_argument("--engine", default="local", help="local (worker processes, default) or ray (actors)")
    p.add_argument("--processes", type=int, default=1, metavar="N", help="local engine: worker processes (default 1)")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: the cluster (host:port of `ray start "
                                                         "--head`); default: a local Ray")
    p.add_argument("--actors", type=int, default=1, metavar="N", help="with --engine ray: render actors (default 1)")
    p.add_argument("--gpus-per-actor", type=float, default=0.0, metavar="G", help="GPUs each actor holds (default 0)")
    p.add_argument("--cpus-per-actor", type=float, default=1.0, metavar="C", help="CPUs each actor holds (default 1)")
    p.add_argument("--lease", type=float, default=30.0, help="lease in seconds (default 30)")
    p.add_argument("--drain-timeout", type=float, metavar="S", help="after SIGTERM, hand the job at hand back "
                                                                    "after S seconds instead of finishing it")
    p.add_argument("--size", type=_size, default=(1024, 576), metavar="WxH",
                   help="clip size for jobs that carry no settings of their own (default 1024x576)")
    p.add_argument("--seconds", type=float, default=3.0, help="loop length for such jobs (default 3)")
    p.add_argument("--fps", type=float, default=24.0, help="frames per second for such jobs (default 24)")
    p.add_argument("--formats", default="mp4,webm,gif,webp,poster,card", help="media for such jobs")

    p = sub.add_parser("store", help="create or upgrade a job store's schema (explicit, versioned)",
                       description="The job store's schema is versioned (table cinealert_schema). `migrate` "
                                   "creates a new store or applies the missing migrations; `status` prints the "
                                   "version. serve and worker refuse a store of another version.",
                       epilog="example:\n  cinealert store migrate --store postgresql://cinealert@db.example/cinealert",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store_command", choices=("migrate", "status"), help="migrate or status")
    p.add_argument("--store", required=True, metavar="URL", help="postgresql://… or a SQLite path / sqlite:///PATH")

    p = sub.add_parser("watch", help="follow a CAP feed (ATOM/RSS) or a folder into the service's job store",
                       description="Poll an ATOM/RSS CAP feed or a URL (ETag / If-Modified-Since, entry links "
                                   "followed) or a folder of CAP/JSON files, and put each new alert into "
                                   "DATA/jobs.db, where `cinealert serve --data DATA` renders it.")
    p.add_argument("source", metavar="URL|DIR")
    p.add_argument("--data", required=True, metavar="DIR", help="the service's data folder")
    p.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p.add_argument("--server", metavar="URL", help="POST the alerts to a running service instead of writing its "
                                                   "store (DATA then only keeps the watch state)")
    p.add_argument("--token-file", metavar="FILE", help="with --server: the bearer token (first line)")

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
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("gallery", help="a static HTML page showing many results side by side",
                       description="Write OUT/index.html: every result folder (with a report.json from "
                                   "`make` or `animate`) as a card with its looping video, poster, title, "
                                   "description, prompt and quality numbers. Media are linked, not copied.",
                       epilog="examples:\n  cinealert gallery out/flood out/wildfire -o out/gallery\n"
                              "  cinealert gallery out/ -o out/gallery        # every result folder under out/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="result folders, or folders holding them")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="folder for index.html")
    p.add_argument("--title", default="cinealert gallery", help="page title")
    p.add_argument("--no-font", action="store_true",
                   help="do not put the CJK font beside the page (browsers then use their own fonts)")

    p = sub.add_parser("backends", help="list every stage's backends and whether they can run here",
                       description="List every stage's backends, whether each is usable here, and the "
                                   "model folders found.")
    p.add_argument("--models", default=None, metavar="DIR",
                   help="a folder with one subfolder per role (default $CINEALERT_MODELS)")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _llm_kwargs(args: argparse.Namespace) -> dict:
    """The LLM settings: explicit folders first, then the llm/ and adapter/ folders of --models."""
    from cinealert import models
    llm, adapter = models.llm_folders(args.llm, args.adapter, models.models_root(getattr(args, "models", None)))
    kw = {"llm": llm, "adapter": adapter, "fallback": args.fallback}
    if llm:
        kw.update(device=args.device, model_name=args.llm_model)
    return kw


def _opt_str(value) -> str | None:
    return None if value is None else str(value)


def _options(args: argparse.Namespace):
    from cinealert.pipeline import Options
    from cinealert.pipeline import DEFAULT_FORMATS, PRESETS
    formats = _formats(args.formats) if args.formats is not None else DEFAULT_FORMATS
    width, height = args.size or (1024, 576)
    fps = args.fps if args.fps is not None else 24.0
    max_bytes = args.max_bytes
    if args.preset is not None:
        preset = PRESETS[args.preset]
        if "size" in preset:
            if args.size is not None and tuple(args.size) != preset["size"]:
                raise InputError(f"--preset {args.preset} makes {preset['size'][0]}x{preset['size'][1]}; "
                                 f"leave out --size {args.size[0]}x{args.size[1]}")
            width, height = preset["size"]
        if "fps" in preset:
            allowed = preset["fps_allowed"]
            if args.fps is not None and args.fps not in allowed:
                raise InputError(f"--preset {args.preset} runs at {' or '.join(f'{v:g}' for v in allowed)} fps, "
                                 f"not {args.fps:g}")
            fps = args.fps if args.fps is not None else preset["fps"]
        if args.formats is None:
            formats = preset["formats"]
        if max_bytes is None:
            max_bytes = preset.get("max_bytes")
    card_language = None if args.card_lang in ("", "none") else args.card_lang
    return Options(seed=args.seed, width=width, height=height, seconds=args.seconds, fps=fps,
                   camera=args.camera, camera_amplitude=args.camera_amplitude,
                   motion_speed=args.motion_speed, lang=getattr(args, "lang", None),
                   segmenter=args.segmenter, depth=args.depth, inpainter=args.inpainter,
                   t2i=getattr(args, "t2i", None), models=args.models,
                   llm=getattr(args, "llm", None), adapter=getattr(args, "adapter", None),
                   fallback=getattr(args, "fallback", None), device=getattr(args, "device", None),
                   llm_model=getattr(args, "llm_model", None), renderer=args.renderer,
                   motion_model=args.motion_model, motion_from=args.motion_from, flow_cycles=args.flow_cycles,
                   formats=formats, preset=args.preset, max_bytes=max_bytes, card_language=card_language,
                   mask=getattr(args, "mask", None), mask_classes=getattr(args, "mask_classes", None),
                   depth_map=getattr(args, "depth_map", None), progress=not args.quiet, **_narration_kwargs(args))


def _print_result(result) -> None:
    r = result.report
    notes = [w for w in r.get("warnings", []) if w.startswith(("status ", "the alert expired", "this message",
                                                               "no info block", "the file holds"))]
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    if "metrics" not in r:
        alert = r["alert"] or {}
        print(f"no media made: {alert.get('identifier') or 'the message'} is a {alert.get('msg_type')}; "
              f"report written to {result.paths['report']}")
        return
    m = r["metrics"]
    print(f"cinemagraph written to {result.out_dir}/")
    for key, path in result.paths.items():
        print(f"  {key:11s} {path}")
    print(f"  {r['disaster']}, {r['video']['width']}x{r['video']['height']}, {r['video']['frames']} frames "
          f"at {r['video']['fps']:g} fps, {r['timings_s']['total']:.1f} s; loop seam {m['loop_seam']:.2f}, "
          f"holes {m['hole_ratio']:.4f}, flashes/s {m['max_flashes_per_s']:g}")


def _secret(path: str) -> bytes:
    try:
        line = Path(path).read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, IndexError):
        raise InputError(f"cannot read a WebSub secret from {path!r}") from None
    if len(line) < 16:
        raise InputError("the WebSub secret must be at least 16 characters")
    return line.encode()


def _formats(text: str) -> tuple[str, ...]:
    """``--formats mp4,gif`` as a tuple (checked against the known formats by ``Options.check``)."""
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _job_settings(args: argparse.Namespace) -> dict:
    """The render settings of `serve`/`worker` jobs, checked once here (formats included), so that a bad one
    fails at start, not per job."""
    from cinealert.pipeline import Options
    formats = _formats(args.formats)
    Options(width=args.size[0], height=args.size[1], seconds=args.seconds, fps=args.fps, formats=formats).check()
    return {"width": args.size[0], "height": args.size[1], "seconds": args.seconds, "fps": args.fps,
            "formats": list(formats)}


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from cinealert.service.app import create_app, read_tokens
    from cinealert.service.media_store import open_media
    tokens = read_tokens(args.token_file)
    if args.data is None and (args.store is None or args.media is None):
        raise InputError("serve needs --data DIR, or both --store URL and --media URL")
    if not 0 <= args.workers <= 64:
        raise InputError(f"--workers must be between 0 and 64, got {args.workers}")
    settings = _job_settings(args)
    if args.store and args.media:                            # a bad store is refused before the media folder is made
        from cinealert.service.store import open_store
        embedded = str(Path(args.data) / "jobs.db") if args.data else None
        open_store(args.store, create=args.store == embedded)
    media = open_media(args.media) if args.media else None
    app = create_app(args.data, tokens=tokens, settings=settings, max_queue=args.max_queue, lease_s=args.lease,
                     rate=args.rate, burst=args.burst, start_worker=not args.no_worker, workers=args.workers,
                     store_url=args.store, library=args.library,
                     websub_secret=_secret(args.websub_secret) if args.websub_secret else None, media=media)
    where = args.data or f"store {args.store}, media {args.media}"
    print(f"cinealert serve: http://{args.host}:{args.port}/ (OpenAPI /openapi.json), data in {where}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def _worker(args: argparse.Namespace) -> None:
    from cinealert.service.media_store import open_media
    from cinealert.service.store import open_store
    if args.engine not in ("local", "ray"):
        raise InputError(f"unknown engine {args.engine!r}; choose local or ray")
    settings = _job_settings(args)
    store = open_store(args.store, lease_s=args.lease)            # unreachable, unmigrated, newer: exit 2 now
    if args.media is None and not hasattr(store, "path"):
        raise InputError("a postgresql:// store needs --media (a shared folder or s3://BUCKET/PREFIX)")
    media_url = args.media or str(store.path.parent)
    if args.engine == "ray":
        from cinealert.service.ray_engine import connect, run_actors
        connect(args.ray_address)                                  # an unreachable cluster: exit 2, nothing made
        open_media(media_url)
        run_actors(args.store, media_url, settings, actors=args.actors, address=args.ray_address,
                   gpus=args.gpus_per_actor, cpus=args.cpus_per_actor, lease_s=args.lease)
        return
    from cinealert.service.worker import run_processes
    open_media(media_url)
    run_processes(args.store, media_url, settings, n=args.processes, lease_s=args.lease,
                  drain_timeout=args.drain_timeout)


def _store(args: argparse.Namespace) -> None:
    from cinealert.service.store import VERSION, open_store
    store = open_store(args.store, check=False)
    if args.store_command == "status":
        v = store.version()
        print(f"{args.store}: schema version {v} (this cinealert: {VERSION})")
        return
    applied = store.migrate()
    print(f"{args.store}: schema version {store.version()}" +
          (f" (applied {', '.join(map(str, applied))})" if applied else " (already current)"))


def _motion(args: argparse.Namespace) -> None:
    if args.motion_command == "extract":
        from cinealert.motion.extract import extract_file
        if not str(args.out).endswith(".npz"):
            raise InputError(f"{args.out}: the motion file must end in .npz")
        m = extract_file(args.video, max_side=args.max_side, max_frames=args.max_frames,
                         stabilise=not args.no_stabilise, progress=not args.quiet)
        path = m.save(args.out)
        print(f"motion written to {path}: {m.flow.shape[1]}x{m.flow.shape[0]}, {m.info['pairs']} frame pairs at "
              f"{m.fps:g} fps; moving {100 * m.info['moving_share']:.1f} % of the frame at a median "
              f"{m.info['median_speed_px_per_frame']:.2f} px/frame (camera motion removed: "
              f"{m.info['mean_camera_motion_px']:.2f} px/frame)")
        if args.preview:
            import cv2
            import numpy as np
            mag, ang = cv2.cartToPolar(m.flow[..., 0], m.flow[..., 1])
            hsv = np.zeros(m.flow.shape[:2] + (3,), np.uint8)
            hsv[..., 0] = (ang * 90 / np.pi).astype(np.uint8)
            hsv[..., 1] = 255
            hsv[..., 2] = np.clip(mag / max(float(mag.max()), 1e-6) * 255, 0, 255).astype(np.uint8)
            cv2.imwrite(str(args.preview), cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR))
            print(f"  preview {args.preview}")
    elif args.motion_command == "train":
        from cinealert.motion.train import train
        r = train(args.videos, args.out, steps=args.steps, batch=args.batch_size, lr=args.lr, size=args.size,
                  crop=args.crop, val=args.val, seed=args.seed, eval_every=args.eval_every,
                  save_every=args.save_every, resume=not args.no_resume, device=args.device,
                  progress=not args.quiet)
        print(f"motion model written to {args.out} ({r['parameters']} parameters, {r['train_videos']} training / "
              f"{r['val_videos']} validation videos)")
        print(f"  loss {r['first_loss']} → {r['last_loss']:.4f}; validation end-point error "
              f"{r['val_epe_first_px']} → {r['val_epe_px']} px/frame ({r['val_epe_hinted_px']} with 3 direction "
              f"hints); {r['seconds_per_epoch']:.2f} s per epoch")
        print(f"  use it  cinealert make flood --motion-model {args.out}")
    else:
        raise InputError("cinealert motion needs an action: extract or train (see cinealert motion --help)")


def _evaluate(args: argparse.Namespace) -> None:
    from cinealert.evaluate.tables import IMAGE_COLUMNS, VIDEO_COLUMNS, markdown, write_all
    if args.mode == "sweep":
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
        return
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


def _print_dataset(report, out) -> None:
    print(f"training data written to {out}")
    print(report.summary())


def _print_backends(args: argparse.Namespace) -> None:
    from cinealert import models
    root = models.models_root(args.models)
    found = models.discover(root)
    rows = []
    for b in registry.BACKENDS:
        ok, reason = b.availability()
        row = {"stage": b.stage, "name": b.name, "builtin": b.builtin, "usable": ok, "reason": reason,
               "summary": b.load().summary if ok else "", "folder": None}
        takes_folder = ok and not b.builtin and hasattr(b.load(), "accepts")
        role = registry.STAGE_ROLES.get(b.stage)
        info = found.get(role) if role and takes_folder else None
        if info is not None:
            why = b.load().accepts(info.path) if ok else reason
            row["folder"] = str(info.path) if why is None else None
            if why is not None and info.known:
                row["folder_note"] = f"{info.path.name}/ is {info.detail}"
        if takes_folder and row["folder"] is None and "folder_note" not in row:
            row["folder_note"] = "no model folder (give one, or --models DIR)"
        rows.append(row)
    folders = {role: {"path": str(f.path), "role": f.role, "kind": f.kind, "detail": f.detail}
               for role, f in found.items()}
    if args.json:
        print(json.dumps({"models_root": str(root) if root else None, "folders": folders, "backends": rows},
                         indent=2, ensure_ascii=False))
        return
    for r in rows:
        mark = "yes" if r["usable"] else "NO "
        where = f" [{r['folder']}]" if r["folder"] else (f" ({r['folder_note']})" if r.get("folder_note") else "")
        print(f"{r['stage']:10s} {r['name']:15s} {mark} {r['summary'] or r['reason']}{where}")
    print()
    if root is None:
        print("model folders: none (give --models DIR or set $CINEALERT_MODELS)")
    else:
        print(f"model folders in {root}:")
        for role, f in found.items():
            state = f"{f.kind} ({f.detail})" if f.known else f"unusable: {f.detail}"
            print(f"  {role:10s} {state}")
        missing = [r for r in models.ROLES if r not in found]
        if missing:
            print(f"  (no {', '.join(missing)})")


def _run(args: argparse.Namespace) -> int:
    if args.command == "make":
        from cinealert.pipeline import make
        _print_result(make(args.input, args.out, _options(args)))
    elif args.command == "animate":
        from cinealert.pipeline import animate
        _print_result(animate(args.image, args.disaster, args.out, _options(args),
                              size_given=args.size is not None))
    elif args.command == "inspect":
        from cinealert.alerts import choose, read_alerts
        alerts = read_alerts(args.input, lang=args.lang, now=args.now)
        shown = alerts if args.all else [choose(alerts)]
        if args.json:
            data = [a.to_dict() for a in shown]
            print(json.dumps(data if args.all else data[0], ensure_ascii=False, indent=2))
        else:
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
    elif args.command == "prompt":
        from cinealert.alerts import read_input
        from cinealert.disasters import require_visual
        from cinealert.prompting import generate_metadata
        alert = read_input(args.input, lang=args.lang)
        require_visual(alert.event or alert.headline, alert.disaster)
        meta, how = generate_metadata(alert, seed=args.seed, **_llm_kwargs(args))
        if args.json:
            print(json.dumps({"metadata": meta.to_dict(), "prompt": meta.to_prompt(),
                              "negative_prompt": meta.negative_prompt(), "generator": how},
                             ensure_ascii=False, indent=2))
        else:
            if how.get("fallback_from"):
                sys.stderr.write(f"note: {how['problem']}; the template wrote the metadata\n")
            print(meta.to_prompt())
            print(f"\nnegative: {meta.negative_prompt()}")
    elif args.command == "dataset":
        import warnings

        from cinealert.training.dataset import DatasetWarning, build_dataset
        warnings.simplefilter("ignore", DatasetWarning)       # the summary lists them
        from cinealert import models
        captioner = args.captioner or _opt_str(models.resolve("captioner", None,
                                                              models.models_root(args.models)))
        report = build_dataset(args.images, args.out, captioner=captioner,
                               val_fraction=args.val_fraction, seed=args.seed, min_side=args.min_side,
                               device=args.device, progress=not args.quiet)
        _print_dataset(report, args.out)
    elif args.command == "finetune":
        from cinealert.training.finetune import FinetuneConfig, finetune
        targets = tuple(t.strip() for t in args.target_modules.split(",") if t.strip()) \
            if args.target_modules else None
        config = FinetuneConfig(rank=args.rank, alpha=args.alpha, dropout=args.dropout,
                                target_modules=targets, learning_rate=args.lr, epochs=args.epochs,
                                steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
                                max_length=args.max_length, warmup_ratio=args.warmup, seed=args.seed,
                                eval_every=args.eval_every, save_every=args.save_every, device=args.device,
                                dtype=args.dtype)
        result = finetune(args.base, args.data, args.out, config, resume=not args.no_resume,
                          progress=not args.quiet)
        val = "n/a" if result.val_loss is None else f"{result.val_loss:.4f}"
        train = "n/a" if result.train_loss is None else f"{result.train_loss:.4f}"
        print(f"adapter written to {result.adapter_dir}/ after {result.steps_done} steps "
              f"({result.seconds:.1f} s): train loss {train}, validation loss {val}")
        print(f"  log     {result.log_path}")
        print(f"  use it  cinealert prompt flood --llm {args.base} --adapter {result.adapter_dir}")
    elif args.command == "motion":
        _motion(args)
    elif args.command == "evaluate":
        _evaluate(args)
    elif args.command == "serve":
        _serve(args)
    elif args.command == "worker":
        _worker(args)
    elif args.command == "store":
        _store(args)
    elif args.command == "watch":
        from cinealert.service.watch import watch
        token = None
        if args.server:
            if not args.token_file:
                raise InputError("watch --server needs --token-file (the service's bearer token)")
            from cinealert.service.app import read_tokens
            token = read_tokens(args.token_file)[0].decode()
        watch(args.source, args.data, interval=args.interval, once=args.once, server=args.server, token=token)
    elif args.command == "batch":
        from cinealert.batch import Batch, print_summary
        from cinealert.library import load_manifest
        entries = load_manifest(args.manifest)
        summary = Batch(entries, args.out, engine=args.engine, workers=args.workers, ray_address=args.ray_address,
                        progress=not args.quiet).run()
        print_summary(summary)
        if summary["failed"]:
            raise SystemExit(1)
    elif args.command == "gallery":
        from cinealert.deliver.gallery import build_gallery
        path = build_gallery(args.dirs, args.out, title=args.title, embed_font=not args.no_font)
        print(f"gallery written to {path}")
    elif args.command == "backends":
        _print_backends(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    from cinealert.models import offline
    offline()                           # nothing is ever downloaded (an explicit HF_HUB_OFFLINE=0 is kept)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:          # --help, --version and usage errors (already printed)
        return stop.code if isinstance(stop.code, int) else 2
    if not args.command:
        parser.print_help()
        return 2
    try:
        return _run(args)
    except InputError as err:
        sys.stderr.write(f"cinealert {args.command}: error: {err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("cinealert: interrupted\n")
        return 130
    except BrokenPipeError:             # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - the last line of defence prints one line, not a traceback
        if os.environ.get("CINEALERT_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"cinealert {args.command}: internal error: {type(err).__name__}: {err} "
                         "(set CINEALERT_DEBUG=1 for the traceback)\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
