"""Korean emergency disaster-text records (긴급재난문자), the JSON that the Ministry of the Interior and
Safety (행정안전부, MOIS) publishes of every cell-broadcast message it sent.

Shapes read (field names compare case-insensitively; values may be strings or numbers):

* the current open API: records with ``SN`` (serial), ``CRT_DT`` (creation time, ``2023/07/15 06:32:14``),
  ``MSG_CN`` (the message), ``RCPTN_RGN_NM`` (receiving regions, comma-separated), ``EMRG_STEP_NM``
  (위급재난 / 긴급재난 / 안전안내), ``DST_SE_NM`` (disaster category: 호우, 대설, 지진, 감염병, ...),
  ``REG_YMD`` and ``MDFCN_YMD``, usually wrapped as ``{"header": {...}, "numOfRows": .., "pageNo": ..,
  "totalCount": .., "body": [records]}``;
* the older API: ``{"DisasterMsg": [{"head": [...]}, {"row": [records]}]}`` with ``md101_sn``,
  ``create_date``, ``location_id``, ``location_name``, ``msg`` and ``send_platform``;
* one bare record, a list of records, or records under other wrapper keys (``response``/``body``/
  ``items``/``item`` ...): records are looked for down to :data:`MAX_DEPTH` levels of nesting.

Each record becomes one :class:`Alert` (``source="mois"``) with one Korean :class:`Info` block.
:meth:`MoisParser.parse_all` returns them in file order (the order the service listed them; sort by
``Alert.sent`` for newest first); :meth:`MoisParser.parse` picks the one to show.

The disaster type comes from ``DST_SE_NM`` first, then from a KMA warning named in the text
(``호우주의보``), then from words of the text. A category that is known but has no picture (감염병, 실종,
정전, ...) reads with ``disaster=None`` and the warning ``no visual template for event '감염병'``: the
caller refuses to make media for it. Only input that yields no record at all raises :class:`InputError`.
"""
from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime, timedelta, timezone

from cinealert.alerts.keyword import trim_text
from cinealert.alerts.model import Alert, Area, Info, MultiMap
from cinealert.disasters import (
    GENERIC_CATEGORIES,
    DisasterType,
    cap_category,
    detect_disaster,
    detect_level,
    disaster_for_name,
    kma_warning,
    kma_warning_for,
    non_visual_event,
)
from cinealert.errors import InputError

#: Largest input read, in bytes (characters for a ``str``); checked before any parsing.
MAX_BYTES = 8 * 1024 * 1024

#: Most records one input may hold.
MAX_RECORDS = 10_000

#: How many nested containers may hold a record (the older API's rows sit inside four: the document, the
#: ``DisasterMsg`` list, the ``row`` object and its list). Deeper values are not looked at; JSON nested
#: past the interpreter's recursion limit is refused as such.
MAX_DEPTH = 8


#: Korea Standard Time: creation times without an offset are read in it.
KST = timezone(timedelta(hours=9), "KST")

#: ``EMRG_STEP_NM`` (the message tier) -> (severity, urgency, certainty) in CAP's vocabulary.
#: 위급재난 goes out for national crises (air raid, earthquakes of magnitude 6 and more); 긴급재난 when a
#: disaster is striking near the receivers; 안전안내 for guidance, which today carries most KMA advisories
#: and warnings too, so it reads as a possible threat (Moderate) that is expected, not one that is minimal.
STEPS = {
    "위급재난": ("Extreme", "Immediate", "Observed"),
    "긴급재난": ("Severe", "Immediate", "Observed"),
    "안전안내": ("Moderate", "Expected", "Likely"),
}

# Field names (lower case) of both APIs, by role; the first present wins.
_SERIAL = ("sn", "md101_sn")
_CREATED = ("crt_dt", "create_date")
_MESSAGE = ("msg_cn", "msg")
_REGIONS = ("rcptn_rgn_nm", "location_name")
_STEP = ("emrg_step_nm",)
_CATEGORY = ("dst_se_nm", "disaster_name")
_MAPPED = _SERIAL + _CREATED + _MESSAGE + _REGIONS     # the rest is kept in Info.parameters

