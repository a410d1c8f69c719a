"""Fuzzing the alert readers with mutated real CAP samples.

The property: reading any bytes either succeeds or raises :class:`InputError` with a one-line message.
Nothing else may escape (TypeError, ValueError, RecursionError, UnicodeError, KeyError, IndexError ...),
since the command line shows an InputError as one line and anything else as a crash.

Each example is a real sample from ``tests/data/cap`` with one to five mutations applied: byte flips,
deletions, truncation, hostile fragments (DTDs, entity references, CDATA markers, invalid UTF-8, NULs),
deep runs of open tags, duplicated elements, swapped tag names, odd field values, fragments grafted
between tags, another encoding named in the declaration, or the whole document re-encoded.
``-m slow`` runs many more examples.
"""
from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinealert.alerts.xmlsafe import parse_xml
from cinealert.errors import InputError

CAP_DIR = Path(__file__).parent / "data" / "cap"
SAMPLES = {p.name: p.read_bytes() for p in sorted(CAP_DIR.glob("*.xml"))}

HOSTILE = (
    b"<!DOCTYPE", b"<!DOCTYPE alert>", b'<!DOCTYPE a [<!ENTITY x "y">]>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b'<!ENTITY % p "x">', b"%p;",
    b"&x;", b"&", b"&amp;", b"&#0;", b"&#x110000;", b"&#x41;", b"&lt;",
    b"<![CDATA[", b"]]>", b"<![CDATA[x]]>", b"<!--", b"-->", b"<!-- c -->",
    b"<?xml version='1.0'?>", b"<?xml-stylesheet href='x'?>", b"<?", b"?>",
    b"<", b">", b"</", b"/>", b"'", b'"', b"=", b" ", b"\n",
    b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xe2\x82", b"\x80", b"\xc0\xaf",
    b"<cap:alert>", b"xmlns:cap='urn:oasis:names:tc:emergency:cap:1.2'", b"xmlns=''", b"xmlns:x=''",
    b"<alert>", b"</alert>", b"<info>", b"</info>", b"<area>", b"</area>",
    b"<event>Flood</event>", b"<event></event>", b"<msgType>Cancel</msgType>",
    b"<polygon>1,2 3,4 5,6 1,2</polygon>", b"<polygon>nan,inf 1e999,-0</polygon>", b"<circle>1,2 -3</circle>",
    b"<circle>91,181 1e308</circle>", b"<language>ko-KR</language>", b"<language></language>",
    b"<sent>2024-13-45T99:99:99+99:99</sent>", b"<eventCode><valueName>x</valueName></eventCode>",
    b"<value>", b"</value>", b"<geocode>", b"<resource><size>-1</size></resource>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>',
    "호우경보".encode(), "洪水".encode(), "🌊".encode(), "\u202e".encode("utf-8"),
)

DECLARED = (
    "UTF-8", "utf-8", "UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32", "ISO-8859-1", "latin1", "US-ASCII",
    "windows-1252", "EUC-KR", "CP949", "ks_c_5601-1987", "Big5", "GBK", "GB2312", "GB18030", "Shift_JIS",
    "ISO-2022-JP", "HZ-GB-2312", "KOI8-R", "cp037", "base64", "rot13", "hex", "zlib", "bz2", "uu",
    "utf-7", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "x-unknown",
    "", " ", "a b", "UTF-8\x00", "utf-8'", "-", "9", "u" * 200,
)
#: Odd but well-formed element content: what a sender may really put in a field.
TEXTS = (
    "", " ", "\t\n", "0", "-0", "nan", "inf", "1e999", "-1", "91,181 5", "1,2 3,4", "1,2,3", ",,",
    "0,0 0,0 0,0 0,0", "2024-02-30T25:61:00+99:00", "2024-01-01T00:00:00Z", "yesterday", "Cancel", "cancel",
    "Update", "Ack", "Error", "Extreme", " severe ", "Unknown", "Very Likely", "Draft", "Test", "ko", "zh-TW",
    "xx-YY", "Flood", "Tsunami", "Typhoon", "Earthquake", "Wildfire", "Heat", "Snow", "호우경보", "지진",
    "台风红色预警", "FLW", "TOR", "WSW", "x" * 5000, "\u202e\u200b", "🌊" * 20, "&<>\"'",
)
TRANSCODE = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "latin-1", "cp1252", "euc-kr",
             "cp949", "big5", "gbk", "shift_jis", "cp037")
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}

