"""Fuzz the alert reader with mutated real CAP samples and report what came out.

Every input is a real sample from ``tests/data/cap`` with one to five random mutations (byte flips,
deletions, truncation, hostile fragments such as DTDs, entity references, CDATA markers, invalid UTF-8
and NULs, deep runs of open tags, duplicated elements, swapped tag names, odd field values, elements
added between tags, another encoding named in the declaration, or the whole document re-encoded).
Each goes through ``cinealert.alerts.read_bytes`` (or ``parse_xml`` with ``--target xml``); the only
acceptable outcomes are an ``Alert`` and an ``InputError`` with a one-line message. Anything else is
counted, shown, and makes the exit status 1. The same seed gives the same inputs.

Timings are taken with tracemalloc running (for the memory column) unless ``--no-trace`` is given;
every sample is read once before the run so that one-time loading (schemas) is not counted.

    python bench/fuzz_alerts.py --inputs 20000 --seed 0
    python bench/fuzz_alerts.py --inputs 2000 --target xml --save-failures out/fuzz
"""
from __future__ import annotations

import argparse
import random
import re
import signal
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
CAP_DIR = ROOT / "tests" / "data" / "cap"

FRAGMENTS = (
    b"<!DOCTYPE", b"<!DOCTYPE alert>", b'<!DOCTYPE a [<!ENTITY e "lol">]>', b'<!ENTITY % pe "x">', b"%pe;",
    b'<!DOCTYPE a SYSTEM "file:///etc/passwd">', b"&e;", b"&", b"&#0;", b"&#xD800;", b"&#65;", b"&gt;",
    b"<![CDATA[", b"]]>", b"<![CDATA[<alert/>]]>", b"<!--", b"-->", b"<?xml version='1.0'?>", b"<?pi x?>",
    b"<", b">", b"</", b"/>", b"=", b"'", b'"', b"\t", b"\r\n",
    b"\x00", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3(", b"\xed\xb0\x80", b"\xf8\x88\x80\x80\x80",
    b"\xe3\x81", b"\x9f",
    b"<alert>", b"</alert>", b"<info>", b"</info>", b"<area>", b"</area>", b"<cap:info>",
    b"xmlns:cap='urn:oasis:names:tc:emergency:cap:1.1'", b"xmlns=''",
    b"<event>Typhoon</event>", b"<event/>", b"<msgType>Cancel</msgType>", b"<msgType>Ack</msgType>",
    b"<status>Draft</status>", b"<polygon>0,0 0,1 1,1 0,0</polygon>", b"<polygon>-91,x 1,,2</polygon>",
    b"<circle>45,45 -1</circle>", b"<circle>1e400,0 5</circle>", b"<language>zh-CN</language>",
    b"<effective>yesterday</effective>", b"<eventCode><value>FLW</value></eventCode>",
    b"<parameter><valueName/></parameter>", b"<resource><size>1e9</size><uri>file:///etc/passwd</uri></resource>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
    "태풍경보".encode(), "台风".encode(), "\u200b\u202e".encode("utf-8"), "🌀".encode(),
)
ENCODING_NAMES = (
    "UTF-8", "UTF-16", "UTF-16BE", "UTF-32LE", "ISO-8859-1", "ISO-8859-15", "ASCII", "windows-1252",
    "windows-1251", "EUC-KR", "CP949", "Big5", "Big5-HKSCS", "GBK", "GB2312", "GB18030", "Shift_JIS",
    "EUC-JP", "ISO-2022-KR", "KOI8-U", "cp500", "base64", "quopri", "rot_13", "zlib", "hex", "utf_7",
    "unicode-escape", "idna", "undefined", "x-made-up", "", "a;b", "UTF-8\t", "x" * 300,
)
#: Odd but well-formed field values: empty, blank, out of range, wrong case, huge, other scripts.
VALUES = (
    "", "  ", "\n", "0", "-0.0", "NaN", "Infinity", "1e308", "-999", "90.0001,180 1", "1 2 3 4", "1,", "0,0",
    "0,0 1,1 2,2", "2025-02-29T24:00:00+14:01", "2025-06-01T12:00:00-00:00", "now", "CANCEL", "Update",
    "Error", "Minor", "extreme", "Past", "Observed", "Exercise", "System", "fr", "es-MX", "ko-KR", "",
    "Storm", "Cyclone", "Landslide", "Volcano", "Drought", "Cold wave", "대설경보", "산불", "暴雨蓝色预警",
    "EQW", "HUW", "FFW", "y" * 8000, "\u0301\u200d", "⚠" * 50, "]]>",
)
CODECS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "latin-1", "cp1252", "euc-kr",
          "cp949", "big5", "gb18030", "shift_jis", "cp500")
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}

