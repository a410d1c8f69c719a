"""The project's own alert model: what every input format is normalised into."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Area:
    description: str = ""
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)   # (lat, lon) points
    circles: list[tuple[float, float, float]] = field(default_factory=list)   # (lat, lon, radius_km)
    geocodes: list[tuple[str, str]] = field(default_factory=list)             # (valueName, value)


@dataclass
class Alert:
    """A normalised alert.

    ``source`` says what it was read from: ``"cap"``, ``"keyword"`` or ``"text"``. ``disaster`` is a key
    of :data:`cinealert.disasters.DISASTERS`. ``level`` is ``"advisory"``, ``"warning"``, ``"watch"`` or
    ``None``. Times are ISO 8601 strings with their offset, as the alert gave them. ``raw`` keeps the input
    bytes of a CAP message so that the delivery stage can write it back enriched.
    """

    source: str
    disaster: str
    event: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    language: str = "en"
    level: str | None = None
    severity: str = "Unknown"
    urgency: str = "Unknown"
    certainty: str = "Unknown"
    status: str = "Actual"
    msg_type: str = "Alert"
    identifier: str = ""
    sender: str = ""
    sender_name: str = ""
    sent: str | None = None
    effective: str | None = None
    expires: str | None = None
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    raw: bytes | None = field(default=None, repr=False)

    def area_names(self) -> list[str]:
        return [a.description for a in self.areas if a.description]

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("raw")
        return data

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
            "identifier": self.identifier,
            "sender": self.sender,
            "sent": self.sent,
            "areas": self.area_names(),
        }
