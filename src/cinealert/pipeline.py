"""The main job, top to bottom: an alert (or a photo) becomes a looping 3D cinemagraph.

1. Read the alert       — parse and normalise the input                         (alerts/)
2. Write the metadata   — scene metadata, prompt and negative prompt            (prompting/)
3. Draw the image       — one still of the disaster, with hints if drawn        (imaging/)
4. Find the scene       — moving regions and depth                              (scene/)
5. Choose the rig       — motion backend, camera path, prompted inpainter       (motion/, render/)
6. Render safely        — plan, layered rendering, encoding; calmer if flashing (motion/, render/, deliver/)
7. Measure              — loop seam, holes, leakage, flashes, ghosting          (evaluate/)
8. Describe             — the description and the scene maps                    (deliver/, scene/)
9. Deliver              — the enriched CAP alert and report.json                (deliver/)

:func:`make` runs them all, :func:`make_alert` steps 2 onwards for an alert already read, :func:`animate`
steps 4 onwards for a photo. See docs/architecture.md for the map of the folders.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cinealert import __version__, models, registry
from cinealert.disasters import get_disaster, require_visual
from cinealert.errors import InputError
from cinealert.imaging.base import ImageResult
from cinealert.regions import Region
from cinealert.scene.crop import motion_crop
from cinealert.scene.overrides import region_legend
from cinealert.render import CAMERAS
from cinealert.validate import check_size

MAX_FRAMES = 600

#: Motion speed multipliers tried in turn until a clip stays within the photosensitivity limits.
SAFETY_DAMPING = (1.0, 0.5, 0.25, 0.0)

#: Channel presets: size, frame rate and media (anything not named keeps the command's own setting).
PRESETS = {
    "broadcast": {"size": (1920, 1080), "fps": 30.0, "fps_allowed": (29.97, 30.0),
                  "formats": ("mp4", "poster", "card", "narration"),
                  "about": "1920x1080 at 30 (or 29.97) fps, H.264 High yuv420p, the alert card, narrated at -23 LUFS"},
    "mobile": {"size": (1080, 1920), "formats": ("mp4", "poster", "card", "narration"),
               "about": "1080x1920 portrait, cropped around the motion, the alert card, narrated at -16 LUFS"},
    "messaging": {"formats": ("gif", "webp", "poster"), "max_bytes": 1_000_000,
                  "about": "animated WebP and GIF under a byte budget (default 1 MB)"},
    "web": {"formats": ("mp4", "webm", "poster"), "about": "MP4 + WebM/VP9 + poster"},
}
DEFAULT_FORMATS = ("mp4", "gif", "webp", "poster", "card")


class UnsafeOutput(RuntimeError):
    """The clip cannot be made to pass the photosensitivity check; nothing was written."""


@dataclass
class Options:
    """Options of ``make`` and ``animate`` (see ``cinealert make --help``)."""

    seed: int = 0
    width: int = 1024
    height: int = 576
    seconds: float = 3.0
    fps: float = 24.0
    camera: str = "circle"
    camera_amplitude: float = 1.0
    motion_speed: float = 1.0
    lang: str | None = None
    t2i: str | None = None           # a diffusers text-to-image folder; None: --models, else procedural
    segmenter: str | None = None     # a backend name or model folder; None: --models, else the image's
    depth: str | None = None         # hints when it has them, else heuristic
    inpainter: str | None = None     # a backend name or model folder; None: --models, else mirror
    motion_model: str | None = None  # a trained motion network folder; None: --models, else rules
    motion_from: str | None = None   # a video (or FLOW.npz) whose motion is transferred onto the image
    models: str | None = None        # a folder with one subfolder per role (else $CINEALERT_MODELS)
    llm: str | None = None           # a local causal LM folder or an OpenAI-compatible server URL
    adapter: str | None = None       # a LoRA adapter folder for ``llm``
    llm_model: str | None = None     # the model name to ask a server for
    fallback: str | None = None      # "template": use it when the LLM's answer cannot be used
    device: str | None = None        # torch device for model backends and the torch renderer
    renderer: str = "layered"        # a render backend: layered (OpenCV) or torch
    flow_cycles: int | None = None   # flow loops per camera loop (more: less ghosting); None: chosen per scene
    formats: tuple[str, ...] = DEFAULT_FORMATS
    preset: str | None = None        # a key of PRESETS (already applied to size, fps and formats)
    max_bytes: int | None = None     # byte budget of GIF and WebP
    card_language: str | None = "en" # the card's second language (None: the alert's language only)
    mask: str | None = None          # --mask: a PNG or labelme JSON that replaces the segmenter
    mask_classes: str | None = None  # --mask-classes water,fire: what a class-index PNG's values 1, 2, ... are
    depth_map: str | None = None     # --depth-map: a PNG or NPY that replaces the depth backend
    tts: str | None = None           # --tts: a narration backend (espeak, vits) or a VITS folder; None: espeak
    voice: str | None = None         # --voice: the narration backend's voice (an eSpeak variant, a VITS speaker)
    loudness: float | None = None    # --loudness: the narration's LUFS; None: -23 broadcast, else -16
    burn_captions: bool = False      # --burn-captions: captions drawn into the narrated card's frames
    choices: dict = field(default_factory=dict, init=False, repr=False)    # set by check()
    root: Path | None = field(default=None, init=False, repr=False)
    progress: bool = True
    on_progress: object = field(default=None, repr=False)   # called with the share of frames rendered (0..1)

    @property
    def frames(self) -> int:
        return int(round(self.seconds * self.fps))

    def check(self) -> None:
        try:
            check_size(self.width, self.height)
        except (TypeError, ValueError) as err:
            raise InputError(f"impossible size {self.width}x{self.height}: {err}") from None
        if not 0.5 <= self.seconds <= 20:
            raise InputError(f"--seconds must be between 0.5 and 20, got {self.seconds:g}.")
        if not 4 <= self.fps <= 60:
            raise InputError(f"--fps must be between 4 and 60, got {self.fps:g}.")
        if not 2 <= self.frames <= MAX_FRAMES:
            raise InputError(f"seconds × fps must give 2 to {MAX_FRAMES} frames, got {self.frames}.")
        if self.camera not in CAMERAS:
            raise InputError(f"Unknown camera {self.camera!r}. Available cameras: {', '.join(CAMERAS)}.")
        if not 0 <= self.camera_amplitude <= 4:
            raise InputError(f"--camera-amplitude must be between 0 and 4, got {self.camera_amplitude:g}.")
        from cinealert.deliver.media import FORMATS
        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise InputError(f"unknown --formats value(s) {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}.")
        if self.preset is not None and self.preset not in PRESETS:
            raise InputError(f"Unknown preset {self.preset!r}. Available presets: {', '.join(PRESETS)}.")
        if self.max_bytes is not None and not 10_000 <= self.max_bytes <= 100_000_000:
            raise InputError(f"--max-bytes must be between 10000 and 100000000, got {self.max_bytes}.")
        if self.renderer not in registry.names("render"):
            raise InputError(f"Unsupported renderer {self.renderer!r}. Available: {', '.join(registry.names('render'))}.")
        if self.flow_cycles is not None and (not isinstance(self.flow_cycles, int) or self.flow_cycles < 1
                                             or self.frames % self.flow_cycles):
            raise InputError(f"--flow-cycles must divide the loop's {self.frames} frames, got {self.flow_cycles}.")
        if self.mask_classes is not None and self.mask is None:
            raise InputError("--mask-classes needs --mask (a class-index PNG)")
        from cinealert.scene.overrides import parse_mask_classes
        parse_mask_classes(self.mask_classes)
        for flag, value in (("--mask", self.mask), ("--depth-map", self.depth_map)):
            if value is not None and not Path(value).is_file():
                raise InputError(f"{flag} {value}: no such file")
        if not 0 <= self.motion_speed <= 5:
            raise InputError(f"--motion-speed must be between 0 and 5, got {self.motion_speed:g}.")
        root = models.models_root(self.models)
        if self.adapter is not None and self.llm is None and models.resolve("llm", None, root) is None:
            raise InputError("--adapter needs --llm (the base model folder it was trained on)")
        self.choices = {stage: registry.resolve(stage, value, root=root, flag=flag)
                        for stage, value, flag in (("imaging", self.t2i, "--t2i"),
                                                   ("segmenter", self.segmenter, "--segmenter"),
                                                   ("depth", self.depth, "--depth"),
                                                   ("inpainter", self.inpainter, "--inpainter"),
                                                   ("motion", self.motion_model, "--motion-model"))}
        if self.motion_from is not None:
            if not Path(self.motion_from).is_file():
                raise InputError(f"--motion-from {self.motion_from}: no such file (a video or a FLOW.npz)")
            if self.motion_model is not None:
                raise InputError("give --motion-from or --motion-model, not both")
        from cinealert.deliver.narration import check_options
        self.choices["narration"] = check_options(self, root)       # None without narration in --formats
        self.root = root

    def backend(self, stage: str, default: str):
        """The backend instance for ``stage`` (see :meth:`check`): a model backend loaded once per process,
        a named built-in, or ``default``. Returns (instance, model folder or None)."""
        choice = self.choices.get(stage)
        if choice is None or choice.entry.builtin:
            return registry.create(stage, choice.name if choice is not None else default), None
        return models.load_once(choice.entry.load_usable(), choice.folder, device=self.device), choice.folder


@dataclass
class JobResult:
    out_dir: Path
    report: dict
    paths: dict[str, Path] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._t = self.start

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 4)
        self._t = now

    def done(self) -> dict:
        self.timings["total"] = round(time.perf_counter() - self.start, 4)
        return self.timings


def make(input_value: str, out_dir: str | Path, options: Options | None = None) -> JobResult:
    """Alert (CAP file, keyword or free text) → cinemagraph in ``out_dir``."""
    opts = options or Options()
    opts.check()
    clock = _Clock()

    # 1. Read the alert
    from cinealert.alerts import read_input
    alert = read_input(input_value, lang=opts.lang)
    clock.lap("alert")
    return make_alert(alert, out_dir, opts, input_value=input_value, clock=clock)


def make_alert(alert, out_dir: str | Path, options: Options | None = None, *, input_value: str = "",
               clock: _Clock | None = None) -> JobResult:
    """An :class:`~cinealert.alerts.model.Alert` already read (or built, as the pre-rendered library does)
    → cinemagraph in ``out_dir``; steps 2 onwards of :func:`make`."""
    opts = options or Options()
    opts.check()
    clock = clock or _Clock()
    if not alert.makes_media:           # a Cancel, Ack or Error: report.json only
        return _report_without_media(alert, input_value=input_value, out_dir=Path(out_dir), clock=clock)
    _check_alert(alert)

    # 2. Write the scene metadata, prompt and negative prompt
    metadata, how, llm = _write_metadata(alert, opts)
    clock.lap("metadata")

    # 3. Draw the image
    illustrator, t2i_folder = opts.backend("imaging", "procedural")
    result = illustrator.generate(metadata, width=_drawing_width(opts), height=opts.height, seed=opts.seed)
    clock.lap("image")

    backends = {"alerts": alert.source, "prompting": how["backend"], "imaging": illustrator.name}
    _record_models(result, llm=llm, t2i=t2i_folder)
    return _animate_and_deliver(result, alert=alert, metadata=metadata, input_value=input_value,
                                out_dir=Path(out_dir), opts=opts, clock=clock, backends=backends,
                                metadata_report=how)


def animate(image_path: str | Path, disaster: str, out_dir: str | Path, options: Options | None = None,
            *, size_given: bool = False) -> JobResult:
    """The user's own photo → cinemagraph (no alert, metadata or image stage: steps 4 onwards of :func:`make`)."""
    opts = options or Options()
    dtype = get_disaster(disaster)
    clock = _Clock()

    # 3. Read the photo (in place of steps 1-3)
    result = _read_photo(image_path, opts, size_given=size_given)
    clock.lap("image")
    return _animate_and_deliver(result, alert=None, metadata=None, input_value=str(image_path),
                                out_dir=Path(out_dir), opts=opts, clock=clock,
                                backends={"imaging": "file"}, disaster_key=dtype.key)


