"""The metadata LLM's conversation format and the cleaning parser."""
from __future__ import annotations

import json

import pytest

from cinealert.alerts import read_input
from cinealert.prompting import TemplateGenerator
from cinealert.prompting.llm_format import (MODEL_FIELDS, alert_keywords, build_messages, build_plain,
                                            clean_text, parse_output, scene_problem, target_text)
from cinealert.prompting.metadata import SceneMetadata

DEFAULTS = TemplateGenerator().generate(read_input("flood"), seed=1)


def test_keywords_and_messages():
    alert = read_input("호우경보 발령")
    kw = alert_keywords(alert, DEFAULTS)
    assert kw.startswith("disaster: heavy_rain; event: 호우") and "level: warning" in kw
    assert "country: korea" in kw and f"time: {DEFAULTS.time_of_day}" in kw
    msgs = build_messages(kw)
    assert [m["role"] for m in msgs] == ["system", "user"] and kw in msgs[1]["content"]
    assert "no people" in msgs[0]["content"].lower()
    assert build_plain(kw).endswith("Scene metadata: ") and kw in build_plain(kw)


def test_target_round_trips_through_parser():
    text = target_text(DEFAULTS)
    assert set(json.loads(text)) == set(MODEL_FIELDS)
    parsed = parse_output(text, disaster="flood", defaults=DEFAULTS)
    assert parsed.form == "json" and parsed.cleanups == [] and parsed.filled == []
    assert parsed.metadata == DEFAULTS


@pytest.mark.parametrize("raw, cleaned, note", [
    ("Flood water fills the street a", "Flood water fills the street", "stray trailing tokens 'a'"),
    ("Flood water fills the street 0", "Flood water fills the street", "stray trailing tokens '0'"),
    ("Water rises. Water rises. The bridge is gone.", "Water rises. The bridge is gone.", "repeated sentence"),
    ("The river the river the river floods the town.", "The river floods the town.", "repeated phrase"),
    ("Water covers the road. A man waves from a roof.", "Water covers the road.", "mentions people"),
    ("Water covers the road. The bridge is half", "Water covers the road.", "truncated last sentence"),
    ("Water\ufffd covers\x00 the road.", "Water covers the road.", "undecodable"),
])
def test_clean_text(raw, cleaned, note):
    notes: list[str] = []
    assert clean_text(raw, notes) == cleaned
    assert any(note in n for n in notes), notes


def test_json_answer_cleaned_and_filled():
    answer = ('Sure! {"scene": "Flood water fills the streets of a small town", "time_of_day": "Night", '
              '"foreground": ["a flooded road", "residents on roofs"], "sky": "dark clouds a", '
              '"camera": "zoom in", "season": "monsoon"} trailing chatter')
    p = parse_output(answer, disaster="flood", language="en", defaults=DEFAULTS)
    m = p.metadata
    assert p.form == "json" and m.time_of_day == "night" and m.camera == "zoom-in"
    assert m.foreground == ["a flooded road"] and m.sky == "dark clouds"
    assert m.season == DEFAULTS.season and "season" in p.filled and "background" in p.filled
    assert m.regions == DEFAULTS.regions and m.keywords == DEFAULTS.keywords
    assert p.needed_cleanup and any("mentions people" in c for c in p.cleanups)


def test_truncated_json_is_closed():
    p = parse_output('{"scene": "Brown flood water covers the town square", "sky": "low gr',
                     disaster="flood", defaults=DEFAULTS)
    assert p.metadata is not None and p.metadata.scene == "Brown flood water covers the town square"
    assert "sky" in p.filled


def test_prose_answer():
    p = parse_output("Brown flood water swallows a river town. Cars float. The embankment has broken.",
                     disaster="flood", defaults=DEFAULTS)
    assert p.form == "prose" and p.metadata.scene.startswith("Brown flood water swallows")
    assert isinstance(p.metadata, SceneMetadata) and "setting" in p.filled


@pytest.mark.parametrize("answer, problem", [
    ("", "no usable scene description"),
    ("a 0", "no usable scene description"),
    ('owmm":(or wanow ad road"]hanac flood\'mallINqning inkeyees%eaQB tpbrningErees', "not English words"),
    ("flood water %%%% #### $$$$ road town &&&& **** ++++", "not readable text"),
    ("Flames engulf the pine-covered ridge above the village at dusk.", "does not show a flood"),
])
def test_unusable_answers(answer, problem):
    p = parse_output(answer, disaster="flood", defaults=DEFAULTS)
    assert p.metadata is None and problem in p.problem


def test_scene_problem_accepts_real_prose_with_unusual_words():
    assert scene_problem("Torrential rain inundates the quaint harbour village as murky torrents surge "
                         "past shuttered shops.", "flood") is None
