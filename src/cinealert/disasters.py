"""The disaster taxonomy, in one place.

Every disaster type maps to its names (Korean, English, French, Spanish, Chinese, Japanese), the
event codes that alerts carry (Korean TTA codes, US SAME/NWS codes, Canadian CAP-CP codes and common
CAP event words), the words that reveal it in free text in those languages, the keywords a
text-prompted segmenter looks for, the scene family the built-in illustrator draws, its motion
vocabulary (which region classes move and which whole-frame effects run) and its CAP ``<category>``.

It also knows the alert *levels* (advisory, watch, warning) as the alerts of these countries name
them, the KMA warning names (``호우주의보``, ``대설경보``...), the category names of the Korean
government's disaster-text records (``DST_SE_NM``: those with a picture, the generic ones that leave
the decision to the text), and the real alert types that have no visual template (air raid, child
abduction, infectious disease...), so that callers can say "no visual template for event X" instead
of guessing.

Public helpers:

* :func:`get_disaster`, :func:`disaster_for_name` - a type by key, alias or name in any language;
* :func:`detect_disaster` - the type that a free text speaks of;
* :func:`detect_level` - the level that a free text names;
* :func:`disaster_for_code`, :func:`level_for_code`, :func:`lookup_code` - event codes;
* :func:`kma_warning` - a KMA warning name and its level in a Korean text;
  :func:`kma_warning_for` - the strongest warning a Korean text gives one type;
* :func:`cap_category` - the CAP ``<category>`` of a category or event name;
* :func:`non_visual_event`, :func:`detect_non_visual`, :data:`KNOWN_NON_VISUAL` - alert types
  without a picture;
* :func:`require_visual` and :class:`NoVisualTemplate` - the one-line error for those.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from cinealert.errors import InputError
from cinealert.regions import Region

#: Scene families that the procedural illustrator can draw.
SCENES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake", "coastal",
          "thunderstorm")

#: Whole-frame effects of the motion stage (in addition to moving regions).
EFFECTS = ("rain", "snowfall", "embers", "shake", "heat_haze", "dust_haze", "wind")

#: Languages of the name and word tables. Chinese lists hold simplified and traditional forms.
LANGUAGES = ("en", "ko", "fr", "es", "zh", "ja")

#: Alert levels, mildest first.
LEVELS = ("advisory", "watch", "warning")
_RANK = {"advisory": 1, "watch": 2, "warning": 3}

#: The values of a CAP ``<category>`` (CAP 1.2).
CAP_CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport",
                  "Infra", "CBRNE", "Other")


class NoVisualTemplate(InputError):
    """The alert is real, but cinealert has no picture for its kind (an air raid, a missing child).

    An :class:`~cinealert.errors.InputError`: the command line prints it on one line, exit status 2.
    """

    def __init__(self, message: str, *, event: str = "", reason: str | None = None):
        super().__init__(message)
        self.event = event
        self.reason = reason


# ------------------------------------------------------------------------------------- text folding
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff]")


def _fold(text: str) -> str:
    """NFKC, case-folded, with typographic apostrophes made plain."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)


