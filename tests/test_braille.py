"""Braille by liblouis: Unicode cells for the report, a BRF file laid out for embossing, and honest refusals."""
import os
import shutil
import stat

import pytest

from cinealert.deliver.braille import (BrailleResult, alert_braille, braille_for, brf_text, layout, table_for,
                                       write_brf)

#: North American Braille ASCII: the character for each 6-dot pattern 0–63 (bit k = dot k+1), as published.
NA_BRAILLE_ASCII = " A1B'K2L@CIF/MSP\"E3H9O6R^DJG>NTQ,*5<-U8V.%[$+X!&;:4\\0Z7(_?W]#Y)="

TEXTS = {
    "ko": "서울특별시에 내려진 호우경보 안내 영상입니다. 물이 흐르며 일렁입니다. 사람은 나오지 않습니다.",
    "en": "Heavy Rain Warning for Seoul. A looping picture of a flooded street. In it, water flows and ripples. "
          "No people are shown.",
    "fr": "Crue — alerte pour Paris. Une image animée en boucle : inondation. On y voit : l'eau s'écoule et ondule. "
          "Aucune personne n'apparaît.",
}


def _need_liblouis():
    if shutil.which("lou_translate") is None:
        if os.environ.get("CINEALERT_REQUIRE_LIBLOUIS"):
            pytest.fail("CINEALERT_REQUIRE_LIBLOUIS is set but lou_translate is not installed")
        pytest.skip("liblouis is not installed here (Debian: liblouis-bin)")


def _cells_of_brf(brf: str) -> list[int]:
    return [NA_BRAILLE_ASCII.index(c.upper()) for c in brf]


@pytest.mark.parametrize("lang", ["ko", "en", "fr"])
def test_braille_is_unicode_cells_and_the_brf_holds_the_same_cells(lang):
    _need_liblouis()
    r = braille_for(TEXTS[lang], lang)
    assert r.available and r.reason is None and r.undefined == [] and r.table == table_for(lang)
    assert len(r.unicode) > 20
    assert all("\u2800" <= c <= "\u28ff" for c in r.unicode)
    assert any(c != "\u2800" for c in r.unicode)
    # the same cells, one by one, through the standard North American braille ASCII table
    assert [ord(c) - 0x2800 for c in r.unicode] == _cells_of_brf(r.brf)


def test_known_words_come_out_as_their_braille():
    _need_liblouis()
    # UEB grade 1: capital sign (dot 6), letters; grade 1 keeps every letter
    assert braille_for("Rain", "en").brf == ",RAIN"
    # Korean 호우: initial ㅎ (dots 2-4-5), ㅗ (1-3-6), then 우 as ㅜ (1-3-4) alone: a silent initial ㅇ has no cell
    assert braille_for("호우", "ko").unicode == "".join(chr(0x2800 + sum(1 << (d - 1) for d in dots))
                                                      for dots in ((2, 4, 5), (1, 3, 6), (1, 3, 4)))
    # French: é is the full cell (dots 1-6)
    assert braille_for("é", "fr").unicode == "\u283f"


def test_brf_file_lines_pages_and_line_ends(tmp_path):
    _need_liblouis()
    long = " ".join([TEXTS["en"]] * 12)
    results = [braille_for(TEXTS["ko"], "ko"), braille_for(long, "en")]
    path = write_brf(results, tmp_path / "braille.brf")
    raw = path.read_bytes()
    assert raw.isascii() and b"\r\n" in raw
    pages = raw.split(b"\f")
    assert len(pages) >= 2
    for page in pages:
        assert page.endswith(b"\r\n")
        lines = page[:-2].split(b"\r\n")
        assert 1 <= len(lines) <= 25
        assert all(len(l) <= 40 for l in lines)
        assert b"\n" not in page.replace(b"\r\n", b"")
    assert all(len(p[:-2].split(b"\r\n")) == 25 for p in pages[:-1])          # full pages but the last
    # nothing lost in the layout: the file's cells are the translations' cells, blanks aside
    cells = [c for p in pages for c in p.replace(b"\r\n", b"").decode() if c != " "]
    want = [c for r in results for c in r.brf if c != " "]
    assert cells == want


def test_layout_breaks_at_blank_cells_and_cuts_only_overlong_words():
    assert layout("AB CD EF", width=5) == ["AB CD", "EF"]
    assert layout("ABCDEFGHIJKL MN", width=5) == ["ABCDE", "FGHIJ", "KL MN"]
    with pytest.raises(ValueError, match="width"):
        layout("AB", width=1)


def test_alert_braille_writes_the_file_and_the_report_record(tmp_path):
    _need_liblouis()
    rec = alert_braille(TEXTS["ko"], ["호우경보", "서울특별시", "높은 곳으로 대피하세요."], "ko", tmp_path)
    assert rec["available"] and rec["file"] == "braille.brf" and (tmp_path / "braille.brf").is_file()
    assert rec["description"]["table"] == "ko-g1.ctb" and rec["description"]["unicode"]
    assert rec["card"]["unicode"].count("\n") == 2 and rec["pages"] == 1
    assert "brf" not in rec["description"]


