"""The fine-tuning data set builder: quality filters, captions, records, splits and the report."""
from __future__ import annotations

import json
import shutil
import warnings

import cv2
import numpy as np
import pytest

from cinealert.errors import BackendUnavailable, InputError
from cinealert.prompting.llm_format import target_text
from cinealert.prompting.metadata import SceneMetadata
from cinealert.prompting.template import mentions_people
from cinealert.training import filters as F
from cinealert.training.captioner import BlipCaptioner, clean_caption
from cinealert.training.dataset import (DatasetWarning, assign_splits, build_dataset, drop_people,
                                        report_path, scene_from_caption, time_of_day_from_light)

PALETTES = {
    "flood": [(120, 95, 60), (90, 110, 130), (150, 150, 155), (60, 80, 50)],
    "wildfire": [(230, 110, 30), (60, 40, 30), (200, 60, 20), (120, 100, 90)],
    "heavy_snow": [(225, 228, 235), (110, 115, 125), (60, 70, 60), (190, 195, 205)],
}
SEEDS = {"flood": 10, "wildfire": 20, "heavy_snow": 30}


def scene(kind: str, seed: int, w: int = 352, h: int = 288) -> np.ndarray:
    """A synthetic RGB "photo": a smooth random field between two colours of the type's palette, with
    rectangles, discs, thin lines and sensor noise (sharp edges, distinct low frequencies per seed)."""
    rng = np.random.default_rng(seed)
    pal = np.array(PALETTES[kind], np.float32)
    fld = cv2.resize(rng.uniform(0, 1, (3, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    a, b = pal[rng.choice(4, 2, replace=False)]
    img = a * fld[..., None] + b * (1 - fld[..., None])
    for _ in range(int(rng.integers(6, 12))):
        c = tuple(float(v) for v in pal[rng.integers(4)] * rng.uniform(0.6, 1.2))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 90)), y + int(rng.integers(20, 90))), c, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(8, 40)), c, -1)
    for _ in range(10):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(img, p1, p2, tuple(float(v) for v in rng.uniform(0, 255, 3)), int(rng.integers(1, 4)))
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def save(path, rgb, **params):
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = [cv2.IMWRITE_JPEG_QUALITY, params["quality"]] if "quality" in params else []
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), flags)
    return path


#: What the photo folder below must drop, and why.
EXPECTED_DROPS = {
    "flood/tiny.png": "too_small",
    "flood/black.png": "too_dark",
    "flood/broken.jpg": "unreadable",
    "flood/f1_copy.png": "duplicate",
    "flood/more/f2_small.jpg": "duplicate",
    "산불/blurred.jpg": "blurry",
    "Heavy Snow/washed.png": "washed_out",
}