def _check_alert(alert) -> None:
    """Refuse an alert with nothing to show (no ``<info>``) or of a kind without a picture."""
    if not alert.infos:
        raise InputError(f"the alert {alert.identifier or ''} has no <info> block: nothing to show".replace("  ", " "))
    require_visual(alert.event or alert.headline, alert.disaster)


def _write_metadata(alert, opts: Options):
    """Step 2: the scene metadata from the template or the LLM. Returns (metadata, how it was made, LLM folder)."""
    from cinealert.prompting import generate_metadata
    llm, adapter = models.llm_folders(opts.llm, opts.adapter, opts.root)
    llm_options = {"device": opts.device, "model_name": opts.llm_model} if llm else {}
    metadata, how = generate_metadata(alert, seed=opts.seed, llm=llm, adapter=adapter,
                                      fallback=opts.fallback, **llm_options)
    return metadata, how, llm


def _drawing_width(opts: Options) -> int:
    """The width the image is drawn at: a portrait clip is cut from a landscape picture around its motion
    (see :func:`motion_crop`)."""
    if opts.width < opts.height:
        return max(opts.width, int(round(opts.height * 16 / 9 / 2)) * 2)
    return opts.width


def _record_models(result: ImageResult, *, llm, t2i) -> None:
    """Name the LLM and text-to-image folders used in the image's info (the report's ``models``)."""
    if llm:
        result.info.setdefault("models", {})["llm"] = llm
    if t2i is not None:
        result.info.setdefault("models", {})["t2i"] = str(t2i)