def test_characters_without_braille_are_listed_not_hidden():
    _need_liblouis()
    r = braille_for("서울 漢江", "ko")
    assert r.available and set(r.undefined) == {"漢", "江"} and "U+6F22" in r.reason


def test_missing_lou_translate_gives_an_unavailable_record(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                  # an empty folder: no lou_translate on PATH
    monkeypatch.delenv("CINEALERT_LOU_TRANSLATE", raising=False)
    r = braille_for("Rain", "en")
    assert not r.available and r.unicode == "" and r.brf == "" and "lou_translate" in r.reason
    monkeypatch.setenv("CINEALERT_LOU_TRANSLATE", str(tmp_path / "nowhere" / "lou_translate"))
    r = braille_for("Rain", "en")
    assert not r.available and "nowhere" in r.reason
    rec = alert_braille("Rain.", ["Rain"], "en", tmp_path)
    assert rec["available"] is False and rec["file"] is None and not (tmp_path / "braille.brf").exists()


def test_a_broken_lou_translate_is_reported_not_trusted(tmp_path, monkeypatch):
    fake = tmp_path / "lou_translate"
    fake.write_text("#!/bin/sh\necho 'Cannot resolve table' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CINEALERT_LOU_TRANSLATE", str(fake))
    if not any((p / "en-ueb-g1.ctb").is_file() for p in map(__import__("pathlib").Path, (
            "/usr/share/liblouis/tables", "/usr/local/share/liblouis/tables"))):
        pytest.skip("no liblouis tables here")
    r = braille_for("Rain", "en")
    assert not r.available and "failed" in r.reason


def test_missing_table_and_unsupported_language(tmp_path, monkeypatch):
    _need_liblouis()
    r = braille_for("雨が降ります", "ja")
    assert not r.available and r.table is None and "'ja'" in r.reason
    with pytest.raises(ValueError, match="grade"):
        braille_for("Rain", "en", grade=3)
    with pytest.raises(ValueError, match="non-empty"):
        braille_for("  \n ", "en")
    # tables looked for where LOUIS_TABLEPATH says, and nowhere else there
    monkeypatch.setattr("cinealert.deliver.braille.KNOWN_TABLE_DIRS", ())
    monkeypatch.setenv("LOUIS_TABLEPATH", str(tmp_path))
    monkeypatch.setenv("CINEALERT_LOU_TRANSLATE", str(tmp_path / "bin" / "lou_translate"))
    (tmp_path / "bin").mkdir()
    wrapper = tmp_path / "bin" / "lou_translate"           # the real program, from a folder with no tables beside it
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("lou_translate")} "$@"\n')
    wrapper.chmod(0o755)
    r = braille_for("Rain", "en")
    assert not r.available and "en-ueb-g1.ctb" in r.reason


def test_brf_text_refuses_when_nothing_is_available():
    from cinealert.errors import InputError
    none = BrailleResult(unicode="", brf="", table=None, available=False, reason="x")
    with pytest.raises(InputError, match="no braille"):
        brf_text([none])


def _make(tmp_path, name, env=None):
    import json
    import subprocess
    import sys
    out = tmp_path / name
    res = subprocess.run([sys.executable, "-m", "cinealert", "make", "src/cinealert/examples/kr_heavy_rain_advisory.xml",
                          "-o", str(out), "--size", "128x72", "--seconds", "0.5", "--fps", "8", "--formats", "poster",
                          "--quiet"], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)
    assert res.returncode == 0, res.stderr
    return out, json.loads((out / "report.json").read_text())


def test_make_writes_the_alerts_braille(tmp_path):
    """make on the bundled Korean alert: braille.brf beside the media, the cells in report.json, the card's
    Korean lines through the Korean table."""
    _need_liblouis()
    out, report = _make(tmp_path, "kr")
    record = report["braille"]
    assert record["available"] and record["file"] == "braille.brf"
    assert record["card"]["table"] == table_for("ko") and record["card"]["unicode"]
    cells = record["description"]["unicode"].replace("\n", "").replace(" ", "")
    assert cells and all(0x2800 <= ord(c) <= 0x28FF for c in cells)
    brf = (out / "braille.brf").read_bytes()
    assert brf.isascii() and all(len(line) <= 40 for line in brf.replace(b"\f", b"").split(b"\r\n"))
    assert report["media"]["braille"]["bytes"] == len(brf)


def test_make_without_liblouis_says_so_and_writes_no_braille(tmp_path):
    out, report = _make(tmp_path, "none", env={"CINEALERT_LOU_TRANSLATE": str(tmp_path / "no-such-program")})
    record = report["braille"]
    assert record["available"] is False and record["file"] is None and record["description"]["reason"]
    assert not (out / "braille.brf").exists()