def _strip_accents(text: str) -> str:
    """``"séisme"`` -> ``"seisme"``: drop the combining marks of Latin letters (for accent-free input)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _is_cjk(word: str) -> bool:
    return bool(_CJK.search(word))


def _latin_key(word: str) -> str:
    return _SEPARATORS.sub(" ", _strip_accents(_fold(word))).strip()


def _cjk_key(word: str) -> str:
    return "".join(_fold(word).split())


def _key(word: str) -> str:
    """The form a word is looked up by: folded, accent-free, one space between Latin words and
    none between Korean/Chinese/Japanese ones."""
    return _cjk_key(word) if _is_cjk(word) else _latin_key(word)


def _weight(word: str) -> int:
    """How specific a word is: its length, a Hangul/Han/kana character counting as two letters."""
    return sum(2 if _is_cjk(c) else 1 for c in word if not c.isspace())


# ------------------------------------------------------------------------------------- the types
@dataclass(frozen=True)
class DisasterType:
    key: str
    name_en: str
    name_ko: str
    scene: str
    codes: tuple[str, ...]
    words: dict[str, tuple[str, ...]] = field(hash=False, repr=False)
    segmenter_keywords: tuple[str, ...]
    regions: tuple[Region, ...]
    effects: tuple[str, ...]
    motion: str
    cap_category: str
    names: dict[str, str] = field(default_factory=dict, hash=False, repr=False)

    @property
    def words_en(self) -> tuple[str, ...]:
        """English words that reveal this type in free text (read-only)."""
        return tuple(self.words.get("en", ()))

    @property
    def words_ko(self) -> tuple[str, ...]:
        """Korean words that reveal this type in free text (read-only)."""
        return tuple(self.words.get("ko", ()))

    def name(self, language: str | None) -> str:
        """The name in ``language`` ("ko", "fr-CA", "zh-TW"...), English when there is none."""
        lang = (language or "en").lower().replace("_", "-").split("-")[0]
        return self.names.get(lang) or self.name_en

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "name_en": self.name_en,
            "name_ko": self.name_ko,
            "names": dict(self.names),
            "scene": self.scene,
            "codes": list(self.codes),
            "words": {lang: list(ws) for lang, ws in self.words.items()},
            "segmenter_keywords": list(self.segmenter_keywords),
            "regions": [r.name.lower() for r in self.regions],
            "effects": list(self.effects),
            "motion": self.motion,
            "cap_category": self.cap_category,
        }


@dataclass(frozen=True)
class _Spec:
    key: str
    scene: str
    cap_category: str
    names: dict[str, str]
    words: dict[str, tuple[str, ...]]
    segmenter_keywords: tuple[str, ...]
    regions: tuple[Region, ...]
    effects: tuple[str, ...]
    motion: str


# ------------------------------------------------------------------------------------- event codes
@dataclass(frozen=True)
class EventCode:
    """One event code of one scheme and what cinealert makes of it.

    ``disaster`` is the disaster key, or None: then ``non_visual`` says whether the code is a real
    alert type without a picture (an air raid) or just unspecific (a "special weather statement":
    read the alert's text instead). ``confirmed`` is False where the code could not be checked
    against a published list (see the notes of each scheme in data/taxonomy.yaml).
    """
    scheme: str
    code: str
    label: str
    disaster: str | None
    level: str | None
    non_visual: bool = False
    confirmed: bool = True


# ------------------------------------------------------------------------------------- the data files
# The types and the event codes are data (data/taxonomy.yaml), checked here when they are read; more words,
# MeteoAlarm/VTEC codes and level colours are in data/event_terms.json.
class TaxonomyError(RuntimeError):
    """A malformed entry in the package's taxonomy data (names the file, the entry and the field)."""


_REGION_NAMES = {r.name.lower(): r for r in Region}


def _read_data(name: str) -> str:
    from importlib import resources
    return resources.files("cinealert").joinpath(f"data/{name}").read_text("utf-8")


def _models():
    """The pydantic models of data/taxonomy.yaml (built on first use, so importing costs nothing more)."""
    from typing import Literal, Optional

    from pydantic import BaseModel, ConfigDict, field_validator

    class TypeData(BaseModel):
        model_config = ConfigDict(extra="forbid")
        key: str
        scene: Literal[SCENES]  # type: ignore[valid-type]
        cap_category: Literal[CAP_CATEGORIES]  # type: ignore[valid-type]
        names: dict[str, str]
        words: dict[str, list[str]]
        segmenter_keywords: list[str]
        regions: list[Literal[tuple(_REGION_NAMES)]]  # type: ignore[valid-type]
        effects: list[Literal[EFFECTS]]  # type: ignore[valid-type]
        motion: str

        @field_validator("names")
        @classmethod
        def _en_and_ko(cls, v: dict[str, str]) -> dict[str, str]:
            missing = [lang for lang in ("en", "ko") if not v.get(lang)]
            if missing:
                raise ValueError(f"needs a name in {', '.join(missing)}")
            return v

    Row = tuple[str, Optional[str], Optional[Literal[LEVELS]], str]  # type: ignore[valid-type]

    class Scheme(BaseModel):
        model_config = ConfigDict(extra="forbid")
        confirmed: list[Row] = []
        unconfirmed: list[Row] = []

    class Taxonomy(BaseModel):
        model_config = ConfigDict(extra="forbid")
        types: list[TypeData]
        event_codes: dict[Literal[_SCHEME_ORDER], Scheme]  # type: ignore[valid-type]

    return Taxonomy


def load_taxonomy(text: str, source: str = "data/taxonomy.yaml") -> tuple[list[_Spec], list[EventCode]]:
    """The types and event codes of a taxonomy file's text, checked; :class:`TaxonomyError` names what is wrong."""
    import yaml
    from pydantic import ValidationError
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise TaxonomyError(f"{source} is not valid YAML: {str(err).splitlines()[0]}") from None
    try:
        tax = _models()(**doc) if isinstance(doc, dict) else _models()(types=doc)
    except ValidationError as err:
        e = err.errors()[0]
        loc = list(e.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "types" and isinstance(loc[1], int) and isinstance(doc, dict):
            entry = (doc.get("types") or [{}])[loc[1]]
            loc[1] = f"{loc[1]} ({entry.get('key', '?') if isinstance(entry, dict) else '?'})"
        raise TaxonomyError(f"{source}: {'.'.join(map(str, loc))}: {e.get('msg')}") from None
    keys = [t.key for t in tax.types]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise TaxonomyError(f"{source}: type {doubled[0]!r} is listed twice")
    specs = [_Spec(key=t.key, scene=t.scene, cap_category=t.cap_category, names=dict(t.names),
                   words={lang: tuple(ws) for lang, ws in t.words.items()},
                   segmenter_keywords=tuple(t.segmenter_keywords),
                   regions=tuple(_REGION_NAMES[r] for r in t.regions), effects=tuple(t.effects), motion=t.motion)
             for t in tax.types]
    codes = []
    for scheme in _SCHEME_ORDER:
        table = tax.event_codes.get(scheme)
        for confirmed, rows in ((True, table.confirmed), (False, table.unconfirmed)) if table else ():
            for code, disaster, level, label in rows:
                if disaster not in (None, _NV) and disaster not in keys:
                    raise TaxonomyError(f"{source}: event code {scheme} {code}: unknown type {disaster!r}")
                nv = disaster == _NV
                codes.append(EventCode(scheme, code, label, None if nv else disaster, level, nv, confirmed))
    return specs, codes


def _load_terms() -> dict:
    """``data/event_terms.json``, read and checked once: more words, code schemes, level colours."""
    import json
    data = json.loads(_read_data("event_terms.json"))
    for name in ("non_visual_words", "non_visual_names", "non_visual_words_by_language",
                 "meteoalarm_awareness_type", "vtec_phenomena", "vtec_significance", "level_parameters",
                 "colour_levels", "colour_rgb", "ending_words", "agency_nouns"):
        if name not in data:
            raise TaxonomyError(f"data/event_terms.json lacks {name!r}")
    for language in data["non_visual_words_by_language"]:
        if language not in LANGUAGES:
            raise TaxonomyError(f"data/event_terms.json: non_visual_words_by_language has an unknown language "
                                f"{language!r}; languages are {', '.join(LANGUAGES)}")
    for level in list(data["colour_levels"].values()) + list(data["vtec_significance"].values()):
        if level not in LEVELS:
            raise TaxonomyError(f"data/event_terms.json: unknown level {level!r}; levels are {', '.join(LEVELS)}")
    return data


_NV = "-"   # marks a real kind without a picture in the event-code rows
# Without a value name, a code that means different things in different schemes is read as the Korean
# TTA code (this project's home scheme), then SAME, NWS, CAP-CP and the plain words.
_SCHEME_ORDER = ("tta", "same", "nws", "capcp", "cap")
TERMS = _load_terms()
_SPECS, _EVENT_CODES = load_taxonomy(_read_data("taxonomy.yaml"))
_ORDER = {spec.key: i for i, spec in enumerate(_SPECS)}

#: Every event code known here, of every scheme.
EVENT_CODES: tuple[EventCode, ...] = tuple(_EVENT_CODES)

# scheme -> folded code -> entry
_CODE_TABLES: dict[str, dict[str, EventCode]] = {}
for _entry in EVENT_CODES:
    _CODE_TABLES.setdefault(_entry.scheme, {}).setdefault(_entry.code.casefold(), _entry)


def scheme_of(value_name: str | None) -> str | None:
    """The code scheme an eventCode ``valueName`` names: ``"tta"``, ``"same"``, ``"nws"``,
    ``"capcp"``, or None when it is missing or unknown."""
    if not value_name:
        return None
    v = _fold(value_name)
    if "ttas" in v or "ko-07" in v or "재난" in v:
        return "tta"
    if "cap-cp" in v:
        return "capcp"
    if re.search(r"(?<![a-z])same(?![a-z])", v):
        return "same"
    if "nationalweatherservice" in v.replace(" ", "") or re.search(r"(?<![a-z])nws(?![a-z])", v):
        return "nws"
    return None


def lookup_code(code: str, value_name: str | None = None) -> EventCode | None:
    """The table entry of an event code, read in the scheme that ``value_name`` names (then in the
    others), or None when no table has it."""
    if not isinstance(code, str) or not code.strip():
        return None
    folded = code.strip().casefold()
    scheme = scheme_of(value_name)
    order = ((scheme,) if scheme else ()) + tuple(s for s in _SCHEME_ORDER if s != scheme)
    if scheme == "nws":          # NWS alerts put SAME codes under "NationalWeatherService" too
        order = ("nws", "same") + tuple(s for s in _SCHEME_ORDER if s not in ("nws", "same"))
    for s in order:
        entry = _CODE_TABLES.get(s, {}).get(folded)
        if entry is not None:
            return entry
    return None


def _codes_for(key: str) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for entry in EVENT_CODES:
        if entry.disaster == key:
            seen.setdefault(entry.code.casefold(), entry.code)
    return tuple(seen.values())


# ------------------------------------------------------------------------------------- build types
def _build(spec: _Spec) -> DisasterType:
    names = dict(spec.names)
    words = {lang: tuple(spec.words.get(lang, ())) for lang in LANGUAGES}
    words.update({lang: tuple(ws) for lang, ws in spec.words.items() if lang not in words})
    return DisasterType(
        key=spec.key, name_en=names["en"], name_ko=names["ko"], scene=spec.scene,
        codes=_codes_for(spec.key), words=words, segmenter_keywords=spec.segmenter_keywords,
        regions=spec.regions, effects=spec.effects, motion=spec.motion,
        cap_category=spec.cap_category, names=names)


_TYPES = [_build(spec) for spec in _SPECS]

DISASTERS: dict[str, DisasterType] = {d.key: d for d in _TYPES}

#: Words that name each moving region class in a description of the scene (what a viewer must see).
REGION_WORDS: dict[Region, tuple[str, ...]] = {
    Region.WATER: ("water", "flood", "river", "stream", "sea", "wave", "surf", "tide", "puddle", "torrent"),
    Region.FIRE: ("fire", "flame", "blaze", "burning", "inferno"),
    Region.SMOKE: ("smoke",),
    Region.CLOUD: ("cloud", "sky", "storm"),
    Region.FOLIAGE: ("tree", "palm", "pine", "branch", "forest", "crown", "bamboo"),
    Region.DEBRIS: ("mud", "debris", "landslide", "rock", "soil", "boulder", "slope"),
    Region.SHIMMER: ("heat", "shimmer", "haze", "parched", "cracked", "dry"),
    Region.DUST: ("dust", "haze", "rubble"),
}

#: Words that name each whole-frame effect in a description of the scene.
EFFECT_WORDS: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "downpour", "shower", "drizzle"),
    "snowfall": ("snow", "blizzard", "flurr"),
    "embers": ("ember", "spark", "fire", "flame"),
    "shake": ("crack", "collapse", "rubble", "fallen", "toppled", "earthquake", "shak"),
    "heat_haze": ("heat", "haze", "shimmer", "sun"),
    "dust_haze": ("dust", "haze"),
    "wind": ("wind", "gust", "bend", "blown", "gale", "swaying"),
}


