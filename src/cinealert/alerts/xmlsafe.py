"""The one safe way cinealert turns untrusted bytes into an XML element tree.

Alerts arrive from feeds, files and message queues that nobody here controls, so the XML reader
assumes the worst of them:

* **No DTD at all.** A document type declaration is refused outright: no alert format needs one, and
  DTDs carry every classic XML attack (entity expansion such as "billion laughs" and "quadratic
  blowup", external entities that read local files or reach the network, parameter entities).
  Parsing runs on defusedxml's parser with ``forbid_dtd``, ``forbid_entities`` and
  ``forbid_external`` all set, so nothing is ever resolved or fetched. ElementTree does not process
  XInclude either: an ``<xi:include>`` stays an ordinary, inert element.
* **Bounded work and memory.** The size is checked before anything is decoded, and the tree builder
  counts elements as the parser reports them, stopping at once when the nesting or the number of
  elements passes its limit (a million nested elements are refused after the 65th, not after the
  whole tree was built).
* **One clear line for every failure.** Whatever is wrong becomes an :class:`InputError` whose
  message is a single line that says what was wrong and, where it helps, where (line and column).

Decoding is done here rather than by the parser, whose own support of encodings is narrow: a
byte-order mark (UTF-8/16/32), UTF-16/32 without one (recognised by the pattern of NUL bytes around
the first ``<``), or the encoding named by the XML declaration (ISO-8859-x, windows-125x, EUC-KR and
CP949, Big5, GB2312/GBK/GB18030, Shift_JIS, KOI8 ...) is honoured, and the parser then reads UTF-8.
"""
from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from cinealert.errors import InputError

__all__ = ["MAX_ATTRIBUTES", "MAX_BYTES", "MAX_DEPTH", "MAX_ELEMENTS", "decode_xml", "parse_xml"]

#: Largest input read, in bytes, checked before any decoding. A CAP alert is a few kB (the bilingual
#: Canadian samples with long polygons reach ~20 kB); an ATOM index of a national feed reaches 1-2 MB
#: on a busy day. 4 MiB leaves room for both and bounds the decoded text and the tree built from it.
MAX_BYTES = 4 * 1024 * 1024

#: Deepest nesting of elements (the root is depth 1). CAP nests five deep (alert/info/area/geocode/
#: value), a feed wrapping alerts about ten; 64 is far past any real document and stops nesting
#: bombs long before they cost anything.
MAX_DEPTH = 64

#: Most elements in one document. A CAP alert has tens to a few hundred; an ATOM index of ~1000
#: entries about 20 000. At 100 000 the tree stays near 10 MB even for the smallest elements.
MAX_ELEMENTS = 100_000

#: Most attributes on one element. CAP puts none but namespace declarations on its elements, ATOM a
#: handful (``<link href rel type>``); 256 refuses the "attribute bomb" while staying generous.
MAX_ATTRIBUTES = 256

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),   # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")

_DECL = re.compile(r"<\?xml[ \t\r\n][^>]*?\?>")
_DECL_ENCODING = re.compile(r"""(encoding[ \t\r\n]*=[ \t\r\n]*)(["'])([^"']*)\2""")
#: An encoding name as the XML specification spells it (``EncName``), with a sane length.
_ENC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,63}")
_LEADING_SPACE = "\ufeff \t\r\n"

#: Codecs that decode bytes to text but are no character set for a document: they interpret escapes
#: (``\x3c`` would become ``<``), shift markup past filters (UTF-7) or are meant for host names.
_REFUSED_CODECS = frozenset({
    "unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "utf-7",
})
#: Labels that real senders use for a larger character set than they name: when the text is not
#: valid in the named one, the superset (as browsers read it) is tried before giving up.
_SUPERSETS = {
    "euc_kr": ("cp949",),
    "gb2312": ("gbk", "gb18030"),
    "gbk": ("gb18030",),
    "big5": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932",),
}

_EXPAT = xml.parsers.expat.errors
#: Clearer words for the parser's most frequent complaints about untrusted input.
_PARSE_MESSAGES = {
    _EXPAT.XML_ERROR_NO_ELEMENTS: "no complete root element (the document is empty or was cut short)",
    _EXPAT.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "content after the end of the root element",
    _EXPAT.XML_ERROR_UNDEFINED_ENTITY:
        "undefined entity (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)",
    _EXPAT.XML_ERROR_UNCLOSED_TOKEN: "unclosed token (the document may be cut short)",
    _EXPAT.XML_ERROR_MISPLACED_XML_PI: "XML declaration not at the start of the document",
}


