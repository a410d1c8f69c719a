"""Every stage's backends, in one explicit list.

The command line reads it for its choices and for ``cinealert backends``; the pipeline reads it to
build the backend a user asked for. Backends are imported only when used, so the CLI starts fast.
Each backend class has ``name``, ``summary`` and ``availability() -> (usable, reason)``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from cinealert.errors import BackendUnavailable, InputError


@dataclass(frozen=True)
class BackendEntry:
    stage: str
    name: str
    target: str        # "module:Class"
    builtin: bool = True

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)

    def availability(self) -> tuple[bool, str]:
        try:
            return self.load().availability()
        except ImportError as err:
            return False, f"cannot import {self.target}: {err}"

    def load_usable(self) -> type:
        """The backend class, after checking it can run here (a one-line BackendUnavailable if not)."""
        usable, reason = self.availability()
        if not usable:
            raise BackendUnavailable(f"The {self.stage} backend {self.name!r} cannot run here: {reason}.")
        return self.load()


# Stage order follows the pipeline. Model backends (builtin=False) load a local model folder; see
# :func:`resolve` and cinealert.models for how a folder is found and matched to a backend.
STAGES = ("alerts", "prompting", "imaging", "segmenter", "depth", "motion", "inpainter", "render", "deliver",
          "narration")

BACKENDS: tuple[BackendEntry, ...] = (
    BackendEntry("alerts", "cap", "cinealert.alerts.cap:CapParser"),
    BackendEntry("alerts", "mois", "cinealert.alerts.mois:MoisParser"),
    BackendEntry("alerts", "keyword", "cinealert.alerts.keyword:KeywordParser"),
    BackendEntry("prompting", "template", "cinealert.prompting.template:TemplateGenerator"),
    BackendEntry("prompting", "llm", "cinealert.prompting.llm:LocalLLMGenerator", builtin=False),
    BackendEntry("prompting", "openai", "cinealert.prompting.llm:OpenAIGenerator", builtin=False),
    BackendEntry("imaging", "procedural", "cinealert.imaging.procedural:ProceduralIllustrator"),
    BackendEntry("imaging", "diffusers", "cinealert.imaging.diffusers_t2i:DiffusersIllustrator", builtin=False),
    BackendEntry("segmenter", "hints", "cinealert.scene.hints:HintSegmenter"),
    BackendEntry("segmenter", "heuristic", "cinealert.scene.heuristic_segmenter:HeuristicSegmenter"),
    BackendEntry("segmenter", "clipseg", "cinealert.scene.text_segmenter:ClipSegSegmenter", builtin=False),
    BackendEntry("segmenter", "langsam", "cinealert.scene.text_segmenter:LangSamSegmenter", builtin=False),
    BackendEntry("depth", "hints", "cinealert.scene.hints:HintDepth"),
    BackendEntry("depth", "heuristic", "cinealert.scene.heuristic_depth:HeuristicDepth"),
    BackendEntry("depth", "dpt", "cinealert.scene.model_depth:DptDepth", builtin=False),
    BackendEntry("depth", "depth-anything", "cinealert.scene.model_depth:DepthAnythingDepth", builtin=False),
    BackendEntry("motion", "rules", "cinealert.motion.rules:RuleMotion"),
    BackendEntry("motion", "video", "cinealert.motion.transfer:VideoMotion"),
    BackendEntry("motion", "network", "cinealert.motion.network:NetworkMotion", builtin=False),
    BackendEntry("inpainter", "mirror", "cinealert.render.inpaint:MirrorInpainter"),
    BackendEntry("inpainter", "pushpull", "cinealert.render.inpaint:PushPullInpainter"),
    BackendEntry("inpainter", "telea", "cinealert.render.inpaint:TeleaInpainter"),
    BackendEntry("inpainter", "diffusion", "cinealert.render.diffusion_inpaint:DiffusionInpainter",
                 builtin=False),
    BackendEntry("render", "layered", "cinealert.render.renderer:LayeredRenderer"),
    BackendEntry("render", "torch", "cinealert.render.torch_renderer:TorchRenderer"),
    BackendEntry("deliver", "ffmpeg", "cinealert.deliver.media:MediaWriter"),
    BackendEntry("narration", "espeak", "cinealert.deliver.tts_espeak:EspeakSpeech"),
    BackendEntry("narration", "vits", "cinealert.deliver.tts_vits:VitsSpeech", builtin=False),
)


def names(stage: str) -> list[str]:
    """The backend names of ``stage``, in registry order."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}; stages are {', '.join(STAGES)}.")
    return [b.name for b in BACKENDS if b.stage == stage]


