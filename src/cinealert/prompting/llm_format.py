"""The conversation with a metadata LLM: what it is asked, what it is taught to answer, and how its answer
is read back into :class:`SceneMetadata`.

One module serves both sides, so that fine-tuning (``cinealert finetune``) and generation (``--llm``)
always agree:

* :func:`alert_keywords` turns an alert into the keyword line the model sees (the paper fed CAP keywords);
* :func:`build_messages` wraps it in a system and a user message (chat models), :func:`build_plain`
  in a plain-text prompt (base models without a chat template);
* :func:`target_text` is the answer a training example teaches: the metadata as one JSON object;
* :func:`parse_output` reads a model's text back, JSON or prose, and cleans it: stray trailing tokens
  ("0", "a"), a truncated last sentence, repeated phrases, and anything that mentions people.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from dataclasses import dataclass, field

from cinealert.prompting.metadata import SEASONS, TIMES_OF_DAY, SceneMetadata
from cinealert.prompting.template import mentions_people

#: Fields the model writes (the rest — disaster, regions, keywords, language — come from the alert).
MODEL_FIELDS = ("scene", "setting", "foreground", "background", "sky", "time_of_day", "season", "lighting",
                "mood", "motion", "camera")
_LIST_FIELDS = ("foreground", "background", "motion")

SYSTEM_PROMPT = (
    "You describe one photograph of a disaster for an emergency alert. Given the alert keywords, write "
    "the scene metadata as one JSON object with the keys scene, setting, foreground (list), background "
    "(list), sky, time_of_day, season, lighting, mood, motion (list) and camera. Describe only places, "
    "objects, weather and light: no people appear in the image."
)

#: Shortest usable scene description, in words.
MIN_SCENE_WORDS = 4

#: Least share of a scene description's words that must be known English words (the template's
#: vocabulary, the taxonomy's English words and common function words): random-token debris scores
#: near 0.1-0.3, real prose above 0.7 even with unusual words.
MIN_KNOWN_SHARE = 0.5

_COMMON = """a an the of in on at by to from with without into onto over under above below across along
around behind beside between beyond through toward towards near far and or but nor yet so as than then
is are was were be been being has have had do does did will would can could may might must shall should
it its this that these those there here where when while after before during since until up down out off
away back again still just only even very more most less least much many some any all each every both few
several other another such no not one two three four five first last next new old long short high low
big small large little great wide narrow deep shallow dark light bright pale black white grey gray brown
red orange yellow green blue purple heavy thick thin strong weak fast slow quiet loud cold hot warm cool
wet dry empty full half whole open closed broken fallen small-town town city village street road house
houses roof roofs building buildings wall walls window windows car cars bridge river water field fields
hill hills mountain mountains tree trees forest sky cloud clouds rain snow wind fire smoke ground earth
sea wave waves shore coast beach harbour harbor boat boats light lights sun moon night day morning
evening dusk dawn noon afternoon scene image picture view foreground background middle distance left
right side top bottom edge line row rows pile piles patch patches""".split()


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Known English words: the template's phrase tables, the taxonomy's English words, common words."""
    from cinealert.disasters import DISASTERS, EFFECT_WORDS, REGION_WORDS
    from cinealert.prompting import template

    found: set[str] = set(_COMMON)

    def walk(value, depth=0):
        if depth > 6:
            return
        if isinstance(value, str):
            found.update(w.lower() for w in _LETTERS.findall(value))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                walk(v, depth + 1)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name), depth + 1)

    for name in dir(template):
        if name.isupper():
            walk(getattr(template, name))
    for d in DISASTERS.values():
        walk(d.words.get("en", ()))
        walk(d.motion)
        walk(d.segmenter_keywords)
    walk(list(REGION_WORDS.values()))
    walk(list(EFFECT_WORDS.values()))
    return frozenset(found)


