"""The disaster taxonomy: names, free-text words in six languages, event codes, levels, KMA warning
names, disaster-text categories and the error for alert kinds that have no picture."""
from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from cinealert.disasters import (
    CAP_CATEGORIES,
    DISASTER_TEXT_CATEGORIES,
    DISASTERS,
    EVENT_CODES,
    GENERIC_CATEGORIES,
    KNOWN_NON_VISUAL,
    LANGUAGES,
    PAPER_TYPES,
    NoVisualTemplate,
    cap_category,
    detect_disaster,
    detect_level,
    detect_non_visual,
    disaster_for_code,
    disaster_for_name,
    get_disaster,
    kma_warning,
    kma_warning_for,
    level_for_code,
    lookup_code,
    non_visual_event,
    require_visual,
    scheme_of,
)
from cinealert.errors import InputError


def key_of(text: str) -> str | None:
    found = detect_disaster(text)
    return found.key if found else None


# ------------------------------------------------------------------------------------- free text
@pytest.mark.parametrize("text, key", [
    # English
    ("Flash Flood Warning for the valley tonight", "flood"),
    ("The National Weather Service has issued a Hurricane Warning for coastal counties", "typhoon"),
    ("Tsunami Warning: move to high ground immediately", "tsunami"),
    ("Red Flag Warning: gusty winds and low humidity", "dry_weather"),
    ("Excessive Heat Advisory in effect until Friday", "heat_wave"),
    ("Winter Storm Watch for the mountains above 5000 feet", "heavy_snow"),
    ("A magnitude 6.4 earthquake struck near the coast", "earthquake"),
    ("a wildfire is spreading near the town", "wildfire"),
    ("High Wind Warning remains in effect", "strong_wind"),
    ("Dust storm warning: visibility near zero on the interstate", "yellow_dust"),
    # Korean
    ("[행정안전부] 오늘 21시 서울 호우경보, 하천변 산책로 이용 자제", "heavy_rain"),
    ("경북 포항시 북구 북쪽 7km 지역 규모 4.0 지진 발생", "earthquake"),
    ("산불 발생, 인근 주민은 마을회관으로 대피 바랍니다", "wildfire"),
    ("강원 산간 대설경보 발효 중, 차량 운행 자제", "heavy_snow"),
    ("폭염경보 발효 중. 야외활동 자제", "heat_wave"),
    ("하천범람 우려, 저지대 주민 대피", "flood"),
    ("한파주의보 발효, 수도관 동파 주의", "cold_wave"),
    # French
    ("Vigilance orange crues pour le département du Gard", "flood"),
    ("Inondation : la Seine déborde à Paris", "flood"),
    ("Alerte canicule : fortes chaleurs attendues", "heat_wave"),
    ("Feu de forêt en cours près de Marseille", "wildfire"),
    ("Incendie de forêt : évacuation du camping", "wildfire"),
    ("Tempête de neige sur les Alpes", "heavy_snow"),
    ("Séisme de magnitude 5,2 ressenti en Provence", "earthquake"),
    ("Tremblement de terre dans les Pyrénées", "earthquake"),
    ("Risque de raz-de-marée après le séisme", "tsunami"),
    ("Vigilance jaune orages sur le Sud-Ouest", "thunderstorm"),
    ("Avertissement de CANICULE Modéré", "heat_wave"),
    # Spanish
    ("Aviso naranja por lluvias intensas en la Comunidad Valenciana", "heavy_rain"),
    ("Inundación en la ribera del río", "flood"),
    ("Incendio forestal activo en Tenerife, desalojo de vecinos", "wildfire"),
    ("Ola de calor: temperaturas de hasta 44 grados", "heat_wave"),
    ("Nevada intensa en la sierra de Madrid", "heavy_snow"),
    ("Sequía extrema en Andalucía", "drought"),
    ("Terremoto de magnitud 7,1 en Oaxaca", "earthquake"),
    ("Sismo sacude la Ciudad de México", "earthquake"),
    ("Deslizamiento de tierra bloquea la carretera", "landslide"),
    ("Aviso de huracán para la costa de Yucatán", "typhoon"),
    ("Tormenta con granizo esta tarde", "thunderstorm"),
    ("Lluvia fuerte en la capital", "heavy_rain"),
    # Chinese (simplified and traditional)
    ("保定市气象台发布暴雨黄色预警信号", "heavy_rain"),
    ("上海中心气象台发布洪水预警", "flood"),
    ("长江流域发生洪涝灾害", "flood"),
    ("雷电黄色预警：预计今夜有雷电活动", "thunderstorm"),
    ("第9号台风即将登陆", "typhoon"),
    ("海上陸上颱風警報", "typhoon"),
    ("寒潮蓝色预警：气温将下降8℃", "cold_wave"),
    ("暴雪橙色预警", "heavy_snow"),
    ("高温红色预警：最高气温40℃以上", "heat_wave"),
    ("气象干旱橙色预警", "drought"),
    ("大风蓝色预警", "strong_wind"),
    ("沙尘暴黄色预警", "yellow_dust"),
    ("森林火险橙色预警", "wildfire"),
    ("山火蔓延", "wildfire"),
    ("四川发生6.8级地震", "earthquake"),
    ("日本海域发生海啸", "tsunami"),
    ("风暴潮黄色预警", "storm_surge"),
    ("山体滑坡和泥石流风险", "landslide"),
    ("明德水庫:洩洪中", "flood"),
    ("豪雨特報", "heavy_rain"),
    # Japanese
    ("大雨特別警報が発表されました", "heavy_rain"),
    ("津波警報：ただちに避難してください", "tsunami"),
    ("土砂災害警戒情報", "landslide"),
])
def test_detect_disaster_in_many_languages(text, key):
    assert key_of(text) == key