def _read_photo(image_path: str | Path, opts: Options, *, size_given: bool) -> ImageResult:
    """The user's photo as the image stage's result; sets the output size to the photo's unless a size was
    given (or the mobile preset cuts a portrait window around the motion later)."""
    portrait = opts.preset == "mobile"
    image, note = load_image(image_path, size=(opts.width, opts.height) if size_given and not portrait else None)
    if not portrait:
        opts.width, opts.height = image.shape[1], image.shape[0]
    opts.check()
    info = {"path": str(image_path), "note": note, "source_shape": source_shape(image_path),
            "fit_size": (opts.width, opts.height) if size_given and not portrait else None}
    return ImageResult(image=image, backend="file", info=info)


def source_shape(path: str | Path) -> tuple[int, int]:
    """``(H, W)`` of a picture file as :func:`load_image` decodes it (before any fitting)."""
    arr = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    return arr.shape[:2]


def fit_picture(arr: np.ndarray, size: tuple[int, int] | None, *, nearest: bool = False) -> tuple[np.ndarray, str]:
    """What :func:`load_image` does to a picture's ``(H, W, ...)`` array, also used on the user's mask and
    depth map so they stay aligned with it: without ``size`` an odd side loses its last row or column;
    with ``size`` (W, H) the array is scaled to cover it and centre-cropped (``nearest`` for class maps)."""
    h, w = arr.shape[:2]
    note = f"used at its own size {w}x{h}"
    if size is None:
        if w % 2 or h % 2:
            arr = arr[: h - h % 2, : w - w % 2]
            note = f"cropped from {w}x{h} to {arr.shape[1]}x{arr.shape[0]} (H.264 needs even sizes)"
        return arr, note
    tw, th = size
    scale = max(tw / w, th / h)
    nw, nh = max(tw, int(round(w * scale))), max(th, int(round(h * scale)))
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    arr = cv2.resize(arr, (nw, nh), interpolation=interp)
    y0, x0 = (nh - th) // 2, (nw - tw) // 2
    return arr[y0:y0 + th, x0:x0 + tw], f"scaled from {w}x{h} to cover {tw}x{th} and centre-cropped"


