"""The CAP (Common Alerting Protocol) 1.0, 1.1 and 1.2 reader.

Reading is tolerant: elements are matched by their local name, so a prefixed (``cap:alert``), missing or
misspelt namespace still reads; empty elements count as absent; odd but usable content becomes a line in
``Alert.warnings``, and schema problems (against the bundled OASIS schema) a line in
``Alert.schema_errors``. Only what cannot yield an alert at all raises :class:`InputError`: hostile or
malformed XML, a document that holds no alert, input over the size limits of :mod:`.xmlsafe`.

A file may hold several alerts (an ``<alerts>`` wrapper, an ATOM or RSS feed, an EDXL-DE envelope);
:meth:`CapParser.parse_all` reads them all (see :mod:`.feeds`), :meth:`CapParser.parse` picks the one to
show. Whether an alert can be pictured is not decided here: an alert of no known disaster type reads with
``disaster=None`` and a warning, and the pipeline refuses to make media for it.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from xml.etree.ElementTree import Element

from cinealert.alerts import xmlsafe
from cinealert.alerts.feeds import Found, find_alerts
from cinealert.alerts.model import NOT_ACTUAL, Alert, Area, Info, MultiMap, Resource
from cinealert.alerts.schema import schema_version_for, validate
from cinealert.alerts import judge
from cinealert.errors import InputError

#: Namespaces of the CAP versions this reader knows.
CAP_NAMESPACES = {
    "http://www.incident.com/cap/1.0": "1.0",
    "urn:oasis:names:tc:emergency:cap:1.0": "1.0",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
}

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown", "Very Likely")

#: CAP's default language of an ``<info>`` block that names none.
DEFAULT_LANGUAGE = "en-US"

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_QUOTED_LIST = re.compile(r'"([^"]*)"|(\S+)')


def local_name(tag: object) -> str:
    """``{urn:...}alert`` / ``cap:alert`` / ``alert`` -> ``alert``. Comments and PIs give ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def namespace_of(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local_name(c.tag) == name]


def child(el: Element, name: str) -> Element | None:
    for c in el:
        if local_name(c.tag) == name:
            return c
    return None


def text_of(el: Element | None) -> str | None:
    """The stripped text of ``el`` (CDATA included), or None when absent or empty."""
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def child_text(el: Element, name: str) -> str | None:
    return text_of(child(el, name))


def split_quoted(text: str | None) -> list[str]:
    """CAP's space-delimited lists, where an entry holding spaces is "double quoted"."""
    if not text:
        return []
    return [q if q is not None and m.group(1) is not None else u
            for m in _QUOTED_LIST.finditer(text) for q, u in [m.groups()] if (q or u)]


def serialize(el: Element) -> bytes:
    """An element as its own UTF-8 document, its namespace as the default one (no ``ns0:`` prefixes)."""
    ns = namespace_of(el.tag)
    try:
        return ET.tostring(el, encoding="utf-8", xml_declaration=True, default_namespace=ns or None)
    except ValueError:          # a child without a namespace cannot sit under a default namespace
        return ET.tostring(el, encoding="utf-8", xml_declaration=True)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as an aware datetime (no offset is read as UTC), or None when unreadable."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