_ELEMENT = re.compile(rb"<([A-Za-z][\w:.-]*)\b[^<>]*>[^<]*</\1>")
_START_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")
_ENCODING = re.compile(rb"""encoding\s*=\s*(["'])[^"']*\1""")
_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
_TAG_END = re.compile(rb">")


# --------------------------------------------------------------------------------------------------
# Mutations: each is a tuple (kind, *arguments); positions are taken modulo the length.

def mutate(data: bytes, op: tuple) -> bytes:
    kind, *args = op
    n = len(data)
    if kind == "flip":
        pos, mask = args
        if not n:
            return data
        pos %= n
        return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1:]
    if kind == "delete":
        pos, length = args
        pos %= n + 1
        return data[:pos] + data[pos + length:]
    if kind == "insert":
        pos, fragment = args
        pos %= n + 1
        return data[:pos] + fragment + data[pos:]
    if kind == "truncate":
        (pos,) = args
        return data[:pos % (n + 1)]
    if kind == "deep":
        pos, depth, closed = args
        pos %= n + 1
        return data[:pos] + b"<a>" * depth + (b"</a>" * depth if closed else b"") + data[pos:]
    if kind == "duplicate":
        index, times = args
        found = list(_ELEMENT.finditer(data))
        if not found:
            return data
        m = found[index % len(found)]
        return data[:m.end()] + m.group(0) * times + data[m.end():]
    if kind == "retext":
        index, value = args
        found = list(_ELEMENT.finditer(data))
        if not found:
            return data
        m = found[index % len(found)]
        open_end = data.index(b">", m.start()) + 1
        close_start = data.rindex(b"</", m.start(), m.end())
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8")
        return data[:open_end] + escaped + data[close_start:]
    if kind == "graft":
        index, fragment = args
        ends = list(_TAG_END.finditer(data))
        if not ends:
            return data
        pos = ends[index % len(ends)].end()
        return data[:pos] + fragment + data[pos:]
    if kind == "swap":
        i, j = args
        tags = list(_START_TAG.finditer(data))
        if len(tags) < 2:
            return data
        a, b = sorted((i % len(tags), j % len(tags)))
        if a == b:
            return data
        ta, tb = tags[a], tags[b]
        return (data[:ta.start(1)] + tb.group(1) + data[ta.end(1):tb.start(1)] + ta.group(1)
                + data[tb.end(1):])
    if kind == "declare":
        (name,) = args
        value = b"encoding='" + name.encode("latin-1", "replace") + b"'"
        if _ENCODING.search(data[:300]):
            return _ENCODING.sub(lambda m: value, data, count=1)
        decl = _DECL.match(data)
        if decl:
            return data[:decl.end() - 2] + b" " + value + data[decl.end() - 2:]
        return b"<?xml version='1.0' " + value + b"?>" + data
    if kind == "transcode":
        codec, bom, relabel = args
        text = data.decode("utf-8", "replace")
        if relabel:
            text = re.sub(r"""encoding\s*=\s*(["'])[^"']*\1""", f"encoding='{codec}'", text, count=1)
        return (BOMS.get(codec, b"") if bom else b"") + text.encode(codec, "replace")
    raise AssertionError(f"unknown mutation {kind}")