# --------------------------------------------------------------------------------------------------
def decode_xml(data: bytes) -> str:
    """Bytes of an XML document -> its text, ready for a UTF-8 parser.

    The encoding is taken from a byte-order mark, else from the pattern of NUL bytes of UTF-16/32
    without a mark, else from the XML declaration, else UTF-8. The returned text has no BOM and no
    whitespace before the declaration, and its declaration (if any) names UTF-8.

    Raises :class:`InputError` (one line) for empty input, an unknown or unsuitable encoding, bytes
    that are not valid in the encoding, and NUL characters.
    """
    return _decode(data)[0]


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              max_elements: int = MAX_ELEMENTS, max_attributes: int = MAX_ATTRIBUTES) -> Element:
    """Parse untrusted ``data`` safely and return the root element.

    The size is checked first, then the bytes are decoded (:func:`decode_xml`) and parsed with no
    DTD, no entity declarations and no external references. Parsing stops as soon as an element is
    nested deeper than ``max_depth``, the document holds more than ``max_elements`` elements, or one
    element has more than ``max_attributes`` attributes. Every failure is an :class:`InputError`
    with a one-line message; nothing is ever read from disk or the network.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise InputError(f"input is {_size(len(data))}; the limit for an XML alert is {_size(max_bytes)}")
    text, line_shift = _decode(bytes(data))
    builder = _LimitedTreeBuilder(max_depth, max_elements, max_attributes)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    expat = parser.parser
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as e:       # a lone surrogate: no accepted codec makes one, but be sure
        raise InputError(f"malformed XML: an invalid character (lone surrogate) at offset {e.start}") from None
    try:
        parser.feed(encoded)
        root = parser.close()
    except _LimitExceeded as e:
        raise InputError(_one_line(f"{e} ({_where(expat, line_shift)})")) from None
    except defusedxml.DTDForbidden:
        raise InputError(_one_line(
            f"refusing XML with a document type declaration (DTD) at line "
            f"{expat.CurrentLineNumber + line_shift}: alerts never need one, and DTDs carry "
            f"entity-expansion ('billion laughs') and external-entity attacks")) from None
    except defusedxml.EntitiesForbidden:
        raise InputError(_one_line(
            f"refusing XML that declares entities at line {expat.CurrentLineNumber + line_shift} "
            f"(possible entity-expansion 'billion laughs' attack)")) from None
    except defusedxml.ExternalReferenceForbidden:
        raise InputError(_one_line(
            f"refusing XML that refers to an external resource (external entity) at line "
            f"{expat.CurrentLineNumber + line_shift}")) from None
    except defusedxml.DefusedXmlException as e:
        raise InputError(_one_line(f"refusing unsafe XML: {type(e).__name__}")) from None
    except ParseError as e:
        raise InputError(_one_line(_parse_error_message(e, line_shift))) from None
    if not isinstance(root, Element):     # an expat that accepted a document without an element
        raise InputError("malformed XML: no root element")
    return root


# --------------------------------------------------------------------------------------------------
class _LimitExceeded(Exception):
    """Raised inside the parser's callbacks; turned into an InputError with the position."""


class _LimitedTreeBuilder(TreeBuilder):
    """A TreeBuilder that counts as it goes and stops the parse as soon as a limit is passed."""

    def __init__(self, max_depth: int, max_elements: int, max_attributes: int):
        super().__init__()
        self.max_depth = max_depth
        self.max_elements = max_elements
        self.max_attributes = max_attributes
        self.depth = 0
        self.count = 0

    def start(self, tag, attrs):
        self.depth += 1
        self.count += 1
        if self.depth > self.max_depth:
            raise _LimitExceeded(f"XML nested deeper than {self.max_depth} elements")
        if self.count > self.max_elements:
            raise _LimitExceeded(f"XML has more than {self.max_elements} elements; an alert needs far fewer")
        if len(attrs) > self.max_attributes:
            raise _LimitExceeded(f"an XML element has {len(attrs)} attributes, more than the "
                                 f"{self.max_attributes} allowed")
        return super().start(tag, attrs)

    def end(self, tag):
        self.depth -= 1
        return super().end(tag)