def _scene_overrides(result: ImageResult, opts: Options, disaster):
    """The user's ``--mask`` regions and ``--depth-map`` depth (each None when not given), read at the size of
    the picture the user gave and fitted to the animated image the way the picture was."""
    from cinealert.scene.overrides import load_depth_map, load_mask, parse_mask_classes
    image = result.image
    src = tuple(result.info.get("source_shape") or image.shape[:2])
    fit_size = result.info.get("fit_size")
    regions = depth = None
    if opts.mask is not None:
        default = disaster.regions[0] if disaster.regions else Region.WATER
        regions = load_mask(opts.mask, src, default=default, classes=parse_mask_classes(opts.mask_classes))
        regions = fit_picture(regions, fit_size, nearest=True)[0]
    if opts.depth_map is not None:
        depth = np.ascontiguousarray(fit_picture(load_depth_map(opts.depth_map, src), fit_size)[0], np.float32)
        depth = np.maximum(depth, 1e-3)        # cubic scaling may overshoot a little below the smallest depth
    return regions, depth


def load_image(path: str | Path, *, size: tuple[int, int] | None) -> tuple[np.ndarray, str]:
    """Read an image file as ``(H, W, 3)`` float32 sRGB.

    Without ``size`` the image keeps its own size (an odd side loses its last row or column, since
    H.264 needs even sizes); with ``size`` it is scaled to cover that size and centre-cropped. What
    was done is returned as a note for the report.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read image {str(p)!r}: {err.strerror or err}") from None
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if arr is None:
        raise InputError(f"cannot read image {str(p)!r}: not a readable PNG, JPEG, WebP, BMP or TIFF file.")
    h, w = arr.shape[:2]
    if size is None and (max(w, h) > 4096 or min(w, h) < 64):
        raise InputError(f"image {str(p)!r} is {w}x{h}; give --size WxH (64 to 4096 per side) to scale it.")
    arr, note = fit_picture(arr, size)
    rgb = cv2.cvtColor(arr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return np.ascontiguousarray(rgb), note


@dataclass
class _Job:
    """What the steps after the image share: the input, the options and what is recorded for the report."""

    alert: object                     # None for a photo
    metadata: object                  # None for a photo
    disaster: object
    opts: Options
    out_dir: Path
    clock: _Clock
    input_value: str
    backends: dict
    folders: dict                     # the model folder of each role
    metadata_report: dict | None = None
    narration: dict | None = None     # step 6b's report
    braille: dict | None = None       # step 8's braille record


@dataclass
class _Scene:
    """Step 4: the picture to animate, what moves in it and how far away each pixel is."""

    image: np.ndarray
    regions: np.ndarray
    depth: np.ndarray
    info: dict                        # the image stage's info
    segmenter: object = None          # None where --mask gave the regions
    depth_backend: object = None      # None where --depth-map gave the depth
    crop: dict | None = None


@dataclass
class _Rig:
    """Step 5: what moves the scene, the camera that films it and what fills what the camera uncovers."""

    motion: object
    camera: object
    gain: float
    inpainter: object
    render_cls: type
    render_options: dict


@dataclass
class _Overlays:
    """What is laid over every frame (status mark, alert card) and how the media are written."""

    label: str | None
    mark: object
    card: object
    settings: object


@dataclass
class _Clip:
    """Step 6: the clip that passed the photosensitivity check, and what its rendering measured."""

    plan: object
    renderer: object
    cycles: dict
    paths: dict
    notes: list
    safety: dict
    attempts: list
    smalls: list                      # every frame, small, for the loop and flash measures
    render_s: float
    card_report: dict | None = None


def _animate_and_deliver(result: ImageResult, *, alert, metadata, input_value: str, out_dir: Path,
                         opts: Options, clock: _Clock, backends: dict, disaster_key: str | None = None,
                         metadata_report: dict | None = None) -> JobResult:
    """Steps 4 to 9 of :func:`make` (and of :func:`animate`, for a photo)."""
    from cinealert.deliver.encode import write_json

    disaster = get_disaster(disaster_key or (metadata.disaster if metadata else alert.disaster))
    job = _Job(alert=alert, metadata=metadata, disaster=disaster, opts=opts, out_dir=out_dir, clock=clock,
               input_value=input_value, backends=backends, folders=dict(result.info.get("models", {})),
               metadata_report=metadata_report)

    # 4. Find the moving regions and the depth (the user's --mask and --depth-map replace their stage)
    scene = _find_scene(result, job)
    clock.lap("scene")

    from cinealert.deliver.narration import plan_for
    narration = plan_for(opts, alert, disaster)         # a voice or language it cannot speak stops the job now

    # 5. Choose the motion, the camera path and the inpainter; the mark and card laid over the frames
    rig = _rig(scene, job)
    overlays = _overlays(scene, job)

    # 6. Plan the motion, render and encode, frame by frame: a clip that would break the photosensitivity
    #    limits is thrown away and made again with calmer motion, never written
    clip = _render_safely(scene, rig, overlays, job)
    clock.lap("render_encode")

    # 6b. Speak the card's text: narration.m4a / .ogg, captions.vtt, the speech under the card (and broadcast MP4)
    job.narration = _narrate(narration, clip, overlays, job)

    # 7. Measure the clip: loop seam, holes, leakage, flashes, ghosting; probe the encoded video
    moving = _moving_mask(clip.plan)
    with ThreadPoolExecutor(max_workers=1) as pool:     # ffmpeg probes the video while the clip is measured
        video = pool.submit(_video_info, clip.paths, scene, opts)
        metrics = _metrics(clip, moving, opts)
    video = video.result()
    clock.lap("metrics")

    # 8. Describe it in words, and write the scene maps beside the media
    description = _describe(scene, clip, overlays, job)
    _write_scene_files(clip.paths, moving, description[0], scene, out_dir)
    job.braille = _braille(description, overlays, job, clip.paths)

    # 9. Deliver: the enriched CAP alert and report.json
    cap_out, warnings = _enrich_alert(clip, overlays, description, job)
    report = _report(job, scene=scene, rig=rig, overlays=overlays, clip=clip, metrics=metrics, video=video,
                     description=description, cap_out=cap_out, warnings=warnings)
    write_json(out_dir / "report.json", report)
    clip.paths["report"] = out_dir / "report.json"
    return JobResult(out_dir=out_dir, report=report, paths=clip.paths)


def _find_scene(result: ImageResult, job: _Job) -> _Scene:
    """Step 4: the regions and depth from the user's files or the backends, cut to the output's window."""
    opts, image = job.opts, result.image
    regions, depth = _scene_overrides(result, opts, job.disaster)
    segmenter = depth_backend = seg_folder = depth_folder = None
    if regions is None:
        segmenter, seg_folder = opts.backend("segmenter", "hints" if result.regions is not None else "heuristic")
        regions = (segmenter.segment_result(result) if segmenter.name == "hints"
                   else segmenter.segment(image, disaster=job.disaster))
    if depth is None:
        depth_backend, depth_folder = opts.backend("depth", "hints" if result.depth is not None else "heuristic")
        depth = (depth_backend.estimate_result(result) if depth_backend.name == "hints"
                 else depth_backend.estimate(image))
    job.backends.update(segmenter=segmenter.name if segmenter is not None else "mask",
                        depth=depth_backend.name if depth_backend is not None else "depth-map")
    for role, folder in (("segmenter", seg_folder), ("depth", depth_folder)):
        if folder is not None:
            job.folders[role] = str(folder)
    crop = None
    if (image.shape[1], image.shape[0]) != (opts.width, opts.height):
        # The mobile preset: a portrait window around the motion, at the output size.
        image, regions, depth, crop = motion_crop(image, regions, depth, size=(opts.width, opts.height))
    return _Scene(image=image, regions=regions, depth=depth, info=result.info, segmenter=segmenter,
                  depth_backend=depth_backend, crop=crop)


def _rig(scene: _Scene, job: _Job) -> _Rig:
    """Step 5: the motion backend (or the video whose motion is transferred), the camera path, the
    inpainter (prompted from the scene) and the render backend."""
    from cinealert.render.camera import camera_path, depth_gain

    opts, depth, regions = job.opts, scene.depth, scene.regions
    if opts.motion_from is not None:
        from cinealert.motion.transfer import VideoMotion
        motion, motion_folder = VideoMotion(opts.motion_from), None
    else:
        motion, motion_folder = opts.backend("motion", "rules")
    if motion_folder is not None:
        job.folders["motion"] = str(motion_folder)
    h, w = scene.image.shape[:2]
    near = depth[regions != Region.NONE] if (regions != Region.NONE).any() else depth
    subject = float(np.percentile(near, 50) / np.percentile(depth, 0.5))
    gain = depth_gain(depth)             # shallow scenes may move further; deep ones keep the default
    camera = camera_path(opts.camera, frames=opts.frames, width=w, height=h,
                         amplitude=min(4.0, opts.camera_amplitude * gain), subject_depth=subject)
    inpainter, inpaint_folder = opts.backend("inpainter", "mirror")
    if inpaint_folder is not None:
        job.folders["inpainter"] = str(inpaint_folder)
        _prompt_inpainter(inpainter, job.metadata, seed=opts.seed)
    render_cls = registry.entry("render", opts.renderer).load_usable()
    extra = {"device": opts.device} if opts.renderer != "layered" else {}
    return _Rig(motion=motion, camera=camera, gain=gain, inpainter=inpainter, render_cls=render_cls,
                render_options=extra)


def _prompt_inpainter(inpainter, metadata, *, seed: int) -> None:
    """Tell a model inpainter what the hidden background shows and what must not appear in it."""
    from cinealert.prompting.metadata import NEGATIVE_PROMPT

    # people are kept out by the negative prompt; naming them in the prompt would draw them
    background = "background scenery continuing the surroundings, seamless"
    inpainter.prompt = (f"{metadata.setting}, {metadata.sky}, {background}" if metadata is not None else background)
    inpainter.negative_prompt = metadata.negative_prompt() if metadata is not None else NEGATIVE_PROMPT
    inpainter.seed = seed


def _overlays(scene: _Scene, job: _Job) -> _Overlays:
    """The status mark (an exercise or test alert), the alert card and the media settings."""
    from cinealert.deliver.marks import StatusMark, status_label
    from cinealert.deliver.media import MediaSettings

    opts, alert = job.opts, job.alert
    h, w = scene.image.shape[:2]
    label = status_label(alert.status) if alert is not None else None
    mark = StatusMark(label, w, h) if label else None
    card = None
    if "card" in opts.formats:
        from cinealert.deliver.card import AlertCard, card_text
        card = AlertCard(card_text(alert, job.disaster, second_language=opts.card_language), w, h)
    settings = MediaSettings(width=w, height=h, fps=opts.fps, formats=opts.formats, max_bytes=opts.max_bytes,
                             loop_frames=opts.frames)
    return _Overlays(label=label, mark=mark, card=card, settings=settings)


def _render_safely(scene: _Scene, rig: _Rig, overlays: _Overlays, job: _Job) -> _Clip:
    """Step 6: plan, render and encode at full motion, then calmer (:data:`SAFETY_DAMPING`) until the clip
    passes the photosensitivity check; :class:`UnsafeOutput` when even still motion does not."""
    from cinealert.deliver.media import MediaWriter

    opts, clock = job.opts, job.clock
    attempts, layers = [], None
    for damping in SAFETY_DAMPING:
        plan = rig.motion.plan(scene.regions, scene.depth, disaster=job.disaster, frames=opts.frames,
                               fps=opts.fps, seed=opts.seed, speed=opts.motion_speed * damping, image=scene.image)
        if not attempts:
            clock.lap("motion")
        cycles = _flow_cycles(opts, plan, scene.image)
        # A calmer retry keeps the first attempt's layers: only the motion changed.
        renderer = rig.render_cls(scene.image, scene.depth, plan, rig.camera, fps=opts.fps, inpainter=rig.inpainter,
                                  flow_cycles=cycles["cycles"], scene=layers, **rig.render_options)
        layers = renderer.scene
        if not attempts:
            clock.lap("layers")
        desc = "rendering" if not attempts else f"rendering (calmer, x{damping:g})"
        writer = MediaWriter(job.out_dir, overlays.settings, card=overlays.card)
        with writer:
            smalls, samples, render_s = _render_frames(renderer, writer, overlays, opts, desc=desc)
            writer.end_input()                # the encoders finish their last frames while the clip is checked
            # The loop plays again and again: the wrap into the next repeat counts as well.
            safety = _flash_check(smalls, opts.fps)
            attempts.append({"motion_damping": damping, **safety})
            if not safety["passes"]:
                writer.abort()
        if safety["passes"]:
            break
    else:
        raise UnsafeOutput(f"the clip still breaks the photosensitivity limit ({safety['general_flashes_per_s']} "
                           f"general, {safety['red_flashes_per_s']} red flashes in one second; at most "
                           f"{safety['limit']}) with its motion stopped; nothing was written")
    card_report = overlays.card.fit_contrast(samples) if overlays.card is not None else None  # on what lay under it
    job.backends.update(motion=rig.motion.name, inpainter=rig.inpainter.name, render=renderer.name,
                        deliver=MediaWriter.name)
    return _Clip(plan=plan, renderer=renderer, cycles=cycles, paths=dict(writer.paths), notes=writer.notes,
                 safety=safety, attempts=attempts, smalls=smalls, render_s=render_s, card_report=card_report)


def _flash_check(smalls: list[np.ndarray], fps: float) -> dict:
    """The photosensitivity check of a loop, the wrap into its next repeat included."""
    from cinealert.evaluate.cinemagraph import flash_report
    return flash_report(smalls + smalls[: int(round(fps))], fps)


def _render_frames(renderer, writer, overlays: _Overlays, opts: Options, *, desc: str):
    """Render every frame of the loop into ``writer``, the status mark laid over it.

    Returns the frames made small (for the loop and flash measures), the frames sampled for the card's
    contrast, and the seconds spent rendering."""
    small_size = (max(32, overlays.settings.width // 4), max(18, overlays.settings.height // 4))
    smalls: list[np.ndarray] = []
    samples: list[np.ndarray] = []
    render_s = 0.0
    progress = _progress(opts.frames, desc, opts.progress)
    frames = renderer.frames()
    for t in range(opts.frames):
        t0 = time.perf_counter()
        frame = next(frames)
        render_s += time.perf_counter() - t0
        if overlays.mark is not None:
            frame = overlays.mark.apply(frame)
        if overlays.card is not None and t % max(1, opts.frames // 12) == 0:
            samples.append(frame)                 # what lies behind the card's text
        writer.write(frame)
        smalls.append(cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA))
        progress.update(1)
        _tell_progress(opts, t)
    progress.close()
    return smalls, samples, render_s


def _tell_progress(opts: Options, t: int) -> None:
    """Call the caller's ``on_progress`` with the share of frames rendered, every sixth frame."""
    if opts.on_progress is not None and t % 6 == 5:
        opts.on_progress((t + 1) / opts.frames)


