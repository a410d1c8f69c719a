"""Stage 1: Korean emergency disaster-text records (긴급재난문자) as JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cinealert.alerts import mois
from cinealert.alerts.mois import MoisParser, split_regions, split_sender, to_iso
from cinealert.errors import InputError

MOIS_DIR = Path(__file__).parent / "data" / "mois"


def read(name: str, **kw):
    return MoisParser().parse((MOIS_DIR / name).read_bytes(), **kw)


def read_all(name: str, **kw):
    return MoisParser().parse_all((MOIS_DIR / name).read_bytes(), **kw)


def record(**fields) -> dict:
    base = {"SN": "1001", "CRT_DT": "2023/07/15 06:32:14", "MSG_CN": "[행정안전부] 호우경보 발효 중",
            "RCPTN_RGN_NM": "서울특별시 전체", "EMRG_STEP_NM": "안전안내", "DST_SE_NM": "호우"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def parse_obj(obj, **kw):
    return MoisParser().parse(json.dumps(obj, ensure_ascii=False).encode("utf-8"), **kw)


# -- the parser's face ---------------------------------------------------------------------------------
def test_parser_attributes():
    assert MoisParser.name == "mois"
    assert "긴급재난문자" in MoisParser.summary
    assert MoisParser.availability() == (True, "built in")


# -- sample files ---------------------------------------------------------------------------------------
def test_heavy_rain_warning_from_the_ministry():
    a = read("heavy_rain_warning_record.json")
    assert a.source == "mois"
    assert (a.disaster, a.level) == ("heavy_rain", "warning")
    assert a.identifier == "195823"
    assert a.sender == "행정안전부" and a.sender_name == "행정안전부"
    assert a.sent == "2023-07-15T06:32:14+09:00" and a.effective == a.sent
    assert (a.status, a.msg_type) == ("Actual", "Alert")
    assert a.language == "ko-KR"
    assert a.event == "호우경보"
    assert (a.severity, a.urgency, a.certainty) == ("Severe", "Immediate", "Observed")
    assert a.area_names() == ["충청북도 청주시", "충청북도 괴산군"]
    assert a.headline.startswith("오늘 06:30 충북 청주·괴산 호우경보,")
    assert not a.headline.startswith("[")
    assert a.description.startswith("[행정안전부] 오늘 06:30")
    assert a.description.endswith("대피하시기 바랍니다.")
    assert a.categories == ["Met"]
    assert a.parameters.get("DST_SE_NM") == "호우"
    assert a.parameters.get("EMRG_STEP_NM") == "긴급재난"
    assert a.parameters.get("REG_YMD") == "2023-07-15"
    assert a.parameters.get("MSG_CN") is None and a.parameters.get("SN") is None
    assert a.warnings == []


def test_wildfire_guidance_from_a_county_in_a_list():
    a = read("wildfire_guidance_list.json")
    assert (a.disaster, a.level) == ("wildfire", None)
    assert a.identifier == "213407"             # a number in the file
    assert a.sender == "의성군"
    assert a.sent == "2024-03-24T13:21:50+09:00"
    assert a.event == "산불"
    assert (a.severity, a.urgency, a.certainty) == ("Moderate", "Expected", "Likely")
    assert a.area_names() == ["경상북도 의성군"]
    assert a.headline == "오늘 13:10 단촌면 구계리 야산에 산불이 발생하였습니다."
    assert a.categories == ["Fire"]
    assert a.warnings == []


def test_earthquake_in_the_body_wrapper():
    a = read("earthquake_body.json")
    assert (a.disaster, a.level) == ("earthquake", None)
    assert a.identifier == "160311"
    assert a.sender == "기상청"
    assert a.sent == "2022-10-29T08:27:49+09:00"
    assert a.event == "지진"
    assert (a.severity, a.urgency) == ("Severe", "Immediate")
    assert a.area_names() == ["충청북도 괴산군", "충청북도 충주시", "충청북도 제천시", "경상북도 문경시",
                              "경상북도 상주시"]
    assert "규모4.1 지진발생" in a.headline
    assert a.parameters.get("MDFCN_YMD") is None          # null values are not kept
    assert a.parameters.get("REG_YMD") == "2022/10/29 08:27:55"
    assert a.warnings == []


def test_heavy_snow_with_lowercase_names_and_a_compact_time():
    a = read("heavy_snow_lowercase.json")
    assert (a.disaster, a.level) == ("heavy_snow", "advisory")
    assert a.identifier == "218851"
    assert a.sender == "경기도"
    assert a.sent == "2024-11-27T07:10:05+09:00"
    assert a.event == "대설주의보"
    assert a.severity == "Moderate"
    assert a.area_names() == ["경기도 수원시", "경기도 용인시", "경기도 화성시"]   # the repeat is dropped
    assert a.headline == "오늘 07시 경기남부 대설주의보 발효 중."
    assert a.parameters.get("dst_se_nm") == "대설"


def test_infectious_disease_is_known_but_has_no_picture():
    a = read("infectious_disease.json")
    assert a.disaster is None and a.level is None
    assert a.event == "감염병"
    assert a.sender == "부산광역시"
    assert a.area_names() == ["부산광역시 전체"]
    assert a.categories == ["Health"]
    assert "no visual template for event '감염병'" in a.warnings
    assert a.makes_media      # it is an alert; the caller refuses media because disaster is None


def test_old_api_disastermsg_rows():
    alerts = read_all("old_api_disastermsg.json")
    assert [a.identifier for a in alerts] == ["78811", "78806"]
    assert [a.position for a in alerts] == [0, 1]
    first, second = alerts
    assert first.disaster == "typhoon" and first.level is None
    assert first.sender == "포항시"
    assert first.sent == "2020-09-07T05:12:40+09:00"
    assert first.area_names() == ["경상북도 포항시", "경상북도 경주시"]
    assert (first.severity, first.urgency) == ("Unknown", "Unknown")
    assert first.parameters == [("location_id", "167,168"), ("send_platform", "cbs")]
    assert "disaster type 'typhoon' guessed from the message text" in first.warnings
    assert not any("EMRG_STEP_NM" in w for w in first.warnings)   # the old API has no tier
    assert (second.disaster, second.level, second.event) == ("typhoon", "warning", "태풍경보")
    assert second.sent == "2020-09-07T04:50:03+09:00"


def test_body_with_three_records_parse_all_in_file_order():
    alerts = read_all("body_three_records.json")
    assert [a.identifier for a in alerts] == ["199204", "199198", "199187"]
    assert [a.disaster for a in alerts] == [None, "heavy_rain", "heat_wave"]
    assert [a.level for a in alerts] == [None, "warning", "warning"]
    assert [a.event for a in alerts] == ["교통", "호우경보", "폭염경보"]
    assert [a.sent for a in alerts] == ["2023-08-10T09:41:07+09:00", "2023-08-10T09:05:22+09:00",
                                        "2023-08-10T08:30:00+09:00"]
    assert [a.severity for a in alerts] == ["Moderate", "Severe", "Moderate"]
    # "호우주의보를 호우경보로 변경": the strongest level named wins
    assert alerts[1].headline == "09시 광주 호우주의보를 호우경보로 변경."


def test_body_with_three_records_parse_picks_the_first_with_a_disaster():
    a = read("body_three_records.json")
    assert a.identifier == "199198" and a.disaster == "heavy_rain"
    assert a.position == 1
    assert a.warnings[0] == "read record 2 of 3 (SN 199198)"


def test_one_record_file_has_no_choice_warning():
    assert not any(w.startswith("read record") for w in read("earthquake_body.json").warnings)


# -- shapes and values ----------------------------------------------------------------------------------
def test_other_wrappers_and_number_values():
    obj = {"response": {"header": {"resultCode": "00"},
                        "body": {"items": {"item": [record(SN=7.0, DST_SE_NM="대설",
                                                           MSG_CN="[강원특별자치도] 대설경보")]}}}}
    a = parse_obj(obj)
    assert (a.identifier, a.disaster, a.level, a.event) == ("7", "heavy_snow", "warning", "대설경보")


def test_text_decides_when_the_category_is_generic_or_missing():
    a = parse_obj(record(DST_SE_NM="기타", MSG_CN="[제주특별자치도] 제주도산지 대설주의보 발효 중"))
    assert (a.disaster, a.level, a.event) == ("heavy_snow", "advisory", "대설주의보")
    assert not any("guessed" in w for w in a.warnings)    # a KMA warning name is no guess
    b = parse_obj(record(DST_SE_NM=None, MSG_CN="[포항시] 규모 3.2 지진 발생, 여진에 주의"))
    assert (b.disaster, b.event) == ("earthquake", "지진")
    assert "disaster type 'earthquake' guessed from the message text" in b.warnings


def test_category_beats_the_text_and_other_warnings_give_no_level():
    a = parse_obj(record(DST_SE_NM="산불", MSG_CN="[강릉시] 건조경보 중 옥계면 산불 발생, 주민 대피 바랍니다"))
    assert (a.disaster, a.level, a.event) == ("wildfire", None, "산불")


@pytest.mark.parametrize("category", ["실종", "정전", "민방공"])
def test_more_categories_without_a_picture(category):
    a = parse_obj(record(DST_SE_NM=category, MSG_CN="[서울특별시] 호우경보 해제 이후 안내"))
    assert a.disaster is None and a.level is None
    assert f"no visual template for event {category!r}" in a.warnings


@pytest.mark.parametrize("step, expected", [
    ("위급재난", ("Extreme", "Immediate", "Observed")),
    ("긴급재난", ("Severe", "Immediate", "Observed")),
    ("안전안내", ("Moderate", "Expected", "Likely")),
    ("긴급재난문자", ("Severe", "Immediate", "Observed")),
    (" 위급 재난 ", ("Extreme", "Immediate", "Observed")),
])
def test_severity_from_the_tier(step, expected):
    a = parse_obj(record(EMRG_STEP_NM=step))
    assert (a.severity, a.urgency, a.certainty) == expected


def test_unknown_tier_and_missing_fields_warn_on_one_line():
    a = parse_obj({"MSG_CN": "[양양군] 강풍경보\n 해안가 접근 금지", "EMRG_STEP_NM": "주의"})
    assert (a.disaster, a.level) == ("strong_wind", "warning")
    assert a.identifier == "" and a.sent is None and a.areas == []
    assert a.severity == "Unknown"
    assert "EMRG_STEP_NM '주의' is not 위급재난, 긴급재난 or 안전안내; severity unknown" in a.warnings
    assert "the record has no SN (serial number)" in a.warnings
    assert "the record has no CRT_DT (creation time)" in a.warnings
    assert "the record has no RCPTN_RGN_NM (receiving regions)" in a.warnings
    assert all("\n" not in w for w in a.warnings)
    assert a.description == "[양양군] 강풍경보\n해안가 접근 금지"
    assert a.headline == "강풍경보"


def test_unreadable_time_and_empty_message():
    a = parse_obj(record(CRT_DT="어제 오후", MSG_CN=""))
    assert a.sent is None
    assert "CRT_DT '어제 오후' is not a time (not a time)" in a.warnings
    assert "the record has no MSG_CN (message text); read from DST_SE_NM alone" in a.warnings
    assert (a.disaster, a.event, a.headline) == ("heavy_rain", "호우", "호우")


def test_drill_and_retraction():
    drill = parse_obj(record(MSG_CN="[훈련] [서울특별시] 호우경보 발령 상황입니다"))
    assert drill.status == "Exercise" and drill.is_actual is False
    retract = parse_obj(record(MSG_CN="[서울특별시] 06:41 발송한 호우경보 문자는 오발송입니다"))
    assert retract.msg_type == "Cancel" and retract.makes_media is False
    assert any("오발송" in w for w in retract.warnings)


def test_parse_prefers_a_record_that_makes_media():
    obj = [record(SN="1", MSG_CN="[서울특별시] 앞서 보낸 호우경보는 오발령입니다"), record(SN="2")]
    a = parse_obj(obj)
    assert a.identifier == "2" and a.makes_media


def test_other_language_asked_for():
    a = parse_obj(record(), lang="en")
    assert a.language == "ko-KR"
    assert any("no info block in language 'en'" in w for w in a.warnings)
    assert not any("language" in w for w in parse_obj(record(), lang="ko").warnings)


def test_str_input_and_utf8_bom():
    text = json.dumps(record(), ensure_ascii=False)
    assert MoisParser().parse(text).disaster == "heavy_rain"
    a = MoisParser().parse(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert a.disaster == "heavy_rain" and a.warnings == []


def test_cp949_bytes_are_accepted_with_a_warning():
    data = json.dumps(record(MSG_CN="[강릉시] 대설경보 발효, 차량 운행 자제 바랍니다",
                             RCPTN_RGN_NM="강원특별자치도 강릉시", DST_SE_NM="대설"),
                      ensure_ascii=False).encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    a = MoisParser().parse(data)
    assert (a.disaster, a.level, a.sender) == ("heavy_snow", "warning", "강릉시")
    assert a.area_names() == ["강원특별자치도 강릉시"]
    assert a.warnings[0] == "the file is not UTF-8; read as CP949 (EUC-KR)"


def test_a_record_without_message_and_category_is_skipped_among_others():
    obj = {"body": [{"SN": "9", "CRT_DT": "2023/07/15 06:00:00"}, record(SN="10")]}
    alerts = MoisParser().parse_all(json.dumps(obj).encode())
    assert [a.identifier for a in alerts] == ["10"]
    assert alerts[0].position == 1
    assert "skipped record 1 of 2: it (SN 9) has neither MSG_CN nor DST_SE_NM" in alerts[0].warnings


# -- errors ---------------------------------------------------------------------------------------------
def error_of(data) -> str:
    with pytest.raises(InputError) as info:
        MoisParser().parse(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_malformed_json_says_where():
    message = error_of('{"SN": "1",\n  "MSG_CN": "[행정안전부] 호우경보" "DST_SE_NM": "호우"}'.encode())
    assert message.startswith("disaster-text JSON is malformed at line 2, column 28:")
    assert "Expecting ',' delimiter" in message


def test_json_without_records_names_the_keys_it_saw():
    message = error_of(b'{"type": "FeatureCollection", "features": []}')
    assert "holds no records" in message and "keys seen: type, features" in message
    assert "empty list" in error_of(b"[]")
    assert "lone int" in error_of(b"42")


def test_service_error_is_quoted():
    obj = {"header": {"resultCode": "30", "resultMsg": "SERVICE KEY IS NOT REGISTERED ERROR.",
                      "errorMsg": None}, "numOfRows": 10, "pageNo": 1, "totalCount": 0, "body": []}
    message = error_of(json.dumps(obj).encode())
    assert "the service said: SERVICE KEY IS NOT REGISTERED ERROR." in message


def test_single_record_without_message_or_category():
    message = error_of(json.dumps({"SN": 5, "CRT_DT": "2023/07/15 06:32:14"}).encode())
    assert message == ("disaster-text JSON: the record (SN 5) has neither MSG_CN nor DST_SE_NM: "
                       "nothing to read")


def test_huge_input_is_refused_before_parsing():
    message = error_of(b" " * (mois.MAX_BYTES + 1))
    assert "larger than 8 MiB" in message
    assert "larger than 8 MiB" in error_of(" " * (mois.MAX_BYTES + 1))


@pytest.mark.parametrize("data", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000])
def test_absurd_nesting(data):
    assert error_of(data) == "disaster-text JSON is nested too deeply to read"


def test_deep_but_readable_nesting_finds_no_records():
    data = b"[" * 50 + json.dumps(record()).encode() + b"]" * 50
    assert "holds no records" in error_of(data)


def test_too_many_records(monkeypatch):
    monkeypatch.setattr(mois, "MAX_RECORDS", 3)
    assert len(MoisParser().parse_all(json.dumps([record()] * 3).encode())) == 3
    message = error_of(json.dumps([record()] * 4).encode())
    assert "more than 3 records" in message


def test_neither_utf8_nor_cp949():
    assert "neither UTF-8 nor CP949" in error_of(b'{"MSG_CN": "\x80\x80"}')


def test_empty_input():
    assert error_of(b"  \n") == "disaster-text JSON is empty"


def test_wrong_type():
    with pytest.raises(TypeError):
        MoisParser().parse(123)


# -- helpers --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("2023/07/15 06:32:14", "2023-07-15T06:32:14+09:00"),
    ("2023-07-15 06:32:14", "2023-07-15T06:32:14+09:00"),
    ("20230715063214", "2023-07-15T06:32:14+09:00"),
    ("2023-07-15T06:32:14+09:00", "2023-07-15T06:32:14+09:00"),
    ("2023-07-14T21:32:14Z", "2023-07-14T21:32:14+00:00"),
    ("2023-07-15 06:32:14.0", "2023-07-15T06:32:14+09:00"),
    ("2023/7/5 6:32", "2023-07-05T06:32:00+09:00"),
    ("2023/07/15", "2023-07-15T00:00:00+09:00"),
    ("2023/13/15 06:32:14", None),
    ("오늘 06시", None),
])
def test_to_iso(value, expected):
    assert to_iso(value)[0] == expected


def test_date_only_time_warns():
    a = parse_obj(record(CRT_DT="2023-07-15"))
    assert a.sent == "2023-07-15T00:00:00+09:00"
    assert "CRT_DT '2023-07-15' has no time of day; read as midnight" in a.warnings


def test_split_helpers():
    assert split_sender("[행정안전부] 오늘 호우경보") == ("행정안전부", "오늘 호우경보")
    assert split_sender("【 충주시 】 지진 발생") == ("충주시", "지진 발생")
    assert split_sender("호우경보 발효") == ("", "호우경보 발효")
    assert split_regions("충청북도 청주시 ,충청북도  괴산군, ,충청북도 청주시") == ["충청북도 청주시", "충청북도 괴산군"]
    assert split_regions("") == []


# -- categories the taxonomy knows ---------------------------------------------------------------------
@pytest.mark.parametrize("category, message, expected", [
    ("화재", "[울산광역시] 온산공단 화재 발생, 창문을 닫으세요", ("wildfire", None, "화재", "Fire")),
    ("미세먼지", "[서울특별시] 미세먼지 경보 발령, 외출 자제", ("yellow_dust", "warning", "미세먼지경보", "Env")),
    ("해일", "[속초시] 해일주의보, 해안가 접근 금지", ("tsunami", "advisory", "해일주의보", "Geo")),
    ("낙뢰", "[청주시] 낙뢰 주의, 야외활동 자제", ("thunderstorm", None, "낙뢰", "Met")),
    ("교통", "[강릉시] 대설경보로 대관령 구간 차량 통제", ("heavy_snow", "warning", "대설경보", "Transport")),
    ("하천", "[구례군] 섬진강 홍수경보 발령", ("flood", "warning", "홍수경보", "Other")),
])
def test_category_type_level_event_and_cap_category(category, message, expected):
    a = parse_obj(record(DST_SE_NM=category, MSG_CN=message))
    assert (a.disaster, a.level, a.event, a.categories[0]) == expected


@pytest.mark.parametrize("category, cap", [
    ("통신", "Infra"), ("금융", "Infra"), ("수도", "Infra"), ("에너지", "Infra"), ("테러", "Security"),
    ("비상사태", "Security"), ("화생방사고", "CBRNE"), ("환경오염사고", "Env"), ("화학사고", "Env"),
    ("방사능", "Env"), ("폭발", "Fire"), ("붕괴", "Safety"), ("안개", "Met"), ("AI", "Health"),
])
def test_non_visual_categories_and_their_cap_category(category, cap):
    a = parse_obj(record(DST_SE_NM=category, MSG_CN="[서울특별시] 호우경보 해제 이후 안내"))
    assert a.disaster is None and a.level is None and a.event == category
    assert a.categories == [cap]
    assert f"no visual template for event {category!r}" in a.warnings


@pytest.mark.parametrize("category, expected", [
    ("호우", ("heavy_rain", "warning", "호우경보")),
    ("산사태", ("landslide", "advisory", "산사태주의보")),
    ("기타", ("heavy_rain", "warning", "호우경보")),
])
def test_level_is_the_one_the_text_gives_the_record_type(category, expected):
    a = parse_obj(record(DST_SE_NM=category, MSG_CN="[남원시] 호우경보 발효 중, 산사태주의보 발령"))
    assert (a.disaster, a.level, a.event) == expected
