"""How good are the prompts a metadata generator writes? Measured per disaster type over many seeds.

- ``coverage``: the share of the things a viewer must see that the prompt names. What must be seen is
  read from the disaster's motion vocabulary: each moving region class and each whole-frame effect is a
  *concept* with a few words that name it (water: water, flood, river, ...; rain: rain, downpour, ...;
  :func:`cinealert.disasters.visual_concepts`).
  ``full_coverage`` is the share of prompts that name every concept.
- ``distinct_1`` / ``distinct_2``: distinct words (word pairs) over all words (pairs) of the written
  content (scene, setting, objects, sky, lighting, mood: not the fixed sentence frame of the prompt) of one
  type across seeds. Higher is more varied; the values fall as more seeds are pooled, so compare tables
  made with the same number of seeds. ``unique`` is the share of distinct prompts.
- ``words``: mean prompt length in words (the diffusion text encoder reads about 60 words; longer prompts
  are cut there).
- ``cleanup``: the share of outputs whose text needed cleaning (:func:`llm_format.clean_text` changed it,
  or the LLM parser noted fixes): 0 for a well-behaved generator.
- ``failed``: the share of outputs that could not be used at all (LLM backends).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cinealert.disasters import DISASTERS, DisasterType, missing_concepts, visual_concepts

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def coverage(prompt: str, disaster: DisasterType) -> tuple[float, list[str]]:
    """(share of concepts named, the concepts missing) for one prompt."""
    wanted = visual_concepts(disaster)
    if not wanted:
        return 1.0, []
    missing = missing_concepts(prompt, disaster)
    return 1 - len(missing) / len(wanted), missing


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams of ``texts`` (words, lower case)."""
    grams: list[tuple[str, ...]] = []
    for t in texts:
        words = [w.lower() for w in _WORD.findall(t)]
        grams += [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


@dataclass
class PromptStats:
    disaster: str
    outputs: int
    coverage: float
    full_coverage: float
    distinct_1: float
    distinct_2: float
    unique: float
    words: float
    cleanup: float
    failed: float
    missing: dict[str, int]

    def row(self) -> list[str]:
        worst = ", ".join(f"{k} {v}" for k, v in sorted(self.missing.items(), key=lambda kv: -kv[1])[:2])
        return [self.disaster, str(self.outputs), f"{self.coverage:.2f}", f"{self.full_coverage:.2f}",
                f"{self.distinct_1:.2f}", f"{self.distinct_2:.2f}", f"{self.unique:.2f}", f"{self.words:.0f}",
                f"{self.cleanup:.2f}", f"{self.failed:.2f}", worst or "-"]


COLUMNS = ["type", "n", "coverage", "full", "distinct-1", "distinct-2", "unique", "words", "cleanup", "failed",
           "most often missing"]


def measure(generator, *, disasters: list[str] | None = None, seeds: range = range(20),
            language: str = "en") -> list[PromptStats]:
    """Run ``generator.generate(alert, seed=s)`` for a keyword alert of each type and every seed.

    A generator's output counts as *needing cleanup* when :func:`clean_text` changes any of its text
    fields, or when the generator reports cleanups (``last_report["cleanups"]``, LLM backends); an
    output that raises :class:`cinealert.errors.InputError` counts as *failed*.
    """
    from cinealert.alerts.keyword import KeywordParser
    from cinealert.errors import InputError
    from cinealert.prompting.llm_format import clean_text

    stats = []
    for key in disasters or list(DISASTERS):
        dtype = DISASTERS[key]
        alert = KeywordParser().parse(dtype.name_ko if language == "ko" else key)
        prompts, contents, covers, fulls, cleaned, failed = [], [], [], [], 0, 0
        missing: dict[str, int] = {}
        for seed in seeds:
            try:
                meta = generator.generate(alert, seed=seed)
            except InputError:
                failed += 1
                continue
            prompt = meta.to_prompt()
            prompts.append(prompt)
            share, miss = coverage(prompt, dtype)
            covers.append(share)
            fulls.append(not miss)
            for m in miss:
                missing[m] = missing.get(m, 0) + 1
            texts = [meta.scene, meta.setting, meta.sky, meta.lighting, meta.mood, *meta.foreground,
                     *meta.background]
            contents.append(" ".join(texts))
            notes: list[str] = []
            changed = any(clean_text(t, notes) != " ".join(t.split()) for t in texts)
            reported = bool((getattr(generator, "last_report", None) or {}).get("cleanups"))
            cleaned += changed or reported
        n = len(seeds)
        ok = max(1, len(prompts))
        stats.append(PromptStats(
            disaster=key, outputs=n, coverage=sum(covers) / ok, full_coverage=sum(fulls) / ok,
            distinct_1=distinct_n(contents, 1), distinct_2=distinct_n(contents, 2),
            unique=len(set(prompts)) / ok,
            words=sum(len(p.split()) for p in prompts) / ok, cleanup=cleaned / ok, failed=failed / n,
            missing=missing))
    return stats


def table(stats: list[PromptStats]) -> str:
    """A Markdown table of :func:`measure`'s results."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(s.row()) + " |" for s in stats]
    return "\n".join(lines)
