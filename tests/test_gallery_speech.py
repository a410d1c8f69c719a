"""The gallery shows the spoken alert: a captions track on the video, a labelled play button, the narration's audio."""
import base64
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cinealert.deliver.encode import ffmpeg_exe
from cinealert.deliver.gallery import build_gallery, live_page, narration_files

VTT = ("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n서울특별시에 호우경보\n\n"
       "00:00:02.000 --> 00:00:04.000\n높은 곳으로 대피하세요\n")


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), in order."""

    def __init__(self, page):
        super().__init__()
        self.tags = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def all(self, tag):
        return [a for t, a in self.tags if t == tag]


def _result(folder: Path, *, files=("cinemagraph.mp4", "narration.m4a", "narration.ogg", "captions.vtt"),
            narration=None, language="ko"):
    folder.mkdir(parents=True)
    report = {"disaster": "flood", "description": {"text": "호우경보 안내 영상입니다.", "language": language},
              "card": {"lines": ["호우경보"], "colour": "red"}}
    if narration is not None:
        report["narration"] = narration
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    for f in files:
        (folder / f).write_bytes(b"x")
    return folder


def test_narration_from_the_report_and_from_the_files_on_disk(tmp_path):
    names = {"report.json", "speech.m4a", "narration.ogg", "subs.vtt", "captions.vtt"}
    r = {"narration": {"files": {"m4a": "speech.m4a", "ogg": "gone.ogg", "vtt": "subs.vtt"}, "language": "ko-KR"}}
    # named by the report where the file is there; the usual name where the named one is missing
    assert narration_files(r, names) == {"m4a": "speech.m4a", "ogg": "narration.ogg", "vtt": "subs.vtt",
                                         "language": "ko-kr"}
    assert narration_files({"description": {"language": "fr"}}, {"narration.m4a"}) == {
        "m4a": "narration.m4a", "ogg": None, "vtt": None, "language": "fr"}


def test_page_has_the_captions_track_the_button_and_the_audio(tmp_path):
    res = _result(tmp_path / "res" / "ko", narration={
        "files": {"m4a": "narration.m4a", "ogg": "narration.ogg", "vtt": "captions.vtt"}, "language": "ko"})
    (res / "braille.brf").write_bytes(b",RAIN\r\n")
    page = build_gallery([tmp_path / "res"], tmp_path / "gal", embed_font=False).read_text(encoding="utf-8")
    el = Elements(page)
    assert el.all("html")[0]["lang"] == "en"
    tracks = el.all("track")
    assert len(tracks) == 2                                      # one on the video, one on the audio
    vt = tracks[0]
    assert vt["kind"] == "captions" and vt["srclang"] == "ko" and tracks[1]["src"] == vt["src"]
    # the VTT itself, in a data: URL, so that the page works from the file system
    head, _, body = vt["src"].partition(",")
    assert head == "data:text/vtt;charset=utf-8;base64" and base64.b64decode(body) == (res / "captions.vtt").read_bytes()
    assert vt["label"] == "한국어" and "default" in vt
    # the video's track sits inside the video element
    order = [t for t, _ in el.tags]
    assert order.index("video") < order.index("track") < order.index("audio")
    (audio,) = el.all("audio")
    sources = [a for t, a in el.tags[order.index("audio"):] if t == "source"]
    assert [(s["src"], s["type"]) for s in sources] == [("../res/ko/narration.m4a", "audio/mp4"),
                                                        ("../res/ko/narration.ogg", "audio/ogg")]
    (button,) = el.all("button")
    assert button["type"] == "button" and button["aria-label"] == "Play spoken alert"
    assert button["aria-controls"] == audio["id"]
    assert "Play spoken alert</span></button>" in page           # the visible text is the accessible name
    assert 'href="../res/ko/braille.brf"' in page


def test_no_narration_no_button_and_captions_alone_still_shown(tmp_path):
    _result(tmp_path / "res" / "plain", files=("cinemagraph.mp4",))
    (_result(tmp_path / "res" / "vtt", files=("cinemagraph.mp4",), language="en") / "captions.vtt").write_text(VTT)
    page = build_gallery([tmp_path / "res"], tmp_path / "gal", embed_font=False).read_text(encoding="utf-8")
    el = Elements(page)
    assert el.all("button") == [] and el.all("audio") == []
    (track,) = el.all("track")
    assert track["src"].startswith("data:text/vtt") and track["srclang"] == "en" and track["label"] == "English"


def test_live_page_links_the_narration_through_the_media_prefix(tmp_path):
    report = {"description": {"text": "t", "language": "ko"}, "narration": {
        "files": {"m4a": "narration.m4a", "vtt": "captions.vtt"}, "language": "ko"}}
    page = live_page([("k", {"cinemagraph.mp4", "narration.m4a", "captions.vtt", "report.json"}, report,
                       "/v1/jobs/7/media/")])
    assert '<source src="/v1/jobs/7/media/narration.m4a" type="audio/mp4">' in page
    assert 'src="/v1/jobs/7/media/captions.vtt" srclang="ko"' in page and "narration.ogg" not in page


# -- in a real browser ---------------------------------------------------------------------------------------
def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CINEALERT_REQUIRE_BROWSER"):
        pytest.fail("CINEALERT_REQUIRE_BROWSER is set but no Chromium is installed")
    pytest.skip("no Chromium here (CI installs Debian's chromium)")


def _ffmpeg(*args):
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True, timeout=60)


def test_captions_track_and_play_button_in_headless_chromium(tmp_path):
    browser = _chromium()
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    res = tmp_path / "res" / "ko"
    res.mkdir(parents=True)
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180:rate=12:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(res / "cinemagraph.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:a", "aac", "-b:a", "64k", str(res / "narration.m4a"))
    (res / "captions.vtt").write_text(VTT, encoding="utf-8")
    (res / "report.json").write_text(json.dumps({
        "disaster": "flood", "description": {"text": "호우경보 안내 영상입니다.", "language": "ko"},
        "card": {"lines": ["호우경보"]},
        "narration": {"files": {"m4a": "narration.m4a", "vtt": "captions.vtt"}, "language": "ko"}},
        ensure_ascii=False), encoding="utf-8")
    url = build_gallery([tmp_path / "res"], tmp_path / "gal", embed_font=False).as_uri()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = b.new_page(viewport={"width": 1000, "height": 800})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_function("document.querySelector('video track').readyState === 2", timeout=10000)
            tracks = page.evaluate("""() => { const v = document.querySelector('video');
                return Array.from(v.textTracks).map((t) => [t.kind, t.language, t.label, t.mode,
                                                            Array.from(t.cues || []).map((c) => c.text)]); }""")
            assert len(tracks) >= 1 and tracks[0][:4] == ["captions", "ko", "한국어", "showing"]
            assert tracks[0][4] == ["서울특별시에 호우경보", "높은 곳으로 대피하세요"]      # loaded from the file: page
            assert page.evaluate("document.querySelector('audio').paused") is True
            # reached from the keyboard: Tab moves the focus onto the button; a real mouse click presses it
            for _ in range(4):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.tagName") == "BUTTON":
                    break
            assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Play spoken alert"
            page.get_by_role("button", name="Play spoken alert").click()
            page.wait_for_function("!document.querySelector('audio').paused && "
                                   "document.querySelector('audio').currentTime > 0.2", timeout=15000)
            state = page.evaluate("""() => { const a = document.querySelector('audio');
                return {src: a.currentSrc, paused: a.paused, error: a.error && a.error.code,
                        label: document.querySelector('button.speak').getAttribute('aria-label')}; }""")
            assert state["src"].endswith("narration.m4a") and state["paused"] is False and state["error"] is None
            assert state["label"] == "Pause spoken alert"
            # the caption of the moment follows the voice under the picture
            page.wait_for_function("document.querySelector('.spoken').textContent.length > 0", timeout=5000)
            assert page.evaluate("document.querySelector('.spoken').textContent") in ("서울특별시에 호우경보",
                                                                                      "높은 곳으로 대피하세요")
            # pressed again with the keyboard, it pauses
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelector('audio').paused", timeout=5000)
            assert page.evaluate("document.querySelector('button.speak').getAttribute('aria-label')") == \
                "Play spoken alert"
            assert errors == []
        finally:
            b.close()


def test_a_real_narrated_alert_plays_in_the_gallery(tmp_path):
    """make on the bundled Korean alert with narration (eSpeak NG), then the gallery in headless Chromium: the
    track holds the cues of the written captions.vtt and the button plays the narration itself."""
    browser = _chromium()
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed here (CI installs it)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    import sys

    import webvtt
    res = tmp_path / "res" / "ko"
    run = subprocess.run([sys.executable, "-m", "cinealert", "make", "src/cinealert/examples/kr_heavy_rain_advisory.xml",
                          "-o", str(res), "--size", "256x144", "--seconds", "1", "--fps", "8",
                          "--formats", "mp4,narration", "--quiet"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    cues = [c.text for c in webvtt.read(str(res / "captions.vtt"))]
    url = build_gallery([tmp_path / "res"], tmp_path / "gal", embed_font=False).as_uri()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = b.new_page()
            page.goto(url)
            page.wait_for_function("document.querySelector('video track').readyState === 2", timeout=10000)
            shown = page.evaluate("""() => Array.from(document.querySelector('video').textTracks[0].cues)
                                     .map((c) => c.text)""")
            assert shown == cues and len(cues) >= 3
            page.get_by_role("button", name="Play spoken alert").click()
            page.wait_for_function("!document.querySelector('audio').paused && "
                                   "document.querySelector('audio').currentTime > 0.2", timeout=15000)
            assert page.evaluate("document.querySelector('audio').currentSrc").endswith("narration.m4a")
        finally:
            b.close()
