"""Mutations of alert documents, for fuzzing the alert readers (``tests/test_alerts_fuzz.py`` draws them with
hypothesis, ``bench/fuzz_alerts.py`` with a seeded :class:`random.Random`).

A mutation is a tuple ``(kind, *arguments)`` applied by :func:`mutate`; positions and element indexes are
taken modulo what the document holds, so any numbers make a valid mutation. The kinds:

==============  =============================  ====================================================
kind            arguments                      what it does
==============  =============================  ====================================================
``flip``        pos, mask                      XOR one byte with ``mask``
``delete``      pos, length                    cut ``length`` bytes
``insert``      pos, fragment                  insert bytes (a :data:`FRAGMENTS` entry or random)
``truncate``    pos                            keep the first ``pos`` bytes
``deep``        pos, depth, closed             insert ``depth`` nested ``<a>`` (closed or left open)
``duplicate``   index, times                   repeat a leaf element ``times`` more times
``retext``      index, value                   replace a leaf element's text (escaped)
``graft``       index, fragment                insert a fragment just after a tag's ``>``
``swap``        i, j                           swap the names of two start tags
``declare``     name                           name another encoding in the XML declaration
``transcode``   codec, bom, relabel            re-encode the whole document (optional BOM, label)
==============  =============================  ====================================================
"""
from __future__ import annotations

import random
import re

#: Hostile and odd fragments: DTDs and entities, CDATA and comment markers, invalid UTF-8 and NULs,
#: CAP elements out of place, other scripts.
FRAGMENTS = (
    b"<!DOCTYPE", b"<!DOCTYPE alert>", b'<!DOCTYPE a [<!ENTITY x "y">]>', b'<!DOCTYPE a [<!ENTITY e "lol">]>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b'<!DOCTYPE a SYSTEM "file:///etc/passwd">',
    b'<!ENTITY % p "x">', b"%p;", b"&x;", b"&e;", b"&", b"&amp;", b"&#0;", b"&#xD800;", b"&#x110000;",
    b"&#x41;", b"&#65;", b"&lt;", b"&gt;",
    b"<![CDATA[", b"]]>", b"<![CDATA[x]]>", b"<![CDATA[<alert/>]]>", b"<!--", b"-->", b"<!-- c -->",
    b"<?xml version='1.0'?>", b"<?xml-stylesheet href='x'?>", b"<?pi x?>", b"<?", b"?>",
    b"<", b">", b"</", b"/>", b"'", b'"', b"=", b" ", b"\n", b"\t", b"\r\n",
    b"\x00", b"\xff", b"\xfe", b"\xfe\xff", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3\x28", b"\xed\xa0\x80",
    b"\xed\xb0\x80", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\xe3\x81", b"\x80", b"\x9f",
    b"\xc0\xaf",
    b"<cap:alert>", b"<cap:info>", b"xmlns:cap='urn:oasis:names:tc:emergency:cap:1.2'",
    b"xmlns:cap='urn:oasis:names:tc:emergency:cap:1.1'", b"xmlns=''", b"xmlns:x=''",
    b"<alert>", b"</alert>", b"<info>", b"</info>", b"<area>", b"</area>", b"<value>", b"</value>",
    b"<geocode>", b"<event>Flood</event>", b"<event>Typhoon</event>", b"<event></event>", b"<event/>",
    b"<msgType>Cancel</msgType>", b"<msgType>Ack</msgType>", b"<status>Draft</status>",
    b"<polygon>1,2 3,4 5,6 1,2</polygon>", b"<polygon>0,0 0,1 1,1 0,0</polygon>",
    b"<polygon>nan,inf 1e999,-0</polygon>", b"<polygon>-91,x 1,,2</polygon>", b"<circle>1,2 -3</circle>",
    b"<circle>45,45 -1</circle>", b"<circle>91,181 1e308</circle>", b"<circle>1e400,0 5</circle>",
    b"<language>ko-KR</language>", b"<language>zh-CN</language>", b"<language></language>",
    b"<sent>2024-13-45T99:99:99+99:99</sent>", b"<effective>yesterday</effective>",
    b"<eventCode><valueName>x</valueName></eventCode>", b"<eventCode><value>FLW</value></eventCode>",
    b"<parameter><valueName/></parameter>", b"<resource><size>-1</size></resource>",
    b"<resource><size>1e9</size><uri>file:///etc/passwd</uri></resource>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>',
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
    "호우경보".encode(), "태풍경보".encode(), "洪水".encode(), "台风".encode(), "🌊".encode(), "🌀".encode(),
    "\u202e".encode("utf-8"), "\u200b\u202e".encode("utf-8"),
)