@pytest.mark.parametrize("text, key", [
    ("flash flood", "flood"),
    ("Coastal flood warning for the harbour", "storm_surge"),      # "coastal flood" over "flood"
    ("지진해일 주의보", "tsunami"),                                  # 지진해일 over 지진
    ("지진 발생 후 지진해일 우려", "tsunami"),
    ("폭풍해일경보", "storm_surge"),                                 # 폭풍해일 over 해일
    ("雷雨大风黄色预警", "strong_wind"),                             # 雷雨大风 over 雷雨
    ("海上大风预警", "high_seas"),                                    # 海上大风 over 大风
    ("Tempête de neige et tempête", "heavy_snow"),                   # tempête de neige over tempête
    ("Tormenta tropical Alberto", "typhoon"),                        # tormenta tropical over tormenta
    ("Risque d'incendie très élevé", "dry_weather"),                 # risque d'incendie over incendie
    ("Fire Weather Watch", "dry_weather"),                           # fire weather over fire
    ("水庫洩洪警戒", "flood"),
])
def test_longest_word_wins(text, key):
    assert key_of(text) == key


@pytest.mark.parametrize("text", [
    "Test message",
    "Child Abduction Emergency",
    "firewall test",
    "Firefox update available",
    "floodlight maintenance tonight",
    "눈물이 난다",                      # 눈 (eye/snow) alone is not a word of the tables
    "",
    "Required Weekly Test",
])
def test_neutral_text_gives_none(text):
    assert detect_disaster(text) is None


def test_matching_is_case_accent_width_and_space_insensitive():
    assert key_of("SÉISME") == key_of("seisme") == key_of("Séisme") == "earthquake"
    assert key_of("sequia") == key_of("SEQUÍA") == "drought"
    assert key_of("ＦＬＯＯＤ ＷＡＲＮＩＮＧ") == "flood"                # fullwidth letters (NFKC)
    assert key_of("raz de marée") == key_of("raz-de-marée") == "tsunami"
    assert key_of("heavy\n  rain") == "heavy_rain"
    assert key_of("하천 범람") == key_of("하천범람") == "flood"
    assert key_of("pénurie d’eau") == "drought"                         # typographic apostrophe
    assert key_of("inundaciones") == key_of("crues") == "flood"          # plurals


