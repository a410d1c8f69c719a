"""Where the alerts of a document are: a lone ``<alert>``, an ``<alerts>`` wrapper, an ATOM or RSS feed, or an
EDXL-DE envelope.

Feeds come in two kinds. Some carry whole CAP messages in their entries (as XML content, or as escaped XML
text); those alerts are read in full. Others, like the national index feeds, only summarise each alert with
a few CAP fields on the entry and link to the full message. Links are never followed (parsing must not
reach the network); such an *index entry* is read from its own fields and its links are kept on the alert.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from cinealert.alerts import xmlsafe
from cinealert.errors import InputError

#: Element names that mark a feed entry as a CAP index entry (CAP fields put straight on the entry).
INDEX_FIELDS = ("event", "areaDesc", "urgency", "severity", "certainty", "msgType")


@dataclass
class Found:
    """An alert found in a document: an ``<alert>`` element, or a feed entry that summarises one."""

    element: Element
    links: list[str] = field(default_factory=list)
    note: str = ""


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _alerts_in(el: Element) -> list[Element]:
    return [e for e in el.iter() if _local(e.tag) == "alert"]


def find_alerts(root: Element) -> list[Found]:
    """Every alert of the document whose root element is ``root``, in document order."""
    name = _local(root.tag)
    if name == "alert":
        return [Found(root)]
    if name == "feed":
        return _feed(root, entry_name="entry", kind="ATOM feed")
    if name == "rss":
        return _feed(root, entry_name="item", kind="RSS feed")
    if name == "EDXLDistribution":
        return _edxl(root)
    embedded = _alerts_in(root)
    if name == "alerts":
        if not embedded:
            raise InputError("the <alerts> list holds no <alert> element")
        return [Found(a, note=f"alert {k + 1} of {len(embedded)} in an <alerts> list")
                for k, a in enumerate(embedded)]
    if embedded:
        return [Found(a, note=f"read an alert embedded in <{name[:40]}>") for a in embedded]
    raise InputError(f"not a CAP alert: the root element is <{name[:40] or '?'}>, expected <alert> "
                     "(or an <alerts> list, an ATOM/RSS feed or an EDXL-DE envelope)")


def _links(entry: Element) -> list[str]:
    links = []
    for el in entry:
        if _local(el.tag) == "link":
            href = el.get("href") or (el.text or "").strip()
            if href:
                links.append(href)
    return links


def _feed(root: Element, *, entry_name: str, kind: str) -> list[Found]:
    entries = [e for e in root.iter() if _local(e.tag) == entry_name]
    if not entries:
        raise InputError(f"the {kind} has no entries")
    found: list[Found] = []
    for k, entry in enumerate(entries):
        links = _links(entry)
        where = f"{kind} entry {k + 1} of {len(entries)}"
        alerts = _alerts_in(entry) or _escaped_alerts(entry)
        if alerts:
            found += [Found(a, links=links, note=f"read from {where}") for a in alerts]
        elif any(_local(c.tag) in INDEX_FIELDS for c in entry):
            shown = f" at {links[0][:120]}" if links else ""
            found.append(Found(entry, links=links,
                               note=f"read from {where}, an index entry: the full alert is{shown} "
                                    "(links are not followed)"))
    if not found:
        raise InputError(f"the {kind} holds {len(entries)} entries but no CAP alert and no CAP index "
                         "fields in any of them")
    return found


def _escaped_alerts(entry: Element) -> list[Element]:
    """Alerts carried as escaped XML text in an entry's ``<content>`` / ``<description>``."""
    for el in entry:
        if _local(el.tag) not in ("content", "description", "summary"):
            continue
        text = (el.text or "").strip()
        if text.startswith("<") and "alert" in text[:2000]:
            try:
                inner = xmlsafe.parse_xml(text.encode("utf-8"))
            except InputError:
                continue
            return [inner] if _local(inner.tag) == "alert" else _alerts_in(inner)
    return []


def _edxl(root: Element) -> list[Found]:
    """EDXL-DE: alerts in ``contentObject/xmlContent/embeddedXMLContent`` or base64 ``contentData``."""
    found: list[Found] = []
    objects = [e for e in root.iter() if _local(e.tag) == "contentObject"]
    for k, obj in enumerate(objects):
        where = f"EDXL-DE content object {k + 1} of {len(objects)}"
        alerts = _alerts_in(obj)
        if not alerts:
            alerts = _base64_alerts(obj)
        found += [Found(a, note=f"read from {where}") for a in alerts]
    if not found:
        raise InputError(f"the EDXL-DE envelope holds {len(objects)} content object(s) but no CAP alert")
    return found


def _base64_alerts(obj: Element) -> list[Element]:
    for el in obj.iter():
        if _local(el.tag) != "contentData":
            continue
        text = "".join((el.text or "").split())
        if not text or len(text) > xmlsafe.MAX_BYTES * 4 // 3 + 4:
            continue
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            continue
        if b"alert" not in data[:4000]:
            continue
        try:
            inner = xmlsafe.parse_xml(data)
        except InputError:
            continue
        return [inner] if _local(inner.tag) == "alert" else _alerts_in(inner)
    return []
