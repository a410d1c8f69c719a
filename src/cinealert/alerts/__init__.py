"""Stage 1: read an alert (CAP XML, a disaster keyword or free text) into the project's :class:`Alert`."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

from cinealert.alerts.cap import CapParser
from cinealert.alerts.keyword import KeywordParser
from cinealert.alerts.model import Alert, Area
from cinealert.errors import InputError

__all__ = ["Alert", "Area", "CapParser", "KeywordParser", "read_input"]

#: File name endings that mark an argument as a path even when the file is missing.
PATH_SUFFIXES = (".xml", ".cap", ".json", ".atom")

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_input(value: str, *, lang: str | None = None) -> Alert:
    """Read ``value``: a path to a CAP/text file, a disaster keyword, or a line of free text.

    ``lang`` picks the ``<info>`` block of a multilingual CAP alert (``"ko"`` matches ``"ko-KR"``).
    """
    if not isinstance(value, str):
        raise TypeError(f"input must be a string, got {type(value).__name__}.")
    path = Path(value)
    if value.strip() and _exists(path):
        return read_bytes(_read_file(path, value), lang=lang, name=value)
    if _looks_like_path(value):
        raise InputError(f"no such file: {value}")
    if value.lstrip("\ufeff \t\r\n").startswith("<"):
        return CapParser().parse(value.encode("utf-8"), lang=lang)
    return KeywordParser().parse(value, lang=lang)


def read_bytes(data: bytes, *, lang: str | None = None, name: str = "input") -> Alert:
    """Read the content of an alert file: CAP XML, or a UTF-8 keyword / free-text line."""
    head = data.lstrip(b" \t\r\n")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):].lstrip(b" \t\r\n")
    if not head:
        raise InputError(f"{name} is empty")
    if head.startswith(_UTF16_BOMS) or head[:1] == b"<" or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return CapParser().parse(data, lang=lang)
    if head[:1] in (b"{", b"["):
        raise InputError("JSON alert records are not supported yet (use CAP XML, a keyword or free text)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{name} is neither CAP XML nor UTF-8 text (bad byte at offset {e.start})") from None
    return KeywordParser().parse(text, lang=lang)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):     # a long sentence is no file name ("File name too long", NUL)
        return False


def _read_file(path: Path, shown: str) -> bytes:
    if path.is_dir():
        raise InputError(f"cannot read {shown}: it is a directory")
    try:
        return path.read_bytes()
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
