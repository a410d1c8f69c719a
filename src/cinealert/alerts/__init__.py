"""Stage 1: read an alert (CAP XML and its feeds, Korean disaster-text JSON, a disaster keyword or free text)
into the project's :class:`Alert`."""
from __future__ import annotations

import codecs
import os
from datetime import datetime
from pathlib import Path

from cinealert.alerts import mois, xmlsafe
from cinealert.alerts.cap import CapParser, choose
from cinealert.alerts.keyword import KeywordParser
from cinealert.alerts.mois import MoisParser
from cinealert.alerts.model import Alert, Area, Info, MultiMap, Resource
from cinealert.errors import InputError

__all__ = ["Alert", "Area", "CapParser", "Info", "KeywordParser", "MoisParser", "MultiMap", "Resource", "choose",
           "read_alerts", "read_all_bytes", "read_bytes", "read_input"]

#: File name endings that mark an argument as a path even when the file is missing.
PATH_SUFFIXES = (".xml", ".cap", ".json", ".atom")

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

#: Most bytes read from an input file: the largest limit of any reader (each reader then applies its
#: own: :data:`.xmlsafe.MAX_BYTES` for XML, :data:`.mois.MAX_BYTES` for JSON, :data:`MAX_TEXT_BYTES`).
MAX_FILE_BYTES = max(xmlsafe.MAX_BYTES, mois.MAX_BYTES)

#: Longest keyword or free-text alert, in bytes: a text message, not a document.
MAX_TEXT_BYTES = 64 * 1024


def read_input(value: str, *, lang: str | None = None, now: datetime | None = None) -> Alert:
    """Read ``value``: a path to a CAP / disaster-text JSON / text file, a disaster keyword, or free text.

    A file that holds several alerts gives the one to show (the first that can be pictured); use
    :func:`read_alerts` for all of them. ``lang`` picks the ``<info>`` block of a multilingual CAP alert
    (``"ko"`` matches ``"ko-KR"``); ``now`` is the time expiry is judged against (default: now).
    """
    return choose(read_alerts(value, lang=lang, now=now))


def read_alerts(value: str, *, lang: str | None = None, now: datetime | None = None) -> list[Alert]:
    """Every alert that ``value`` holds (see :func:`read_input`), in file order."""
    if not isinstance(value, str):
        raise TypeError(f"input must be a string, got {type(value).__name__}.")
    path = Path(value)
    if value.strip() and _exists(path):
        return read_all_bytes(_read_file(path, value), lang=lang, now=now, name=value)
    if _looks_like_path(value):
        raise InputError(f"no such file: {value}")
    stripped = value.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("<", "{", "[")):
        return read_all_bytes(value.encode("utf-8"), lang=lang, now=now, name="the input")
    return [KeywordParser().parse(value, lang=lang)]


def read_bytes(data: bytes, *, lang: str | None = None, now: datetime | None = None,
               name: str = "input") -> Alert:
    """Read the content of an alert file (see :func:`read_all_bytes`) and choose the alert to show."""
    return choose(read_all_bytes(data, lang=lang, now=now, name=name))


def read_all_bytes(data: bytes, *, lang: str | None = None, now: datetime | None = None,
                   name: str = "input") -> list[Alert]:
    """Every alert in the content of a file: CAP XML (or a feed or envelope of it), disaster-text JSON,
    or a UTF-8 keyword / free-text line."""
    head = data.lstrip(b" \t\r\n")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):].lstrip(b" \t\r\n")
    if not head:
        raise InputError(f"{name} is empty")
    if head.startswith(_UTF16_BOMS):
        try:
            first = data.decode("utf-16").lstrip("\ufeff \t\r\n")[:1]
        except UnicodeDecodeError:
            first = "<"
        head = b"{" if first in ("{", "[") else b"<"
    if head[:1] == b"<" or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return CapParser().parse_all(data, lang=lang, now=now)
    if head[:1] in (b"{", b"["):
        return MoisParser().parse_all(data, lang=lang)
    if len(head) > MAX_TEXT_BYTES:
        raise InputError(f"{name} is not XML or JSON, and too long for alert text "
                         f"({len(head)} bytes; the limit is {MAX_TEXT_BYTES // 1024} KiB)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{name} is neither CAP XML, JSON nor UTF-8 text (bad byte at offset {e.start})") \
            from None
    return [KeywordParser().parse(text, lang=lang)]


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):     # a long sentence is no file name ("File name too long", NUL)
        return False


def _read_file(path: Path, shown: str) -> bytes:
    """The file's bytes; at most one byte past the size limit is read, so a huge or endless file
    (``/dev/zero``) costs nothing."""
    if path.is_dir():
        raise InputError(f"cannot read {shown}: it is a directory")
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise InputError(f"cannot read {shown}: {e.strerror or e}") from None


def _looks_like_path(value: str) -> bool:
    """A missing file name rather than text: ends like an alert file, or is one word with a separator.

    Text that merely contains a slash ("서울/경기 호우경보", "heavy rain in Seoul/Incheon") stays text.
    """
    v = value.strip()
    if not v or "\n" in v:
        return False
    if v.lower().endswith(PATH_SUFFIXES):
        return True
    has_sep = "/" in v or os.sep in v or (os.altsep is not None and os.altsep in v)
    return has_sep and len(v.split()) == 1