def _moving_mask(plan) -> np.ndarray:
    """Where the clip is meant to move: the moving regions, a swaying crown's reach and rising water's band."""
    moving = plan.mask > 0.5
    if plan.outline is not None:          # a swaying crown sweeps a few pixels around itself
        moving |= cv2.dilate((plan.outline > 0.5).astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    if plan.swell is not None:            # rising water covers a band above its resting edge
        moving |= plan.swell > 0.05
    return moving


def _metrics(clip: _Clip, moving: np.ndarray, opts: Options) -> dict:
    """Step 7: the clip's quality measures (see ``cinealert evaluate``)."""
    from cinealert.evaluate.render_metrics import render_metrics
    return render_metrics(clip.renderer, clip.plan, smalls=clip.smalls, safety=clip.safety, moving=moving,
                          frames=opts.frames, render_s=clip.render_s)


def _narrate(plan, clip: _Clip, overlays: _Overlays, job: _Job) -> dict | None:
    """Step 6b (with ``narration`` in ``--formats``): see :mod:`cinealert.deliver.narration`."""
    if plan is None:
        return None
    from cinealert.deliver.narration import deliver
    files, report, notes = deliver(plan, job.opts, job.out_dir, clip.paths, card=overlays.card)
    clip.paths.update(files)
    clip.notes.extend(notes)
    job.backends["narration"] = report["backend"]
    job.clock.lap("narration")
    return report


def _video_info(paths: dict, scene: _Scene, opts: Options) -> dict:
    """The report's ``video``: the first video's path, size and timing, with its codec and frame count probed."""
    from cinealert.deliver.encode import probe_video

    h, w = scene.image.shape[:2]
    video = {"path": str(paths.get("mp4", paths.get("card", ""))), "width": w, "height": h, "fps": opts.fps,
             "frames": opts.frames, "seconds": opts.seconds}
    first_video = paths.get("mp4") or paths.get("card")
    if first_video is not None:
        probed = probe_video(first_video)
        video.update(codec=probed["codec"], frames_encoded=probed["frames"])
    return video


def _describe(scene: _Scene, clip: _Clip, overlays: _Overlays, job: _Job) -> tuple[str, str, str | None]:
    """Step 8: the clip in words (alt text). Returns (text, its language, a note when it fell back)."""
    from cinealert.deliver.describe import describe

    alert, plan = job.alert, clip.plan
    text = _card_words(overlays, job)
    present = [Region(v) for v in np.unique(scene.regions) if v != Region.NONE]
    effects = [e["kind"] for e in plan.effects] + (["shake"] if plan.shake is not None else [])
    return describe(title=text.title, area=text.area, disaster=job.disaster, metadata=job.metadata,
                    regions=present, effects=effects, camera=job.opts.camera,
                    language=alert.language if alert is not None else "en")


def _card_words(overlays: _Overlays, job: _Job):
    """The card's text: the one laid over the frames, or (no card asked for) the alert's own in its language."""
    from cinealert.deliver.card import card_text
    return overlays.card.text if overlays.card is not None else card_text(job.alert, job.disaster,
                                                                          second_language=None)


def _braille(description: tuple, overlays: _Overlays, job: _Job, paths: dict) -> dict:
    """Step 8: the description and the card's text in braille (``braille.brf``) where liblouis is installed."""
    from cinealert.deliver.braille import alert_braille

    text = _card_words(overlays, job)
    language = job.alert.language if job.alert is not None else "en"
    record = alert_braille(description[0], [line for _, line in text.lines()], language, job.out_dir,
                           description_language=description[1])
    if record["file"]:
        paths["braille"] = job.out_dir / record["file"]
    return record


def _write_scene_files(paths: dict, moving: np.ndarray, description: str, scene: _Scene, out_dir: Path) -> None:
    """The moving mask (for ``cinealert evaluate --videos``: flicker and motion inside vs outside), the
    description, and the region and depth maps, beside the media."""
    from cinealert.deliver.encode import write_atomic
    from cinealert.scene.overrides import depth_png_bytes, regions_png_bytes

    ok, buf = cv2.imencode(".png", moving.astype(np.uint8) * 255)
    if ok:
        paths["moving_mask"] = write_atomic(out_dir / "moving_mask.png", buf.tobytes())
    paths["description"] = write_atomic(out_dir / "description.txt", description + "\n")
    paths["regions"] = write_atomic(out_dir / "regions.png", regions_png_bytes(scene.regions))
    paths["depth"] = write_atomic(out_dir / "depth.png", depth_png_bytes(scene.depth))


def _enrich_alert(clip: _Clip, overlays: _Overlays, description: tuple, job: _Job) -> tuple[dict | None, list]:
    """Step 9: for a CAP alert, the alert again with the media as ``<resource>`` blocks (``alert.xml``).

    Returns the report's ``cap_output`` (None for other input) and every warning of the job."""
    from cinealert.deliver.cap_enrich import enrich_cap
    from cinealert.deliver.encode import write_atomic
    from cinealert.deliver.media import MEDIA

    alert, paths, safety = job.alert, clip.paths, clip.safety
    text, _, desc_note = description
    warnings = list(alert.warnings) if alert is not None else []
    warnings += clip.notes + ([desc_note] if desc_note else [])
    if len(clip.attempts) > 1:
        warnings.append(f"the motion was calmed to x{clip.attempts[-1]['motion_damping']:g} so that the clip stays "
                        f"within {safety['limit']} flashes a second")
    if alert is None or alert.raw is None or alert.source != "cap" or not alert.infos:
        return None, warnings
    media = {k: v for k, v in paths.items() if k in MEDIA}
    enriched = enrich_cap(alert.raw, media, description=text, info_index=alert.info_index, label=overlays.label,
                          languages=_spoken(job))
    alert_xml = paths["alert"] = write_atomic(job.out_dir / "alert.xml", enriched.xml)
    warnings += enriched.notes
    return ({"path": str(alert_xml), "schema": enriched.schema, "valid": enriched.valid,
             "problems": enriched.problems, "info_language": alert.language}, warnings)


def _report(job: _Job, *, scene: _Scene, rig: _Rig, overlays: _Overlays, clip: _Clip, metrics: dict, video: dict,
            description: tuple, cap_out: dict | None, warnings: list) -> dict:
    """Step 9: what ``report.json`` says about the job."""
    from cinealert.deliver.cap_enrich import aea_media
    from cinealert.deliver.encode import describe_medium
    from cinealert.deliver.media import MEDIA

    alert, metadata, opts, paths = job.alert, job.metadata, job.opts, clip.paths
    renderer, plan, safety, regions = clip.renderer, clip.plan, clip.safety, scene.regions
    h, w = scene.image.shape[:2]
    media = {k: v for k, v in paths.items() if k in MEDIA}
    return {
        "input": job.input_value,
        "alert": alert.summary() if alert is not None else None,
        "action": "update" if alert is not None and alert.msg_type == "Update" else "alert",
        "why": [dict(w) for w in alert.why] if alert is not None else [],
        "disaster": job.disaster.key,
        "metadata": metadata.to_dict() if metadata is not None else None,
        "prompt": metadata.to_prompt() if metadata is not None else None,
        "negative_prompt": metadata.negative_prompt() if metadata is not None else None,
        "metadata_generator": job.metadata_report,
        "seed": opts.seed,
        "preset": opts.preset,
        "backends": job.backends,
        "models": job.folders,
        "timings_s": job.clock.done(),
        "video": video,
        "media": {k: describe_medium(v, k) for k, v in paths.items() if k in MEDIA}
                 | {k: {"path": str(v), "bytes": v.stat().st_size} for k, v in paths.items() if k not in MEDIA},
        "metrics": metrics,
        "safety": {"passes": safety["passes"], "attempts": clip.attempts, "limit_flashes_per_s": safety["limit"]},
        "description": {"text": description[0], "language": description[1]},
        "card": clip.card_report,
        "camera": {"path": opts.camera, "amplitude": opts.camera_amplitude, "depth_gain": round(rig.gain, 3),
                   "max_shift_px": round(rig.camera.max_shift_px(w, h), 2),
                   "overscan": round(renderer.stats.overscan, 4)},
        "crop": scene.crop,
        "model_reports": {k: v for k, v in (
            ("segmenter", getattr(scene.segmenter, "last_report", None)),
            ("depth", getattr(scene.depth_backend, "last_report", None)),
            ("inpainter", rig.inpainter.describe() if hasattr(rig.inpainter, "describe") else None)) if v},
        "scene": {"regions": {Region(v).name.lower(): round(float((regions == v).mean()), 4)
                              for v in np.unique(regions)},
                  "region_classes": region_legend(), "overrides": {"mask": opts.mask, "depth_map": opts.depth_map},
                  "layers": renderer.stats.layers, "image": scene.info},
        "motion": plan.info | {"effects": [e["kind"] for e in plan.effects], "flow_cycles": clip.cycles["cycles"],
                               "flow_cycles_auto": clip.cycles if opts.flow_cycles is None else None,
                               "shake": plan.shake is not None},
        "status_mark": overlays.label,
        "cap_output": cap_out,
        "aea_media": aea_media(media, description=description[0], label=overlays.label,
                               language=alert.language if alert is not None else None, languages=_spoken(job)),
        "narration": job.narration,
        "braille": job.braille,
        "warnings": warnings,
        "version": __version__,
    }


def _spoken(job: _Job) -> list[str] | None:
    return [lang.lower().split("-")[0] for lang in job.narration["languages"]] if job.narration else None


def _flow_cycles(opts: Options, plan, image: np.ndarray) -> dict:
    """The user's ``--flow-cycles``, or the count chosen from the fluid's speed and grain (render/cycles.py)."""
    if opts.flow_cycles is not None:
        return {"cycles": opts.flow_cycles}
    from cinealert.render.cycles import auto_flow_cycles
    return auto_flow_cycles(plan.flow, plan.mask, image, frames=opts.frames, fps=opts.fps)


def _report_without_media(alert, *, input_value: str, out_dir: Path, clock: _Clock) -> JobResult:
    """A Cancel, Ack or Error message: no new media, only ``report.json`` saying what the message does.

    Media made earlier for the alert it cancels is left as it is (nothing is deleted)."""
    from cinealert.deliver.encode import write_json

    out_dir.mkdir(parents=True, exist_ok=True)
    action = "end" if alert.ending else {"Cancel": "cancel"}.get(alert.msg_type, "none")
    report = {
        "input": input_value,
        "alert": alert.summary(),
        "action": action,
        "cancels": list(alert.references) if alert.msg_type == "Cancel" else [],
        "why": [dict(w) for w in alert.why],
        "disaster": alert.disaster,
        "media": {},
        "backends": {"alerts": alert.source},
        "timings_s": clock.done(),
        "warnings": list(alert.warnings),
        "version": __version__,
    }
    write_json(out_dir / "report.json", report)
    return JobResult(out_dir=out_dir, report=report, paths={"report": out_dir / "report.json"})


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty())