LEAF = re.compile(rb"<([A-Za-z][\w:.-]*)\b[^<>]*>[^<]*</\1>")
OPEN_NAME = re.compile(rb"<([A-Za-z][\w:.-]*)")
ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*(["'])[^"']*\1""")
XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


class Mutator:
    """Deterministic random mutations of byte strings, driven by one ``random.Random``."""

    KINDS = ("flip", "delete", "insert_fragment", "insert_random", "truncate", "deep", "duplicate", "swap",
             "declare", "transcode", "set_value", "add_element")

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def __call__(self, data: bytes) -> tuple[bytes, list[str]]:
        rng = self.rng
        done = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
            kind = rng.choice(self.KINDS)
            data, what = getattr(self, kind)(data)
            done.append(what)
        return data, done

    def _pos(self, data: bytes) -> int:
        return self.rng.randint(0, len(data))

    def flip(self, data):
        if not data:
            return data, "flip (empty)"
        pos = self.rng.randrange(len(data))
        mask = self.rng.randint(1, 255)
        return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1:], f"flip@{pos}^{mask:#x}"

    def delete(self, data):
        pos, length = self._pos(data), self.rng.randint(1, 64)
        return data[:pos] + data[pos + length:], f"delete@{pos}+{length}"

    def insert_fragment(self, data):
        pos, fragment = self._pos(data), self.rng.choice(FRAGMENTS)
        times = self.rng.choice((1, 1, 1, 2, 10))
        return data[:pos] + fragment * times + data[pos:], f"insert@{pos} {fragment[:24]!r}x{times}"

    def insert_random(self, data):
        pos = self._pos(data)
        blob = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 16)))
        return data[:pos] + blob + data[pos:], f"insert@{pos} {blob!r}"

    def truncate(self, data):
        pos = self._pos(data)
        return data[:pos], f"truncate@{pos}"

    def deep(self, data):
        pos = self._pos(data)
        depth = self.rng.choice((10, 63, 64, 65, 100, 1000, 20_000))
        closed = self.rng.random() < 0.5
        inner = b"<d>" * depth + (b"</d>" * depth if closed else b"")
        return data[:pos] + inner + data[pos:], f"deep@{pos} {depth} {'closed' if closed else 'open'}"

    def duplicate(self, data):
        found = list(LEAF.finditer(data))
        if not found:
            return data, "duplicate (no element)"
        m = self.rng.choice(found)
        times = self.rng.choice((1, 2, 5, 100))
        return data[:m.end()] + m.group(0) * times + data[m.end():], f"duplicate <{m.group(1).decode()}>x{times}"

    def set_value(self, data):
        found = list(LEAF.finditer(data))
        if not found:
            return data, "set_value (no element)"
        m = self.rng.choice(found)
        value = self.rng.choice(VALUES)
        start = data.index(b">", m.start()) + 1
        end = data.rindex(b"</", m.start(), m.end())
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8")
        return data[:start] + escaped + data[end:], f"set <{m.group(1).decode()}> to {value[:20]!r}"

    def add_element(self, data):
        ends = [i + 1 for i, c in enumerate(data) if c == 0x3E]     # after each '>'
        if not ends:
            return data, "add_element (no tag)"
        pos = self.rng.choice(ends)
        fragment = self.rng.choice(FRAGMENTS)
        return data[:pos] + fragment + data[pos:], f"add@{pos} {fragment[:24]!r}"

    def swap(self, data):
        names = list(OPEN_NAME.finditer(data))
        if len(names) < 2:
            return data, "swap (too few tags)"
        a, b = sorted(self.rng.sample(range(len(names)), 2))
        ma, mb = names[a], names[b]
        out = data[:ma.start(1)] + mb.group(1) + data[ma.end(1):mb.start(1)] + ma.group(1) + data[mb.end(1):]
        return out, f"swap <{ma.group(1).decode()}> <{mb.group(1).decode()}>"

    def declare(self, data):
        name = self.rng.choice(ENCODING_NAMES)
        attr = b'encoding="' + name.encode("latin-1") + b'"'
        if ENCODING_ATTR.search(data[:400]):
            out = ENCODING_ATTR.sub(lambda m: attr, data, count=1)
        elif (decl := XML_DECL.match(data)):
            out = data[:decl.end() - 2] + b" " + attr + data[decl.end() - 2:]
        else:
            out = b'<?xml version="1.0" ' + attr + b"?>\n" + data
        return out, f"declare {name[:24]!r}"

    def transcode(self, data):
        codec = self.rng.choice(CODECS)
        bom = self.rng.random() < 0.5
        relabel = self.rng.random() < 0.7
        text = data.decode("utf-8", "replace")
        if relabel:
            text = re.sub(r"""encoding\s*=\s*(["'])[^"']*\1""", f'encoding="{codec}"', text, count=1)
        out = (BOMS.get(codec, b"") if bom else b"") + text.encode(codec, "replace")
        return out, f"transcode {codec}{' +BOM' if bom else ''}{' relabelled' if relabel else ''}"


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=20_000, help="how many mutated inputs to try")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", choices=("read_bytes", "xml"), default="read_bytes",
                    help="read_bytes: the whole alert reader; xml: cinealert.alerts.xmlsafe.parse_xml only")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before one input counts as a hang")
    ap.add_argument("--no-trace", action="store_true", help="skip tracemalloc (faster, no memory column)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--save-failures", type=Path, help="folder to write inputs that raised anything else")
    args = ap.parse_args(argv)

    from cinealert.errors import InputError
    if args.target == "xml":
        from xml.etree.ElementTree import Element as expected

        from cinealert.alerts.xmlsafe import parse_xml as target
    else:
        from cinealert.alerts import Alert as expected
        from cinealert.alerts import read_bytes as target

    samples = [(p.name, p.read_bytes()) for p in sorted(CAP_DIR.glob("*.xml"))]
    mutate = Mutator(args.seed)
    counts = Counter()
    messages = Counter()
    failures: list[tuple[str, list[str], str, bytes]] = []
    slowest = (0.0, "", [])
    heaviest = (0, "", [])
    total_s = 0.0
    use_alarm = hasattr(signal, "setitimer") and args.timeout > 0
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    # Warm up outside the measurements: first use loads schemas and tables once per process.
    for _, original in samples:
        try:
            target(original)
        except InputError:
            pass
    if not args.no_trace:
        tracemalloc.start()

    for _ in tqdm(range(args.inputs), desc=f"fuzz {args.target}", unit="input", disable=args.no_progress,
                  mininterval=0.5, file=sys.stderr):
        name, original = mutate.rng.choice(samples)
        data, ops = mutate(original)
        if not args.no_trace:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        outcome = None
        t0 = time.perf_counter()
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                result = target(data)
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except InputError as e:
            text = str(e)
            if "\n" in text or "\r" in text or not text.strip():
                outcome = f"InputError without a one-line message: {text!r}"
            else:
                counts["input_error"] += 1
                messages[re.sub(r"\d+", "N", text)[:60]] += 1
        except _Hang:
            outcome = f"hang: still running after {args.timeout:g} s"
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            outcome = f"{type(e).__name__}: {e!r}"[:300]
        else:
            if isinstance(result, expected):
                counts["parsed"] += 1
            else:
                outcome = f"returned {type(result).__name__}, not {expected.__name__}"
        elapsed = time.perf_counter() - t0
        total_s += elapsed
        if not args.no_trace:
            peak = tracemalloc.get_traced_memory()[1] - base
            if peak > heaviest[0]:
                heaviest = (peak, name, ops)
        if elapsed > slowest[0]:
            slowest = (elapsed, name, ops)
        if outcome is not None:
            counts["other"] += 1
            failures.append((name, ops, outcome, data))

    if not args.no_trace:
        tracemalloc.stop()
    tried = args.inputs
    rows = [
        ("target", "read_bytes" if args.target == "read_bytes" else "parse_xml"),
        ("seed", str(args.seed)),
        ("inputs tried", f"{tried}"),
        ("parsed to an " + expected.__name__, f"{counts['parsed']} ({100 * counts['parsed'] / max(tried, 1):.1f} %)"),
        ("clean InputError", f"{counts['input_error']} ({100 * counts['input_error'] / max(tried, 1):.1f} %)"),
        ("other exceptions", f"{counts['other']}"),
        ("slowest input", f"{slowest[0] * 1000:.1f} ms ({slowest[1]}: {'; '.join(slowest[2])[:80]})"),
        ("mean per input", f"{total_s / max(tried, 1) * 1e6:.0f} µs" + ("" if args.no_trace else " (traced)")),
        ("peak traced memory", "not traced" if args.no_trace else
         f"{heaviest[0] / 2**20:.1f} MiB ({heaviest[1]}: {'; '.join(heaviest[2])[:80]})"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")
    print()
    print("most frequent InputError messages (digits shown as N):")
    for text, n in messages.most_common(8):
        print(f"  {n:6d}  {text}")
    if failures:
        print()
        print(f"first {min(len(failures), 5)} of {len(failures)} other exceptions:")
        for name, ops, outcome, data in failures[:5]:
            print(f"  {name}: {'; '.join(ops)}")
            print(f"    {outcome}")
            print(f"    input ({len(data)} bytes): {data[:160]!r}{' ...' if len(data) > 160 else ''}")
        if args.save_failures:
            args.save_failures.mkdir(parents=True, exist_ok=True)
            for i, (_, _, _, data) in enumerate(failures):
                (args.save_failures / f"failure_{i:04d}.xml").write_bytes(data)
            print(f"wrote {len(failures)} failing inputs to {args.save_failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