def _known(word: str) -> bool:
    w = word.lower()
    vocab = _vocabulary()
    if w in vocab or not w.isascii():          # Hangul and other scripts are not judged here
        return True
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("ly", ""), ("er", ""), ("est", "")):
        if w.endswith(suffix) and w[: -len(suffix)] + repl in vocab:
            return True
    return False

_STRAY_TAIL = re.compile(r"(?:\s+(?:\d{1,3}|a|an|the|and|of|with|in|on|to|,|;|:|-))+\s*$", re.I)
_SENTENCE = re.compile(r"[^.!?。]+(?:[.!?。]+|$)")
_WORD = re.compile(r"\w+", re.UNICODE)
_JUNK = re.compile("[\ufffd\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")
_LETTERS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def alert_keywords(alert, metadata: SceneMetadata | None = None) -> str:
    """The keyword line for ``alert``: disaster, event, level, severity, area, time, season, language.

    ``metadata`` (e.g. the template's, for the same alert and seed) supplies time of day and season when
    the alert has no clock time.
    """
    parts = [f"disaster: {alert.disaster}"]
    if alert.event:
        parts.append(f"event: {alert.event}")
    if alert.level:
        parts.append(f"level: {alert.level}")
    if alert.severity and alert.severity != "Unknown":
        parts.append(f"severity: {alert.severity.lower()}")
    areas = alert.area_names()
    if areas:
        parts.append("area: " + ", ".join(a[:40] for a in areas[:3]))
    if metadata is not None:
        parts.append(f"time: {metadata.time_of_day}")
        parts.append(f"season: {metadata.season}")
    language = (alert.language or "en").split("-")[0].lower()
    parts.append(f"country: {'korea' if language == 'ko' else 'any'}")
    return "; ".join(parts)


def build_messages(keywords: str) -> list[dict[str, str]]:
    """Chat messages asking for the metadata of one alert."""
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Alert keywords: {keywords}"}]


def build_plain(keywords: str) -> str:
    """The same request as plain text, for models without a chat template."""
    return f"{SYSTEM_PROMPT}\n\nAlert keywords: {keywords}\nScene metadata: "


def target_text(metadata: SceneMetadata) -> str:
    """The answer a training example teaches: the model-written fields as one compact JSON object."""
    data = metadata.to_dict()
    return json.dumps({k: data[k] for k in MODEL_FIELDS}, ensure_ascii=False)


def prompt_token_ids(tokenizer, keywords: str) -> list[int]:
    """The token ids of the request for ``keywords``: the one prompt both fine-tuning and generation use.

    With a chat template: the template applied to :func:`build_messages` with the generation prompt (for a
    template that refuses a system message, the system text goes at the head of the user message). Without
    one: :func:`build_plain`, tokenised with the tokenizer's usual special tokens. A template that fails
    even then raises :class:`cinealert.errors.BackendUnavailable`.
    """
    if getattr(tokenizer, "chat_template", None):
        messages = build_messages(keywords)
        try:
            ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        except Exception:  # noqa: BLE001 - jinja raises its own errors for "system role not supported"
            merged = [{"role": "user", "content": messages[0]["content"] + "\n\n" + messages[1]["content"]}]
            try:
                ids = tokenizer.apply_chat_template(merged, add_generation_prompt=True, tokenize=True)
            except Exception as err:  # noqa: BLE001
                from cinealert.errors import BackendUnavailable
                first = " ".join(str(err).split())[:160]
                raise BackendUnavailable(f"the model's chat template fails on the prompt ({first})") from None
        return token_ids(ids)
    return token_ids(tokenizer(build_plain(keywords)))


def token_ids(value) -> list[int]:
    """Token ids from what a tokenizer returned: a list, a nested list, a tensor or a BatchEncoding."""
    if isinstance(value, Mapping) or hasattr(value, "keys"):
        value = value["input_ids"]
    if hasattr(value, "tolist"):
        value = value.tolist()
    value = list(value)
    if value and isinstance(value[0], (list, tuple)):
        value = list(value[0])
    return [int(i) for i in value]