def visual_concepts(disaster: DisasterType) -> dict[str, tuple[str, ...]]:
    """What a picture of ``disaster`` must show, as concept → words that name it: each moving region
    class and each whole-frame effect of its motion vocabulary."""
    found: dict[str, tuple[str, ...]] = {}
    for region in disaster.regions:
        if region in REGION_WORDS:
            found[region.name.lower()] = REGION_WORDS[region]
    for effect in disaster.effects:
        if effect in EFFECT_WORDS:
            found[effect] = EFFECT_WORDS[effect]
    return found


def missing_concepts(text: str, disaster: DisasterType) -> list[str]:
    """The concepts of :func:`visual_concepts` that ``text`` (English) does not name."""
    low = text.lower()
    return [name for name, words in visual_concepts(disaster).items() if not any(w in low for w in words)]


#: The seven disaster types of the paper.
PAPER_TYPES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake")

_ALIASES = {"snow": "heavy_snow", "heavy-snow": "heavy_snow", "fire": "wildfire", "rain": "heavy_rain",
            "hurricane": "typhoon", "quake": "earthquake", "heatwave": "heat_wave", "wind": "strong_wind",
            "cyclone": "typhoon", "dust": "yellow_dust", "surge": "storm_surge", "seas": "high_seas",
            "cold": "cold_wave", "heat": "heat_wave", "dry": "dry_weather"}