def test_detect_disaster_on_a_long_text():
    filler = "Residents along the river should stay informed and follow local guidance. " * 700
    text = filler + " 대설주의보 " + filler + " Flash flood warning. " + "天气 " * 2000
    assert len(text) > 50_000
    assert key_of(text) == "flood"                  # "flash flood" (11) beats 대설 (4)
    assert detect_level(text) == "warning"
    assert detect_non_visual(filler) is None


# ------------------------------------------------------------------------------------- levels
@pytest.mark.parametrize("text, level", [
    ("호우주의보", "advisory"), ("호우경보", "warning"), ("강풍 예비특보", "watch"),
    ("호우주의보를 호우경보로 대치", "warning"),
    ("Special Weather Statement", "advisory"), ("watch upgraded to a warning", "warning"),
    ("Tornado Watch", "watch"), ("Wind Advisories in effect", "advisory"),
    ("nothing here", None),
    ("Vigilance orange canicule", "warning"), ("Vigilance rouge crues", "warning"),
    ("Vigilance jaune orages", "advisory"), ("Vigilance verte", None),
    ("Avertissement de pluie", "warning"), ("Veille d'orages violents", "watch"),
    ("Avis de coup de vent", "advisory"), ("Alerte tsunami", "warning"),
    ("Restez en alerte et écoutez la radio", None), ("la veille de Noël", None),
    ("Aviso de huracán", "warning"), ("Vigilancia de tormenta tropical", "watch"),
    ("Advertencia de viento", "advisory"), ("Aviso amarillo por lluvias", "advisory"),
    ("Aviso rojo por calor", "warning"), ("Alerta roja por incendio", "warning"),
    ("Manténgase alerta a la información oficial", None),
    ("暴雨蓝色预警", "advisory"), ("暴雨黄色预警信号", "warning"), ("暴雨橙色预警", "warning"),
    ("暴雨红色预警", "warning"), ("颱風紅色預警", "warning"), ("海上颱風警報", "warning"),
    ("豪雨特報", "advisory"), ("防空警报", "warning"),
    ("大雨注意報", "advisory"), ("大雨特別警報", "warning"),
])
def test_detect_level(text, level):
    assert detect_level(text) == level


def test_detect_level_is_reexported_by_keyword_module():
    from cinealert.alerts.keyword import detect_level as from_keyword
    assert from_keyword is detect_level
    assert from_keyword("대설경보") == "warning"


# ------------------------------------------------------------------------------------- codes
TTA = "TTAS.KO-07.0046/R5 재난 종류 코드"
CAPCP = "profile:CAP-CP:Event:0.4"


@pytest.mark.parametrize("code, key, level", [
    ("HRA", "heavy_rain", "advisory"), ("HRW", "heavy_rain", "warning"),
    ("FLA", "flood", "advisory"), ("FLW", "flood", "warning"),
    ("CWA", "cold_wave", "advisory"), ("CWW", "cold_wave", "warning"),
    ("SSA", "storm_surge", "advisory"), ("SSW", "storm_surge", "warning"),
    ("TSA", "tsunami", "advisory"), ("TSW", "tsunami", "warning"),
    ("HWA", "strong_wind", "advisory"), ("HWW", "strong_wind", "warning"),
    ("HUA", "typhoon", "advisory"), ("EQW", "earthquake", "warning"),
    ("MFW", "wildfire", "warning"), ("AVW", "landslide", "warning"),
    ("YSW", "yellow_dust", "warning"), ("BZW", "heavy_snow", "warning"),
    ("WWW", "high_seas", None), ("HAW", "dry_weather", None),      # used for 주의보 and 경보 alike
    ("hra", "heavy_rain", "advisory"),                               # case-insensitive
])
def test_tta_codes(code, key, level):
    assert disaster_for_code(code, TTA).key == key
    assert disaster_for_code(code).key == key                      # TTA is the default reading
    assert level_for_code(code, TTA) == level


def test_tta_non_visual_codes():
    for code in ("AL1", "AL2", "CAE", "TOR", "RTW"):
        assert disaster_for_code(code, TTA) is None
        assert non_visual_event(code, TTA)
    assert "air raid" in non_visual_event("AL1", TTA)
    assert "AL1" in KNOWN_NON_VISUAL and "CAE" in KNOWN_NON_VISUAL


