"""Alerts out: the input CAP message written back with ``<resource>`` entries for the media, and the fields
an ATSC 3.0 Advanced Emergency Alert (AEA) ``Media`` element needs.

The resources go into the chosen ``<info>`` block, after its ``<parameter>`` elements and before its first
``<area>``, each with ``resourceDesc``, ``mimeType``, ``size`` (bytes), ``uri`` and ``digest`` (SHA-1 of
the file, hex), in the order CAP 1.2 prescribes, so that a message valid against the schema stays valid.
An enveloped XML signature is dropped (the added resources would break it), and a message in a misspelt
namespace is written in the namespace of the CAP version it was closest to; both are said in the notes.
"""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from cinealert.alerts import xmlsafe
from cinealert.alerts.cap import serialize
from cinealert.alerts.schema import schema_version_for, validate
from cinealert.deliver.media import MEDIA

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"

#: ATSC A/331 AEA ``Media@mediaType`` for pictures of the event (the other defined values,
#: "EventDescAudio" and "AEAtextAudio", name audio).
AEA_MEDIA_TYPE = "EventSymbol"
#: ... and for the narration: the alert's text read aloud.
AEA_AUDIO_TYPE = "AEAtextAudio"

_KNOWN_NS = ("urn:oasis:names:tc:emergency:cap:1.0", "urn:oasis:names:tc:emergency:cap:1.1", CAP12,
             "http://www.incident.com/cap/1.0")


@dataclass
class EnrichedCap:
    """The enriched message and what happened to it."""

    xml: bytes
    notes: list[str] = field(default_factory=list)
    schema: str | None = None             # "CAP 1.2" when validated
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool | None:
        return None if self.schema is None else not self.problems


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1] if isinstance(tag, str) else ""


def _ns(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def resource_description(fmt: str, description: str, label: str | None = None,
                         languages: list[str] | None = None) -> str:
    """``resourceDesc`` of a medium: what the media show, or for the narration "spoken alert (ko, en)"."""
    if fmt == "narration":
        text = f"spoken alert ({', '.join(languages or []) or 'und'})"
        return f"{label}: {text}" if label else text
    kind = {"poster": "poster image", "card": "alert card video", "card_png": "alert card image"}.get(
        fmt, "looping cinemagraph")
    text = f"{description} ({kind}, {fmt.upper()})"
    return f"{label}: {text}" if label else text


def enrich_cap(raw: bytes, media: dict[str, Path], *, description: str, info_index: int = 0,
               label: str | None = None, base_uri: str = "", languages: list[str] | None = None) -> EnrichedCap:
    """Add one ``<resource>`` per medium to the chosen ``<info>`` block of a CAP message.

    Args:
        raw: the CAP ``<alert>`` as received (its own document).
        media: format → file (keys of :data:`cinealert.deliver.media.MEDIA`).
        description: what the media show, for ``resourceDesc``.
        info_index: which ``<info>`` block (0-based, in document order) gets the resources.
        label: a mark such as ``"TEST"`` put in front of each description for non-actual messages.
        base_uri: put in front of each file name in ``uri`` (e.g. ``"https://cdn.example.org/a1/"``).
        languages: the narration's spoken languages, for its ``resourceDesc``.
    """
    root = xmlsafe.parse_xml(raw)
    alert = root if _local(root.tag) == "alert" else next(
        (el for el in root.iter() if _local(el.tag) == "alert"), None)
    if alert is None:
        raise ValueError("no <alert> element in the CAP message")
    notes: list[str] = []
    ns = _ns(alert.tag)
    if ns not in _KNOWN_NS:
        _rename_namespace(alert, ns, CAP12)
        notes.append(f"alert.xml is written in the CAP 1.2 namespace (the input had "
                     f"{repr(ns) if ns else 'none'})")
        ns = CAP12
    for sig in [c for c in alert if _ns(c.tag) == XMLDSIG]:
        alert.remove(sig)
        notes.append("the input's XML signature was removed from alert.xml: the added resources "
                     "would break it; sign the enriched message again")
    infos = [el for el in alert if _local(el.tag) == "info"]
    if not infos:
        raise ValueError("the CAP message has no <info> block to add resources to")
    info = infos[min(max(info_index, 0), len(infos) - 1)]

    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    kids = list(info)
    at = next((i for i, c in enumerate(kids) if _local(c.tag) == "area"), len(kids))
    indent = info.text if info.text and not info.text.strip() else "\n"
    for offset, (fmt, path) in enumerate(media.items()):
        data = Path(path).read_bytes()
        res = ET.Element(q("resource"))
        res.text = indent + "  "
        fields = [("resourceDesc", resource_description(fmt, description, label, languages)),
                  ("mimeType", MEDIA[fmt][1]),
                  ("size", str(len(data))),
                  ("uri", base_uri + Path(path).name),
                  ("digest", hashlib.sha1(data).hexdigest())]
        for k, (name, value) in enumerate(fields):
            el = ET.SubElement(res, q(name))
            el.text = value
            el.tail = indent + ("  " if k < len(fields) - 1 else "")
        res.tail = indent
        info.insert(at + offset, res)
    out = EnrichedCap(xml=serialize(alert), notes=notes)
    version = schema_version_for(alert)
    if version is not None:
        out.schema = f"CAP {version}"
        out.problems = validate(xmlsafe.parse_xml(out.xml))
    return out


def _rename_namespace(alert: ET.Element, old: str, new: str) -> None:
    for el in alert.iter():
        if isinstance(el.tag, str) and _ns(el.tag) == old:
            el.tag = f"{{{new}}}{_local(el.tag)}"


def aea_media(media: dict[str, Path], *, description: str, language: str | None,
              base_uri: str = "", label: str | None = None, languages: list[str] | None = None) -> list[dict]:
    """One ATSC 3.0 AEA ``Media`` element's attributes per medium (url, contentType, contentLength,
    mediaType, mediaDesc, lang), for a broadcaster's AEA table."""
    out = []
    for fmt, path in media.items():
        entry = {
            "url": base_uri + Path(path).name,
            "contentType": MEDIA[fmt][1],
            "contentLength": Path(path).stat().st_size,
            "mediaType": AEA_AUDIO_TYPE if fmt == "narration" else AEA_MEDIA_TYPE,
            "mediaDesc": resource_description(fmt, description, label, languages),
        }
        if language:
            entry["lang"] = language
        out.append(entry)
    return out