class CapParser:
    """Reads CAP messages: a lone ``<alert>``, or every alert held by a wrapper, feed or envelope."""

    name = "cap"
    summary = ("CAP 1.0/1.1/1.2 XML (any namespace prefix), <alerts> wrappers, ATOM/RSS feeds, "
               "EDXL-DE envelopes")

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    # ----------------------------------------------------------------------------------------------
    def parse(self, data: bytes, *, lang: str | None = None, now: datetime | None = None) -> Alert:
        """The alert of ``data`` to show: the first one that can be pictured, else the first one."""
        alerts = self.parse_all(data, lang=lang, now=now)
        return choose(alerts)

    def parse_all(self, data: bytes, *, lang: str | None = None,
                  now: datetime | None = None) -> list[Alert]:
        """Every alert in ``data``, in document order.

        Args:
            data: the file's bytes (a ``str`` is encoded as UTF-8).
            lang: preferred language of the shown ``<info>`` block, e.g. ``"ko"`` or ``"fr-CA"``.
            now: the time against which expiry is judged (default: the current time).
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}.")
        data = bytes(data)
        now = now or datetime.now(timezone.utc)
        root = xmlsafe.parse_xml(data)
        found = find_alerts(root)
        alerts = []
        for position, item in enumerate(found):
            if item.element is not None and local_name(item.element.tag) == "alert":
                raw = data if item.element is root else serialize(item.element)
                alert = self.read_alert(item.element, lang=lang, now=now, raw=raw)
            else:
                alert = self.read_index_entry(item, lang=lang, now=now)
            alert.position = position
            alert.links = list(item.links)
            if item.note:
                alert.warnings.insert(0, item.note)
            alerts.append(alert)
        return alerts

    # ----------------------------------------------------------------------------------------------
    def read_alert(self, el: Element, *, lang: str | None, now: datetime, raw: bytes | None) -> Alert:
        """One ``<alert>`` element into an :class:`Alert`."""
        warnings: list[str] = []
        ns = namespace_of(el.tag)
        version = CAP_NAMESPACES.get(ns)
        if version is None:
            shown = f"namespace {ns!r}" if ns else "no namespace"
            warnings.append(f"the alert has {shown}, not a CAP namespace; read by element names")

        header = self.read_header(el, warnings)
        infos = [self.read_info(i, warnings) for i in children(el, "info")]
        alert = Alert(source="cap", disaster=None, cap_version=version, infos=infos, raw=raw,
                      warnings=warnings, **header)
        alert.schema_errors = self.check_schema(el, version)
        self.judge(alert, lang=lang, now=now)
        return alert

    def read_index_entry(self, item: Found, *, lang: str | None, now: datetime) -> Alert:
        """A feed entry that only summarises an alert (CAP fields on the entry, a link to the full one)."""
        entry = item.element
        warnings: list[str] = []
        info = self.read_info(entry, warnings, index_entry=True)
        info.headline = info.headline or (child_text(entry, "title") or "")
        info.description = info.description or (child_text(entry, "summary")
                                                 or child_text(entry, "description") or "")
        if not info.event:
            info.event = info.headline
        alert = Alert(
            source="feed", disaster=None, infos=[info], warnings=warnings,
            identifier=child_text(entry, "identifier") or child_text(entry, "id")
            or child_text(entry, "guid") or "",
            sent=self._time(entry, "sent", warnings) or child_text(entry, "published")
            or child_text(entry, "updated") or child_text(entry, "pubDate"),
            status=self._enum(entry, "status", STATUSES, "Actual", warnings, quiet=True),
            msg_type=self._enum(entry, "msgType", MSG_TYPES, "Alert", warnings, quiet=True),
        )
        self.judge(alert, lang=lang, now=now)
        return alert

    # ----------------------------------------------------------------------------------------------
    def read_header(self, el: Element, warnings: list[str]) -> dict:
        header = {
            "identifier": child_text(el, "identifier") or "",
            "sender": child_text(el, "sender") or "",
            "sent": self._time(el, "sent", warnings),
            "status": self._enum(el, "status", STATUSES, "Actual", warnings),
            "msg_type": self._enum(el, "msgType", MSG_TYPES, "Alert", warnings),
            "cap_source": child_text(el, "source") or "",
            "scope": self._enum(el, "scope", SCOPES, "", warnings, quiet=True),
            "restriction": child_text(el, "restriction") or "",
            "addresses": split_quoted(child_text(el, "addresses")),
            "codes": [t for c in children(el, "code") if (t := text_of(c))],
            "note": child_text(el, "note") or "",
            "references": (child_text(el, "references") or "").split(),
            "incidents": split_quoted(child_text(el, "incidents")),
        }
        for key, tag in (("identifier", "identifier"), ("sender", "sender")):
            if not header[key]:
                warnings.append(f"the alert has no <{tag}>")
        if header["sent"] is None:
            warnings.append("the alert has no <sent> time")
        if header["msg_type"] in ("Update", "Cancel") and not header["references"]:
            warnings.append(f"an {header['msg_type']} with no <references> to the alert it replaces")
        if header["scope"] == "Restricted" and not header["restriction"]:
            warnings.append("scope Restricted without a <restriction>")
        if header["scope"] == "Private" and not header["addresses"]:
            warnings.append("scope Private without <addresses>")
        return header

    def read_info(self, info: Element, warnings: list[str], *, index_entry: bool = False) -> Info:
        result = Info(
            language=child_text(info, "language") or DEFAULT_LANGUAGE,
            categories=[t for c in children(info, "category") if (t := text_of(c))],
            event=child_text(info, "event") or "",
            response_types=[t for c in children(info, "responseType") if (t := text_of(c))],
            urgency=self._enum(info, "urgency", URGENCIES, "Unknown", warnings),
            severity=self._enum(info, "severity", SEVERITIES, "Unknown", warnings),
            certainty=self._enum(info, "certainty", CERTAINTIES, "Unknown", warnings),
            audience=child_text(info, "audience") or "",
            event_codes=self.read_pairs(info, "eventCode", warnings),
            effective=self._time(info, "effective", warnings),
            onset=self._time(info, "onset", warnings),
            expires=self._time(info, "expires", warnings),
            sender_name=child_text(info, "senderName") or "",
            headline=child_text(info, "headline") or "",
            description=child_text(info, "description") or "",
            instruction=child_text(info, "instruction") or "",
            web=child_text(info, "web") or "",
            contact=child_text(info, "contact") or "",
            parameters=self.read_pairs(info, "parameter", warnings),
            resources=[self.read_resource(r, warnings) for r in children(info, "resource")],
            areas=[self.read_area(a, warnings) for a in children(info, "area")],
        )
        if index_entry:
            # index entries put the area's fields straight on the entry
            area = self.read_area(info, [], quiet=True)
            if area.description or area.polygons or area.circles or len(area.geocodes):
                result.areas.append(area)
            return result
        if not result.event:
            warnings.append(f"the {result.language} info block has no <event>")
        start, end = parse_time(result.effective), parse_time(result.expires)
        if start and end and end < start:
            warnings.append(f"the {result.language} info block expires ({result.expires}) before it "
                            f"takes effect ({result.effective})")
        return result

    def read_pairs(self, el: Element, name: str, warnings: list[str]) -> MultiMap:
        """``<name><valueName/><value/></name>`` pairs; several pairs in one element are allowed."""
        pairs = MultiMap()
        for holder in children(el, name):
            key = None
            for c in holder:
                tag = local_name(c.tag)
                if tag == "valueName":
                    key = text_of(c) or ""
                elif tag == "value":
                    value = text_of(c)
                    if value is None:
                        warnings.append(f"an empty <{name}> value ({key or 'unnamed'}) was skipped")
                    else:
                        pairs.add(key or "", value)
                    key = None
        return pairs

    def read_resource(self, el: Element, warnings: list[str]) -> Resource:
        res = Resource(description=child_text(el, "resourceDesc") or "",
                       mime_type=child_text(el, "mimeType") or "",
                       uri=child_text(el, "uri") or "",
                       digest=child_text(el, "digest") or "")
        size = child_text(el, "size")
        if size is not None:
            if size.isdigit():
                res.size = int(size)
            else:
                warnings.append(f"a <resource> size {size[:40]!r} is not a whole number of bytes")
        deref = child_text(el, "derefUri")
        if deref is not None:
            res.deref_bytes = len(deref)
        if not res.description:
            warnings.append("a <resource> has no <resourceDesc>")
        return res

    def read_area(self, el: Element, warnings: list[str], *, quiet: bool = False) -> Area:
        desc = child_text(el, "areaDesc") or ""
        if not desc and not quiet:
            warnings.append("an <area> has no <areaDesc>")
        where = desc[:60] or "an unnamed area"
        polygons = []
        for p in children(el, "polygon"):
            text = text_of(p)
            if text is not None:
                poly = self.parse_polygon(text, where, warnings)
                if poly:
                    polygons.append(poly)
        circles = []
        for c in children(el, "circle"):
            text = text_of(c)
            if text is not None:
                circle = self.parse_circle(text, where, warnings)
                if circle:
                    circles.append(circle)
        heights = {}
        for name in ("altitude", "ceiling"):
            value = child_text(el, name)
            if value is not None:
                if _NUMBER.match(value):
                    heights[name] = float(value)
                else:
                    warnings.append(f"<{name}> {value[:40]!r} in {where} is not a number")
        if "ceiling" in heights and "altitude" not in heights:
            warnings.append(f"<ceiling> without <altitude> in {where}")
        return Area(description=desc, polygons=polygons, circles=circles,
                    geocodes=self.read_pairs(el, "geocode", warnings), **heights)

    # ----------------------------------------------------------------------------------------------
    @staticmethod
    def parse_polygon(text: str, where: str, warnings: list[str]) -> list[tuple[float, float]]:
        """``"lat,lon lat,lon ..."`` -> points, skipping bad ones (and saying so in ``warnings``)."""
        points: list[tuple[float, float]] = []
        bad: list[str] = []
        norm = re.sub(r"\s*,\s*", ",", text.strip())
        for token in norm.split():
            nums = [n for n in token.split(",") if n]
            if not nums or len(nums) % 2 or not all(_NUMBER.match(n) for n in nums):
                bad.append(token[:30])
                continue
            for lat_s, lon_s in zip(nums[0::2], nums[1::2]):
                lat, lon = float(lat_s), float(lon_s)
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    points.append((lat, lon))
                else:
                    bad.append(f"{lat_s},{lon_s}"[:30])
        if bad:
            shown = ", ".join(repr(b) for b in bad[:3]) + (" ..." if len(bad) > 3 else "")
            warnings.append(f"skipped {len(bad)} bad polygon point(s) in {where}: {shown}")
        if len(set(points)) < 3:
            warnings.append(f"dropped a polygon in {where} with fewer than 3 distinct points")
            return []
        if points[0] != points[-1]:
            warnings.append(f"closed an open polygon in {where}")
            points.append(points[0])
        return points

    @staticmethod
    def parse_circle(text: str, where: str, warnings: list[str]) -> tuple[float, float, float] | None:
        """``"lat,lon radius_km"`` -> ``(lat, lon, radius_km)`` or None (with a warning)."""
        norm = re.sub(r"\s*,\s*", ",", text.strip())
        parts = norm.replace(",", " ").split()
        if len(parts) == 3 and all(_NUMBER.match(p) for p in parts):
            lat, lon, radius = (float(p) for p in parts)
            if -90 <= lat <= 90 and -180 <= lon <= 180 and radius >= 0:
                return lat, lon, radius
        warnings.append(f"skipped a bad circle in {where}: {text.strip()[:60]!r}")
        return None

    @staticmethod
    def check_schema(el: Element, version: str | None) -> list[str]:
        """Problems against the bundled schema, or a line saying why none was applied."""
        if version == "1.0":
            return ["CAP 1.0: no schema bundled, not validated"]
        if schema_version_for(el) is None:
            return ["not in a CAP 1.1/1.2 namespace, so the schema could not be applied"]
        return validate(el)

    # ----------------------------------------------------------------------------------------------
    def judge(self, alert: Alert, *, lang: str | None, now: datetime) -> None:
        """Choose the info block, classify the disaster and level, and note status, type and expiry."""
        warnings = alert.warnings
        if alert.infos:
            alert.info_index = self.select_info(alert.infos, lang, warnings, alert.why)
            self.classify(alert)
        elif alert.msg_type not in ("Cancel", "Ack", "Error"):
            warnings.append("the alert has no <info> block: nothing to show")

        if alert.msg_type == "Cancel":
            what = _shorten(alert.references) if alert.references else "an earlier alert"
            warnings.append(f"this message cancels {what}: no new media is made for it")
        elif alert.msg_type in ("Ack", "Error"):
            warnings.append(f"msgType {alert.msg_type} is an acknowledgement, not an alert: no media")
        elif alert.msg_type == "Update" and alert.references:
            warnings.append(f"this message updates {_shorten(alert.references)}")
        if alert.status in NOT_ACTUAL:
            warnings.append(f"status {alert.status}: not a real alert; outputs are marked "
                            f"{alert.status.upper()}")
        end = parse_time(alert.expires)
        if alert.expires and end is None:
            pass        # already warned as not ISO 8601
        elif end is not None:
            alert.expired = end <= now
            if alert.expired:
                hours = (now - end).total_seconds() / 3600
                ago = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"
                warnings.append(f"the alert expired at {alert.expires} ({ago} ago)")

    def select_info(self, infos: list[Info], lang: str | None, warnings: list[str],
                    why: list[dict] | None = None) -> int:
        """The index of the info block in ``lang`` (exact, prefix, then base language), else the first
        block: the sender puts the language of the area first (German before English in Austria, Icelandic
        before English in Iceland). The card and narration lead with it and give the others after."""
        langs = [(i.language or DEFAULT_LANGUAGE).lower() for i in infos]
        why = why if why is not None else []
        if lang:
            want = lang.strip().lower().replace("_", "-")
            for test in (lambda l: l == want,
                         lambda l: l.startswith(want),
                         lambda l: l.split("-")[0] == want.split("-")[0]):
                for index, l in enumerate(langs):
                    if test(l):
                        why.append(judge.record("language", infos[index].language, f"--lang {lang}",
                                                judge._ev("language", infos[index].language)))
                        return index
            warnings.append(f"no info block in language {lang!r}; "
                            f"available: {', '.join(dict.fromkeys(langs))}")
        if len(infos) > 1:
            why.append(judge.record("language", infos[0].language,
                                    f"the first of {len(infos)} <info> blocks ({', '.join(dict.fromkeys(langs))}) "
                                    f"leads: senders put the language of the area first",
                                    judge._ev("language", infos[0].language)))
        return 0

    def classify(self, alert: Alert) -> None:
        """Set ``alert.disaster``, ``alert.level`` and ``alert.colour`` from the chosen block, else from the
        others, each with its why record (:mod:`cinealert.alerts.judge`)."""
        chosen = alert.info
        order = [chosen] + [i for i in alert.infos if i is not chosen]
        for info in order:
            found, why = judge.classify_info(info)
            if found is not None or (why and why[0]["value"] is None):
                if found is not None and info is not chosen:
                    alert.warnings.append(f"disaster type taken from the {info.language} info block")
                    why[0]["because"] += f" (in the {info.language} block)"
                alert.why += why
                alert.disaster = found.key if found is not None else None
                if why and why[0]["because"].startswith("guessed"):
                    alert.warnings.append(f"disaster type {found.key!r} guessed from the description")
                break
        for info in order:
            level, colour, why = judge.level_of(info)
            if level:
                alert.level, alert.colour = level, colour
                alert.why.append(why)
                break
        ending = judge.ending_of(alert)
        if ending is not None:
            alert.ending = True
            alert.why.append(ending)
            alert.warnings.append(f"{ending['because']}: no new media is made for it")
        if alert.disaster is None and alert.msg_type not in ("Cancel", "Ack", "Error"):
            event = chosen.event or chosen.headline or "(no event)"
            alert.warnings.append(f"no visual template for event {event[:80]!r}")

    @staticmethod
    def _enum(el: Element, name: str, allowed: tuple[str, ...], default: str,
              warnings: list[str], *, quiet: bool = False) -> str:
        value = child_text(el, name)
        if value is None:
            if not quiet:
                warnings.append(f"<{name}> is missing or empty; using {default!r}")
            return default
        for a in allowed:
            if value.lower() == a.lower():
                if value != a:
                    warnings.append(f"<{name}> {value!r} read as {a!r}")
                return a
        warnings.append(f"<{name}> {value[:40]!r} is not a CAP value; using {default!r}")
        return default

    @staticmethod
    def _time(el: Element, name: str, warnings: list[str]) -> str | None:
        value = child_text(el, name)
        if value is None:
            return None
        if parse_time(value) is None:
            warnings.append(f"<{name}> {value[:40]!r} is not an ISO 8601 time")
        return value


def _shorten(references: list[str]) -> str:
    """``sender,identifier,sent`` references as identifiers, at most two named."""
    idents = [r.split(",")[1] if r.count(",") == 2 else r for r in references]
    shown = ", ".join(i[:60] for i in idents[:2])
    return shown + (f" and {len(idents) - 2} more" if len(idents) > 2 else "")


def choose(alerts: list[Alert]) -> Alert:
    """The alert of a file to draw: among those with a picture, the most severe, then the most urgent,
    then the first (:func:`cinealert.alerts.judge.choose_among`); else the first one.

    Several alerts in one file get a warning and a why record that say which one was taken and why.
    """
    if not alerts:
        raise InputError("the document holds no alerts")
    pick, why = judge.choose_among(alerts)
    if why is not None:
        pick.why.insert(0, why)
        ident = pick.identifier or pick.event or "(no identifier)"
        pick.warnings.insert(0, f"the file holds {len(alerts)} alerts; showing #{pick.position + 1} "
                                f"({ident[:80]}): {why['because']}")
    return pick