# ------------------------------------------------------------------------------------- names
# Category names of the Korean government's disaster-text records (field DST_SE_NM) that have a
# picture. 화재 (any fire) is pictured as a wildfire, 미세먼지 as yellow dust and 해일 (either kind of
# surge) as a tsunami; see the notes above.
DISASTER_TEXT_CATEGORIES: dict[str, str] = {
    "호우": "heavy_rain", "태풍": "typhoon", "대설": "heavy_snow", "한파": "cold_wave",
    "폭염": "heat_wave", "강풍": "strong_wind", "풍랑": "high_seas", "건조": "dry_weather",
    "황사": "yellow_dust", "미세먼지": "yellow_dust", "초미세먼지": "yellow_dust", "지진": "earthquake",
    "지진해일": "tsunami", "해일": "tsunami", "폭풍해일": "storm_surge", "산불": "wildfire",
    "화재": "wildfire", "산사태": "landslide", "홍수": "flood", "가뭄": "drought", "낙뢰": "thunderstorm",
}

#: Disaster-text categories that do not say what happened (기타, "other"; 교통, "traffic", which may be
#: a road closed by a flood): the message text decides. Those that are also a known kind without a
#: picture (교통) are that kind only when the text names no disaster.
GENERIC_CATEGORIES = frozenset({"기타", "교통", "교통사고", "교통통제", "재난", "안전"})

# Real alert kinds without a picture, by name (folded) -> English description: Korean disaster-text
# categories (DST_SE_NM) and civil-defence names first, then common names in the other languages
# (data/event_terms.json).
_NON_VISUAL_NAMES: dict[str, str] = TERMS["non_visual_names"]

# CAP <category> of the kinds without a picture, by description (the values of the tables above).
_NON_VISUAL_CAP: dict[str, str] = {
    **dict.fromkeys(("infectious disease", "livestock disease", "avian influenza"), "Health"),
    **dict.fromkeys(("traffic", "traffic accident", "road closure"), "Transport"),
    **dict.fromkeys(("power cut", "water supply", "water outage", "telecom outage", "energy supply",
                     "financial"), "Infra"),
    **dict.fromkeys(("civil defence (air raid)", "civil defence", "air raid warning", "air raid alert",
                     "air raid", "missile alert", "terrorism", "state of emergency"), "Security"),
    **dict.fromkeys(("environmental pollution accident", "chemical accident", "radiation", "ozone",
                     "air quality"), "Env"),
    **dict.fromkeys(("fog", "hail", "tornado"), "Met"),
    **dict.fromkeys(("missing person", "child abduction"), "Rescue"),
    **dict.fromkeys(("structural collapse", "crowd crush"), "Safety"),
    "explosion": "Fire", "CBRN hazard": "CBRNE",
}

# Names whose CAP <category> is not their type's: fine dust is air pollution, pictured as yellow dust.
_NAME_CAP: dict[str, str] = {"미세먼지": "Env", "초미세먼지": "Env"}

# Words that reveal a non-visual alert kind in a label or text, per language -> description
# (data/event_terms.json).
_NON_VISUAL_WORDS: dict[str, dict[str, str]] = TERMS["non_visual_words_by_language"]