def make_photo_folder(root):
    """flood/ (English), 산불/ (wildfire, Korean), Heavy Snow/ (heavy_snow): four good photos each in
    several formats, plus one photo per filter, a folder of an unknown name and stray files."""
    root.mkdir()
    exts = {"flood": (".png", ".jpg", ".JPG", ".webp"), "wildfire": (".png", ".bmp", ".jpeg", ".png"),
            "heavy_snow": (".png", ".jpg", ".png", ".bmp")}
    folders = {"flood": "flood", "wildfire": "산불", "heavy_snow": "Heavy Snow"}
    for kind, folder in folders.items():
        for i, ext in enumerate(exts[kind], 1):
            rgb = scene(kind, SEEDS[kind] + i, w=352 + 16 * i, h=320)
            name = f"{kind[0]}{i}{ext}"
            if ext.lower() == ".webp":
                from PIL import Image
                Image.fromarray(rgb).save(root / folder / name, quality=90)
            else:
                save(root / folder / name, rgb, **({"quality": 92} if "jp" in ext.lower() else {}))
    # one photo per filter
    save(root / "flood/tiny.png", scene("flood", 1, w=120, h=90))
    rng = np.random.default_rng(5)
    save(root / "flood/black.png", rng.integers(0, 12, (288, 352, 3)).astype(np.uint8))
    save(root / "Heavy Snow/washed.png", rng.integers(238, 256, (288, 352, 3)).astype(np.uint8))
    save(root / "산불/blurred.jpg", cv2.GaussianBlur(scene("wildfire", 99), (0, 0), 5), quality=92)
    shutil.copyfile(root / "flood/f1.png", root / "flood/f1_copy.png")               # an exact copy
    f2 = cv2.imread(str(root / "flood/f2.jpg"))[..., ::-1]
    small = cv2.resize(f2, (f2.shape[1] * 7 // 8, f2.shape[0] * 7 // 8), interpolation=cv2.INTER_AREA)
    save(root / "flood/more/f2_small.jpg", small, quality=60)                       # resized, re-encoded
    (root / "flood/broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    (root / "flood/notes.txt").write_text("not a photo")
    save(root / "cats/c1.png", scene("flood", 77))                                  # unknown type
    save(root / "stray.png", scene("flood", 78))                                    # not in a type folder
    return root


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return make_photo_folder(tmp_path_factory.mktemp("ds") / "photos")


@pytest.fixture(scope="module")
def built(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "data.jsonl"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = build_dataset(photos, out, progress=False)
    messages = [str(w.message) for w in caught if w.category is DatasetWarning]
    assert messages == report.warnings and len(messages) == 2
    assert "skipping folder 'cats'" in messages[0] and "1 photo directly in" in messages[1]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return report, out, records


@pytest.fixture(scope="session")
def tiny_blip(tmp_path_factory):
    """A folder holding a tiny random BLIP captioning model and its processor (built once)."""
    from fixtures.tiny_blip import make_tiny_blip
    return make_tiny_blip(tmp_path_factory.mktemp("tiny_blip"))


@pytest.fixture(scope="module")
def blip(tiny_blip):
    return BlipCaptioner(tiny_blip, max_new_tokens=8, batch_size=4)


class FakeCaptioner:
    """Gives each photo a known caption, the way BLIP writes them (prompt included)."""

    batch_size = 3
    CAPTIONS = ("a photography of a man wading through flood water in a street",
                "a photography of arafed flames and smoke over a burning forest",
                "a photography of a group of people",
                "a photography of snow covered houses and trees in heavy snow")

    def __init__(self):
        self.calls = []

    def caption(self, images):
        start = sum(self.calls)
        self.calls.append(len(images))
        return [self.CAPTIONS[(start + i) % len(self.CAPTIONS)] for i in range(len(images))]

    def describe(self):
        return {"model": "fake"}


# ------------------------------------------------------------------------------------------ filters
def test_blur_score_lower_for_blurred_copy():
    sharp = scene("flood", 1)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    assert F.blur_score(blurred) < F.blur_score(sharp) / 10
    assert F.is_blurry(F.blur_score(blurred)) and not F.is_blurry(F.blur_score(sharp))


def test_blur_score_does_not_depend_on_resolution():
    big = scene("wildfire", 3, w=1408, h=1152)
    half = cv2.resize(big, (704, 576), interpolation=cv2.INTER_AREA)
    a, b = F.blur_score(big), F.blur_score(half)
    assert 0.5 < a / b < 2
    raw = [cv2.Laplacian(F.grey(x), cv2.CV_64F).var() for x in (big, half)]
    assert abs(np.log(a / b)) < abs(np.log(raw[0] / raw[1]))     # much closer than at file resolution


def test_phash_near_copies_close_and_different_images_far():
    img = scene("flood", 2)
    h = F.phash(img)
    assert 0 <= h < 2 ** 64
    small = cv2.resize(img, (300, 245), interpolation=cv2.INTER_AREA)
    _, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 50])
    recompressed = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    assert F.hamming(F.phash(recompressed), h) <= 4
    assert F.hamming(F.phash(cv2.convertScaleAbs(img, alpha=1.1, beta=5)), h) <= 4
    for other in (scene("flood", 3), scene("wildfire", 21), scene("heavy_snow", 31)):
        assert F.hamming(F.phash(other), h) > 2 * F.DUP_DISTANCE


def test_find_duplicates_greedy_in_given_order():
    a, b = 0b1111 << 60, 0
    hashes = [a, b, a ^ 0b1, b ^ 0b111, a]
    got = F.find_duplicates(hashes, 2)
    assert got[:3] == [None, None, (0, 1)]
    assert got[3] is None               # 3 bits from b: not within 2
    assert got[4] == (0, 0)
    assert F.find_duplicates(hashes, 3)[3] == (1, 3)
    assert F.find_duplicates([], 8) == []


def test_exposure_measures():
    black = np.full((100, 100, 3), 5, np.uint8)
    white = np.full((100, 100, 3), 250, np.uint8)
    normal = scene("flood", 4)
    e_black, e_white, e_normal = F.exposure(black), F.exposure(white), F.exposure(normal)
    assert e_black.mean < F.DARK_THRESHOLD and e_black.dark_share == 1.0
    assert e_white.mean > F.BRIGHT_THRESHOLD and e_white.bright_share == 1.0
    assert F.is_too_dark(e_black) and not F.is_washed_out(e_black)
    assert F.is_washed_out(e_white) and not F.is_too_dark(e_white)
    assert not F.is_too_dark(e_normal) and not F.is_washed_out(e_normal)
    # a night photo: dark on average, but not crushed to black
    night = np.full((100, 100, 3), 45, np.uint8)
    night[40:60, 40:60] = (255, 140, 20)
    assert not F.is_too_dark(F.exposure(night))
    # mid-grey on average, but three quarters clipped white: washed out by the share
    clipped = np.zeros((100, 100, 3), np.uint8)
    clipped[:80] = 255
    assert F.exposure(clipped).bright_share == pytest.approx(0.8)
    assert F.is_washed_out(F.Exposure(150.0, 0.0, 0.8))
    assert F.too_small(200, 400) and not F.too_small(256, 256)


def test_colour_measures():
    orange = np.full((64, 64, 3), (230, 120, 30), np.uint8)
    blue = np.full((64, 64, 3), (40, 80, 190), np.uint8)
    grey = np.full((64, 64, 3), (128, 128, 130), np.uint8)
    assert F.colour_stats(orange).mood == "warm" and F.colour_stats(orange).warmth > 100
    assert F.colour_stats(blue).mood == "cool"
    assert F.colour_stats(grey).mood == "grey"
    half = np.zeros((64, 64, 3), np.uint8)
    half[:, :32] = (60, 150, 60)
    half[:, 32:] = (200, 35, 30)
    assert F.colour_mood(0.6, 0.3, 0.25) == "saturated"
    assert F.dominant_colours(orange)[0][0] == "orange"
    names = [n for n, _ in F.dominant_colours(half)]
    assert set(names) == {"green", "red"}


def test_thresholds_checked():
    with pytest.raises(ValueError):
        F.Thresholds(dark=200, bright=100)
    with pytest.raises(ValueError):
        F.Thresholds(dup_distance=65)


# ------------------------------------------------------------------------------------------ rules
def test_time_of_day_from_light():
    assert time_of_day_from_light(30, 0) == "night"
    assert time_of_day_from_light(90, 60) == "dusk"
    assert time_of_day_from_light(90, 60, "dawn") == "dawn"
    assert time_of_day_from_light(90, 0) == "afternoon"
    assert time_of_day_from_light(90, 0, "morning") == "morning"
    assert time_of_day_from_light(200, 80) == "noon"


def test_clean_caption():
    assert clean_caption("a photography of a flooded street with cars") == "a flooded street with cars"
    assert clean_caption("A Photography of  arafed   burning house .") == "burning house"
    assert clean_caption("a flooded road", prompt=None) == "a flooded road"


@pytest.mark.parametrize("caption, expected", [
    ("a flooded street with people walking", "a flooded street"),
    ("a man standing in a flooded street", "a flooded street"),
    ("a group of people on the roof of a house in flood water", "the roof of a house in flood water"),
    ("firefighters spraying a burning house", "a burning house"),
    ("a flooded street", "a flooded street"),
])
def test_drop_people(caption, expected):
    assert drop_people(caption) == expected


def test_drop_people_gives_up():
    assert drop_people("a man") is None
    assert drop_people("people") is None


def test_scene_from_caption():
    notes = []
    assert scene_from_caption("a photography of a flooded street with cars", "flood", notes) == \
        "A flooded street with cars."
    notes = []
    scene_text = scene_from_caption("two men walking through flood water in a town", "flood", notes)
    assert scene_text == "Flood water in a town." and not mentions_people(scene_text)
    assert any("people" in n for n in notes)
    notes = []
    assert scene_from_caption("a man", "flood", notes) is None and notes
    notes = []
    assert scene_from_caption("a red car", "flood", notes) is None and notes   # too short
    notes = []
    assert scene_from_caption("a quiet street with parked cars", "flood", notes) is None   # no flood in it


def test_assign_splits_stratified_and_deterministic():
    ids = {"flood": [f"f{i}" for i in range(10)], "wildfire": ["w1", "w2"], "drought": ["d1"]}
    a = assign_splits(ids, 0.1, seed=0)
    assert a == assign_splits(ids, 0.1, seed=0)
    assert sum(v == "validation" for k, v in a.items() if k.startswith("f")) == 1
    assert sorted(a[k] for k in ("w1", "w2")) == ["train", "validation"]
    assert a["d1"] == "train"
    assert not any(v == "validation" for v in assign_splits(ids, 0.0, seed=0).values())
    other = [assign_splits(ids, 0.3, seed=s) for s in range(5)]
    assert len({tuple(sorted(o.items())) for o in other}) > 1


# ------------------------------------------------------------------------------------------ dataset
def test_build_drops_exactly_the_bad_photos(built):
    report, _, records = built
    dropped = {d["image"]: d["reason"] for d in report.dropped}
    assert dropped == EXPECTED_DROPS
    by_image = {d["image"]: d for d in report.dropped}
    assert by_image["flood/f1_copy.png"]["of"] == "flood/f1.png" and by_image["flood/f1_copy.png"]["value"] == 0
    assert by_image["flood/more/f2_small.jpg"]["of"] == "flood/f2.jpg"
    assert by_image["flood/tiny.png"]["value"] == 90
    assert by_image["flood/black.png"]["value"] < F.DARK_THRESHOLD
    assert by_image["산불/blurred.jpg"]["value"] < F.BLUR_THRESHOLD
    assert all("measure" in d and "value" in d for d in report.dropped)
    assert sorted(r["image"] for r in records) == sorted(
        [f"flood/f{i}{e}" for i, e in zip(range(1, 5), (".png", ".jpg", ".JPG", ".webp"))]
        + [f"산불/w{i}{e}" for i, e in zip(range(1, 5), (".png", ".bmp", ".jpeg", ".png"))]
        + [f"Heavy Snow/h{i}{e}" for i, e in zip(range(1, 5), (".png", ".jpg", ".png", ".bmp"))])
    assert report.unknown_folders == {"cats": "not a disaster type"}
    assert report.ignored_files == 2           # stray.png and notes.txt
    assert report.types["flood"]["found"] == 9 and report.types["flood"]["kept"] == 4
    assert report.types["flood"]["dropped"] == {"unreadable": 1, "too_small": 1, "too_dark": 1, "duplicate": 2}
    assert report.types["wildfire"]["folders"] == ["산불"]
    assert report.found == 19 and report.kept == 12


def test_records(built):
    _, _, records = built
    assert len(records) == 12
    for r in records:
        assert set(r) >= {"id", "image", "disaster", "split", "caption", "attributes", "keywords", "metadata",
                          "target"}
        assert r["caption"] is None and r["scene_from"] == "template"
        meta = SceneMetadata.from_dict(r["metadata"])
        assert meta.to_dict() == r["metadata"]
        assert r["target"] == target_text(meta)
        assert meta.disaster == r["disaster"]
        assert meta.time_of_day == r["attributes"]["time_of_day"]
        assert f"time: {meta.time_of_day}" in r["keywords"] and f"season: {meta.season}" in r["keywords"]
        assert r["keywords"].startswith(f"disaster: {r['disaster']}")
        words = " ".join([meta.scene, meta.setting, *meta.foreground, *meta.background, meta.sky,
                          meta.lighting, meta.mood, *meta.motion])
        assert not mentions_people(words)
        a = r["attributes"]
        assert a["colour_mood"] in F.COLOUR_MOODS and a["colours"] and a["width"] >= 256
        assert a["sharpness"] >= F.BLUR_THRESHOLD and len(a["phash"]) == 16
    langs = {r["disaster"]: r["language"] for r in records}
    assert langs == {"flood": "en", "wildfire": "ko", "heavy_snow": "en"}
    assert all("country: korea" in r["keywords"] for r in records if r["disaster"] == "wildfire")
    assert len({r["id"] for r in records}) == 12
    # the warm wildfire photos are lit warmly; the snow photos are grey or cool
    assert {r["attributes"]["colour_mood"] for r in records if r["disaster"] == "wildfire"} == {"warm"}
    assert {r["attributes"]["colour_mood"] for r in records if r["disaster"] == "heavy_snow"} <= {"grey", "cool"}


def test_splits_stratified_and_deterministic(built, photos, tmp_path):
    report, out, records = built
    for key in ("flood", "wildfire", "heavy_snow"):
        splits = [r["split"] for r in records if r["disaster"] == key]
        assert splits.count("validation") == 1 and splits.count("train") == 3
    assert (report.train, report.validation) == (9, 3)
    again = tmp_path / "again.jsonl"
    with pytest.warns(DatasetWarning):
        build_dataset(photos, again, progress=False)
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    other = tmp_path / "other.jsonl"
    with pytest.warns(DatasetWarning):
        build_dataset(photos, other, seed=7, val_fraction=0.5, progress=False)
    recs = [json.loads(line) for line in other.read_text(encoding="utf-8").splitlines()]
    for key in ("flood", "wildfire", "heavy_snow"):
        assert [r["split"] for r in recs if r["disaster"] == key].count("validation") == 2
    # the metadata does not depend on the split seed
    assert [r["metadata"] for r in recs] == [r["metadata"] for r in records]


def test_report_file(built):
    report, out, _ = built
    path = report_path(out)
    assert path.name == "data.report.json" and report.report == str(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["kept"] == 12 and data["found"] == 19
    assert data["filters"] == {"person": "not applied", "text": "not applied"}
    assert data["captioner"] is None
    assert data["thresholds"]["min_side"] == F.MIN_SIDE
    assert data["dropped_by_reason"]["duplicate"] == 2
    assert data["seconds"] >= 0
    assert not (out.parent / "data.jsonl.part").exists()
    text = report.summary()
    assert "12 records" in text and "cats" in text and "not applied" in text


def test_detectors_drop_photos(photos, tmp_path):
    seen = []

    def person(image):
        seen.append(image.shape)
        warm = image[..., 0].astype(float).mean() - image[..., 2].astype(float).mean()
        return warm > 40                            # the warm (wildfire) photos "have people"

    def text_detector(image):
        return False

    with pytest.warns(DatasetWarning):
        report = build_dataset(photos, tmp_path / "d.jsonl", person_detector=person, text_detector=text_detector,
                               progress=False)
    assert seen and all(s[2] == 3 for s in seen)
    assert report.filters == {"person": "applied (person)", "text": "applied (text_detector)"}
    people = [d for d in report.dropped if d["reason"] == "person"]
    assert people and all(d["disaster"] == "wildfire" for d in people)
    assert report.kept == 12 - len(people)


def test_errors(tmp_path, photos):
    with pytest.raises(InputError, match="no such folder"):
        build_dataset(tmp_path / "missing", tmp_path / "d.jsonl", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no folder named by a disaster type") as err:
        build_dataset(tmp_path / "empty", tmp_path / "d.jsonl", progress=False)
    assert "\n" not in str(err.value)
    bad = tmp_path / "bad"
    (bad / "holiday").mkdir(parents=True)
    (bad / "cats").mkdir()
    with pytest.raises(InputError, match="'cats', 'holiday'") as err:
        build_dataset(bad, tmp_path / "d.jsonl", progress=False)
    assert "\n" not in str(err.value)
    (tmp_path / "nophotos" / "flood").mkdir(parents=True)
    with pytest.raises(InputError, match="no photos"):
        build_dataset(tmp_path / "nophotos", tmp_path / "d.jsonl", progress=False)
    with pytest.raises(BackendUnavailable, match="--captioner: no such folder") as err:
        build_dataset(photos, tmp_path / "d.jsonl", captioner=tmp_path / "no_blip", progress=False)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="val-fraction"):
        build_dataset(photos, tmp_path / "d.jsonl", val_fraction=1.0, progress=False)
    assert not (tmp_path / "d.jsonl").exists()


def test_captioner_rejects_other_models(tmp_path):
    folder = tmp_path / "llama"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(BackendUnavailable, match="not a BLIP captioning model"):
        BlipCaptioner(folder)


# ------------------------------------------------------------------------------------------ captions
def test_blip_captioner(blip):
    cap = blip
    images = [scene("flood", 1), scene("wildfire", 2), scene("heavy_snow", 3)]
    first = cap.caption(images)
    assert len(first) == 3 and all(isinstance(c, str) and c for c in first)
    assert not any(c.startswith("a photography of") for c in first)
    assert cap.caption(images) == first                        # greedy: deterministic
    assert cap.describe()["prompt"] == "a photography of"


def test_build_with_tiny_blip(photos, blip, tiny_blip, tmp_path):
    cap = blip
    out = tmp_path / "captioned.jsonl"
    with pytest.warns(DatasetWarning):
        report = build_dataset(photos, out, captioner=cap, progress=False)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 12 and report.captions == 12
    assert report.captioner["model"] == str(tiny_blip)
    for r in records:
        assert isinstance(r["caption"], str) and r["caption"]
        meta = SceneMetadata.from_dict(r["metadata"])
        assert r["target"] == target_text(meta)
        assert not mentions_people(" ".join([meta.scene, meta.setting, *meta.foreground, *meta.background]))
        if r["scene_from"] == "caption":
            assert meta.scene.endswith(".") and meta.scene[0].isupper()
        else:
            assert r["notes"]


def test_build_with_captions_writes_people_free_scenes(photos, tmp_path):
    cap = FakeCaptioner()
    out = tmp_path / "fake.jsonl"
    with pytest.warns(DatasetWarning):
        report = build_dataset(photos, out, captioner=cap, progress=False)
    assert cap.calls and max(cap.calls) <= FakeCaptioner.batch_size and sum(cap.calls) == 12
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.captions == 12 and report.captioner == {"model": "fake"}
    # photos are captioned in record order (type, then path), so each type's four get the four captions
    scenes = {r["image"]: (r["scene_from"], r["metadata"]["scene"]) for r in records}
    assert scenes["flood/f1.png"] == ("caption", "Flood water in a street.")       # the man is gone
    assert scenes["flood/f2.jpg"][0] == "template"          # flames: not a picture of a flood
    assert scenes["flood/f3.JPG"][0] == "template"          # nothing but people
    assert scenes["Heavy Snow/h4.bmp"] == ("caption", "Snow covered houses and trees in heavy snow.")
    assert scenes["산불/w2.bmp"] == ("caption", "Flames and smoke over a burning forest.")
    notes = {r["image"]: r["notes"] for r in records}
    assert any("people" in n for n in notes["flood/f1.png"]) and any("people" in n for n in notes["flood/f3.JPG"])
    assert report.scenes_from_captions == sum(r["scene_from"] == "caption" for r in records) == 3


def test_unknown_folder_reasons(tmp_path):
    from cinealert.training.dataset import scan_folder
    for name in ("tornado", "cats", "Flood", "heavy-snow", "대설"):
        (tmp_path / name).mkdir()
    (tmp_path / "README.md").write_text("photos")
    folders, unknown, stray, other = scan_folder(tmp_path)
    assert unknown == {"cats": "not a disaster type", "tornado": "a kind of alert without a visual template"}
    assert sorted((f.disaster.key, f.language) for f in folders) == [
        ("flood", "en"), ("heavy_snow", "en"), ("heavy_snow", "ko")]
    assert (stray, other) == (0, 1)
