"""The text alternative in braille, translated by liblouis: Unicode braille for the report, a BRF file to emboss.

liblouis (the ``lou_translate`` program of Debian's ``liblouis-bin``) does the translation with the braille
table of the alert's language (:data:`TABLES`; uncontracted, grade 1, unless ``grade=2`` is asked for). It is
asked twice for the same cells: once through the ``unicode.dis`` display table (cells as U+2800–U+28FF, for
``report.json``) and once through ``en-us-brf.dis`` (the North American Braille ASCII that ``.brf`` files
hold). :func:`write_brf` lays the cells out as an embosser expects: at most 40 cells a line, broken at blank
cells, 25 lines a page, CRLF line ends and a form feed between pages.

There is no home-made fallback. Where ``lou_translate`` or the language's table is missing, the result says
``available=False`` and why. Characters the table has no braille for are listed in ``undefined`` (liblouis
writes them as their hexadecimal code or drops them), so that a report never claims a complete translation
it does not have.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cinealert.errors import InputError

#: The ``lou_translate`` program to use instead of the one on ``PATH``.
ENV_PROGRAM = "CINEALERT_LOU_TRANSLATE"
#: liblouis's own variable: folders (``:``-separated) that hold braille tables.
ENV_TABLEPATH = "LOUIS_TABLEPATH"

#: Folders where liblouis's tables are installed, tried after ``$LOUIS_TABLEPATH`` and the program's own prefix.
KNOWN_TABLE_DIRS = ("/usr/share/liblouis/tables", "/usr/local/share/liblouis/tables",
                    "/opt/homebrew/share/liblouis/tables", "/opt/local/share/liblouis/tables")

#: The braille table of each alert language, by grade (1: uncontracted, 2: contracted).
TABLES: dict[str, dict[int, str]] = {
    "ko": {1: "ko-g1.ctb", 2: "ko-g2.ctb"},
    "en": {1: "en-ueb-g1.ctb", 2: "en-ueb-g2.ctb"},
    "fr": {1: "fr-bfu-comp6.utb", 2: "fr-bfu-g2.ctb"},
    "es": {1: "es-g1.ctb", 2: "es-g2.ctb"},
    "zh": {1: "zh-chn.ctb"},
    "pt": {1: "pt-pt-g1.utb", 2: "pt-pt-g2.ctb"},
    "it": {1: "it-it-comp6.utb"},
}

UNICODE_DISPLAY = "unicode.dis"
BRF_DISPLAY = "en-us-brf.dis"
CELLS_PER_LINE = 40
LINES_PER_PAGE = 25
BLANK = "\u2800"


@dataclass
class BrailleResult:
    """One text in braille, or why there is none.

    ``unicode``: the cells as U+2800–U+28FF characters (a blank cell is U+2800), one line per paragraph of the
    input; ``brf``: the same cells in North American Braille ASCII (unwrapped; :func:`write_brf` lays it out);
    ``table``: the liblouis table used; ``undefined``: characters of the text the table has no braille for.
    """

    unicode: str
    brf: str
    table: str | None
    available: bool
    reason: str | None = None
    language: str = ""
    undefined: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """The record for ``report.json`` (without the BRF text, which goes to its own file)."""
        out = asdict(self)
        out.pop("brf")
        return out


def _unavailable(reason: str, language: str, table: str | None = None) -> BrailleResult:
    return BrailleResult(unicode="", brf="", table=table, available=False, reason=reason, language=language)


def lou_translate_program() -> str | None:
    """The ``lou_translate`` program: ``$CINEALERT_LOU_TRANSLATE``, else the one on ``PATH``, else None."""
    given = os.environ.get(ENV_PROGRAM)
    if given:
        return given if Path(given).is_file() and os.access(given, os.X_OK) else None
    return shutil.which("lou_translate")


def table_dirs(program: str | None = None) -> list[Path]:
    """Folders that hold liblouis tables, best first: ``$LOUIS_TABLEPATH``, ``<prefix>/share/liblouis/tables`` of
    the program, then the usual install places. Only folders that exist and hold a ``unicode.dis``."""
    cands: list[Path] = [Path(p) for p in re.split(r"[:,]", os.environ.get(ENV_TABLEPATH, "")) if p]
    if program:
        cands.append(Path(program).resolve().parent.parent / "share" / "liblouis" / "tables")
    cands += [Path(p) for p in KNOWN_TABLE_DIRS]
    return [d for d in dict.fromkeys(cands) if (d / UNICODE_DISPLAY).is_file()]


def table_for(language: str, *, grade: int = 1) -> str | None:
    """The liblouis table name for a BCP 47 language code, or None where :data:`TABLES` has none."""
    lang = (language or "").lower().replace("_", "-").split("-")[0]
    return TABLES.get(lang, {}).get(grade)


def _run(program: str, tables: str, lines: list[str], env: dict) -> list[str]:
    """Translate each line with ``tables``; one output line per input line."""
    proc = subprocess.run([program, tables], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)
    err = proc.stderr.strip()
    if proc.returncode != 0 or "could not be compiled" in err or "Cannot resolve" in err:
        raise RuntimeError(err.splitlines()[-1] if err else f"lou_translate exited with status {proc.returncode}")
    out = proc.stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(lines):
        raise RuntimeError(f"lou_translate gave {len(out)} line(s) for {len(lines)}")
    return out


def _looks_undefined(ch: str, brf: str) -> bool:
    """Whether liblouis's braille for the single character ``ch`` is its way of writing an undefined one: nothing
    at all, or the code point in hexadecimal (``'\\x6f22'``; some tables spell the digits as the letters a–j)."""
    if not brf.strip():
        return True
    code = f"{ord(ch):04X}"
    lettered = "".join("JABCDEFGHI"[int(c)] if c.isdigit() else c for c in code)
    up = brf.upper()
    return f"X{code}" in up or f"X{lettered}" in up


def braille_for(text: str, language: str, *, grade: int = 1) -> BrailleResult:
    """``text`` (paragraphs separated by newlines) in braille with the table of ``language``.

    Returns ``available=False`` with the reason where liblouis or the table is missing, or the language has
    no table here; raises ``ValueError`` for an empty text or a grade other than 1 or 2.
    """
    # 1. Check inputs
    if grade not in (1, 2):
        raise ValueError(f"`grade` must be 1 (uncontracted) or 2 (contracted), got {grade!r}.")
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in (text or "").splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise ValueError("braille_for needs a non-empty text.")
    lang = (language or "").lower().replace("_", "-").split("-")[0]
    # 2. Find liblouis and the table
    table = table_for(lang, grade=grade)
    if table is None:
        have = ", ".join(sorted(k for k, v in TABLES.items() if grade in v))
        return _unavailable(f"no grade {grade} braille table for language {language!r} (have: {have})", lang)
    program = lou_translate_program()
    if program is None:
        where = os.environ.get(ENV_PROGRAM) or "PATH"
        return _unavailable(f"liblouis is not installed: no lou_translate program on {where} "
                            "(Debian: apt install liblouis-bin)", lang, table)
    dirs = table_dirs(program)
    found = next((d for d in dirs if (d / table).is_file() and (d / BRF_DISPLAY).is_file()), None)
    if found is None:
        return _unavailable(f"liblouis has no table {table} (or no {BRF_DISPLAY}) in "
                            f"{', '.join(map(str, dirs)) or 'any known tables folder'}; set {ENV_TABLEPATH}",
                            lang, table)
    env = dict(os.environ, **{ENV_TABLEPATH: str(found)})
    # 3. Translate: Unicode cells, the same cells in braille ASCII, and every character alone (to find undefined ones)
    chars = list(dict.fromkeys(c for c in "".join(paragraphs) if not c.isspace()))
    try:
        uni = _run(program, f"{UNICODE_DISPLAY},{table}", paragraphs, env)
        brf = _run(program, f"{BRF_DISPLAY},{table}", paragraphs + chars, env)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        return _unavailable(f"lou_translate failed with {table}: {e}", lang, table)
    brf, singles = brf[:len(paragraphs)], brf[len(paragraphs):]
    uni = [u.replace(" ", BLANK) for u in uni]
    for u, b in zip(uni, brf):
        if len(u) != len(b) or any(not BLANK <= c <= "\u28ff" for c in u):
            return _unavailable(f"lou_translate's Unicode and braille ASCII output of {table} differ "
                                f"({len(u)} and {len(b)} cells)", lang, table)
    undefined = [c for c, b in zip(chars, singles) if _looks_undefined(c, b)]
    reason = None
    if undefined:
        reason = (f"{table} has no braille for {', '.join(f'U+{ord(c):04X} {c!r}' for c in undefined)}; "
                  "liblouis writes those as their code or leaves them out")
    return BrailleResult(unicode="\n".join(uni), brf="\n".join(brf), table=table, available=True, reason=reason,
                         language=lang, undefined=undefined)


def layout(cells: str, *, width: int = CELLS_PER_LINE, blank: str = " ") -> list[str]:
    """Break one paragraph of cells into lines of at most ``width`` cells, at blank cells where possible (a word
    longer than a line is cut)."""
    if width < 2:
        raise ValueError(f"`width` must be at least 2 cells, got {width}.")
    lines: list[str] = []
    cur = ""
    for word in [w for w in cells.split(blank) if w]:
        while len(word) > width:                     # a word longer than a line: fill the line, go on
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:width])
            word = word[width:]
        trial = f"{cur}{blank}{word}" if cur else word
        if len(trial) <= width:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def brf_text(results: list[BrailleResult], *, width: int = CELLS_PER_LINE, page_lines: int = LINES_PER_PAGE) -> str:
    """The BRF file's text for ``results`` (each one's paragraphs, a blank line between results): lines of at
    most ``width`` cells, ``page_lines`` lines a page, CRLF line ends, a form feed ending each full page."""
    lines: list[str] = []
    for r in results:
        if not r.available:
            continue
        if lines:
            lines.append("")
        for para in r.brf.split("\n"):
            lines += layout(para, width=width)
    if not lines:
        raise InputError("write_brf: no braille to write (liblouis was unavailable for every text)")
    pages = [lines[i:i + page_lines] for i in range(0, len(lines), page_lines)]
    # the page's lines, CRLF each; a form feed between pages (and none after the last)
    return "\f".join("".join(f"{l}\r\n" for l in page) for page in pages)


def write_brf(results: BrailleResult | list[BrailleResult], path: str | Path, *,
              width: int = CELLS_PER_LINE, page_lines: int = LINES_PER_PAGE) -> Path:
    """Write ``results`` as a BRF file at ``path`` (ASCII bytes); returns the path."""
    if isinstance(results, BrailleResult):
        results = [results]
    text = brf_text(list(results), width=width, page_lines=page_lines)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(text.encode("ascii"))
    os.replace(tmp, path)
    return path


def alert_braille(description: str, card_lines: list[str], language: str, out_dir: str | Path, *,
                  description_language: str | None = None, grade: int = 1) -> dict:
    """The text alternative and the card's text in braille: writes ``out_dir/braille.brf`` where liblouis can
    translate them and returns the ``report.json`` record (``{"available", "file", "description", "card"}``).

    ``description_language`` is the description's own language when it differs from the alert's (a language
    without a description template gets English)."""
    desc = braille_for(description, description_language or language, grade=grade)
    card = braille_for("\n".join(card_lines), language, grade=grade) if any(l.strip() for l in card_lines) else None
    parts = [r for r in (card, desc) if r is not None]
    record: dict = {"available": any(r.available for r in parts), "file": None,
                    "description": desc.report(), "card": card.report() if card else None}
    if record["available"]:
        path = write_brf(parts, Path(out_dir) / "braille.brf")
        record["file"] = path.name
        record["cells_per_line"], record["lines_per_page"] = CELLS_PER_LINE, LINES_PER_PAGE
        record["pages"] = path.read_bytes().count(b"\f") + 1
    return record
