"""A first reader of CAP (Common Alerting Protocol) 1.0, 1.1 and 1.2 messages.

Reading is tolerant: elements are matched by their local name, so a prefixed (``cap:alert``), missing or
misspelt namespace still reads; empty elements count as absent; odd but usable content becomes a line in
``Alert.warnings``. Only what cannot give a picture raises :class:`InputError`: hostile or malformed XML,
something that is not an alert, a cancel without content, or an alert of no known disaster type.

The work is split into small steps (:meth:`CapParser.load`, :meth:`CapParser.find_alert`,
:meth:`CapParser.select_info`, :meth:`CapParser.read_area`, :meth:`CapParser.classify`) so that a fuller
reader (resources, parameters, references, following ATOM links) can override or extend one step.
"""
from __future__ import annotations

import codecs
import re
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from cinealert.alerts.keyword import available_types, detect_level
from cinealert.alerts.model import Alert, Area
from cinealert.disasters import DisasterType, detect_disaster, disaster_for_code
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
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown", "Very Likely")

#: CAP's default language of an ``<info>`` block that names none.
DEFAULT_LANGUAGE = "en-US"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),   # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECL = re.compile(r"""^<\?xml\s[^>]*?\?>""")
_DECL_ENCODING = re.compile(r"""(encoding\s*=\s*)(["'])([^"']*)\2""")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def local_name(tag: object) -> str:
    """``{urn:...}alert`` / ``cap:alert`` / ``alert`` -> ``alert``. Comments and PIs give ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def namespace_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


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


class CapParser:
    """Reads one CAP message (an ``<alert>``, or the first alert embedded in a feed or wrapper)."""

    name = "cap"
    summary = "CAP 1.0/1.1/1.2 XML alerts (any namespace prefix; the first alert of an ATOM feed)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    # ----------------------------------------------------------------------------------------------
    def parse(self, data: bytes, *, lang: str | None = None) -> Alert:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}.")
        data = bytes(data)
        warnings: list[str] = []
        root = self.load(data)
        alert_el = self.find_alert(root, warnings)

        ns = namespace_of(alert_el.tag)
        if ns not in CAP_NAMESPACES:
            shown = f"namespace {ns!r}" if ns else "no namespace"
            warnings.append(f"the alert has {shown}, not a CAP namespace; read by element names")

        header = self.read_header(alert_el, warnings)
        infos = children(alert_el, "info")
        ident = header["identifier"] or "(no identifier)"
        if not infos:
            if header["msg_type"] == "Cancel":
                raise InputError(f"CAP alert {ident} is a Cancel with no info block: nothing to show")
            raise InputError(f"CAP alert {ident} has no info block: nothing to show")
        if header["msg_type"] == "Cancel":
            warnings.append("this message cancels an earlier alert")
        elif header["msg_type"] in ("Ack", "Error"):
            warnings.append(f"msgType {header['msg_type']} is an acknowledgement, not an alert")

        info = self.select_info(infos, lang, warnings)
        fields = self.read_info(info, warnings)
        disaster, level = self.classify(info, infos, fields, warnings)

        return Alert(
            source="cap",
            disaster=disaster.key,
            level=level,
            raw=data,
            warnings=warnings,
            **header,
            **fields,
        )

    # ----------------------------------------------------------------------------------------------
    def load(self, data: bytes) -> Element:
        """Decode and parse ``data`` safely; return the root element."""
        text = self.decode(data)
        try:
            return SafeET.fromstring(text.encode("utf-8"), forbid_dtd=True)
        except defusedxml.DTDForbidden:
            raise InputError(
                "refusing XML with a document type declaration (DTD): CAP never needs one, and DTDs "
                "carry entity-expansion ('billion laughs') and external-entity attacks"
            ) from None
        except defusedxml.EntitiesForbidden:
            raise InputError(
                "refusing XML that declares entities (possible entity-expansion 'billion laughs' attack)"
            ) from None
        except defusedxml.ExternalReferenceForbidden:
            raise InputError("refusing XML that refers to external resources (external entity)") from None
        except defusedxml.DefusedXmlException as e:
            raise InputError(f"refusing unsafe XML: {e}") from None
        except ParseError as e:
            raise InputError(f"malformed XML: {e}") from None

    def decode(self, data: bytes) -> str:
        """Bytes -> text, honouring a byte-order mark or the encoding named in the XML declaration.

        The returned text has no BOM, no leading whitespace and a declaration that names UTF-8 (the
        text is re-encoded as UTF-8 for the parser, whose own support of encodings is narrow).
        """
        if not data.strip():
            raise InputError("empty input: there is no CAP XML to read")
        encoding = None
        for bom, name in _BOMS:
            if data.startswith(bom):
                encoding, data = name, data[len(bom):]
                break
        if encoding is None:
            if data.startswith(b"<\x00?\x00"):
                encoding = "utf-16-le"
            elif data.startswith(b"\x00<\x00?"):
                encoding = "utf-16-be"
            else:
                head = data[:300].decode("latin-1").lstrip()
                decl = _DECL.match(head)
                found = _DECL_ENCODING.search(decl.group(0)) if decl else None
                encoding = found.group(3).strip() if found else "utf-8"
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} in the XML declaration") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as e:
            raise InputError(
                f"malformed XML: not valid {encoding} text (byte 0x{data[e.start]:02x} at offset {e.start})"
            ) from None
        text = text.lstrip("\ufeff \t\r\n")
        decl = _DECL.match(text)
        if decl:
            fixed = _DECL_ENCODING.sub(lambda m: m.group(1) + m.group(2) + "UTF-8" + m.group(2), decl.group(0))
            text = fixed + text[decl.end():]
        return text

    def find_alert(self, root: Element, warnings: list[str]) -> Element:
        """The ``<alert>`` element: the root itself, or the first one embedded in a feed or wrapper."""
        root_name = local_name(root.tag)
        if root_name == "alert":
            return root
        embedded = next((el for el in root.iter() if local_name(el.tag) == "alert"), None)
        if embedded is not None:
            count = sum(1 for el in root.iter() if local_name(el.tag) == "alert")
            more = f" (of {count})" if count > 1 else ""
            warnings.append(f"read the first alert{more} embedded in <{root_name}>")
            return embedded
        if root_name == "feed":
            raise InputError(
                "the ATOM feed holds no full alerts, only index entries that link to them "
                "(following links is not supported yet): give one CAP alert file"
            )
        if root_name == "alerts":
            raise InputError("the <alerts> list holds no <alert> element")
        raise InputError(f"not a CAP alert: the root element is <{root_name}>, expected <alert>")

    # ----------------------------------------------------------------------------------------------
    def read_header(self, el: Element, warnings: list[str]) -> dict:
        header = {
            "identifier": child_text(el, "identifier") or "",
            "sender": child_text(el, "sender") or "",
            "sent": self._time(el, "sent", warnings),
            "status": self._enum(el, "status", STATUSES, "Actual", warnings),
            "msg_type": self._enum(el, "msgType", MSG_TYPES, "Alert", warnings),
        }
        for key, tag in (("identifier", "identifier"), ("sender", "sender")):
            if not header[key]:
                warnings.append(f"the alert has no <{tag}>")
        if header["sent"] is None:
            warnings.append("the alert has no <sent> time")
        if header["msg_type"] in ("Update", "Cancel") and child_text(el, "references") is None:
            warnings.append(f"an {header['msg_type']} with no <references> to the alert it replaces")
        return header

    def select_info(self, infos: list[Element], lang: str | None, warnings: list[str]) -> Element:
        """The ``<info>`` in language ``lang`` (prefix match), else the first English one, else the first."""
        langs = [(child_text(i, "language") or DEFAULT_LANGUAGE).lower() for i in infos]
        if lang:
            want = lang.strip().lower().replace("_", "-")
            for test in (lambda l: l == want,
                         lambda l: l.startswith(want),
                         lambda l: l.split("-")[0] == want.split("-")[0]):
                for info, l in zip(infos, langs):
                    if test(l):
                        return info
            warnings.append(f"no info block in language {lang!r}; "
                            f"available: {', '.join(dict.fromkeys(langs))}")
        for info, l in zip(infos, langs):
            if l.startswith("en"):
                return info
        return infos[0]

    def read_info(self, info: Element, warnings: list[str]) -> dict:
        fields = {
            "language": child_text(info, "language") or DEFAULT_LANGUAGE,
            "event": child_text(info, "event") or "",
            "headline": child_text(info, "headline") or "",
            "description": child_text(info, "description") or "",
            "instruction": child_text(info, "instruction") or "",
            "urgency": self._enum(info, "urgency", URGENCIES, "Unknown", warnings),
            "severity": self._enum(info, "severity", SEVERITIES, "Unknown", warnings),
            "certainty": self._enum(info, "certainty", CERTAINTIES, "Unknown", warnings),
            "effective": self._time(info, "effective", warnings),
            "expires": self._time(info, "expires", warnings),
            "sender_name": child_text(info, "senderName") or "",
            "event_codes": self.read_pairs(info, "eventCode", warnings),
            "areas": [self.read_area(a, warnings) for a in children(info, "area")],
        }
        if not fields["event"]:
            warnings.append("the info block has no <event>")
        return fields

    def read_pairs(self, el: Element, name: str, warnings: list[str]) -> list[tuple[str, str]]:
        """``<name><valueName/><value/></name>`` pairs; several pairs in one element are allowed."""
        pairs: list[tuple[str, str]] = []
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
                        pairs.append((key or "", value))
                    key = None
        return pairs

    def read_area(self, el: Element, warnings: list[str]) -> Area:
        desc = child_text(el, "areaDesc") or ""
        if not desc:
            warnings.append("an <area> has no <areaDesc>")
        where = desc or "an unnamed area"
        polygons = []
        for p in children(el, "polygon"):
            text = text_of(p)
            if text is None:
                continue
            poly = self.parse_polygon(text, where, warnings)
            if poly:
                polygons.append(poly)
        circles = []
        for c in children(el, "circle"):
            text = text_of(c)
            if text is None:
                continue
            circle = self.parse_circle(text, where, warnings)
            if circle:
                circles.append(circle)
        return Area(description=desc, polygons=polygons, circles=circles,
                    geocodes=self.read_pairs(el, "geocode", warnings))

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
                bad.append(token)
                continue
            for lat_s, lon_s in zip(nums[0::2], nums[1::2]):
                lat, lon = float(lat_s), float(lon_s)
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    points.append((lat, lon))
                else:
                    bad.append(f"{lat_s},{lon_s}")
        if bad:
            shown = ", ".join(repr(b) for b in bad[:3]) + (" ..." if len(bad) > 3 else "")
            warnings.append(f"skipped {len(bad)} bad polygon point(s) in {where}: {shown}")
        if len({p for p in points}) < 3:
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

    # ----------------------------------------------------------------------------------------------
    def classify(self, info: Element, infos: list[Element], fields: dict,
                 warnings: list[str]) -> tuple[DisasterType, str | None]:
        """The disaster type and level of the chosen info block.

        Event codes first, then the words of the event, headline and description. When the chosen
        block gives nothing, the other language blocks of the same alert are tried.
        """
        disaster = self._disaster(fields["event_codes"], fields["event"], fields["headline"],
                                  fields["description"], warnings)
        level = detect_level(fields["event"]) or detect_level(fields["headline"])
        if disaster is None:
            for other in infos:
                if other is info:
                    continue
                scratch: list[str] = []
                o_fields = {
                    "codes": self.read_pairs(other, "eventCode", scratch),
                    "event": child_text(other, "event") or "",
                    "headline": child_text(other, "headline") or "",
                    "description": child_text(other, "description") or "",
                }
                disaster = self._disaster(o_fields["codes"], o_fields["event"], o_fields["headline"],
                                          o_fields["description"], scratch)
                if disaster is not None:
                    other_lang = child_text(other, "language") or DEFAULT_LANGUAGE
                    warnings.append(f"disaster type taken from the {other_lang} info block")
                    level = level or detect_level(o_fields["event"]) or detect_level(o_fields["headline"])
                    break
        if disaster is None:
            event = fields["event"] or fields["headline"] or "(no event)"
            raise InputError(
                f"CAP event {event!r} is not a disaster type cinealert knows. "
                f"Known types: {available_types()}."
            )
        return disaster, level

    @staticmethod
    def _disaster(codes: list[tuple[str, str]], event: str, headline: str, description: str,
                  warnings: list[str]) -> DisasterType | None:
        for _, value in codes:
            found = disaster_for_code(value)
            if found is not None:
                return found
        for text in (event, headline):
            found = detect_disaster(text)
            if found is not None:
                return found
        found = detect_disaster(description)
        if found is not None:
            warnings.append(f"disaster type {found.key!r} guessed from the description")
        return found

    @staticmethod
    def _enum(el: Element, name: str, allowed: tuple[str, ...], default: str,
              warnings: list[str]) -> str:
        value = child_text(el, name)
        if value is None:
            warnings.append(f"<{name}> is missing or empty; using {default!r}")
            return default
        for a in allowed:
            if value.lower() == a.lower():
                if value != a:
                    warnings.append(f"<{name}> {value!r} read as {a!r}")
                return a
        warnings.append(f"<{name}> {value!r} is not a CAP value; using {default!r}")
        return default

    @staticmethod
    def _time(el: Element, name: str, warnings: list[str]) -> str | None:
        value = child_text(el, name)
        if value is None:
            return None
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            warnings.append(f"<{name}> {value!r} is not an ISO 8601 time")
        return value
