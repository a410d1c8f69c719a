"""Text-prompted segmenters (CLIPSeg, GroundingDINO + SAM): queries, merging, loading and errors.

The merging is tested with score maps given by hand (random weights give arbitrary masks); the tiny random
models check that each backend loads a real folder layout and returns valid labels.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from cinealert.disasters import DISASTERS
from cinealert.errors import BackendUnavailable
from cinealert.models import describe_folder
from cinealert.regions import Region
from cinealert.scene.text_segmenter import (CLASS_WORDS, CLIPSEG_THRESHOLDS, LANGSAM_THRESHOLDS, ClipSegSegmenter,
                                            LangSamSegmenter, TextSegmenter, backend_for, dino_caption, dropped_keywords,
                                            label_query, query_region, segmenter_queries)

H, W = 64, 96


# ----------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tiny_folders(tmp_path_factory):
    from fixtures.tiny_segmenters import make_tiny_clipseg, make_tiny_langsam

    root = tmp_path_factory.mktemp("segmenters")
    return {"clipseg": make_tiny_clipseg(root / "clipseg"), "langsam": make_tiny_langsam(root / "langsam")}


@pytest.fixture(scope="module")
def clipseg(tiny_folders):
    return ClipSegSegmenter(tiny_folders["clipseg"], device="cpu")


@pytest.fixture(scope="module")
def langsam(tiny_folders):
    return LangSamSegmenter(tiny_folders["langsam"], device="cpu")


def _image(h: int = H, w: int = W) -> np.ndarray:
    """Blue sky over green land with a darker blue strip of water and an orange patch."""
    rng = np.random.default_rng(1)
    img = np.empty((h, w, 3), np.float32)
    img[: h // 3] = (0.55, 0.7, 0.95)
    img[h // 3:] = (0.3, 0.5, 0.25)
    img[h // 2:, : w // 2] = (0.2, 0.3, 0.6)
    img[h // 2:, w // 2:] = (0.95, 0.5, 0.1)
    return np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)


class Given(TextSegmenter):
    """A text segmenter whose score maps are given: ``maps`` query → (h, w) array."""

    name = "given"

    def __init__(self, maps: dict[str, np.ndarray], **options):
        super().__init__(**options)
        self.maps = maps
        self.asked: list[str] = []

    def _scores(self, image, queries):
        self.asked = list(queries)
        return dict(self.maps)


def _mixed(regions=(Region.WATER, Region.FIRE, Region.CLOUD), keywords=("water", "fire")):
    """The flood type, made to animate water and fire together."""
    return dataclasses.replace(DISASTERS["flood"], regions=tuple(regions), segmenter_keywords=tuple(keywords))


def _field(value: float, box: tuple[slice, slice] | None = None, shape=(H, W)) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    out[box if box is not None else (slice(None), slice(None))] = value
    return out


# ----------------------------------------------------------------------------------------- queries
@pytest.mark.parametrize("key", sorted(DISASTERS))
def test_queries_cover_every_moving_class(key):
    disaster = DISASTERS[key]
    queries = segmenter_queries(disaster)
    assert queries and len(queries) == len(set(queries))
    assert all(q == q.lower().strip() for q in queries)
    mapped = {q: query_region(q, disaster) for q in queries}
    assert all(r in disaster.regions for r in mapped.values()), mapped
    assert set(disaster.regions) <= set(mapped.values())
    for keyword in disaster.segmenter_keywords:     # a keyword is asked for or listed as dropped
        assert (keyword.lower() in queries) != (keyword in dropped_keywords(disaster))


def test_query_examples():
    flood, typhoon, quake = DISASTERS["flood"], DISASTERS["typhoon"], DISASTERS["earthquake"]
    assert segmenter_queries(flood) == ["water", "river", "flood water", "muddy water", "sky"]
    assert query_region("muddy water", flood) == Region.WATER
    assert query_region("trees", typhoon) == Region.FOLIAGE
    assert query_region("Waves", typhoon) == Region.WATER
    assert query_region("clouds", typhoon) == Region.CLOUD
    assert query_region("rain", typhoon) == Region.NONE
    assert "rain" not in segmenter_queries(typhoon)
    assert query_region("smoke", quake) == Region.DUST            # airborne kin
    assert query_region("smoke", DISASTERS["wildfire"]) == Region.SMOKE
    assert query_region("heat haze", DISASTERS["drought"]) == Region.SHIMMER
    assert query_region("dust", DISASTERS["dry_weather"]) == Region.DUST
    assert query_region("haze", DISASTERS["yellow_dust"]) == Region.DUST
    assert query_region("landslide", DISASTERS["landslide"]) == Region.DEBRIS
    assert segmenter_queries(DISASTERS["heavy_snow"]) == ["sky"]   # snow, snowfall: particle effects
    assert segmenter_queries(DISASTERS["cold_wave"]) == ["sky"]
    assert dropped_keywords(DISASTERS["heavy_rain"]) == ["rain"]
    assert segmenter_queries(DISASTERS["landslide"])[-2:] == ["water", "sky"]
    assert all(query_region(word, _mixed(regions=[r])) == r for r, word in CLASS_WORDS.items())


def test_caption_and_labels():
    queries = ["water", "flood water", "sky"]
    assert dino_caption(["Water", "flood water.", "sky"]) == "water. flood water. sky."
    assert label_query("flood water", queries) == "flood water"
    assert label_query("water. flood water [SEP]", queries) == "flood water"
    assert label_query("flood", queries) == "flood water"
    assert label_query("sky", queries) == "sky"
    assert label_query("[SEP]", queries) is None
    assert label_query("tree", queries) is None


# ----------------------------------------------------------------------------------------- merging
def test_water_and_fire_get_their_own_labels():
    left, right = (slice(None), slice(0, W // 2)), (slice(None), slice(W // 2, None))
    seg = Given({"water": _field(0.9, left) + _field(0.45, right), "fire": _field(0.8, right)})
    labels = seg.segment(_image(), disaster=_mixed())
    assert labels.shape == (H, W) and labels.dtype == np.uint8
    assert np.mean(labels[:, : W // 2 - 4] == Region.WATER) > 0.98
    assert np.mean(labels[:, W // 2 + 4:] == Region.FIRE) > 0.98      # the higher score wins the overlap
    assert seg.asked == ["water", "fire", "sky"]
    report = seg.last_report
    assert report["query_regions"] == {"water": "water", "fire": "fire", "sky": "cloud"}
    assert report["max_score"]["water"] == pytest.approx(0.9, abs=1e-3)
    assert report["share"]["water"] == pytest.approx(0.5, abs=0.05)
    assert report["share"]["cloud"] == 0.0 and report["seconds"] >= 0


def test_thresholds_per_keyword_and_class():
    flood = DISASTERS["flood"]
    maps = {"water": _field(0.35), "river": _field(0.35)}
    assert CLIPSEG_THRESHOLDS[Region.WATER] > 0.35
    assert not Given(maps).segment(_image(), disaster=flood).any()
    by_class = Given(maps, thresholds={"water": 0.3})          # a class name: every water query
    assert Given(maps, thresholds={"WATER": 0.3}).threshold("river", Region.WATER) == 0.3
    assert np.all(by_class.segment(_image(), disaster=flood) == Region.WATER)
    by_query = Given({"river": _field(0.35)}, thresholds={"river": 0.3, "water": 0.5})
    assert by_query.threshold("river", Region.WATER) == 0.3 and by_query.threshold("flood water", Region.WATER) == 0.5
    assert np.all(by_query.segment(_image(), disaster=flood) == Region.WATER)
    assert by_query.last_report["thresholds"]["muddy water"] == 0.5
    assert Given({}).threshold("sky", Region.CLOUD) == CLIPSEG_THRESHOLDS[Region.CLOUD]
    assert LangSamSegmenter.default_thresholds is LANGSAM_THRESHOLDS
    with pytest.raises(ValueError, match="between 0 and 1"):
        Given({}, thresholds={"water": 1.5})
    with pytest.raises(ValueError, match="threshold keys"):
        Given({}, thresholds={3: 0.5})


def test_speckles_removed_and_holes_filled():
    water = _field(0.9, (slice(40, 64), slice(None)))
    water[50:53, 40:43] = 0.0                                  # a small hole in the water
    water[5:7, 10:12] = 0.9                                    # a 4-pixel speckle: 0.07 % of the image
    labels = Given({"water": water}).segment(_image(), disaster=DISASTERS["flood"])
    assert not labels[:20].any()
    assert np.all(labels[50:53, 40:43] == Region.WATER)
    assert np.mean(labels[42:] == Region.WATER) > 0.98


def test_only_the_disasters_classes_appear():
    seg = Given({q: _field(0.95) for q in ("sea", "waves", "trees", "clouds", "fire", "smoke", "mud")})
    typhoon = DISASTERS["typhoon"]
    labels = seg.segment(_image(), disaster=typhoon)
    assert set(np.unique(labels)) <= {0} | {int(r) for r in typhoon.regions}
    assert "fire" not in seg.asked and "smoke" not in seg.last_report["max_score"]
    none = dataclasses.replace(typhoon, regions=())
    assert not Given({"sea": _field(0.95)}).segment(_image(), disaster=none).any()


def test_guided_refinement_keeps_shape_and_follows_edges():
    h, w = 67, 131
    img = np.full((h, w, 3), 0.8, np.float32)
    img[30:] = (0.1, 0.2, 0.5)                                  # water from row 30 down
    late = np.zeros((h, w), np.float32)
    late[31:] = 0.9                                             # the model's edge a row too low
    labels = Given({"water": late}).segment(img, disaster=DISASTERS["flood"])
    assert labels.shape == (h, w) and labels.dtype == np.uint8
    assert np.all(labels[30:] == Region.WATER) and not labels[:30].any()   # snapped to the image's edge
    coarse = np.zeros((8, 8), np.float32)
    coarse[4:] = 0.9                                            # a coarse map, any resolution
    labels = Given({"water": coarse}).segment(img, disaster=DISASTERS["flood"])
    assert labels.shape == (h, w) and np.all(labels[36:] == Region.WATER) and not labels[:28].any()


def test_bad_score_maps_and_images():
    with pytest.raises(ValueError, match="score map"):
        Given({"water": np.zeros((3, 4, 2))}).segment(_image(), disaster=DISASTERS["flood"])
    with pytest.raises(TypeError):
        Given({}).segment(_image().astype(np.float64), disaster=DISASTERS["flood"])


# ----------------------------------------------------------------------------------------- real (tiny) models
@pytest.mark.parametrize("backend", ["clipseg", "langsam"])
@pytest.mark.parametrize("key", ["flood", "wildfire", "typhoon", "heavy_snow"])
def test_tiny_models_return_valid_labels(request, backend, key):
    seg = request.getfixturevalue(backend)
    disaster = DISASTERS[key]
    labels = seg.segment(_image(), disaster=disaster)
    assert labels.shape == (H, W) and labels.dtype == np.uint8
    assert set(np.unique(labels)) <= {0} | {int(r) for r in disaster.regions}
    report = seg.last_report
    assert report["backend"] == backend and report["queries"] == segmenter_queries(disaster)
    assert set(report["max_score"]) == set(report["queries"])
    if backend == "langsam":
        assert report["boxes"], "the tiny GroundingDINO finds boxes"
        for box in report["boxes"]:
            assert box["query"] in report["queries"] and 0 <= box["iou"] <= 1
            x0, y0, x1, y1 = box["box"]
            assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
        assert max(report["max_score"].values()) > 0


def test_langsam_folders_given_as_a_pair_string(tiny_folders):
    pair = tiny_folders["langsam"]
    spec = f"{pair / 'sam'},{pair / 'grounding-dino'}"
    assert LangSamSegmenter.accepts(spec) is None
    assert LangSamSegmenter.folders(spec) == (pair / "grounding-dino", pair / "sam")
    seg = LangSamSegmenter(spec, device="cpu", box_threshold=0.999999)
    assert not seg.segment(_image(), disaster=DISASTERS["flood"]).any()      # no box passes
    assert seg.last_report["boxes"] == []


# ----------------------------------------------------------------------------------------- folders, errors
def _fake(path, model_type):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": model_type}))
    return path


def _one_line_error(call, *words):
    with pytest.raises(BackendUnavailable) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and message.startswith("--segmenter: ")
    for word in words:
        assert word in message, message
    return message


def test_accepts(tiny_folders, tmp_path):
    assert ClipSegSegmenter.accepts(tiny_folders["clipseg"]) is None
    assert LangSamSegmenter.accepts(tiny_folders["langsam"]) is None
    assert describe_folder(tiny_folders["langsam"]).kind == "grounding-dino+sam"
    assert "not a CLIPSeg model" in ClipSegSegmenter.accepts(tiny_folders["langsam"])
    assert LangSamSegmenter.accepts(tiny_folders["clipseg"]) is not None
    assert "no such folder" in ClipSegSegmenter.accepts(tmp_path / "nowhere")
    assert ClipSegSegmenter.role == LangSamSegmenter.role == "segmenter"
    pair = tiny_folders["langsam"]
    assert backend_for(tiny_folders["clipseg"]) is ClipSegSegmenter
    assert backend_for(pair) is backend_for(f"{pair / 'grounding-dino'},{pair / 'sam'}") is LangSamSegmenter
    assert backend_for(tmp_path) is None
    assert ClipSegSegmenter.availability()[0] and LangSamSegmenter.availability()[0]


def test_errors_name_the_folder(tiny_folders, tmp_path):
    missing = tmp_path / "nowhere"
    _one_line_error(lambda: ClipSegSegmenter(missing), "no such folder", str(missing))
    _one_line_error(lambda: LangSamSegmenter(missing), "no such folder", str(missing))
    depth = _fake(tmp_path / "depth", "dpt")
    _one_line_error(lambda: ClipSegSegmenter(depth), "depth model", str(depth))
    _one_line_error(lambda: LangSamSegmenter(depth), "depth model", str(depth))
    half = tmp_path / "half"
    _fake(half / "dino", "grounding-dino")
    _one_line_error(lambda: LangSamSegmenter(half), "only dino (grounding-dino)", str(half))
    _one_line_error(lambda: LangSamSegmenter(half / "dino"), "holds only a grounding-dino model")
    _one_line_error(lambda: LangSamSegmenter(f"{half / 'dino'},{half / 'dino'}"), "one GroundingDINO and one SAM")
    _one_line_error(lambda: LangSamSegmenter(f"{half / 'dino'},{missing}"), "no such folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(lambda: LangSamSegmenter(empty), "neither")
    broken = _fake(tmp_path / "broken", "clipseg")                       # a config, no weights
    _one_line_error(lambda: ClipSegSegmenter(broken, device="cpu"), "cannot load", str(broken))
    pair = tmp_path / "pair"
    _fake(pair / "dino", "grounding-dino")
    _fake(pair / "sam", "sam")
    _one_line_error(lambda: LangSamSegmenter(pair, device="cpu"), "cannot load", "GroundingDINO")
    with pytest.raises(ValueError, match="box_threshold"):
        LangSamSegmenter(tiny_folders["langsam"], box_threshold=2)