#: Encoding names for the XML declaration: real ones, codecs that are not text encodings, nonsense.
ENCODING_NAMES = (
    "UTF-8", "utf-8", "UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32", "UTF-32LE", "ISO-8859-1", "ISO-8859-15",
    "latin1", "US-ASCII", "ASCII", "windows-1252", "windows-1251", "EUC-KR", "CP949", "ks_c_5601-1987",
    "Big5", "Big5-HKSCS", "GBK", "GB2312", "GB18030", "Shift_JIS", "EUC-JP", "ISO-2022-JP", "ISO-2022-KR",
    "HZ-GB-2312", "KOI8-R", "KOI8-U", "cp037", "cp500", "base64", "quopri", "rot13", "rot_13", "hex", "zlib",
    "bz2", "uu", "utf-7", "utf_7", "unicode_escape", "unicode-escape", "raw_unicode_escape", "idna",
    "punycode", "undefined", "mbcs", "x-unknown", "x-made-up", "", " ", "a b", "a;b", "UTF-8\t", "UTF-8\x00",
    "utf-8'", "-", "9", "u" * 200, "x" * 300,
)

#: Odd but well-formed element content: what a sender may really put in a field.
VALUES = (
    "", " ", "  ", "\t\n", "\n", "0", "-0", "-0.0", "nan", "NaN", "inf", "Infinity", "1e999", "1e308", "-1",
    "-999", "91,181 5", "90.0001,180 1", "1,2 3,4", "1 2 3 4", "1,2,3", "1,", ",,", "0,0", "0,0 1,1 2,2",
    "0,0 0,0 0,0 0,0", "2024-02-30T25:61:00+99:00", "2025-02-29T24:00:00+14:01", "2024-01-01T00:00:00Z",
    "2025-06-01T12:00:00-00:00", "yesterday", "now", "Cancel", "cancel", "CANCEL", "Update", "Ack", "Error",
    "Extreme", "extreme", " severe ", "Minor", "Unknown", "Very Likely", "Past", "Observed", "Draft", "Test",
    "Exercise", "System", "ko", "ko-KR", "zh-TW", "fr", "es-MX", "xx-YY", "Flood", "Tsunami", "Typhoon",
    "Earthquake", "Wildfire", "Heat", "Snow", "Storm", "Cyclone", "Landslide", "Volcano", "Drought",
    "Cold wave", "호우경보", "지진", "대설경보", "산불", "台风红色预警", "暴雨蓝色预警", "FLW", "TOR", "WSW", "EQW",
    "HUW", "FFW", "x" * 5000, "y" * 8000, "\u202e\u200b", "\u0301\u200d", "🌊" * 20, "⚠" * 50, "&<>\"'", "]]>",
)

#: Codecs the whole document is re-encoded in.
CODECS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "latin-1", "cp1252", "euc-kr",
          "cp949", "big5", "gbk", "gb18030", "shift_jis", "cp037", "cp500")
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}

KINDS = ("flip", "delete", "insert", "truncate", "deep", "duplicate", "retext", "graft", "swap", "declare",
         "transcode")

_ELEMENT = re.compile(rb"<([A-Za-z][\w:.-]*)\b[^<>]*>[^<]*</\1>")
_START_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")
_ENCODING = re.compile(rb"""encoding\s*=\s*(["'])[^"']*\1""")
_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
_TAG_END = re.compile(rb">")


def mutate(data: bytes, op: tuple) -> bytes:
    """``data`` with the mutation ``op`` (``(kind, *arguments)``, see the module's table) applied."""
    kind, *args = op
    if kind not in _APPLY:
        raise ValueError(f"unknown mutation {kind!r}; kinds: {', '.join(KINDS)}")
    return _APPLY[kind](data, *args)


def _flip(data: bytes, pos: int, mask: int) -> bytes:
    if not data:
        return data
    pos %= len(data)
    return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1:]


def _delete(data: bytes, pos: int, length: int) -> bytes:
    pos %= len(data) + 1
    return data[:pos] + data[pos + length:]


def _insert(data: bytes, pos: int, fragment: bytes) -> bytes:
    pos %= len(data) + 1
    return data[:pos] + fragment + data[pos:]


def _truncate(data: bytes, pos: int) -> bytes:
    return data[:pos % (len(data) + 1)]


def _deep(data: bytes, pos: int, depth: int, closed: bool) -> bytes:
    return _insert(data, pos, b"<a>" * depth + (b"</a>" * depth if closed else b""))


