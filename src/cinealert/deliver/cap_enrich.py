"""The CAP input written back with ``<resource>`` entries that point at the media."""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import ElementTree as SafeET

from cinealert.deliver.media import MEDIA


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def enrich_cap(raw: bytes, media: dict[str, Path], *, description: str) -> bytes:
    """Add one ``<resource>`` per medium to every ``<info>`` block of a CAP message.

    Each resource carries ``resourceDesc``, ``mimeType``, ``size`` (bytes), ``uri`` (the file name,
    relative to the alert file) and ``digest`` (SHA-1, hex), in CAP order, placed after any
    ``<parameter>`` and before the first ``<area>``.

    Args:
        raw: the CAP message as received.
        media: format → file (keys of :data:`MEDIA`).
        description: what the media show, for ``resourceDesc``.
    """
    root = SafeET.fromstring(raw)
    alert = root if _local(root.tag) == "alert" else next(
        (el for el in root.iter() if _local(el.tag) == "alert"), None)
    if alert is None:
        raise ValueError("no <alert> element in the CAP message")
    ns = alert.tag[1:].split("}")[0] if alert.tag.startswith("{") else ""
    if ns:
        ET.register_namespace("", ns)
    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    for info in [el for el in alert if _local(el.tag) == "info"]:
        children = list(info)
        at = next((i for i, c in enumerate(children) if _local(c.tag) == "area"), len(children))
        for offset, (fmt, path) in enumerate(media.items()):
            data = Path(path).read_bytes()
            res = ET.Element(q("resource"))
            kind = "poster image" if fmt == "poster" else "looping cinemagraph"
            ET.SubElement(res, q("resourceDesc")).text = f"{description} ({kind}, {fmt.upper()})"
            ET.SubElement(res, q("mimeType")).text = MEDIA[fmt][1]
            ET.SubElement(res, q("size")).text = str(len(data))
            ET.SubElement(res, q("uri")).text = Path(path).name
            ET.SubElement(res, q("digest")).text = hashlib.sha1(data).hexdigest()
            res.tail = info.text if info.text and not info.text.strip() else "\n"
            info.insert(at + offset, res)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)