# One of these makes a JSON object a record; the older API's names are common words, so two are needed.
_STRONG_KEYS = frozenset({"msg_cn", "dst_se_nm", "rcptn_rgn_nm", "emrg_step_nm", "crt_dt", "md101_sn"})
_WEAK_KEYS = frozenset({"sn", "msg", "create_date", "location_name", "location_id", "send_platform",
                        "disaster_name", "reg_ymd", "mdfcn_ymd"})

_SENDER = re.compile(r"^\s*[\[［【]\s*([^\[\]［］【】\n]{1,40}?)\s*[\]］】]\s*")
# A sentence ends at . ! ? 。 and a space, but a number's dot is a date ("6. 25.(수) 14시경") unless a word
# follows it.
_SENTENCE_END = re.compile(r"(?<=[.!?。])(?<!\d\.)\s+|(?<=\d\.)\s+(?=[^\d\s(])|\n")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIME_SEP = re.compile(
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)
_TIME_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[T ]?(\d{2})(\d{2})(\d{2})?)?$")
_EXERCISE = re.compile(r"[\[(（［]\s*(훈련|연습)\s*[\])）］]")
_TEST = re.compile(r"[\[(（［]\s*(시험|테스트)\s*[\])）］]")
_RETRACTION = ("오발령", "오발송")


def to_iso(value: str) -> tuple[str | None, str]:
    """A creation time as ISO 8601, and a note ("" when none).

    Reads ``2023/07/15 06:32:14``, ``2023-07-15 06:32:14``, ``20230715063214`` and ISO 8601 with or
    without an offset; a time without one is Korea Standard Time (``+09:00``); one with an offset keeps
    it. A date alone reads as midnight, with a note. Unreadable values give ``(None, note)``.
    """
    text = value.strip()
    m = _TIME_SEP.match(text)
    if m:
        y, _, mo, d, h, mi, s, frac, zone = m.groups()
    else:
        m = _TIME_COMPACT.match(text)
        if not m:
            return None, "not a time"
        (y, mo, d, h, mi, s), frac, zone = m.groups(), None, None
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if zone is None:
        tz = KST
    elif zone.upper() == "Z":
        tz = UTC
    else:
        digits = zone.replace(":", "")
        minutes = int(digits[1:3]) * 60 + int(digits[3:5])
        if minutes >= 24 * 60:
            return None, "offset out of range"
        tz = timezone(timedelta(minutes=minutes if digits[0] == "+" else -minutes))
    try:
        t = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro, tzinfo=tz)
    except ValueError as e:
        return None, str(e)
    out = t.isoformat(timespec="seconds" if not micro else "milliseconds" if micro % 1000 == 0
                      else "microseconds")
    if zone is None:
        out = out[:-6] + "+09:00"
    return out, "" if h is not None else "has no time of day; read as midnight"


def _clean(value: str, *, keep_lines: bool = False) -> str:
    value = _SURROGATE.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = _CONTROL.sub(" ", value)
    if keep_lines:
        return "\n".join(" ".join(line.split()) for line in value.split("\n")).strip()
    return " ".join(value.split())


