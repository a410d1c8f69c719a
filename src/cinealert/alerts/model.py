"""The project's own alert model: what every input format is normalised into.

A CAP message maps onto it one to one: :class:`Alert` holds the ``<alert>`` header and every ``<info>``
block (:class:`Info`), each with its :class:`Resource` and :class:`Area` entries. ``eventCode``,
``parameter`` and ``geocode`` are multimaps (:class:`MultiMap`): a name may repeat, and order is kept.
Other inputs (Korean disaster-text records, keywords, free text) fill the same model with what they have.

The rest of the pipeline reads the *chosen* info block (``Alert.info``, picked by language) through the
shortcut properties ``Alert.event``, ``Alert.headline``, ``Alert.areas`` and so on.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Iterable, Iterator


class MultiMap:
    """An ordered list of ``(name, value)`` pairs where a name may repeat (CAP's valueName/value)."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        self._pairs: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]

    def add(self, name: str, value: str) -> None:
        self._pairs.append((str(name), str(value)))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value under ``name`` (names compare case-insensitively), or ``default``."""
        want = name.lower()
        for k, v in self._pairs:
            if k.lower() == want:
                return v
        return default

    def getall(self, name: str) -> list[str]:
        want = name.lower()
        return [v for k, v in self._pairs if k.lower() == want]

    def names(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self._pairs))

    def values(self) -> list[str]:
        return [v for _, v in self._pairs]

    def to_dict(self) -> dict[str, list[str]]:
        """``{name: [values...]}`` in first-seen order (the JSON form)."""
        out: dict[str, list[str]] = {}
        for k, v in self._pairs:
            out.setdefault(k, []).append(v)
        return out

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, item: object) -> bool:
        return item in self._pairs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiMap):
            return self._pairs == other._pairs
        if isinstance(other, list):
            return self._pairs == [tuple(p) for p in other]
        return NotImplemented

    def __repr__(self) -> str:
        return f"MultiMap({self._pairs!r})"


@dataclass
class Resource:
    """A CAP ``<resource>``: a file that belongs to the alert. ``size`` is in bytes; ``digest`` is SHA-1 hex.

    ``deref_uri`` is not kept (it can be megabytes of base64); ``deref_bytes`` says how long it was.
    """

    description: str = ""
    mime_type: str = ""
    size: int | None = None
    uri: str = ""
    digest: str = ""
    deref_bytes: int | None = None


@dataclass
class Area:
    """A CAP ``<area>``. Polygons are closed lists of ``(lat, lon)``; circles ``(lat, lon, radius_km)``.

    ``altitude`` and ``ceiling`` are in feet above mean sea level, as CAP gives them.
    """

    description: str = ""
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    geocodes: MultiMap = field(default_factory=MultiMap)
    altitude: float | None = None
    ceiling: float | None = None

    def __post_init__(self):
        if not isinstance(self.geocodes, MultiMap):
            self.geocodes = MultiMap(self.geocodes)

    def to_dict(self) -> dict:
        return {
            "description": self.description,
            "polygons": [[list(p) for p in poly] for poly in self.polygons],
            "circles": [list(c) for c in self.circles],
            "geocodes": self.geocodes.to_dict(),
            "altitude": self.altitude,
            "ceiling": self.ceiling,
        }


@dataclass
class Info:
    """A CAP ``<info>`` block: the alert in one language."""

    language: str = "en-US"
    categories: list[str] = field(default_factory=list)
    event: str = ""
    response_types: list[str] = field(default_factory=list)
    urgency: str = "Unknown"
    severity: str = "Unknown"
    certainty: str = "Unknown"
    audience: str = ""
    event_codes: MultiMap = field(default_factory=MultiMap)
    effective: str | None = None
    onset: str | None = None
    expires: str | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: MultiMap = field(default_factory=MultiMap)
    resources: list[Resource] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

    def __post_init__(self):
        for name in ("event_codes", "parameters"):
            value = getattr(self, name)
            if not isinstance(value, MultiMap):
                setattr(self, name, MultiMap(value))

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, MultiMap):
                value = value.to_dict()
            elif f.name == "resources":
                value = [vars(r).copy() for r in value]
            elif f.name == "areas":
                value = [a.to_dict() for a in value]
            elif isinstance(value, list):
                value = list(value)
            out[f.name] = value
        return out


#: Statuses of messages that are not real alerts; their outputs are marked as such.
NOT_ACTUAL = ("Exercise", "System", "Test", "Draft")

#: Message types that carry no new alert content: no media is made for them.
NO_MEDIA_TYPES = ("Cancel", "Ack", "Error")

_INFO_SHORTCUTS = ("language", "event", "headline", "description", "instruction", "urgency", "severity",
                   "certainty", "effective", "onset", "expires", "sender_name", "event_codes",
                   "parameters", "resources", "areas", "categories", "web", "contact")


@dataclass
class Alert:
    """A normalised alert.

    ``source`` says what it was read from: ``"cap"``, ``"atom"`` (a CAP index entry of an ATOM feed),
    ``"mois"`` (a Korean disaster-text record), ``"keyword"`` or ``"text"``. ``disaster`` is a key of
    :data:`cinealert.disasters.DISASTERS`, or None when the alert names no disaster cinealert can picture
    (a Cancel, an Amber alert, ...). ``level`` is ``"advisory"``, ``"watch"``, ``"warning"`` or None.
    Times are ISO 8601 strings with their offset, as the alert gave them. ``raw`` keeps the input bytes of
    a CAP message so that the delivery stage can write it back enriched; ``position`` is the index of this
    alert among the alerts of its file (wrappers, feeds and envelopes hold several).
    """

    source: str
    disaster: str | None
    level: str | None = None
    # the <alert> header
    identifier: str = ""
    sender: str = ""
    sent: str | None = None
    status: str = "Actual"
    msg_type: str = "Alert"
    cap_source: str = ""
    scope: str = ""
    restriction: str = ""
    addresses: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    cap_version: str | None = None
    # every <info> block, and which one is shown
    infos: list[Info] = field(default_factory=list)
    info_index: int = 0
    # what the reader noticed
    expired: bool | None = None
    schema_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    position: int = 0
    # how it was understood (cinealert.alerts.judge): why records, the sender's colour, an ending Update
    why: list[dict] = field(default_factory=list)
    colour: str | None = None
    ending: bool = False
    raw: bytes | None = field(default=None, repr=False)

    # ----------------------------------------------------------------------------------------------
    @property
    def info(self) -> Info:
        """The chosen info block (an empty one when the message has none, e.g. a bare Cancel)."""
        if 0 <= self.info_index < len(self.infos):
            return self.infos[self.info_index]
        return Info(language="")

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(i.language for i in self.infos))

    @property
    def is_actual(self) -> bool:
        return self.status == "Actual"

    @property
    def makes_media(self) -> bool:
        """False for Cancel, Ack and Error messages and for an Update that ends the warning: they carry
        no new alert to picture."""
        return self.msg_type not in NO_MEDIA_TYPES and not self.ending

    def area_names(self) -> list[str]:
        return [a.description for a in self.areas if a.description]

    def to_dict(self) -> dict:
        """Everything, as plain JSON types (the form ``cinealert inspect --json`` prints)."""
        out: dict = {}
        for f in fields(self):
            if f.name in ("raw", "infos"):
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, list) else value
        chosen = self.info.to_dict()
        out["chosen"] = {k: chosen[k] for k in ("language", "event", "headline", "urgency", "severity",
                                                "certainty", "effective", "expires")}
        out["languages"] = self.languages
        out["infos"] = [i.to_dict() for i in self.infos]
        return out

    def summary(self) -> dict:
        """The short form that goes into ``report.json``."""
        return {
            "source": self.source,
            "disaster": self.disaster,
            "event": self.event,
            "headline": self.headline,
            "level": self.level,
            "severity": self.severity,
            "urgency": self.urgency,
            "status": self.status,
            "msg_type": self.msg_type,
            "language": self.language,
            "languages": self.languages,
            "identifier": self.identifier,
            "sender": self.sender,
            "sent": self.sent,
            "expires": self.expires,
            "expired": self.expired,
            "references": list(self.references),
            "areas": self.area_names(),
            "colour": self.colour,
            "ending": self.ending,
            "why": [dict(w) for w in self.why],
        }


def _shortcut(name: str) -> property:
    def get(self: Alert):
        return getattr(self.info, name)
    get.__doc__ = f"``{name}`` of the chosen info block."
    return property(get)


for _name in _INFO_SHORTCUTS:
    setattr(Alert, _name, _shortcut(_name))
del _name