def _leaf(data: bytes, index: int) -> re.Match | None:
    """The ``index``-th leaf element (modulo their count), or None when there is none."""
    found = list(_ELEMENT.finditer(data))
    return found[index % len(found)] if found else None


def _duplicate(data: bytes, index: int, times: int) -> bytes:
    m = _leaf(data, index)
    if m is None:
        return data
    return data[:m.end()] + m.group(0) * times + data[m.end():]


def _retext(data: bytes, index: int, value: str) -> bytes:
    m = _leaf(data, index)
    if m is None:
        return data
    open_end = data.index(b">", m.start()) + 1
    close_start = data.rindex(b"</", m.start(), m.end())
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8")
    return data[:open_end] + escaped + data[close_start:]


def _graft(data: bytes, index: int, fragment: bytes) -> bytes:
    ends = list(_TAG_END.finditer(data))
    if not ends:
        return data
    pos = ends[index % len(ends)].end()
    return data[:pos] + fragment + data[pos:]


def _swap(data: bytes, i: int, j: int) -> bytes:
    tags = list(_START_TAG.finditer(data))
    if len(tags) < 2:
        return data
    a, b = sorted((i % len(tags), j % len(tags)))
    if a == b:
        return data
    ta, tb = tags[a], tags[b]
    return data[:ta.start(1)] + tb.group(1) + data[ta.end(1):tb.start(1)] + ta.group(1) + data[tb.end(1):]


def _declare(data: bytes, name: str) -> bytes:
    value = b"encoding='" + name.encode("latin-1", "replace") + b"'"
    if _ENCODING.search(data[:300]):
        return _ENCODING.sub(lambda m: value, data, count=1)
    decl = _DECL.match(data)
    if decl:
        return data[:decl.end() - 2] + b" " + value + data[decl.end() - 2:]
    return b"<?xml version='1.0' " + value + b"?>" + data


def _transcode(data: bytes, codec: str, bom: bool, relabel: bool) -> bytes:
    text = data.decode("utf-8", "replace")
    if relabel:
        text = re.sub(r"""encoding\s*=\s*(["'])[^"']*\1""", f"encoding='{codec}'", text, count=1)
    return (BOMS.get(codec, b"") if bom else b"") + text.encode(codec, "replace")


_APPLY = {"flip": _flip, "delete": _delete, "insert": _insert, "truncate": _truncate, "deep": _deep,
          "duplicate": _duplicate, "retext": _retext, "graft": _graft, "swap": _swap, "declare": _declare,
          "transcode": _transcode}


def describe(op: tuple) -> str:
    """A short text for a mutation, e.g. ``insert@120 b'<!DOCTYPE'``."""
    kind, *args = op
    shown = [repr(a[:24]) if isinstance(a, (bytes, str)) else str(a) for a in args]
    return f"{kind} {' '.join(shown)}"


class RandomMutator:
    """Seeded random mutations: one to five of them per call, each kind equally likely.

    ``RandomMutator(seed)(data)`` returns the mutated bytes and the mutations applied; the same seed gives
    the same sequence. :attr:`rng` may also pick the samples, as ``bench/fuzz_alerts.py`` does."""

    COUNTS = (1, 1, 1, 2, 2, 3, 5)

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def __call__(self, data: bytes) -> tuple[bytes, list[tuple]]:
        ops = [self.draw() for _ in range(self.rng.choice(self.COUNTS))]
        for op in ops:
            data = mutate(data, op)
        return data, ops

    def draw(self) -> tuple:
        """One random mutation."""
        rng = self.rng
        kind = rng.choice(KINDS)
        pos, index = rng.randrange(1 << 20), rng.randrange(500)
        if kind == "flip":
            return kind, pos, rng.randint(1, 255)
        if kind == "delete":
            return kind, pos, rng.randint(1, 64)
        if kind == "insert":
            if rng.random() < 0.5:
                return kind, pos, bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            return kind, pos, rng.choice(FRAGMENTS) * rng.choice((1, 1, 1, 2, 10))
        if kind == "truncate":
            return kind, pos
        if kind == "deep":
            return kind, pos, rng.choice((10, 63, 64, 65, 100, 1000, 20_000)), rng.random() < 0.5
        if kind == "duplicate":
            return kind, index, rng.choice((1, 2, 5, 100))
        if kind == "retext":
            return kind, index, rng.choice(VALUES)
        if kind == "graft":
            return kind, index, rng.choice(FRAGMENTS)
        if kind == "swap":
            return kind, index, rng.randrange(500)
        if kind == "declare":
            return kind, rng.choice(ENCODING_NAMES)
        return kind, rng.choice(CODECS), rng.random() < 0.5, rng.random() < 0.7