positions = st.integers(min_value=0, max_value=1 << 20)
OPS = st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(1, 255)),
    st.tuples(st.just("delete"), positions, st.integers(1, 64)),
    st.tuples(st.just("insert"), positions, st.sampled_from(HOSTILE)),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=12)),
    st.tuples(st.just("truncate"), positions),
    st.tuples(st.just("deep"), positions, st.integers(1, 3000), st.booleans()),
    st.tuples(st.just("duplicate"), st.integers(0, 500), st.integers(1, 50)),
    st.tuples(st.just("swap"), st.integers(0, 500), st.integers(0, 500)),
    st.tuples(st.just("retext"), st.integers(0, 500), st.sampled_from(TEXTS) | st.text(max_size=40)),
    st.tuples(st.just("graft"), st.integers(0, 500), st.sampled_from(HOSTILE)),
    st.tuples(st.just("declare"), st.sampled_from(DECLARED)),
    st.tuples(st.just("transcode"), st.sampled_from(TRANSCODE), st.booleans(), st.booleans()),
)


@st.composite
def mutated_samples(draw) -> bytes:
    data = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    for op in draw(st.lists(OPS, min_size=1, max_size=5)):
        data = mutate(data, op)
    return data


def check_message(error: InputError) -> None:
    message = str(error)
    assert message.strip(), "an InputError with an empty message"
    assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"


# --------------------------------------------------------------------------------------------------
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
              HealthCheck.filter_too_much]
DEFAULT = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                   suppress_health_check=SUPPRESSED)
SLOW = settings(max_examples=20_000, deadline=None, derandomize=False, database=None,
                suppress_health_check=SUPPRESSED)


def _parse_xml_property(data: bytes) -> None:
    try:
        root = parse_xml(data)
    except InputError as e:
        check_message(e)
        assert len(str(e)) < 400, str(e)
    else:
        assert isinstance(root, Element)


def _read_bytes_property(data: bytes) -> None:
    from cinealert.alerts import Alert, read_bytes
    try:
        alert = read_bytes(data)
    except InputError as e:
        check_message(e)
    else:
        assert isinstance(alert, Alert)


@DEFAULT
@given(mutated_samples())
def test_parse_xml_survives_mutated_samples(data):
    _parse_xml_property(data)


@DEFAULT
@given(mutated_samples())
def test_read_bytes_survives_mutated_samples(data):
    _read_bytes_property(data)


@pytest.mark.slow
@SLOW
@given(mutated_samples())
def test_parse_xml_survives_many_mutated_samples(data):
    _parse_xml_property(data)


@pytest.mark.slow
@SLOW
@given(mutated_samples())
def test_read_bytes_survives_many_mutated_samples(data):
    _read_bytes_property(data)


# --------------------------------------------------------------------------------------------------
def test_mutations_do_what_they_say():
    sample = b"<?xml version='1.0' encoding='UTF-8'?><alert><a>1</a><b>2</b></alert>"
    assert mutate(sample, ("flip", 1, 0x20)).startswith(b"<\x1fxml")
    assert mutate(sample, ("truncate", 10)) == sample[:10]
    assert mutate(sample, ("delete", 0, 5)) == sample[5:]
    assert mutate(sample, ("insert", 0, b"X")) == b"X" + sample
    assert b"<a>1</a><a>1</a><a>1</a>" in mutate(sample, ("duplicate", 0, 2))
    assert mutate(sample, ("swap", 2, 2)) == sample
    swapped = mutate(sample, ("swap", 1, 2))
    assert b"<b>1</a><a>2</b>" in swapped
    assert b"encoding='base64'" in mutate(sample, ("declare", "base64"))
    assert mutate(b"<a/>", ("declare", "GBK")) == b"<?xml version='1.0' encoding='GBK'?><a/>"
    assert mutate(b"<?xml version='1.0'?><a/>", ("declare", "GBK")) == b"<?xml version='1.0' encoding='GBK'?><a/>"
    assert mutate(sample, ("transcode", "utf-16-le", True, True)).startswith(b"\xff\xfe<\x00?\x00")
    assert mutate(b"<r/>", ("deep", 2, 2, True)) == b"<r<a><a></a></a>/>"
    assert b"<b>&lt;x &amp; y</b>" in mutate(sample, ("retext", 1, "<x & y"))
    assert mutate(b"<r><a/></r>", ("graft", 1, b"<b/>")) == b"<r><a/><b/></r>"


def test_every_sample_is_read_by_parse_xml():
    for name, data in SAMPLES.items():
        assert isinstance(parse_xml(data), Element), name