def test_unconfirmed_codes_are_marked():
    assert lookup_code("HRA", TTA).confirmed
    assert not lookup_code("TYW", TTA).confirmed
    assert lookup_code("TYW").disaster == "typhoon"
    assert any(not e.confirmed for e in EVENT_CODES) and any(e.confirmed for e in EVENT_CODES)


@pytest.mark.parametrize("code, key, level", [
    ("FFW", "flood", "warning"), ("FFA", "flood", "watch"), ("FLS", "flood", "advisory"),
    ("FLW", "flood", "warning"), ("HUW", "typhoon", "warning"), ("HUA", "typhoon", "watch"),
    ("TSW", "tsunami", "warning"), ("EQW", "earthquake", "warning"), ("FRW", "wildfire", "warning"),
    ("WSW", "heavy_snow", "warning"), ("BZW", "heavy_snow", "warning"),
    ("EWW", "strong_wind", "warning"), ("HWA", "strong_wind", "watch"),
    ("SVR", "thunderstorm", "warning"), ("DSW", "yellow_dust", "warning"),
    ("SSW", "storm_surge", "warning"), ("CFW", "storm_surge", "warning"),
])
def test_same_codes(code, key, level):
    assert disaster_for_code(code, "SAME").key == key
    assert level_for_code(code, "SAME") == level


def test_same_codes_without_a_picture():
    assert disaster_for_code("TOR", "SAME") is None
    assert non_visual_event("TOR", "SAME") == "tornado warning"
    assert disaster_for_code("CAE", "SAME") is None
    assert non_visual_event("CAE", "SAME") == "child abduction emergency"
    # CWW is a cold wave warning in Korea and a contaminated water warning in the US
    assert disaster_for_code("CWW", "SAME") is None
    assert non_visual_event("CWW", "SAME") == "contaminated water warning"
    assert disaster_for_code("CWW", TTA).key == "cold_wave"
    assert non_visual_event("CWW", TTA) is None
    # SPS is unspecific, not non-visual: look at the text
    assert disaster_for_code("SPS", "SAME") is None and non_visual_event("SPS", "SAME") is None


def test_nws_value_name_reads_same_codes_too():
    assert disaster_for_code("HUW", "NationalWeatherService").key == "typhoon"
    assert disaster_for_code("FWW", "NationalWeatherService").key == "dry_weather"
    assert level_for_code("WIY", "NationalWeatherService") == "advisory"


@pytest.mark.parametrize("code, key", [
    ("rainfall", "heavy_rain"), ("snowfall", "heavy_snow"), ("wildFire", "wildfire"),
    ("wildfire", "wildfire"), ("forestFire", "wildfire"), ("flood", "flood"),
    ("flashFlood", "flood"), ("hurricane", "typhoon"), ("tsunami", "tsunami"),
    ("heat", "heat_wave"), ("stormSurge", "storm_surge"), ("earthquake", "earthquake"),
])
def test_capcp_codes(code, key):
    assert disaster_for_code(code, CAPCP).key == key
    assert level_for_code(code, CAPCP) is None


def test_capcp_unspecific_and_non_visual():
    assert disaster_for_code("weather", CAPCP) is None
    assert non_visual_event("weather", CAPCP) is None
    assert disaster_for_code("amber", CAPCP) is None
    assert "child abduction" in non_visual_event("amber", CAPCP)


def test_level_for_code_suffix_conventions():
    assert level_for_code("XYA", TTA) == "advisory"
    assert level_for_code("XYA", "SAME") == "watch"
    assert level_for_code("XYY", "NationalWeatherService") == "advisory"
    assert level_for_code("XYW") == "warning"
    assert level_for_code("XYA") is None            # A is an advisory in Korea, a watch in the US
    assert level_for_code("") is None and level_for_code("rainfall") is None


