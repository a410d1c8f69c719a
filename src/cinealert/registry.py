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


# Stage order follows the pipeline. Model backends (LLM, diffusers, CLIPSeg/LangSAM, DPT/Depth Anything,
# diffusers inpainting) join their stage's list here as they arrive.
STAGES = ("alerts", "prompting", "imaging", "segmenter", "depth", "motion", "inpainter", "render", "deliver")

BACKENDS: tuple[BackendEntry, ...] = (
    BackendEntry("alerts", "cap", "cinealert.alerts.cap:CapParser"),
    BackendEntry("alerts", "mois", "cinealert.alerts.mois:MoisParser"),
    BackendEntry("alerts", "keyword", "cinealert.alerts.keyword:KeywordParser"),
    BackendEntry("prompting", "template", "cinealert.prompting.template:TemplateGenerator"),
    BackendEntry("prompting", "llm", "cinealert.prompting.llm:LocalLLMGenerator", builtin=False),
    BackendEntry("prompting", "openai", "cinealert.prompting.llm:OpenAIGenerator", builtin=False),
    BackendEntry("imaging", "procedural", "cinealert.imaging.procedural:ProceduralIllustrator"),
    BackendEntry("segmenter", "hints", "cinealert.scene.hints:HintSegmenter"),
    BackendEntry("segmenter", "heuristic", "cinealert.scene.heuristic_segmenter:HeuristicSegmenter"),
    BackendEntry("depth", "hints", "cinealert.scene.hints:HintDepth"),
    BackendEntry("depth", "heuristic", "cinealert.scene.heuristic_depth:HeuristicDepth"),
    BackendEntry("motion", "rules", "cinealert.motion.rules:RuleMotion"),
    BackendEntry("inpainter", "pushpull", "cinealert.render.inpaint:PushPullInpainter"),
    BackendEntry("inpainter", "telea", "cinealert.render.inpaint:TeleaInpainter"),
    BackendEntry("render", "layered", "cinealert.render.renderer:LayeredRenderer"),
    BackendEntry("deliver", "ffmpeg", "cinealert.deliver.media:MediaWriter"),
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
    b = entry(stage, name)
    usable, reason = b.availability()
    if not usable:
        raise BackendUnavailable(f"The {stage} backend {name!r} cannot run here: {reason}.")
    return b.load()(**kwargs)
