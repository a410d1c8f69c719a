"""The pre-rendered library: a manifest of entries (or a grid of them), the alert each entry stands for, the
index ``library.json``, and the rule that matches an incoming alert to an entry.

A **manifest** (YAML or JSON) has optional ``defaults``, a list of ``entries`` and/or a ``grid``::

    defaults: {size: 1024x576, seconds: 3, fps: 24, formats: [mp4, poster, card]}
    grid:
      disaster: [flood, wildfire]
      level: [advisory, warning]
      time_of_day: [noon, night]
      season: [summer]
      language: [ko, en]
    entries:
      - {name: typhoon-night, disaster: typhoon, level: warning, time_of_day: night, seed: 7}

Every entry has a seed: its own, or one derived from its settings (the same entry always gets the same one).
Each entry is drawn from the alert it stands for (:func:`entry_alert`): its disaster, level and language, and a
clock time of its time of day and season, so the metadata writer picks the same light and season a real alert
of that time would get.

**The match rule** (:meth:`Library.match`): an entry can answer an alert when its disaster type and its level are
the alert's (an alert without a level matches entries without one). Among those, the entry that agrees on the
most of language (the card's first language), time of day and season wins, compared in that order of weight
(language 4, time of day 2, season 1); a tie goes to the entry listed first. No entry with the same disaster and
level: no match, and the service renders as usual. The keys of an alert come from :func:`alert_keys`, the same
functions the metadata writer uses, so a match shows the light and season the tailored render will draw.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from cinealert.errors import InputError

#: A representative local clock for each time of day and season (a northern-hemisphere month).
HOUR_OF = {"dawn": 6, "morning": 9, "noon": 12, "afternoon": 15, "dusk": 18, "night": 22}
MONTH_OF = {"spring": 4, "summer": 7, "autumn": 10, "winter": 1}
GRID_AXES = ("disaster", "level", "time_of_day", "season", "language", "camera", "preset")
INDEX = "library.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _one_of(field: str, value, allowed) -> Any:
    """``value`` if it is one of ``allowed``; else the ValueError pydantic reports for ``field``."""
    if value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _size(value: Any) -> tuple[int, int]:
    from cinealert.validate import check_size
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(value))
    if m is None:
        raise ValueError(f"size must be WxH (e.g. 1024x576), got {value!r}")
    return check_size(int(m.group(1)), int(m.group(2)))


class Entry(BaseModel):
    """One library entry: what it shows and how it is rendered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    disaster: str
    level: str | None = None
    time_of_day: str = "noon"
    season: str = "summer"
    language: str = "en"
    camera: str = "circle"
    preset: str | None = None
    seed: int | None = None
    size: str = "1024x576"
    seconds: float = 3.0
    fps: float = 24.0
    formats: tuple[str, ...] = ("mp4", "poster", "card")

    @field_validator("disaster")
    @classmethod
    def _disaster(cls, v: str) -> str:
        from cinealert.disasters import get_disaster
        try:
            return get_disaster(v).key
        except InputError as err:
            raise ValueError(str(err)) from None

    @field_validator("level")
    @classmethod
    def _level(cls, v):
        from cinealert.disasters import LEVELS
        return v if v is None else _one_of("level", v, LEVELS)

    @field_validator("time_of_day")
    @classmethod
    def _tod(cls, v: str) -> str:
        return _one_of("time_of_day", v, HOUR_OF)

    @field_validator("season")
    @classmethod
    def _season(cls, v: str) -> str:
        return _one_of("season", v, MONTH_OF)

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", v):
            raise ValueError(f"language must be a language tag such as ko, en or fr-CA, got {v!r}")
        return v

    @field_validator("camera")
    @classmethod
    def _camera(cls, v: str) -> str:
        from cinealert.render import CAMERAS
        return _one_of("camera", v, CAMERAS)

    @field_validator("preset")
    @classmethod
    def _preset(cls, v):
        from cinealert.pipeline import PRESETS
        return v if v is None else _one_of("preset", v, PRESETS)

    @field_validator("size")
    @classmethod
    def _check_size(cls, v: str) -> str:
        w, h = _size(v)
        return f"{w}x{h}"

    @field_validator("formats", mode="before")
    @classmethod
    def _formats(cls, v):
        from cinealert.deliver.media import FORMATS
        items = [f.strip() for f in v.split(",")] if isinstance(v, str) else list(v)
        bad = [f for f in items if f not in FORMATS]
        if bad or not items:
            raise ValueError(f"unknown format(s) {', '.join(map(str, bad)) or '(none)'}; choose from {', '.join(FORMATS)}")
        return tuple(items)

    @model_validator(mode="after")
    def _names_and_options(self):
        if self.name is not None and not _NAME.fullmatch(self.name):
            raise ValueError(f"name must be letters, digits, '.', '_' or '-' (a folder name), got {self.name!r}")
        options(self).check()                          # seconds, fps, frames, … as `make` checks them
        return self

    # -- derived ------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The entry's name, or one made of what it shows."""
        if self.name:
            return self.name
        parts = [self.disaster, self.level or "any", self.time_of_day, self.season, self.language, self.camera]
        return "-".join(parts + ([self.preset] if self.preset else []))

    def settings(self) -> dict:
        """Everything that decides the entry's pictures (the seed resolved)."""
        data = self.model_dump(exclude={"name", "seed"})
        data["formats"] = list(self.formats)
        data["seed"] = self.resolved_seed()
        return data

    def resolved_seed(self) -> int:
        if self.seed is not None:
            return int(self.seed)
        text = json.dumps(self.model_dump(exclude={"name", "seed"}), sort_keys=True, default=list)
        return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100_000

    def digest(self) -> str:
        from cinealert import __version__
        text = json.dumps({"settings": self.settings(), "version": __version__}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def options(entry: Entry):
    """The :class:`~cinealert.pipeline.Options` an entry renders with (its preset applied as `make` does)."""
    from cinealert.pipeline import PRESETS, Options
    w, h = _size(entry.size)
    fps, formats = entry.fps, tuple(entry.formats)
    if entry.preset:
        p = PRESETS[entry.preset]
        w, h = p.get("size", (w, h))
        fps = p.get("fps", fps)
        formats = tuple(p.get("formats", formats))
    return Options(seed=entry.resolved_seed(), width=w, height=h, seconds=entry.seconds, fps=fps,
                   camera=entry.camera, formats=formats, preset=entry.preset, lang=entry.language,
                   progress=False, max_bytes=PRESETS.get(entry.preset or "", {}).get("max_bytes"))


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    grid: dict[str, list[Any]] | None = None


def _entry(fields: dict, where: str) -> Entry:
    try:
        return Entry(**fields)
    except ValidationError as err:
        e = err.errors()[0]
        field = ".".join(str(x) for x in e.get("loc", ())) or "entry"
        msg = e.get("msg", "invalid").removeprefix("Value error, ")
        raise InputError(f"manifest {where}: {field}: {msg}") from None
    except InputError as err:
        raise InputError(f"manifest {where}: {err}") from None


def load_manifest(path: str | Path) -> list[Entry]:
    """The manifest's entries (grid expanded, defaults applied), all checked; InputError names the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read manifest {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            import yaml
            doc = yaml.safe_load(text)
    except Exception as err:  # noqa: BLE001 - yaml and json raise their own kinds
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"manifest {path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                         f"{first}") from None
    if not isinstance(doc, dict):
        raise InputError(f"manifest {path}: expected a mapping with entries and/or grid, got {type(doc).__name__}")
    try:
        manifest = Manifest(**doc)
    except ValidationError as err:
        e = err.errors()[0]
        raise InputError(f"manifest {path}: {'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}") from None
    entries = []
    if manifest.grid:
        unknown = sorted(set(manifest.grid) - set(GRID_AXES))
        if unknown:
            raise InputError(f"manifest grid: unknown axis {unknown[0]!r}; axes are {', '.join(GRID_AXES)}")
        if "disaster" not in manifest.grid:
            raise InputError("manifest grid: needs a disaster axis")
        combos = [{}]
        for axis in GRID_AXES:
            values = manifest.grid.get(axis)
            if values is None:
                continue
            if not isinstance(values, list) or not values:
                raise InputError(f"manifest grid: {axis} must be a non-empty list")
            combos = [dict(c, **{axis: v}) for c in combos for v in values]
        entries += [_entry({**manifest.defaults, **c}, f"grid entry {i + 1}") for i, c in enumerate(combos)]
    for i, fields in enumerate(manifest.entries):
        if not isinstance(fields, dict):
            raise InputError(f"manifest entry {i + 1}: expected a mapping")
        entries.append(_entry({**manifest.defaults, **fields}, f"entry {i + 1} ({fields.get('name') or fields.get('disaster')})"))
    if not entries:
        raise InputError(f"manifest {path}: no entries (give entries and/or a grid)")
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        if e.key in seen:
            raise InputError(f"manifest: two entries are named {e.key!r} (entries {seen[e.key] + 1} and {i + 1}); "
                             "give them distinct names")
        seen[e.key] = i
    return entries


def entry_alert(entry: Entry):
    """The alert an entry stands for: its disaster, level and language, issued at its time of day and season."""
    from cinealert.alerts.keyword import KeywordParser
    from cinealert.alerts.model import Alert, Info
    from cinealert.disasters import get_disaster

    disaster = get_disaster(entry.disaster)
    when = f"2026-{MONTH_OF[entry.season]:02d}-15T{HOUR_OF[entry.time_of_day]:02d}:00:00+00:00"
    severity = {"warning": "Severe", "watch": "Moderate", "advisory": "Minor"}.get(entry.level or "", "Unknown")
    info = Info(language=entry.language, event=KeywordParser._event(disaster, entry.language), severity=severity,
                effective=when)
    return Alert(source="library", disaster=disaster.key, level=entry.level, sent=when, infos=[info],
                 identifier=f"library:{entry.key}")


def alert_keys(alert) -> dict:
    """What the match rule compares, derived from an alert as the metadata writer derives it."""
    from cinealert.prompting.template import _clock, _southern, season_for_month, time_of_day_for_hour
    clock = _clock(alert)
    tod = season = None
    if clock is not None:
        month, hour = clock
        tod, season = time_of_day_for_hour(hour), season_for_month(month, _southern(alert))
    language = (alert.language or "en").lower().split("-")[0]
    return {"disaster": alert.disaster, "level": alert.level, "time_of_day": tod, "season": season,
            "language": language}


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Library:
    """A library folder and its index ``library.json`` (``entries``: key → record)."""

    def __init__(self, root: str | Path, index: dict) -> None:
        self.root = Path(root)
        self.index = index

    @classmethod
    def open(cls, root: str | Path) -> "Library":
        root = Path(root)
        try:
            index = json.loads((root / INDEX).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{root} is not a library (no {INDEX}; make one with cinealert batch)") from None
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read {root / INDEX}: {err}") from None
        if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
            raise InputError(f"{root / INDEX} has no entries map")
        return cls(root, index)

    def done(self) -> dict[str, dict]:
        return {k: r for k, r in self.index["entries"].items() if r.get("state") == "done"}

    def match(self, *, disaster: str | None, level: str | None, time_of_day: str | None = None,
              season: str | None = None, language: str | None = None) -> tuple[str, dict] | None:
        """``(key, record)`` of the entry that answers such an alert best (see the module docstring), or None."""
        lang = (language or "").lower().split("-")[0]
        best, best_score = None, -1
        for key, rec in self.done().items():
            s = rec.get("settings", {})
            if s.get("disaster") != disaster or s.get("level") != level:
                continue
            score = (4 * (s.get("language", "").lower().split("-")[0] == lang)
                     + 2 * (time_of_day is not None and s.get("time_of_day") == time_of_day)
                     + (season is not None and s.get("season") == season))
            if score > best_score:
                best, best_score = (key, rec), score
        return best

    def path(self, key: str, name: str) -> Path | None:
        """The file ``name`` of a done entry, or None."""
        rec = self.done().get(key)
        if rec is None or name not in rec.get("files", {}):
            return None
        p = self.root / rec["folder"] / name
        return p if p.is_file() else None