def test_disaster_for_code_odds_and_ends():
    assert disaster_for_code("fire", "https://govshare.gov.au/xmlui/handle/10772/6495").key == "wildfire"
    assert disaster_for_code("structure_fire", "non-standard secondary event code") is None
    assert disaster_for_code("  FFW ").key == "flood"
    assert disaster_for_code("") is None and disaster_for_code("ZZZ") is None
    assert disaster_for_code("호우").key == "heavy_rain"         # not a code: read as a name


def test_scheme_of():
    assert scheme_of(TTA) == "tta"
    assert scheme_of("SAME") == "same"
    assert scheme_of("NationalWeatherService") == "nws"
    assert scheme_of(CAPCP) == "capcp"
    assert scheme_of("something else") is None and scheme_of(None) is None


# ------------------------------------------------------------------------------------- KMA names
@pytest.mark.parametrize("text, key, level", [
    ("호우주의보", "heavy_rain", "advisory"),
    ("대설경보", "heavy_snow", "warning"),
    ("지진해일경보", "tsunami", "warning"),
    ("폭풍해일주의보 발표", "storm_surge", "advisory"),
    ("태풍경보", "typhoon", "warning"), ("한파주의보", "cold_wave", "advisory"),
    ("폭염경보", "heat_wave", "warning"), ("강풍주의보", "strong_wind", "advisory"),
    ("풍랑경보", "high_seas", "warning"), ("건조주의보", "dry_weather", "advisory"),
    ("황사경보", "yellow_dust", "warning"), ("산불경보", "wildfire", "warning"),
    ("홍수주의보", "flood", "advisory"), ("산사태경보", "landslide", "warning"),
    ("대설 경보", "heavy_snow", "warning"),
    ("강풍 예비특보", "strong_wind", "watch"),
    ("강원 산간 대설특보", "heavy_snow", None),
    ("강풍주의보를 강풍경보로 대치합니다", "strong_wind", "warning"),
    ("호우주의보, 태풍경보 발효 중", "typhoon", "warning"),
])
def test_kma_warning(text, key, level):
    found = kma_warning(text)
    assert found is not None
    assert (found[0].key, found[1]) == (key, level)


def test_kma_warning_absent():
    assert kma_warning("오늘 날씨 맑음") is None
    assert kma_warning("") is None
    assert kma_warning("화재경보 오작동") is None       # a category name, not a KMA warning name


@pytest.mark.parametrize("text, key, expected", [
    ("09시 광주 호우주의보를 호우경보로 변경", "heavy_rain", ("호우경보", "warning")),
    ("호우경보 발효 중, 산사태주의보 발령", "heavy_rain", ("호우경보", "warning")),
    ("호우경보 발효 중, 산사태주의보 발령", "landslide", ("산사태주의보", "advisory")),
    ("호우경보 발효 중, 산사태주의보 발령", "flood", None),
    ("대설 경보", "heavy_snow", ("대설경보", "warning")),
    ("강풍 예비특보", "strong_wind", ("강풍예비특보", "watch")),
    ("강원 산간 대설특보", "heavy_snow", None),                       # 특보 names no level
    ("지진해일경보", "earthquake", None),                              # 지진해일 is not 지진
    ("지진해일경보", "tsunami", ("지진해일경보", "warning")),
    ("미세먼지 경보, 황사주의보", "yellow_dust", ("미세먼지경보", "warning")),
    ("초미세먼지 주의보", "yellow_dust", ("초미세먼지주의보", "advisory")),
    ("화재경보 발령", "wildfire", ("화재경보", "warning")),             # category names count here
    ("해일주의보", "tsunami", ("해일주의보", "advisory")),
    ("", "heavy_rain", None),
])
def test_kma_warning_for_one_type(text, key, expected):
    assert kma_warning_for(text, DISASTERS[key]) == expected


# ------------------------------------------------------------------------------------- names
@pytest.mark.parametrize("name, key", sorted(DISASTER_TEXT_CATEGORIES.items()))
def test_disaster_text_categories_resolve(name, key):
    assert disaster_for_name(name).key == key
    assert get_disaster(name).key == key