@dataclass
class ParsedOutput:
    """What :func:`parse_output` made of a model's text."""

    metadata: SceneMetadata | None
    form: str                                   # "json", "prose" or "none"
    cleanups: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)   # fields taken from ``defaults``
    problem: str | None = None                  # why the text could not be used (metadata is None)

    @property
    def needed_cleanup(self) -> bool:
        return bool(self.cleanups)


def clean_text(text: str, notes: list[str], *, what: str = "text") -> str:
    """One phrase or a few sentences, cleaned: whitespace, stray trailing tokens, a truncated last
    sentence, repeated sentences and phrases, sentences that mention people."""
    raw = str(text)
    text = _JUNK.sub("", raw)
    if text != raw:
        notes.append(f"{what}: removed undecodable or control characters")
    text = " ".join(text.split())
    text = text.strip(" \"'`")
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    if len(sentences) > 1 and not re.search(r"[.!?。]$", sentences[-1]):
        notes.append(f"{what}: dropped a truncated last sentence")
        sentences = sentences[:-1]
    kept: list[str] = []
    seen: set[str] = set()
    for s in sentences:
        key = " ".join(_WORD.findall(s.lower()))
        if key in seen:
            notes.append(f"{what}: dropped a repeated sentence")
            continue
        if mentions_people(s):
            notes.append(f"{what}: dropped a sentence that mentions people")
            continue
        seen.add(key)
        kept.append(s)
    text = " ".join(kept)
    text = _dedupe_phrases(text, notes, what)
    stripped = _STRAY_TAIL.sub("", text) if not re.search(r"[.!?。]$", text) else text
    if stripped != text:
        notes.append(f"{what}: removed stray trailing tokens {text[len(stripped):].strip()!r}")
        text = stripped
    return text.strip()


def _dedupe_phrases(text: str, notes: list[str], what: str) -> str:
    """Collapse a phrase of 2-8 words repeated back to back ("the river the river the river")."""
    words = text.split()
    changed = False
    n = 8
    while n >= 2:
        i = 0
        while i + 2 * n <= len(words):
            if [w.lower() for w in words[i:i + n]] == [w.lower() for w in words[i + n:i + 2 * n]]:
                del words[i + n:i + 2 * n]
                changed = True
                continue
            i += 1
        n -= 1
    if changed:
        notes.append(f"{what}: collapsed a repeated phrase")
    return " ".join(words)


def _json_object(text: str) -> dict | None:
    """The first JSON object in ``text`` (a truncated one is closed when that is enough)."""
    start = text.find("{")
    if start < 0:
        return None
    depth, in_str, esc = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                try:
                    found = json.loads(text[start:i + 1])
                except json.JSONDecodeError:
                    return None
                return found if isinstance(found, dict) else None
    # truncated: close what is open, dropping a half-written last value
    body = text[start:]
    half = body[: body.rfind(",")] if "," in body else body
    for cut in ((half, body) if in_str else (body, half)):     # a half-written last string is dropped
        for tail in ('"}', '"]}', "}", "]}", '""}'):
            try:
                found = json.loads(cut + tail)
            except json.JSONDecodeError:
                continue
            if isinstance(found, dict):
                return found
    return None


def scene_problem(scene: str, disaster: str) -> str | None:
    """Why ``scene`` cannot serve as the description of a ``disaster`` picture, or None when it can.

    It must hold at least :data:`MIN_SCENE_WORDS` real words, be mostly letters (not token debris), and
    name the disaster or something a viewer must see in it (water for a flood, flames for a wildfire).
    """
    from cinealert.disasters import DISASTERS, missing_concepts, visual_concepts

    words = _LETTERS.findall(scene)
    if len(words) < MIN_SCENE_WORDS:
        return "no usable scene description in the model's answer"
    chars = [c for c in scene if not c.isspace()]
    letters = sum(c.isalpha() for c in chars)
    if letters < 0.75 * len(chars):
        return "the model's scene description is not readable text"
    known = sum(_known(w) for w in words)
    if known < MIN_KNOWN_SHARE * len(words):
        return "the model's scene description is mostly not English words"
    dtype = DISASTERS.get(disaster)
    if dtype is not None:
        low = scene.lower()
        named = any(w.lower() in low for w in dtype.words.get("en", ()))
        concepts = visual_concepts(dtype)
        if not named and concepts and len(missing_concepts(scene, dtype)) == len(concepts):
            return f"the model's scene description does not show a {dtype.name_en.lower()}"
    return None


