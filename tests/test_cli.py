"""The command line contract of DESIGN.md, end to end at small sizes."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from cinealert.cli import main
from cinealert.deliver.encode import probe_video
from cinealert.disasters import PAPER_TYPES

DATA = Path(__file__).parent / "data"
KR_CAP = Path(__file__).parents[1] / "src/cinealert/examples/kr_heavy_rain_advisory.xml"
CAP_DIR = Path(__file__).parent / "data" / "cap"
SMALL = ["--size", "256x144", "--seconds", "1", "--fps", "12", "--quiet"]
REPORT_KEYS = {"input", "alert", "disaster", "metadata", "prompt", "negative_prompt", "seed", "backends",
               "timings_s", "video", "metrics", "version"}
METRIC_KEYS = {"loop_seam", "hole_ratio", "static_leakage", "max_flashes_per_s"}


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def read_frames(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            return frames
        frames.append(f)


def test_make_keyword_writes_every_output(tmp_path, capsys):
    code, out, err = run(["make", "flood", "-o", tmp_path, *SMALL], capsys)
    assert code == 0, err
    for name in ("cinemagraph.mp4", "cinemagraph.gif", "cinemagraph.webp", "poster.png", "report.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert not (tmp_path / "alert.xml").exists()
    assert not list(tmp_path.glob("*.part"))
    report = json.loads((tmp_path / "report.json").read_text())
    assert REPORT_KEYS <= report.keys() and METRIC_KEYS <= report["metrics"].keys()
    assert report["alert"]["source"] == "keyword" and report["disaster"] == "flood"
    assert report["prompt"].endswith("No people appear in the image.")
    assert report["video"] | {} == report["video"] and report["video"]["frames"] == 12
    assert {"total", "image", "render_encode"} <= report["timings_s"].keys()
    assert report["metrics"]["hole_ratio"] == 0.0
    assert report["metrics"]["loop_seam"] <= 1.5
    info = probe_video(tmp_path / "cinemagraph.mp4")
    assert (info["width"], info["height"], info["frames"], info["codec"]) == (256, 144, 12, "h264")
    assert len(read_frames(tmp_path / "cinemagraph.mp4")) == 12
    poster = cv2.imread(str(tmp_path / "poster.png"))
    assert poster.shape == (144, 256, 3)
    assert str(tmp_path) in out


def test_make_korean_cap_enriches_alert(tmp_path, capsys):
    code, _, err = run(["make", KR_CAP, "-o", tmp_path, *SMALL], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["disaster"] == "heavy_rain" and report["alert"]["language"] == "ko-KR"
    xml = (tmp_path / "alert.xml").read_bytes()
    import hashlib
    from defusedxml import ElementTree as ET
    root = ET.fromstring(xml)
    ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
    info = root.find(f"{ns}info")
    children = [c.tag.replace(ns, "") for c in info]
    resources = info.findall(f"{ns}resource")
    uris = {r.find(f"{ns}uri").text: r for r in resources}
    assert {"cinemagraph.mp4", "cinemagraph.gif", "cinemagraph.webp", "poster.png"} <= uris.keys()
    mp4 = uris["cinemagraph.mp4"]
    data = (tmp_path / "cinemagraph.mp4").read_bytes()
    assert mp4.find(f"{ns}mimeType").text == "video/mp4"
    assert int(mp4.find(f"{ns}size").text) == len(data)
    assert mp4.find(f"{ns}digest").text == hashlib.sha1(data).hexdigest()
    # CAP order: every resource comes before the first area.
    assert max(i for i, c in enumerate(children) if c == "resource") < children.index("area")
    assert root.find(f"{ns}identifier").text == "기상청0123456789"
    # valid against the bundled CAP 1.2 schema, checked independently of the report's own claim
    from cinealert.alerts.schema import validate
    assert validate(root) == []
    assert report["cap_output"]["valid"] is True and report["cap_output"]["schema"] == "CAP 1.2"
    assert report["action"] == "alert" and report["status_mark"] is None
    aea = {m["url"]: m for m in report["aea_media"]}
    assert aea["cinemagraph.mp4"]["contentLength"] == len(data)
    assert aea["cinemagraph.mp4"]["contentType"] == "video/mp4" and aea["poster.png"]["lang"] == "ko-KR"


def test_make_test_status_is_marked(tmp_path, capsys):
    code, _, err = run(["make", str(CAP_DIR / "capparselib_pagasa_typhoon_test.xml"), "-o", tmp_path,
                        "--formats", "mp4,poster", *SMALL], capsys)
    assert code == 0, err
    assert "note: status Test" in err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status_mark"] == "TEST" and report["alert"]["status"] == "Test"
    assert report["alert"]["expired"] is True
    assert all(m["mediaDesc"].startswith("TEST: ") for m in report["aea_media"])
    assert report["cap_output"]["valid"] is True
    xml = (tmp_path / "alert.xml").read_text()
    assert "<resourceDesc>TEST: " in xml and "<status>Test</status>" in xml


@pytest.mark.parametrize("disaster", PAPER_TYPES)
def test_every_paper_disaster_renders_and_animates(tmp_path, capsys, disaster):
    code, _, err = run(["make", disaster, "-o", tmp_path, "--formats", "mp4,poster", *SMALL], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "report.json").read_text())
    frames = read_frames(tmp_path / "cinemagraph.mp4")
    assert len(frames) == 12
    steps = [np.abs(frames[i].astype(int) - frames[i + 1].astype(int)).mean() for i in range(11)]
    assert min(steps) > 0.2, "every frame should differ from the next: the scene is animated"
    assert report["metrics"]["hole_ratio"] == 0.0
    assert report["metrics"]["loop_seam"] <= 1.6
    assert report["metrics"]["max_flashes_per_s"] <= 3


def test_same_seed_same_poster_other_seed_differs(tmp_path, capsys):
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        code, _, err = run(["make", "wildfire", "-o", tmp_path / name, "--seed", seed,
                            "--formats", "poster", *SMALL], capsys)
        assert code == 0, err
    a, b, c = (cv2.imread(str(tmp_path / n / "poster.png")) for n in "abc")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_animate_own_photo(tmp_path, capsys):
    h, w = 144, 256
    img = np.zeros((h, w, 3), np.uint8)
    img[:60] = (235, 190, 140)                                    # BGR sky
    rng = np.random.default_rng(0)
    img[60:] = (120, 95, 70) + rng.integers(-25, 25, (h - 60, w, 3))
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), img)
    code, _, err = run(["animate", photo, "--disaster", "flood", "-o", tmp_path / "out",
                        "--seconds", "1", "--fps", "12", "--quiet", "--formats", "mp4,poster"], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["backends"]["segmenter"] == "heuristic" and report["backends"]["depth"] == "heuristic"
    assert report["alert"] is None and report["video"]["width"] == 256
    assert report["metrics"]["hole_ratio"] == 0.0


@pytest.mark.parametrize("args, needle", [
    (["make", "banana", "-o", "{tmp}/x"], "Available"),
    (["make", "{tmp}/missing.xml", "-o", "{tmp}/x"], "no such file"),
    (["make", "{malformed}", "-o", "{tmp}/x"], "XML"),
    (["make", "flood", "-o", "{tmp}/x", "--size", "10x10"], "size"),
    (["make", "flood", "-o", "{tmp}/x", "--size", "1023x576"], "even"),
    (["make", "flood", "-o", "{tmp}/x", "--size", "big"], "WIDTHxHEIGHT"),
    (["make", "flood", "-o", "{tmp}/x", "--size", "²x2"], "WIDTHxHEIGHT"),      # a digit int() does not read
    (["make", "flood", "-o", "{tmp}/x", "--camera", "spin"], "invalid choice"),
    (["make", "flood", "-o", "{tmp}/x", "--fps", "0"], "fps"),
    (["make", "flood", "-o", "{tmp}/x", "--formats", "avi"], "formats"),
    (["animate", "{notimage}", "--disaster", "flood", "-o", "{tmp}/x"], "cannot read image"),
    (["animate", "{tmp}/nope.png", "--disaster", "flood", "-o", "{tmp}/x"], "cannot read image"),
    (["animate", "{notimage}", "--disaster", "lava", "-o", "{tmp}/x"], "Unknown disaster type"),
    (["inspect", "{hostile}"], "XML"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    malformed = tmp_path / "bad.xml"
    malformed.write_text("<alert><info><event>flood</event></info>")
    hostile = tmp_path / "bomb.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">'
                       '<!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;">]><alert>&y;</alert>')
    notimage = tmp_path / "photo.png"
    notimage.write_text("this is not an image")
    fmt = {"tmp": tmp_path, "malformed": malformed, "notimage": notimage, "hostile": hostile}
    code, out, err = run([a.format(**fmt) for a in args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle.lower() in lines[0].lower(), err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())


def test_backends_lists_every_stage(capsys):
    code, out, _ = run(["backends", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    rows = data["backends"]
    from cinealert.registry import STAGES
    assert {r["stage"] for r in rows} == set(STAGES)
    assert all(r["usable"] for r in rows), [r for r in rows if not r["usable"]]
    assert data["models_root"] is None and data["folders"] == {}


def test_backends_shows_model_folders(tmp_path, tiny_llama, capsys):
    (tmp_path / "llm").symlink_to(tiny_llama)
    (tmp_path / "depth").mkdir()                      # an empty folder: found, but unusable
    code, out, _ = run(["backends", "--models", str(tmp_path), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["folders"]["llm"]["kind"] == "llama"
    assert data["folders"]["depth"]["role"] is None and "no config.json" in data["folders"]["depth"]["detail"]
    llm_row = next(r for r in data["backends"] if r["name"] == "llm")
    assert llm_row["folder"] == str(tmp_path / "llm")
    code, out, _ = run(["backends", "--models", str(tmp_path)], capsys)
    assert "llm        llama" in out and "unusable: no config.json" in out
    code, _, err = run(["backends", "--models", str(tmp_path / "missing")], capsys)
    assert code == 2 and "--models: no such folder" in err


def test_inspect_and_prompt_json(capsys):
    code, out, _ = run(["inspect", KR_CAP, "--json"], capsys)
    assert code == 0 and json.loads(out)["disaster"] == "heavy_rain"
    code, out, _ = run(["prompt", "대설주의보", "--json", "--seed", "3"], capsys)
    data = json.loads(out)
    assert code == 0 and data["metadata"]["disaster"] == "heavy_snow"
    assert data["prompt"].endswith("No people appear in the image.")


def test_prompt_same_seed_same_text_other_seed_differs(capsys):
    first = run(["prompt", "flood", "--seed", "1"], capsys)[1]
    again = run(["prompt", "flood", "--seed", "1"], capsys)[1]
    other = run(["prompt", "flood", "--seed", "2"], capsys)[1]
    assert first == again and first != other and "flood" in first.lower()


@pytest.mark.parametrize("text", ["홍수", "산사태", "가뭄", "산불", "대설", "태풍", "지진"])
def test_prompt_for_korean_inputs_of_the_seven_paper_types(text, capsys):
    code, out, _ = run(["prompt", text, "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["metadata"]["language"] == "ko"
    assert "Korea" in data["metadata"]["setting"] or "-do" in data["metadata"]["setting"] \
        or "hanok" in data["metadata"]["setting"]
    assert data["generator"] == {"backend": "template"}


def test_console_entry_point_help():
    res = subprocess.run([sys.executable, "-m", "cinealert", "make", "--help"], capture_output=True, text=True)
    assert res.returncode == 0
    assert "examples:" in res.stdout and "--camera" in res.stdout