@pytest.mark.parametrize("name, reason", [
    ("감염병", "infectious disease"), ("가축질병", "livestock disease"), ("교통", "traffic"),
    ("교통통제", "road closure"), ("정전", "power cut"), ("실종", "missing person"),
    ("민방공", "civil defence (air raid)"), ("AI(조류인플루엔자)", "avian influenza"),
    ("AI", "avian influenza"), ("조류인플루엔자", "avian influenza"), ("통신", "telecom outage"),
    ("금융", "financial"), ("수도", "water supply"), ("에너지", "energy supply"), ("테러", "terrorism"),
    ("비상사태", "state of emergency"), ("화생방사고", "CBRN hazard"),
    ("환경오염사고", "environmental pollution accident"), ("화학사고", "chemical accident"),
    ("폭발", "explosion"), ("붕괴", "structural collapse"), ("안개", "fog"), ("방사능", "radiation"),
])
def test_non_visual_categories(name, reason):
    assert disaster_for_name(name) is None
    assert non_visual_event(name) == reason
    assert name in KNOWN_NON_VISUAL or name.lower() in KNOWN_NON_VISUAL
    with pytest.raises(NoVisualTemplate, match="no visual template"):
        get_disaster(name)


def test_unspecific_category_is_neither():
    assert disaster_for_name("기타") is None
    assert non_visual_event("기타") is None
    with pytest.raises(InputError) as err:
        get_disaster("기타")
    assert not isinstance(err.value, NoVisualTemplate)


def test_generic_categories_leave_the_type_to_the_text():
    assert {"기타", "교통"} <= GENERIC_CATEGORIES
    assert not GENERIC_CATEGORIES & set(DISASTER_TEXT_CATEGORIES)
    for name in GENERIC_CATEGORIES:
        assert disaster_for_name(name) is None, name
    assert non_visual_event("재난") is None and non_visual_event("교통") == "traffic"


# ------------------------------------------------------------------------------------- CAP category
@pytest.mark.parametrize("name, category", [
    ("호우", "Met"), ("대설", "Met"), ("황사", "Met"), ("홍수", "Met"), ("폭풍해일", "Met"),
    ("지진", "Geo"), ("지진해일", "Geo"), ("해일", "Geo"), ("산사태", "Geo"), ("산불", "Fire"),
    ("화재", "Fire"), ("미세먼지", "Env"), ("초미세먼지", "Env"), ("감염병", "Health"), ("AI", "Health"),
    ("가축질병", "Health"), ("교통", "Transport"), ("교통통제", "Transport"), ("정전", "Infra"),
    ("통신", "Infra"), ("금융", "Infra"), ("민방공", "Security"), ("테러", "Security"),
    ("비상사태", "Security"), ("실종", "Rescue"), ("붕괴", "Safety"), ("폭발", "Fire"),
    ("화학사고", "Env"), ("방사능", "Env"), ("화생방사고", "CBRNE"), ("안개", "Met"),
    ("flood", "Met"), ("Séisme", "Geo"), ("기타", "Other"), ("하천", "Other"), ("", "Other"),
])
def test_cap_category(name, category):
    assert cap_category(name) == category


def test_every_type_and_category_has_a_cap_category():
    for d in DISASTERS.values():
        assert d.cap_category in CAP_CATEGORIES and d.cap_category != "Other", d.key
        assert d.to_dict()["cap_category"] == d.cap_category
    for name in DISASTER_TEXT_CATEGORIES:
        assert cap_category(name) in CAP_CATEGORIES and cap_category(name) != "Other", name


@pytest.mark.parametrize("name, key", [
    ("flood", "flood"), ("heavy_snow", "heavy_snow"), ("Heavy Snow", "heavy_snow"),
    ("heavy-snow", "heavy_snow"), ("HEAVY_SNOW", "heavy_snow"), ("snow", "heavy_snow"),
    ("대설", "heavy_snow"), ("Inondation", "flood"), ("inundación", "flood"), ("洪水", "flood"),
    ("Typhon", "typhoon"), ("Tifón", "typhoon"), ("台风", "typhoon"), ("颱風", "typhoon"),
    ("Canicule", "heat_wave"), ("séisme", "earthquake"), ("津波", "tsunami"),
])
def test_names_in_all_languages(name, key):
    assert disaster_for_name(name).key == key
    assert get_disaster(name).key == key