def parse_output(text: str, *, disaster: str, language: str = "en",
                 defaults: SceneMetadata | None = None) -> ParsedOutput:
    """Read a model's answer into :class:`SceneMetadata`.

    Args:
        text: the generated text (the prompt not included).
        disaster: the alert's disaster key (the model does not choose it).
        language: ``"ko"`` or ``"en"``, copied into the metadata.
        defaults: metadata whose fields fill what the model left out or got wrong (its ``regions`` and
            ``keywords`` are always used); each filled field is listed in ``ParsedOutput.filled``.

    The answer is unusable (``metadata`` None, ``problem`` set) when no scene description of at least
    :data:`MIN_SCENE_WORDS` words survives cleaning.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    notes: list[str] = []
    obj = _json_object(text)
    form = "json" if obj is not None else "prose"
    values: dict = {}
    if obj is not None:
        for key in MODEL_FIELDS:
            raw = obj.get(key)
            if key in _LIST_FIELDS:
                items = raw if isinstance(raw, list) else ([raw] if isinstance(raw, str) else [])
                cleaned = [clean_text(str(i), notes, what=key) for i in items if isinstance(i, (str, int, float))]
                cleaned = [c for c in cleaned if c]
                if cleaned:
                    values[key] = cleaned[:6]
            elif key == "camera" and isinstance(raw, str):
                values[key] = " ".join(raw.split())      # a path name, not prose: checked below
            elif isinstance(raw, (str, int, float)):
                cleaned = clean_text(str(raw), notes, what=key)
                if cleaned:
                    values[key] = cleaned
    else:
        prose = clean_text(text, notes, what="scene")
        sentences = [s.strip() for s in _SENTENCE.findall(prose) if s.strip()]
        if sentences:
            values["scene"] = " ".join(sentences[:3])

    for key, allowed in (("time_of_day", TIMES_OF_DAY), ("season", SEASONS)):
        if key in values and values[key].lower().strip(". ") not in allowed:
            notes.append(f"{key}: {values[key][:30]!r} is not one of {', '.join(allowed)}")
            del values[key]
        elif key in values:
            values[key] = values[key].lower().strip(". ")
    if "camera" in values:
        from cinealert.render import CAMERAS
        cam = values["camera"].lower().strip(". ").replace(" ", "-")
        if cam in CAMERAS:
            values["camera"] = cam
        else:
            notes.append(f"camera: {values['camera'][:30]!r} is not a camera path")
            del values["camera"]

    scene = values.get("scene", "")
    problem = scene_problem(scene, disaster)
    if problem is not None:
        shown = " ".join(_JUNK.sub("", text).split())[:60]
        return ParsedOutput(None, form if text.strip() else "none", notes,
                            problem=f"{problem} ({shown!r})")

    filled = []
    base = defaults.to_dict() if defaults is not None else {}
    data = {"disaster": disaster, "language": language}
    for key in MODEL_FIELDS:
        if key in values:
            data[key] = values[key]
        elif key in base:
            data[key] = base[key]
            filled.append(key)
    if "setting" not in data:
        data["setting"] = "the area named in the alert"
        filled.append("setting")
    for key in ("regions", "keywords"):
        if key in base:
            data[key] = base[key]
    meta = SceneMetadata.from_dict(data)
    return ParsedOutput(meta, form, notes, filled)
