"""User control of the scene stage: --mask (PNG, class-index PNG, labelme JSON), --depth-map, and the
regions.png / depth.png written for every clip; bad files exit 2 with one line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from cinealert.regions import Region
from cinealert.scene.overrides import depth_to_png16, load_depth_map, load_mask

H, W = 96, 128


def _photo(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    img = np.zeros((H, W, 3), np.uint8)
    img[:40] = (220, 170, 120)                              # sky (BGR)
    img[40:] = (60, 120, 70)
    img = np.clip(img + rng.integers(-20, 20, img.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), img)
    return path


def _animate(tmp_path: Path, *extra: str, disaster: str = "flood") -> subprocess.CompletedProcess:
    out = tmp_path / "out"
    return subprocess.run([sys.executable, "-m", "cinealert", "animate", str(_photo(tmp_path)),
                           "--disaster", disaster, "--seconds", "0.5", "--fps", "8", "--formats", "mp4",
                           "--camera", "static", "--quiet", "-o", str(out), *extra],
                          capture_output=True, text=True, timeout=120)


def _regions_png(tmp_path: Path) -> np.ndarray:
    from PIL import Image
    with Image.open(tmp_path / "out" / "regions.png") as im:
        assert im.mode == "P"
        return np.asarray(im)


def _labelme(tmp_path: Path, shapes: list[dict], size=(H, W)) -> Path:
    path = tmp_path / "mask.json"
    path.write_text(json.dumps({"shapes": shapes, "imageHeight": size[0], "imageWidth": size[1]}))
    return path


def test_labelme_mask_is_honoured_exactly(tmp_path):
    mask = _labelme(tmp_path, [
        {"label": "river", "shape_type": "polygon", "points": [[10, 50], [60, 50], [60, 90], [10, 90]]},
        {"label": "flame", "shape_type": "rectangle", "points": [[80, 10], [120, 30]]},
        {"label": "static", "shape_type": "rectangle", "points": [[20, 60], [30, 70]]},
    ])
    run = _animate(tmp_path, "--mask", str(mask), disaster="wildfire")
    assert run.returncode == 0, run.stderr
    expected = np.zeros((H, W), np.uint8)
    expected[50:91, 10:61] = Region.WATER
    expected[10:31, 80:121] = Region.FIRE
    expected[60:71, 20:31] = Region.NONE                    # a later shape draws over an earlier one
    np.testing.assert_array_equal(_regions_png(tmp_path), expected)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    legend = report["scene"]["region_classes"]
    assert legend["none"] == 0 and legend["water"] == int(Region.WATER) and legend["fire"] == int(Region.FIRE)
    assert report["backends"]["segmenter"] == "mask"
    assert set(report["scene"]["regions"]) == {"none", "water", "fire"}


def test_white_png_mask_moves_the_disasters_first_class(tmp_path):
    mask = np.zeros((H, W), np.uint8)
    mask[60:, :] = 255
    mask[0:5, 0:5] = 100                                    # grey below one half stays still
    cv2.imwrite(str(tmp_path / "m.png"), mask)
    run = _animate(tmp_path, "--mask", str(tmp_path / "m.png"))
    assert run.returncode == 0, run.stderr
    np.testing.assert_array_equal(_regions_png(tmp_path), np.where(mask == 255, int(Region.WATER), 0))


def test_class_index_png_with_mask_classes_and_regions_png_round_trip(tmp_path):
    index = np.zeros((H, W), np.uint8)
    index[50:, :64] = 1
    index[10:30, 70:] = 2
    cv2.imwrite(str(tmp_path / "idx.png"), index)
    run = _animate(tmp_path, "--mask", str(tmp_path / "idx.png"), "--mask-classes", "water,fire")
    assert run.returncode == 0, run.stderr
    expected = np.array([0, Region.WATER, Region.FIRE], np.uint8)[index]
    got = _regions_png(tmp_path)
    np.testing.assert_array_equal(got, expected)
    # regions.png is a palette PNG of Region values: fed back as --mask it gives the same map.
    assert np.array_equal(load_mask(tmp_path / "out" / "regions.png", (H, W), default=Region.SMOKE), expected)


def test_depth_map_npy_is_honoured(tmp_path):
    depth = np.tile(np.linspace(1.0, 8.0, W, dtype=np.float32), (H, 1))
    depth[:30] = 20.0
    np.save(tmp_path / "d.npy", depth)
    run = _animate(tmp_path, "--depth-map", str(tmp_path / "d.npy"))
    assert run.returncode == 0, run.stderr
    png = cv2.imread(str(tmp_path / "out" / "depth.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == (H, W)
    np.testing.assert_array_equal(png, depth_to_png16(depth))
    assert png[40, 0] == 65535 and png[0, 0] == 0            # white = near, black = farthest
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["backends"]["depth"] == "depth-map"
    # depth.png read back as --depth-map keeps the order of depths.
    back = load_depth_map(tmp_path / "out" / "depth.png", (H, W))
    assert back[40, 0] < back[40, W // 2] < back[40, -1] < back[0, 0]


@pytest.mark.parametrize("make_bad, words", [
    (lambda p: cv2.imwrite(str(p / "m.png"), np.zeros((H + 2, W), np.uint8)) and ["--mask", str(p / "m.png")],
     [f"{W}x{H + 2}", f"{W}x{H}"]),
    (lambda p: ["--mask", str(_labelme(p, [{"label": "lava-lamp", "points": [[0, 0], [5, 0], [5, 5]]}]))],
     ["'lava-lamp'"]),
    (lambda p: np.save(p / "d.npy", np.ones((H, W + 4), np.float32)) or ["--depth-map", str(p / "d.npy")],
     [f"{W + 4}x{H}", f"{W}x{H}"]),
    (lambda p: np.save(p / "d.npy", -np.ones((H, W), np.float32)) or ["--depth-map", str(p / "d.npy")],
     ["positive"]),
    (lambda p: (p / "m.png").write_bytes(b"not a png") and ["--mask", str(p / "m.png")], ["not a readable"]),
    (lambda p: cv2.imwrite(str(p / "m.png"), np.zeros((H, W), np.uint8)) and
     ["--mask", str(p / "m.png"), "--mask-classes", "water,lava-lamp"], ["'lava-lamp'"]),
    (lambda p: ["--mask-classes", "water"], ["needs --mask"]),
    (lambda p: cv2.imwrite(str(p / "m.png"), np.ones((H, W), np.uint8)) and ["--mask", str(p / "m.png")],
     ["--mask-classes"]),
    (lambda p: ["--mask", str(p / "missing.json")], ["no such file"]),
])
def test_bad_override_files_exit_2_with_one_line(tmp_path, make_bad, words):
    run = _animate(tmp_path, *make_bad(tmp_path))
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for w in words:
        assert w in lines[0], lines[0]
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())       # nothing half-written


# -- the built-in segmenter on the real-image development set (tests/data/real) --------------------

@pytest.fixture(scope="module")
def devset_scores():
    from cinealert.evaluate.segmentation import load_devset, score_item
    from cinealert.scene.heuristic_segmenter import HeuristicSegmenter
    seg = HeuristicSegmenter()
    return {item.name: score_item(seg, item) for item in load_devset()}


def test_devset_mean_iou_above_floor(devset_scores):
    # Measured 0.818 (tuned) and 0.438 (held out) with bench/bench_segment.py; floors sit below.
    rows = list(devset_scores.values())
    per_image = [np.mean([v for k, v in r.items() if k in ("water", "fire", "smoke", "cloud")]) for r in rows]
    tuned = [m for m, r in zip(per_image, rows) if not r["held_out"]]
    held = [m for m, r in zip(per_image, rows) if r["held_out"]]
    assert np.mean(tuned) >= 0.75 and np.mean(held) >= 0.4, devset_scores


def test_clear_sky_stays_still_on_real_photos(devset_scores):
    assert devset_scores["mountain_valley_clear_sky"]["cloud"] >= 0.8
    assert devset_scores["sea_forest_coast"]["cloud"] >= 0.8


@pytest.mark.parametrize("name", ["sea_forest_coast", "mountain_valley_clear_sky"])
def test_a_pale_clear_sky_stays_still_as_animate_crops_it(name):
    """At the clip's 16:9 crop the hazy sea sky is almost all pale: it is not an overcast sky."""
    from cinealert.disasters import get_disaster
    from cinealert.evaluate.segmentation import load_devset
    from cinealert.scene.heuristic_segmenter import HeuristicSegmenter
    image = next(i for i in load_devset() if i.name == name).image
    h = min(image.shape[0], image.shape[1] * 9 // 16)
    y0 = (image.shape[0] - h) // 2
    crop = np.ascontiguousarray(image[y0:y0 + h])
    pred = HeuristicSegmenter().segment(crop, disaster=get_disaster("tsunami"))
    assert (pred == Region.CLOUD).mean() < 0.03


def test_water_and_fire_in_one_scene_are_kept_apart():
    """Deerfire: fire above a river; the fire class never spills onto the hand-drawn river and the
    flames are found as fire, not water."""
    import dataclasses

    from cinealert.disasters import get_disaster
    from cinealert.evaluate.segmentation import load_devset
    from cinealert.scene.heuristic_segmenter import HeuristicSegmenter
    item = next(i for i in load_devset() if i.name == "deerfire_river")
    disaster = dataclasses.replace(get_disaster("wildfire"), regions=(Region.FIRE, Region.WATER))
    pred = HeuristicSegmenter().segment(item.image, disaster=disaster)
    river, flames = item.truth == Region.WATER, item.truth == Region.FIRE
    assert (pred[river] == Region.FIRE).mean() < 0.05
    assert (pred[flames] == Region.WATER).mean() < 0.05
    assert (pred[flames] == Region.FIRE).mean() > 0.3


def test_make_honours_a_labelme_mask_at_the_clip_size(tmp_path):
    mask = _labelme(tmp_path, [{"label": "water", "points": [[0, 60], [127, 60], [127, 95], [0, 95]]}])
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "cinealert", "make", "flood", "--size", f"{W}x{H}",
                          "--seconds", "0.5", "--fps", "8", "--formats", "mp4", "--camera", "static",
                          "--quiet", "--mask", str(mask), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = np.zeros((H, W), np.uint8)
    expected[60:96, :] = Region.WATER
    np.testing.assert_array_equal(_regions_png(tmp_path), expected)


def test_animate_size_scales_the_mask_with_the_photo(tmp_path):
    # The photo is 128x96; --size 64x64 scales it by 2/3 and crops the sides; the mask follows.
    mask = np.zeros((H, W), np.uint8)
    mask[48:, :] = 255                                           # the lower half moves
    cv2.imwrite(str(tmp_path / "m.png"), mask)
    run = _animate(tmp_path, "--mask", str(tmp_path / "m.png"), "--size", "64x64")
    assert run.returncode == 0, run.stderr
    got = _regions_png(tmp_path)
    assert got.shape == (64, 64)
    assert (got[:31] == 0).all() and (got[33:] == Region.WATER).all()