def test_get_disaster_errors():
    with pytest.raises(InputError, match="Available types: flood"):
        get_disaster("volcano eruption of doom")
    with pytest.raises(TypeError):
        get_disaster(3)
    assert disaster_for_name("") is None and disaster_for_name("nonsense") is None


# ------------------------------------------------------------------------------------- no picture
def test_require_visual_error_is_one_line_and_exit_2_class():
    assert issubclass(NoVisualTemplate, InputError)
    with pytest.raises(NoVisualTemplate) as err:
        require_visual("민방공 공습경보\n2015년 8월 19일", None)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("no visual template for event ")
    assert "air raid" in msg
    assert "flood, heavy_rain" in msg and "dry_weather" in msg
    assert err.value.reason and err.value.event.startswith("민방공")


def test_require_visual_for_unknown_and_known_events():
    with pytest.raises(NoVisualTemplate) as err:
        require_visual("Child Abduction Emergency", None)
    assert "'Child Abduction Emergency' (child abduction)" in str(err.value)
    with pytest.raises(NoVisualTemplate) as err:
        require_visual("x" * 500, None)
    assert len(str(err.value)) < 400
    assert require_visual("Flood Warning", "flood").key == "flood"
    assert require_visual("anything", "대설").key == "heavy_snow"


@pytest.mark.parametrize("text, reason", [
    ("Child Abduction Emergency", "child abduction"),
    ("Abducción de Niño", "child abduction"),
    ("Tornado Warning", "tornado"),
    ("민방공 공습경보", "air raid warning"),
    ("Homeland Security Advisory System Update", "homeland security"),
    ("防空警报试鸣", "air raid"),
])
def test_non_visual_event_labels(text, reason):
    assert non_visual_event(text) == reason


def test_non_visual_event_is_none_for_pictured_events():
    assert non_visual_event("Flood Warning") is None
    assert non_visual_event("HRA") is None
    assert non_visual_event("호우") is None
    assert non_visual_event("") is None


# ------------------------------------------------------------------------------------- the types
def test_every_type_is_complete():
    assert set(PAPER_TYPES) <= set(DISASTERS)
    for d in DISASTERS.values():
        assert d.key and d.name_en and d.name_ko and d.scene and d.motion
        assert d.segmenter_keywords and d.regions
        assert set(d.names) >= {"en", "ko", "fr", "es", "zh"}
        assert d.names["en"] == d.name_en and d.names["ko"] == d.name_ko
        assert set(d.words) >= set(LANGUAGES)      # and more from data/event_terms.json
        for lang in ("en", "ko", "fr", "es", "zh"):
            assert d.words[lang], (d.key, lang)
        assert d.codes, d.key
        for lang, words in d.words.items():         # every word finds its own type
            for w in words:
                found = detect_disaster(w)
                shared = any(w in o.words.get(lang, ()) for o in DISASTERS.values() if o.key != d.key)
                assert found is not None and (found.key == d.key or shared), (d.key, lang, w)


def test_words_en_and_ko_are_read_only_views():
    flood = DISASTERS["flood"]
    assert flood.words_en == flood.words["en"] and "flash flood" in flood.words_en
    assert flood.words_ko == flood.words["ko"] and "홍수" in flood.words_ko
    with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
        flood.words_en = ("x",)


def test_to_dict_and_pickle():
    d = DISASTERS["typhoon"]
    out = d.to_dict()
    assert out["names"]["fr"] == "Typhon" and "태풍" in out["words"]["ko"]
    assert out["key"] == "typhoon" and "wind" in out["effects"] and "foliage" in out["regions"]
    json.dumps(out, ensure_ascii=False)
    assert pickle.loads(pickle.dumps(d)) == d
    assert d.name("fr-CA") == "Typhon" and d.name("de") == "Typhoon" and d.name(None) == "Typhoon"