def _shown(value: str, limit: int = 40) -> str:
    """A value for a one-line warning: whitespace collapsed, cut, quoted."""
    value = " ".join(value.split())
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _scalar(value: object) -> str | None:
    """A JSON value as text: numbers without a spurious ``.0``, None for null and empty strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        value = _clean(value, keep_lines=True)
        return value or None
    return _clean(json.dumps(value, ensure_ascii=False))[:500] or None


def split_sender(message: str) -> tuple[str, str]:
    """``"[행정안전부] 오늘 ..."`` -> ``("행정안전부", "오늘 ...")``; ``("", message)`` without one."""
    m = _SENDER.match(message)
    if not m:
        return "", message.strip()
    return " ".join(m.group(1).split()), message[m.end():].strip()


def split_regions(value: str) -> list[str]:
    """``"충청북도 청주시 ,충청북도 괴산군"`` -> ``["충청북도 청주시", "충청북도 괴산군"]`` (order kept, no repeats)."""
    parts = (" ".join(p.split()) for p in re.split(r"[,，、\n]", value))
    return list(dict.fromkeys(p for p in parts if p))


def headline_of(body: str) -> str:
    """The first sentence of a message (without its sender), trimmed to :data:`cinealert.alerts.keyword.MAX_HEADLINE`."""
    first = _SENTENCE_END.split(body.strip(), maxsplit=1)[0]
    return trim_text(first)


class MoisParser:
    """Reads Korean emergency disaster-text records (긴급재난문자) published as JSON."""

    name = "mois"
    summary = ("Korean emergency disaster-text records (긴급재난문자, MOIS open API JSON: "
               "SN/CRT_DT/MSG_CN/RCPTN_RGN_NM, or the older DisasterMsg rows)")

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    # ----------------------------------------------------------------------------------------------
    def parse(self, data: bytes | str, *, lang: str | None = None) -> Alert:
        """The record of ``data`` to show: the first that can be pictured (and is no retraction), else
        the first. A file of several records gets a warning naming the one taken."""
        alerts, total = self._read(data, lang)
        pick = next((a for a in alerts if a.disaster is not None and a.makes_media), alerts[0])
        if total > 1:
            ident = f"SN {pick.identifier}" if pick.identifier else "no SN"
            pick.warnings.insert(0, f"read record {pick.position + 1} of {total} ({ident})")
        return pick

    def parse_all(self, data: bytes | str, *, lang: str | None = None) -> list[Alert]:
        """Every record of ``data`` as an :class:`Alert`, in file order.

        Args:
            data: the file's content: bytes (UTF-8 with or without BOM, UTF-16/32 with BOM, or CP949 /
                EUC-KR) or an already decoded ``str``.
            lang: the wanted language; records are Korean only, so any other gives a warning.

        Raises:
            InputError: input over :data:`MAX_BYTES`, undecodable bytes, malformed or too deeply nested
                JSON, JSON that holds no disaster-text record, more than :data:`MAX_RECORDS` records, or
                records that have neither a message nor a category.
        """
        return self._read(data, lang)[0]

    def _read(self, data: bytes | str, lang: str | None) -> tuple[list[Alert], int]:
        """The alerts of ``data`` and how many records it held (skipped ones included)."""
        notes: list[str] = []
        text = self.decode(data, notes)
        root = self.load(text)
        records = self.find_records(root)
        alerts: list[Alert] = []
        skipped: list[tuple[int, str]] = []
        for position, record in enumerate(records):
            try:
                alert = self.read_record(record)
            except _Unusable as e:
                skipped.append((position, str(e)))
                continue
            alert.position = position
            alerts.append(alert)
        if not alerts:
            position, why = skipped[0]
            where = f"record {position + 1} of {len(records)}" if len(records) > 1 else "the record"
            raise InputError(f"disaster-text JSON: {where} {why}: nothing to read")
        for position, why in skipped:
            notes.append(f"skipped record {position + 1} of {len(records)}: it {why}")
        if lang and not lang.strip().lower().startswith("ko"):
            notes.append(f"no info block in language {lang!r}; disaster texts are Korean only (ko-KR)")
        for alert in alerts:
            alert.warnings[:0] = notes
        return alerts, len(records)

    # ----------------------------------------------------------------------------------------------
    def decode(self, data: bytes | str, notes: list[str]) -> str:
        """The text of ``data``: UTF-8 (BOM or not), UTF-16/32 with a BOM, else CP949 with a note."""
        if isinstance(data, str):
            if len(data) > MAX_BYTES:
                raise InputError(f"disaster-text JSON is larger than {MAX_BYTES // 2**20} MiB "
                                 f"({len(data)} characters)")
            return data.lstrip("\ufeff")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes or str, got {type(data).__name__}.")
        if len(data) > MAX_BYTES:
            raise InputError(f"disaster-text JSON is larger than {MAX_BYTES // 2**20} MiB "
                             f"({len(data)} bytes)")
        data = bytes(data)
        for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                              (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                              (codecs.BOM_UTF16_BE, "utf-16")):
            if data.startswith(bom):
                try:
                    return data.decode(encoding).lstrip("\ufeff")
                except UnicodeDecodeError as e:
                    raise InputError(f"disaster-text JSON starts with a {encoding.upper()} byte order "
                                     f"mark but is not {encoding.upper()} (bad byte at offset "
                                     f"{e.start})") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            utf8_error = e.start
        try:
            text = data.decode("cp949")
        except UnicodeDecodeError:
            raise InputError(f"disaster-text JSON is neither UTF-8 nor CP949/EUC-KR text (bad UTF-8 "
                             f"byte at offset {utf8_error})") from None
        notes.append("the file is not UTF-8; read as CP949 (EUC-KR)")
        return text

    def load(self, text: str) -> object:
        """Parse JSON text; malformed or absurdly nested JSON is an :class:`InputError`."""
        if not text.strip():
            raise InputError("disaster-text JSON is empty")
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"disaster-text JSON is malformed at line {e.lineno}, column {e.colno}: "
                             f"{e.msg}") from None
        except RecursionError:
            raise InputError("disaster-text JSON is nested too deeply to read") from None

    def find_records(self, root: object) -> list[dict]:
        """The record objects of ``root``, in document order, looked for down to :data:`MAX_DEPTH`."""
        records: list[dict] = []
        seen_keys: list[str] = []
        said: list[str] = []
        # Depth-first, in order, without recursion: a stack of iterators over containers.
        stack = [iter([root])]
        while stack:
            value = next(stack[-1], _END)
            if value is _END:
                stack.pop()
                continue
            if isinstance(value, dict):
                keys = {str(k).lower() for k in value}
                if keys & _STRONG_KEYS or len(keys & _WEAK_KEYS) >= 2:
                    records.append(value)
                    if len(records) > MAX_RECORDS:
                        raise InputError(f"disaster-text JSON holds more than {MAX_RECORDS} records "
                                         f"(the limit); split the file")
                    continue
                if len(stack) <= 3:
                    seen_keys.extend(str(k) for k in value)
                said.extend(_service_message(value))
                if len(stack) < MAX_DEPTH:
                    stack.append(iter(value.values()))
            elif isinstance(value, list) and len(stack) < MAX_DEPTH:
                stack.append(iter(value))
        if not records:
            raise InputError("disaster-text JSON holds no records (no MSG_CN, DST_SE_NM, ... fields); "
                             + _describe(root, seen_keys, said))
        return records

    # ----------------------------------------------------------------------------------------------
    def read_record(self, record: dict) -> Alert:
        """One record as an :class:`Alert`."""
        warnings: list[str] = []
        fields: dict[str, tuple[str, object]] = {}
        for key, value in record.items():
            fields.setdefault(str(key).lower(), (str(key), value))

        def get(names: tuple[str, ...]) -> tuple[str, str | None]:
            for n in names:
                if n in fields:
                    key, value = fields[n]
                    return key, _scalar(value)
            return names[0].upper(), None

        old_style = "msg" in fields or "md101_sn" in fields
        _, serial = get(_SERIAL)
        created_key, created = get(_CREATED)
        message_key, message = get(_MESSAGE)
        regions_key, regions = get(_REGIONS)
        step_key, step = get(_STEP)
        _, category = get(_CATEGORY)
        category = _clean(category) if category else None
        if message is None and category is None:
            raise _Unusable(f"({'SN ' + serial if serial else 'no SN'}) has neither MSG_CN nor DST_SE_NM")

        if serial is None:
            warnings.append("the record has no SN (serial number)")
        sent = None
        if created is None:
            warnings.append("the record has no CRT_DT (creation time)")
        else:
            sent, note = to_iso(created)
            if sent is None:
                warnings.append(f"{created_key} {_shown(created)} is not a time ({note})")
            elif note:
                warnings.append(f"{created_key} {_shown(created)} {note}")
        if message is None:
            warnings.append(f"the record has no {message_key} (message text); read from DST_SE_NM alone")
            message = ""

        sender, body = split_sender(message)
        areas = [Area(description=r) for r in split_regions(regions or "")]
        if not areas:
            warnings.append(f"the record has no {regions_key} (receiving regions)")

        severity = urgency = certainty = "Unknown"
        if step is None:
            if not old_style:
                warnings.append("the record has no EMRG_STEP_NM (message tier); severity unknown")
        else:
            tier = _tier(step)
            if tier is None:
                warnings.append(f"{step_key} {_shown(step)} is not 위급재난, 긴급재난 or 안전안내; "
                                f"severity unknown")
            else:
                severity, urgency, certainty = STEPS[tier]

        disaster, level, event = self.classify(category, message, warnings)
        parameters = MultiMap((key, text) for lower, (key, value) in fields.items()
                              if lower not in _MAPPED and (text := _scalar(value)) is not None)
        info = Info(
            language="ko-KR",
            categories=[cap_category(category)] if category else [],
            event=event,
            urgency=urgency, severity=severity, certainty=certainty,
            effective=sent,
            sender_name=sender,
            headline=headline_of(body) or event,
            description=message,
            parameters=parameters,
            areas=areas,
        )
        alert = Alert(source="mois", disaster=disaster.key if disaster else None, level=level,
                      identifier=serial or "", sender=sender, sent=sent, status="Actual",
                      msg_type="Alert", infos=[info], warnings=warnings)
        self.judge(alert, body)
        return alert

    def classify(self, category: str | None, message: str,
                 warnings: list[str]) -> tuple[DisasterType | None, str | None, str]:
        """(disaster type, level, Korean event name) of a record.

        The category decides first; a generic or unknown one leaves it to a KMA warning named in the
        text, then to the words of the text. A known category without a picture gives no type at all.
        The level is the strongest level the text's warnings give the chosen type (``호우주의보`` ->
        advisory), else any level word of the text when it names no other type's warning.
        """
        disaster: DisasterType | None = None
        if category and category not in GENERIC_CATEGORIES:
            disaster = disaster_for_name(category)
            if disaster is None and non_visual_event(category):
                warnings.append(f"no visual template for event {category[:80]!r}")
                return None, None, category
        if disaster is None:
            found = kma_warning(message)
            if found is not None:
                disaster = found[0]
            else:
                disaster = detect_disaster(message)
                if disaster is not None:
                    warnings.append(f"disaster type {disaster.key!r} guessed from the message text")
        if disaster is None:
            event = category or "재난문자"
            warnings.append(f"no visual template for event {event[:80]!r}")
            return None, None, event

        own = kma_warning_for(message, disaster)
        if own is not None:
            name, level = own
            return disaster, level, name
        named_warning = kma_warning(message)
        level = None if named_warning and named_warning[1] else detect_level(message)
        named = category if category and category not in GENERIC_CATEGORIES else disaster.name_ko
        return disaster, level, named

    @staticmethod
    def judge(alert: Alert, body: str) -> None:
        """Mark drills, tests and retractions the message text announces."""
        text = alert.info.description
        if _EXERCISE.search(text):
            alert.status = "Exercise"
            alert.warnings.append("the message is marked as a drill (훈련): status Exercise; outputs are "
                                  "marked EXERCISE")
        elif _TEST.search(text):
            alert.status = "Test"
            alert.warnings.append("the message is marked as a test (시험): status Test; outputs are "
                                  "marked TEST")
        word = next((w for w in _RETRACTION if w in body), None)
        if word is not None:
            alert.msg_type = "Cancel"
            alert.warnings.append(f"the message says an earlier one went out in error ({word}): read as "
                                  f"a Cancel; no new media is made for it")


class _Unusable(Exception):
    """A record with nothing to read (no message, no category)."""


_END = object()


def _tier(step: str) -> str | None:
    """``"긴급재난문자"``, ``"긴급"``, ``" 긴급 재난 "`` -> ``"긴급재난"``; None when unknown."""
    s = "".join(step.split())
    for tier in STEPS:
        if s.startswith(tier[:2]):
            return tier
    return None


def _service_message(obj: dict) -> list[str]:
    """What an API header says (``resultMsg``, ``errorMsg``, ``MESSAGE``), when it says anything."""
    out = []
    for key, value in obj.items():
        if str(key).lower() in ("resultmsg", "errormsg", "message", "returnauthmsg", "errmsg") \
                and isinstance(value, (str, int)) and str(value).strip():
            out.append(_clean(str(value))[:120])
    return out


def _describe(root: object, keys: list[str], said: list[str]) -> str:
    if isinstance(root, list) and not root:
        what = "an empty list"
    elif isinstance(root, list):
        what = f"a list of {len(root)} item{'s' if len(root) != 1 else ''}"
    elif isinstance(root, dict):
        what = "an object"
    else:
        return f"the document is a lone {type(root).__name__} value"
    names = list(dict.fromkeys(keys))
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    out = f"it is {what}; keys seen: {shown}" if names else f"it is {what}"
    if said:
        out += f" (the service said: {'; '.join(dict.fromkeys(said))[:200]})"
    return out