def entry(stage: str, name: str) -> BackendEntry:
    for b in BACKENDS:
        if b.stage == stage and b.name == name:
            return b
    raise InputError(f"Unsupported {stage} backend: {name!r}. Available: {', '.join(names(stage))}.")


def create(stage: str, name: str, **kwargs):
    """Instantiate backend ``name`` of ``stage``; a clear InputError if it is unknown or unusable."""
    return entry(stage, name).load_usable()(**kwargs)


#: The model role (cinealert.models.ROLES) that feeds each stage's model backends.
STAGE_ROLES = {"prompting": "llm", "imaging": "t2i", "segmenter": "segmenter", "depth": "depth",
               "inpainter": "inpainter", "motion": "motion", "narration": "tts"}


@dataclass(frozen=True)
class Choice:
    """A resolved backend: its registry entry and, for a model backend, the folder it loads."""

    entry: BackendEntry
    folder: object = None          # a Path, or "DIR,DIR" for a segmenter pair; None for built-ins

    @property
    def name(self) -> str:
        return self.entry.name


def resolve(stage: str, value: str | None, *, root=None, flag: str | None = None) -> Choice | None:
    """Which backend ``value`` (a backend name or a model folder) means for ``stage``.

    ``None`` looks for the stage's role folder under ``root`` (``--models`` / ``$CINEALERT_MODELS``) and
    returns None when there is none (the caller's built-in default applies). A model-backend name without a
    folder takes the one under ``root``. A folder is matched to the model backend whose ``accepts`` takes it.
    Every failure is a one-line :class:`BackendUnavailable` naming ``flag`` and the folder.
    """
    from pathlib import Path

    from cinealert import models

    flag = flag or f"--{stage}"
    role = STAGE_ROLES.get(stage)
    if value in (None, ""):
        folder = models.resolve(role, None, root) if role else None
        return _match(stage, folder, flag) if folder is not None else None
    value = str(value)
    known = {b.name: b for b in BACKENDS if b.stage == stage}
    if value in known:
        b = known[value]
        if b.builtin:
            return Choice(b)
        folder = models.resolve(role, None, root)
        if folder is None:
            raise BackendUnavailable(f"{flag} {value} needs a model folder: give {flag} DIR, or --models DIR "
                                     f"with a {role}/ subfolder")
        chosen = _match(stage, folder, flag)
        if chosen.entry is not b:
            raise BackendUnavailable(f"{flag} {value}: the folder {str(folder)!r} holds a {chosen.name} model")
        return chosen
    looks_like_path = any(sep in value for sep in ("/", "\\", ",")) or value.startswith((".", "~")) \
        or Path(value).expanduser().exists()
    if not looks_like_path:
        raise InputError(f"Unsupported {stage} backend: {value!r}. Give one of {', '.join(known)} or a model "
                         "folder.")
    return _match(stage, Path(value).expanduser() if "," not in value else value, flag)


def _match(stage: str, folder, flag: str) -> Choice:
    """The model backend of ``stage`` that accepts ``folder`` (a Path, or "DIR,DIR" for a segmenter pair)."""
    from pathlib import Path

    from cinealert import models

    if isinstance(folder, str):
        for part in (p.strip() for p in folder.split(",")):
            if part and not Path(part).expanduser().is_dir():
                raise BackendUnavailable(f"{flag}: no such folder {part!r}")
    else:
        models.check_role(folder, STAGE_ROLES[stage], flag)
    reasons = []
    for b in BACKENDS:
        if b.stage == stage and not b.builtin:
            why = b.load().accepts(folder)
            if why is None:
                return Choice(b, folder)
            reasons.append(f"{b.name}: {why}")
    raise BackendUnavailable(f"{flag}: no {stage} backend can use {str(folder)!r} ({'; '.join(reasons)})")