def _decode(data: bytes) -> tuple[str, int]:
    """:func:`decode_xml`, plus the number of line breaks removed from the front (for positions)."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    encoding = None
    body = data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom):]
            break
    if encoding is None:
        encoding = _sniff_wide(data)
    declared = None
    if encoding is None:
        declared = _declared_encoding(data)
        encoding = declared or "utf-8"
        if _canonical(encoding) in _WIDE:
            # The bytes are plainly 8-bit (no NUL pattern): a declaration naming UTF-16/32 is a
            # common slip of writers that re-encode without fixing it. Read the bytes as UTF-8.
            encoding = declared = "utf-8"
    if not body.strip(b" \t\r\n\x00"):
        raise InputError("empty input: there is no XML to read")
    text = _decode_with(body, encoding, declared is not None, len(data) - len(body))
    stripped = text.lstrip(_LEADING_SPACE)
    line_shift = text.count("\n", 0, len(text) - len(stripped))
    text = stripped
    if not text:
        raise InputError("empty input: there is no XML to read")
    if declared is not None and not text.startswith("<?xml"):
        raise InputError(_one_line(
            f"the XML declaration names the encoding {declared!r}, but the document does not read as "
            f"{declared!r} text"))
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1 + line_shift
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise InputError(f"malformed XML: a NUL character at line {line}, column {column} "
                         f"(XML text cannot contain NUL)")
    decl = _DECL.match(text)
    if decl:
        fixed = _DECL_ENCODING.sub(lambda m: f"{m.group(1)}{m.group(2)}UTF-8{m.group(2)}", decl.group(0))
        text = fixed + text[decl.end():]
    return text, line_shift


def _sniff_wide(data: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, from where the NULs fall around the first ASCII character."""
    head = data[:4]
    if len(head) < 4:
        if len(head) >= 2 and head[0] and not head[1] and head[0] < 0x80:
            return "utf-16-le"
        if len(head) >= 2 and not head[0] and head[1] and head[1] < 0x80:
            return "utf-16-be"
        return None
    a, b, c, d = head
    if not a and not b and not c and d and d < 0x80:
        return "utf-32-be"
    if a and not b and not c and not d and a < 0x80:
        return "utf-32-le"
    if not a and b and not c and b < 0x80:
        return "utf-16-be"
    if a and not b and not d and a < 0x80:
        return "utf-16-le"
    return None


def _declared_encoding(data: bytes) -> str | None:
    """The encoding named by the XML declaration of 8-bit ``data``, or None when none is named."""
    head = data[:4096].decode("latin-1").lstrip(_LEADING_SPACE)
    decl = _DECL.match(head)
    if not decl:
        return None
    found = _DECL_ENCODING.search(decl.group(0))
    if not found:
        return None
    name = found.group(3).strip()
    if not _ENC_NAME.fullmatch(name):
        raise InputError(f"malformed XML declaration: {name[:40]!r} is not an encoding name")
    return name


def _canonical(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None


def _decode_with(body: bytes, encoding: str, declared: bool, skipped: int) -> str:
    """``body`` decoded; ``skipped`` is the length of the byte-order mark before it (for offsets)."""
    where = "in the XML declaration" if declared else ""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError):
        raise InputError(_one_line(f"unknown encoding {encoding!r} {where}".rstrip())) from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(_one_line(f"encoding {encoding!r} {where} is not a character encoding"))
    if info.name in _REFUSED_CODECS:
        raise InputError(_one_line(f"encoding {encoding!r} {where} is not accepted for XML alerts "
                                   f"(use UTF-8)"))
    try:
        return body.decode(info.name)
    except UnicodeDecodeError as e:
        first = e
    except (UnicodeError, ValueError, LookupError):
        raise InputError(_one_line(f"cannot decode the document as {encoding!r}")) from None
    for wider in _SUPERSETS.get(info.name, ()):
        try:
            return body.decode(wider)
        except (UnicodeError, ValueError, LookupError):
            continue
    raise InputError(_one_line(_bad_bytes_message(body, info.name, encoding, first, skipped))) from None


def _bad_bytes_message(body: bytes, canonical: str, shown: str, e: UnicodeDecodeError, skipped: int) -> str:
    bad = body[e.start] if e.start < len(body) else None
    what = f"byte 0x{bad:02x}" if bad is not None else "a truncated character"
    if canonical.startswith(("utf-8", "utf-16", "utf-32")):
        label = canonical[:6].upper()
    else:
        label = repr(shown)
    if canonical.startswith(("utf-16", "utf-32")):
        return f"malformed XML: not valid {label} text ({what} at offset {e.start + skipped})"
    line = body.count(b"\n", 0, e.start) + 1
    column = e.start - (body.rfind(b"\n", 0, e.start) + 1) + 1
    return f"malformed XML: not valid {label} text ({what} at line {line}, column {column})"


def _parse_error_message(e: ParseError, line_shift: int) -> str:
    code = getattr(e, "code", None)
    reason = xml.parsers.expat.ErrorString(code) if isinstance(code, int) else None
    if not reason:
        reason = str(e).split(":", 1)[0] or "not well-formed"
    reason = _PARSE_MESSAGES.get(reason, reason)
    position = getattr(e, "position", None)
    if position and len(position) == 2:
        line, column = position
        return f"malformed XML: {reason} at line {line + line_shift}, column {column + 1}"
    return f"malformed XML: {reason}"


def _where(expat, line_shift: int) -> str:
    return f"at line {expat.CurrentLineNumber + line_shift}, column {expat.CurrentColumnNumber + 1}"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        value, unit = n / (1024 * 1024), "MiB"
    elif n >= 1024:
        value, unit = n / 1024, "KiB"
    else:
        return f"{n} bytes"
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def _one_line(message: str) -> str:
    return " ".join(message.split())
