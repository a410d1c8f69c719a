"""Stage 2: turn an alert into structured scene metadata and the text-to-image prompt.

The built-in template writes metadata from hand-made phrase pools; a local causal LM (optionally with a
LoRA adapter) or an OpenAI-compatible server writes it like the paper's fine-tuned LLM
(:mod:`cinealert.prompting.llm`). :func:`generate_metadata` runs the one the user chose and reports what
happened.
"""
from __future__ import annotations

from cinealert.prompting.metadata import SceneMetadata
from cinealert.prompting.template import TemplateGenerator

__all__ = ["FALLBACKS", "SceneMetadata", "TemplateGenerator", "generate_metadata"]

#: What ``--fallback`` may name: the backend used when an LLM's answer cannot be used.
FALLBACKS = ("template",)


def generate_metadata(alert, *, seed: int = 0, llm: str | None = None, adapter: str | None = None,
                      fallback: str | None = None, generator=None, **llm_options) -> tuple[SceneMetadata, dict]:
    """Scene metadata for ``alert`` and a report of how it was written.

    Without ``llm`` the template writes it. With ``llm`` (a local model folder or an ``http(s)://``
    server) the LLM writes it; when its answer cannot be used the template takes over only if
    ``fallback == "template"``, otherwise :class:`cinealert.prompting.llm.UnusableOutput` (exit status 2)
    says why. A model that cannot load is always an error, never a silent fallback.

    Args:
        generator: an already built LLM generator to reuse (e.g. one model for many alerts).
        llm_options: passed to :func:`cinealert.prompting.llm.create_generator` (device, dtype, timeout,
            model_name).
    """
    if fallback is not None and fallback not in FALLBACKS:
        from cinealert.errors import InputError
        raise InputError(f"unknown --fallback {fallback!r}; choose from {', '.join(FALLBACKS)}")
    if llm is None and generator is None:
        if adapter is not None:
            from cinealert.errors import InputError
            raise InputError("--adapter needs --llm (the base model folder it was trained on)")
        template = TemplateGenerator()
        return template.generate(alert, seed=seed), {"backend": template.name}
    from cinealert.prompting.llm import UnusableOutput, create_generator

    gen = generator or create_generator(llm, adapter=adapter, **llm_options)
    try:
        metadata = gen.generate(alert, seed=seed)
    except UnusableOutput as err:
        if fallback != "template":
            raise
        report = dict(getattr(err, "report", None) or {})
        report.update(backend="template", fallback_from=gen.name, problem=report.get("problem") or str(err))
        return TemplateGenerator().generate(alert, seed=seed), report
    return metadata, dict(gen.last_report or {}) | {"backend": gen.name}