#: Codes and names of real alert kinds that have no visual template -> what they are (in English).
#: Codes are read as in :func:`lookup_code` without a value name (TTA first), names are folded; use
#: :func:`non_visual_event` to ask about a code or name read in a given scheme.
KNOWN_NON_VISUAL: dict[str, str] = {
    **{e.code: e.label for e in EVENT_CODES if e.non_visual and lookup_code(e.code) is e},
    **_NON_VISUAL_NAMES,
    **{_key(w): d for table in _NON_VISUAL_WORDS.values() for w, d in table.items()},
}

# Name lookup: folded name -> disaster key. Keys, aliases, names in all languages, category names.
_NAME_INDEX: dict[str, str] = {}


def _add_name(name: str, key: str) -> None:
    _NAME_INDEX.setdefault(_key(name), key)
    _NAME_INDEX.setdefault(_latin_key(name).replace(" ", "_"), key)


for _d in _TYPES:
    _add_name(_d.key, _d.key)
    _add_name(_d.key.replace("_", " "), _d.key)
    for _name in _d.names.values():
        _add_name(_name, _d.key)
for _alias, _target in _ALIASES.items():
    _add_name(_alias, _target)
for _cat, _target in DISASTER_TEXT_CATEGORIES.items():
    _add_name(_cat, _target)
for _d in _TYPES:                       # last: a single word of the tables ("séisme", "颱風")
    for _lang in _d.words:
        for _w in _d.words[_lang]:
            _NAME_INDEX.setdefault(_key(_w), _d.key)


def disaster_for_name(name: str) -> DisasterType | None:
    """The disaster type called ``name``: a key (``heavy_snow``), an alias (``snow``), a name in any
    language of the tables (``Inondation``, ``호우``, ``台风``), a Korean disaster-text category
    (``미세먼지``, ``화재``) or, failing those, one word of the free-text tables (``séisme``,
    ``颱風``). Case, accents, width and separators do not matter. None for anything else,
    non-visual kinds (``감염병``) included."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = _NAME_INDEX.get(_key(name.strip()))
    return DISASTERS[key] if key else None


def get_disaster(key: str) -> DisasterType:
    """Return the disaster type called ``key`` (a key, an alias, a name or a category; see
    :func:`disaster_for_name`). Raises :class:`NoVisualTemplate` for a known kind that has no
    picture (``감염병``, ``tornado``) and :class:`~cinealert.errors.InputError` for anything else."""
    if not isinstance(key, str):
        raise TypeError(f"disaster type must be a string, got {type(key).__name__}.")
    found = disaster_for_name(key)
    if found is not None:
        return found
    reason = _non_visual_name(key)
    if reason is not None:
        raise NoVisualTemplate(_no_template_message(key, reason), event=key, reason=reason)
    raise InputError(
        f"Unknown disaster type {key!r}. Available types: {', '.join(DISASTERS)}."
    )


# ------------------------------------------------------------------------------------- matching
class _Matcher:
    """Finds the words of a table in text: one regex for Latin-script words (whole words, an optional
    plural -s/-es, accent- and case-insensitive) and one for Korean/Chinese/Japanese words (anywhere;
    where a word has a space, as in "하천 범람", the space is optional). Every start position is
    tried, so a long word is found even where it overlaps a shorter one."""

    def __init__(self, words: dict[str, object]):
        self.latin: dict[str, object] = {}
        self.cjk: dict[str, object] = {}
        spaced: dict[str, str] = {}                 # CJK key -> the folded word, spaces kept
        for word, value in words.items():
            if _is_cjk(word):
                key = _cjk_key(word)
                if key not in self.cjk:
                    self.cjk[key] = value
                    spaced[key] = " ".join(_fold(word).split())
            else:
                self.latin.setdefault(_latin_key(word), value)
        self.latin_re = self._compile([(k, k.split(" ")) for k in self.latin], r"[\s\-]+", latin=True)
        self.cjk_re = self._compile([(k, spaced[k].split(" ")) for k in self.cjk], r"\s*", latin=False)

    @staticmethod
    def _compile(entries: list[tuple[str, list[str]]], gap: str, *, latin: bool) -> re.Pattern | None:
        if not entries:
            return None
        entries = sorted(entries, key=lambda e: len(e[0]), reverse=True)
        body = "|".join(gap.join(re.escape(t) for t in tokens) for _, tokens in entries)
        if latin:
            return re.compile(rf"\b(?=({body})(?:e?s)?\b)")
        return re.compile(f"(?=({body}))")

    def find(self, text: str) -> list[tuple[str, object, int]]:
        """``(key, value, position)`` of every word found in ``text``."""
        if not text:
            return []
        folded = _fold(text)
        found: list[tuple[str, object, int]] = []
        if self.cjk_re is not None and _CJK.search(folded):
            for m in self.cjk_re.finditer(folded):
                k = "".join(m.group(1).split())
                found.append((k, self.cjk[k], m.start()))
        if self.latin_re is not None:
            for m in self.latin_re.finditer(_strip_accents(folded)):
                k = _SEPARATORS.sub(" ", m.group(1))
                found.append((k, self.latin[k], m.start()))
        return found


_WORDS: dict[str, tuple[int, str]] = {}     # word -> (type order, key)
for _d in _TYPES:
    for _lang in _d.words:
        for _w in _d.words[_lang]:
            _WORDS.setdefault(_w, (_ORDER[_d.key], _d.key))
_DISASTER_MATCHER = _Matcher(_WORDS)

_NV_WORDS: dict[str, str] = {w: d for table in _NON_VISUAL_WORDS.values() for w, d in table.items()}
_NV_WORDS.update({w: d for w, d in TERMS["non_visual_words"].items() if w not in _NV_WORDS})
_NON_VISUAL_MATCHER = _Matcher(_NV_WORDS)
_NV_NAME_INDEX: dict[str, str] = {_key(w): d for w, d in _NV_WORDS.items()}


def detect_disaster(text: str) -> DisasterType | None:
    """Find the disaster type that ``text`` speaks of, in Korean, English, French, Spanish, Chinese
    or Japanese, or None.

    Longer, more specific words win over shorter ones ("flash flood" over "flood", "지진해일" over
    "지진", "雷雨大风" over "雷雨"), so mixed phrases pick the most specific type; a Hangul, Han or
    kana character counts as two letters. Ties go to the type listed first.
    """
    if not text:
        return None
    best: tuple[int, int, str] | None = None
    for word, (order, key), _pos in _DISASTER_MATCHER.find(text):
        cand = (_weight(word), -order, key)
        if best is None or cand[:2] > best[:2]:
            best = cand
    return DISASTERS[best[2]] if best else None


def detect_non_visual(text: str) -> str | None:
    """What non-visual alert kind ``text`` names ("child abduction", "air raid", "tornado"...), or
    None. Ask only after :func:`detect_disaster` found nothing: a flood warning may mention fog."""
    if not text:
        return None
    best: tuple[int, str] | None = None
    for word, desc, _pos in _NON_VISUAL_MATCHER.find(text):
        cand = (_weight(word), desc)
        if best is None or cand[0] > best[0]:
            best = cand
    return best[1] if best else None


def _non_visual_name(name: str) -> str | None:
    """The description of a non-visual kind named exactly ``name`` (``감염병``, ``tornado``)."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = _key(name.strip())
    return _NON_VISUAL_NAMES.get(key) or _NON_VISUAL_NAMES.get(key.replace(" ", "")) \
        or _NV_NAME_INDEX.get(key)


