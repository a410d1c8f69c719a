"""What several commands share: the parser class, the option types, and the option groups.

Each group is one function that adds its options to a parser (or an argument group) and, where the
options feed the pipeline, one function that turns the parsed options into its settings. A new option
several commands take belongs in one of these functions (or a new one beside them), called from each
command's ``add_parser``; the commands then get it with the same name, default and help.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from cinealert import registry
from cinealert.errors import InputError
from cinealert.render import CAMERAS

DEVICE_HELP = "torch device (default: cuda if available, else cpu)"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


# --- option types ---------------------------------------------------------------------------------------

def parse_size(text: str) -> tuple[int, int]:
    """``1024x576`` (also ``1024X576``, ``1024×576``) as ``(width, height)``."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
            return int(parts[0]), int(parts[1])
    except ValueError:                  # digits int() does not read, such as '²'
        pass
    raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1024x576, got {text!r}")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2024-07-10T09:00:00+09:00, "
                                         f"got {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def parse_formats(text: str) -> tuple[str, ...]:
    """``--formats mp4,gif`` as a tuple (checked against the known formats by ``Options.check``)."""
    return tuple(f.strip() for f in text.split(",") if f.strip())


# --- single options that recur --------------------------------------------------------------------------

def add_lang(p) -> None:
    p.add_argument("--lang", default=None, help="preferred alert language, e.g. ko or en")


def add_json(p, help: str = "print JSON") -> None:
    p.add_argument("--json", action="store_true", help=help)


def add_quiet(p, help: str = "no progress bar") -> None:
    p.add_argument("--quiet", action="store_true", help=help)


def add_seed(p, help: str = "seed (default 0)") -> None:
    p.add_argument("--seed", type=int, default=0, help=help)


def add_device(p, help: str = DEVICE_HELP) -> None:
    p.add_argument("--device", default=None, help=help)


def add_models(p, help: str) -> None:
    """``--models DIR``: the folder of model folders, one per role (``help`` says which roles the command uses)."""
    p.add_argument("--models", default=None, metavar="DIR", help=help)


# --- the metadata LLM (make, prompt) --------------------------------------------------------------------

def llm_options(p: argparse.ArgumentParser) -> None:
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
        add_device(g, "torch device for model backends (default: cuda if available, else cpu)")


def llm_kwargs(args: argparse.Namespace) -> dict:
    """The LLM settings: explicit folders first, then the llm/ and adapter/ folders of --models."""
    from cinealert import models
    llm, adapter = models.llm_folders(args.llm, args.adapter, models.models_root(getattr(args, "models", None)))
    kw = {"llm": llm, "adapter": adapter, "fallback": args.fallback}
    if llm:
        kw.update(device=args.device, model_name=args.llm_model)
    return kw


# --- the clip and its backends (make, animate) ----------------------------------------------------------

def render_options(p: argparse.ArgumentParser) -> None:
    """Everything a rendered clip takes: the clip group, then the backends and model folders group."""
    clip_options(p)
    backend_options(p)
    narration_options(p)


def clip_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("clip")
    g.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (created if needed)")
    add_seed(g, "seed for every random choice (default 0)")
    g.add_argument("--size", type=parse_size, default=None, metavar="WxH",
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
    add_quiet(g)


def backend_options(p: argparse.ArgumentParser) -> None:
    b = p.add_argument_group("backends and model folders (see `cinealert backends`; nothing is downloaded)")
    add_models(b, "a folder with one subfolder per role (t2i/ segmenter/ depth/ inpainter/ llm/ "
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
        add_device(b, "torch device for model backends and --renderer torch (default: cuda if available, else cpu)")


def narration_options(p: argparse.ArgumentParser) -> None:
    """``--tts``, ``--voice``, ``--loudness`` and ``--burn-captions``: the narration of ``--formats narration``."""
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


def narration_settings(args: argparse.Namespace) -> dict:
    """The pipeline ``Options`` fields of :func:`narration_options`."""
    return {"tts": getattr(args, "tts", None), "voice": getattr(args, "voice", None),
            "loudness": getattr(args, "loudness", None), "burn_captions": getattr(args, "burn_captions", False)}


def render_settings(args: argparse.Namespace):
    """The pipeline's ``Options`` from the options of :func:`render_options` (and of :func:`llm_options`,
    ``--lang``, ``--t2i`` where the command has them); a ``--preset`` fills in what was not given and refuses
    a ``--size`` or ``--fps`` it cannot make."""
    from cinealert.pipeline import DEFAULT_FORMATS, PRESETS, Options
    formats = parse_formats(args.formats) if args.formats is not None else DEFAULT_FORMATS
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
                   depth_map=getattr(args, "depth_map", None), progress=not args.quiet, **narration_settings(args))


# --- the settings of service jobs (serve, worker) -------------------------------------------------------

def job_options(p: argparse.ArgumentParser, *, size_help: str, seconds_help: str, fps_help: str,
                formats_help: str) -> None:
    """The render settings of the jobs a service renders (checked at start by :func:`job_settings`)."""
    p.add_argument("--size", type=parse_size, default=(1024, 576), metavar="WxH", help=size_help)
    p.add_argument("--seconds", type=float, default=3.0, help=seconds_help)
    p.add_argument("--fps", type=float, default=24.0, help=fps_help)
    p.add_argument("--formats", default="mp4,webm,gif,webp,poster,card", help=formats_help)


def job_settings(args: argparse.Namespace) -> dict:
    """The render settings of `serve`/`worker` jobs, checked once here (formats included), so that a bad one
    fails at start, not per job."""
    from cinealert.pipeline import Options
    formats = parse_formats(args.formats)
    Options(width=args.size[0], height=args.size[1], seconds=args.seconds, fps=args.fps, formats=formats).check()
    return {"width": args.size[0], "height": args.size[1], "seconds": args.seconds, "fps": args.fps,
            "formats": list(formats)}