def non_visual_event(value: str, value_name: str | None = None) -> str | None:
    """What ``value`` is when it is a real alert kind without a picture, else None.

    ``value`` is an event code (read in the scheme ``value_name`` names, see :func:`lookup_code`), a
    category or event name (``감염병``, ``민방공 공습경보``, ``Child Abduction Emergency``) or a short
    label that contains one of those names. A code or name with a picture gives None.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    entry = lookup_code(value, value_name)
    if entry is not None:
        return entry.label if entry.non_visual else None
    if disaster_for_name(value) is not None:
        return None
    return _non_visual_name(value) or (None if detect_disaster(value) else detect_non_visual(value))


def _no_template_message(event: str, reason: str | None) -> str:
    shown = " ".join(str(event).split())
    if len(shown) > 80:
        shown = shown[:79] + "…"
    what = f" ({reason})" if reason and _key(reason) != _key(shown) else ""
    return (f"no visual template for event {shown!r}{what}; "
            f"known types: {', '.join(DISASTERS)}")


def require_visual(event: str, disaster_key: str | None) -> DisasterType:
    """The disaster type to picture ``event`` with, or a one-line :class:`NoVisualTemplate`.

    ``disaster_key`` is the type a parser settled on (a key, alias or name), or None when it found
    none; then the error names the event and, where it is a known kind (an air raid, a child
    abduction), what it is.
    """
    if disaster_key:
        return get_disaster(disaster_key)
    reason = non_visual_event(event) if isinstance(event, str) else None
    raise NoVisualTemplate(_no_template_message(event, reason), event=str(event), reason=reason)


def cap_category(name: str) -> str:
    """The CAP ``<category>`` (one of :data:`CAP_CATEGORIES`) of a disaster-text category or an event
    name: ``"호우"`` -> ``"Met"``, ``"산불"`` -> ``"Fire"``, ``"미세먼지"`` -> ``"Env"``, ``"감염병"`` ->
    ``"Health"``, ``"교통"`` -> ``"Transport"``; ``"Other"`` for a name that says nothing (``"기타"``)
    or that no table knows."""
    if not isinstance(name, str) or not name.strip():
        return "Other"
    own = _NAME_CAP.get(_key(name.strip()))
    if own is not None:
        return own
    found = disaster_for_name(name)
    if found is not None:
        return found.cap_category
    return _NON_VISUAL_CAP.get(non_visual_event(name) or "", "Other")


# ------------------------------------------------------------------------------------- codes
_SUFFIX_LEVELS = {
    "tta": {"A": "advisory", "W": "warning"},
    "same": {"W": "warning", "A": "watch", "S": "advisory", "E": "warning"},
    "nws": {"W": "warning", "A": "watch", "Y": "advisory", "S": "advisory"},
    None: {"W": "warning", "Y": "advisory"},
}


def disaster_for_code(code: str, value_name: str | None = None) -> DisasterType | None:
    """The disaster type of an event code (case-insensitive), or None.

    ``value_name`` is the eventCode's ``valueName``; it picks the scheme where codes clash (TTA CWW
    is a cold wave warning, SAME CWW a contaminated water warning). Without it the Korean TTA reading
    wins. A code no table knows is tried as a name (``flood``, ``호우``). Non-visual and unspecific
    codes give None; ask :func:`non_visual_event` which it was.
    """
    if not isinstance(code, str) or not code.strip():
        return None
    entry = lookup_code(code, value_name)
    if entry is not None:
        return DISASTERS[entry.disaster] if entry.disaster else None
    return disaster_for_name(code.replace("_", " "))


def level_for_code(code: str, value_name: str | None = None) -> str | None:
    """``"advisory"``, ``"watch"`` or ``"warning"`` for an event code, or None.

    The tables give the level of the codes they know. For others, the last letter is read the way the
    scheme uses it: TTA A = 주의보 (advisory), W = 경보 (warning); SAME/NWS W = warning, A = watch,
    Y = advisory, S (statement) = advisory. Without a known scheme only W and Y are read, since A means
    an advisory in Korea and a watch in the US.
    """
    if not isinstance(code, str) or not code.strip():
        return None
    entry = lookup_code(code, value_name)
    if entry is not None:
        return entry.level
    c = code.strip()
    if len(c) == 3 and c.isalpha() and c.isupper():
        return _SUFFIX_LEVELS.get(scheme_of(value_name), _SUFFIX_LEVELS[None]).get(c[-1])
    return None


# ------------------------------------------------------------------------------------- levels
# Level words per language, as regex fragments (on folded, accent-free text for Latin scripts), in the
# order they are tried at a position: qualified forms ("aviso amarillo") before bare ones ("aviso"),
# so that a qualified form is read whole. A None level reads the words and gives no level.
#
# * Korean (KMA): 경보 warning, 주의보 advisory, 예비특보 (preliminary notice) watch. The levels of
#   the government's emergency texts: 위급재난 and 긴급재난 warning, 안전안내 advisory.
# * English (NWS style): warning, watch, advisory; a statement is the mildest product, an advisory.
# * French: avertissement and alerte warning, veille watch, avis advisory; Météo-France vigilance
#   orange/rouge warning, jaune advisory, verte none.
# * Spanish: aviso and alerta warning, vigilancia watch, advertencia advisory (as in the NWS Spanish
#   products); with a colour (AEMET and others) rojo/naranja warning, amarillo advisory, verde none.
# * Chinese: 预警/預警 and 警报/警報 warning; with the signal colour 蓝色 (blue, grade IV) advisory,
#   黄色/橙色/红色 (yellow, orange, red) warning - China's own English versions call a yellow
#   signal a "yellow warning", and this keeps both languages of a bilingual alert on one level.
#   Taiwan's 特報 (special report, e.g. 豪雨特報) advisory.
# * Japanese: 特別警報 and 警報 warning, 注意報 advisory.
_LEVELS_LATIN: list[tuple[str, str | None]] = [
    (r"warnings?", "warning"), (r"watch(?:es)?", "watch"), (r"advisor(?:y|ies)", "advisory"),
    (r"statements?", "advisory"),
    (r"vigilances?[\s\-]+(?:rouge|orange)s?", "warning"), (r"vigilances?[\s\-]+jaunes?", "advisory"),
    (r"vigilances?[\s\-]+vertes?", None),
    (r"alertes?[\s\-]+(?:rouge|orange)s?", "warning"), (r"alertes?[\s\-]+jaunes?", "advisory"),
    (r"alertes?[\s\-]+vertes?", None),
    (r"(?<!en )alertes?", "warning"), (r"avertissements?", "warning"),
    (r"(?<!la )veilles?", "watch"), (r"avis", "advisory"),
    (r"avisos?[\s\-]+(?:rojos?|naranjas?)", "warning"), (r"avisos?[\s\-]+amarillos?", "advisory"),
    (r"avisos?[\s\-]+verdes?", None),
    (r"alertas?[\s\-]+(?:rojas?|naranjas?)", "warning"), (r"alertas?[\s\-]+amarillas?", "advisory"),
    (r"alertas?[\s\-]+verdes?", None),
    (r"(?<!mantengase )(?<!mantenerse )(?<!permanezca )(?<!estar )(?<!este )alertas?", "warning"),
    (r"avisos?", "warning"), (r"vigilancias?", "watch"), (r"advertencias?", "advisory"),
]
_LEVELS_CJK: list[tuple[str, str | None]] = [
    ("예비특보", "watch"), ("주의보", "advisory"), ("위급재난", "warning"), ("긴급재난", "warning"),
    ("안전안내", "advisory"), ("경보", "warning"),
    ("(?:蓝色|藍色)(?:预警|預警|警报|警報)", "advisory"),
    ("(?:黄色|黃色|橙色|红色|紅色)(?:预警|預警|警报|警報)", "warning"),
    ("预警|預警|警报|警報", "warning"), ("特報", "advisory"),
    ("特別警報", "warning"), ("注意報", "advisory"),
]


def _level_regex(parts: list[tuple[str, str | None]], *, latin: bool) -> tuple[re.Pattern, list]:
    body = "|".join(f"({frag})" for frag, _ in parts)
    pattern = rf"\b(?:{body})\b" if latin else body
    return re.compile(pattern), [level for _, level in parts]


_LEVEL_LATIN_RE, _LEVEL_LATIN = _level_regex(_LEVELS_LATIN, latin=True)
_LEVEL_CJK_RE, _LEVEL_CJK = _level_regex(_LEVELS_CJK, latin=False)


def detect_level(text: str) -> str | None:
    """The alert level that ``text`` names: ``"warning"``, ``"watch"``, ``"advisory"`` or None.

    Korean, English, French, Spanish, Chinese and Japanese level words are read (see the table
    above). When a text names several, the strongest wins ("watch upgraded to a warning" is a
    warning).
    """
    if not text:
        return None
    folded = _fold(text)
    found: list[str] = []
    if _CJK.search(folded):
        for m in _LEVEL_CJK_RE.finditer(folded):
            level = _LEVEL_CJK[m.lastindex - 1]
            if level:
                found.append(level)
    for m in _LEVEL_LATIN_RE.finditer(_strip_accents(folded)):
        level = _LEVEL_LATIN[m.lastindex - 1]
        if level:
            found.append(level)
    if not found:
        return None
    return max(found, key=lambda lv: _RANK[lv])


# ------------------------------------------------------------------------------------- KMA names
# KMA warning names (기상특보) and the other Korean agencies' warnings of the same form: the hazard,
# then 주의보 (advisory), 경보 (warning), 예비특보 (preliminary, a watch) or 특보 (either).
KMA_WARNING_NAMES: dict[str, str] = {
    "호우": "heavy_rain", "태풍": "typhoon", "대설": "heavy_snow", "한파": "cold_wave",
    "폭염": "heat_wave", "강풍": "strong_wind", "풍랑": "high_seas", "건조": "dry_weather",
    "황사": "yellow_dust", "지진해일": "tsunami", "폭풍해일": "storm_surge", "산불": "wildfire",
    "지진": "earthquake", "홍수": "flood", "산사태": "landslide", "미세먼지": "yellow_dust",
    "초미세먼지": "yellow_dust", "가뭄": "drought",
}
_KMA_SUFFIX = {"주의보": "advisory", "경보": "warning", "예비특보": "watch", "특보": None}
# A warning of a type may also be named after its disaster-text category (화재경보, 해일주의보); only
# :func:`kma_warning_for`, which asks about one type, reads those.
_WARNING_NAMES = {**DISASTER_TEXT_CATEGORIES, **KMA_WARNING_NAMES}
_KMA_RE = re.compile(
    "(" + "|".join(sorted(_WARNING_NAMES, key=len, reverse=True)) + ")"
    + r"\s*(" + "|".join(sorted(_KMA_SUFFIX, key=len, reverse=True)) + ")")


def _strongest_warning(text: str, wanted) -> tuple[str, str, str | None] | None:
    """(hazard name, suffix, level) of the strongest warning of ``text`` whose (name, level) passes
    ``wanted``; of equally strong ones, the first named."""
    if not text:
        return None
    best: tuple[tuple[int, int], str, str, str | None] | None = None
    for m in _KMA_RE.finditer(unicodedata.normalize("NFKC", text)):
        name, suffix = m.groups()
        level = _KMA_SUFFIX[suffix]
        if not wanted(name, level):
            continue
        rank = (_RANK.get(level or "", 0), -m.start())
        if best is None or rank > best[0]:
            best = (rank, name, suffix, level)
    return best[1:] if best else None


def kma_warning(text: str) -> tuple[DisasterType, str | None] | None:
    """The KMA-style warning that a Korean ``text`` names, as ``(disaster type, level)``, or None.

    ``"호우주의보"`` -> (heavy_rain, "advisory"), ``"대설 경보"`` -> (heavy_snow, "warning"),
    ``"지진해일경보"`` -> (tsunami, "warning"), ``"강풍 예비특보"`` -> (strong_wind, "watch"),
    ``"호우특보"`` -> (heavy_rain, None). When a text names several, the strongest level wins, then
    the first named ("강풍주의보를 강풍경보로 대치" is a strong wind warning).
    """
    found = _strongest_warning(text, lambda name, _level: name in KMA_WARNING_NAMES)
    return (DISASTERS[KMA_WARNING_NAMES[found[0]]], found[2]) if found else None


def kma_warning_for(text: str, disaster: DisasterType) -> tuple[str, str] | None:
    """The strongest warning that a Korean ``text`` gives ``disaster``, as ``(warning name, level)``,
    or None when it names none with a level.

    The names are the KMA names and the disaster-text categories of the type, with the suffix joined:
    ``("09시 호우주의보를 호우경보로 변경", heavy_rain)`` -> ``("호우경보", "warning")``;
    ``("호우경보, 산사태주의보", landslide)`` -> ``("산사태주의보", "advisory")``; the warnings of other
    types do not count, nor a 특보 that names no level.
    """
    found = _strongest_warning(
        text, lambda name, level: level is not None and _WARNING_NAMES[name] == disaster.key)
    return (found[0] + found[1], found[2]) if found else None
