"""Captions burned into frames: inside the safe rectangle, Hangul drawn (not boxes), contrast measured, cue timing."""
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from cinealert.deliver.burnin import (burn_captions, burn_into_frames, caption_at, caption_contrast,
                                      caption_layout, safe_rect)

REAL = Path(__file__).parent / "data" / "real" / "sea_forest_coast.jpg"
KO = "서울특별시에 호우경보가 내려졌습니다. 높은 곳으로 대피하고 하천과 저지대에 가까이 가지 마세요."


@dataclass
class Cue:
    start: float
    end: float
    text: str


def _real(w=1024, h=576):
    img = cv2.cvtColor(cv2.imread(str(REAL)), cv2.COLOR_BGR2RGB)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def _changed_inside(before, after, rect):
    ys, xs = np.nonzero(np.any(before != after, axis=2))
    x0, y0, x1, y1 = rect
    return len(ys) > 0 and xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1


@pytest.mark.parametrize("size", [(1024, 576), (1920, 1080), (1080, 1920), (320, 180)])
def test_every_changed_pixel_lies_in_the_caption_safe_rectangle(size):
    w, h = size
    frame = _real(w, h)
    out = burn_captions(frame, KO, language="ko")
    assert out.shape == frame.shape and out.dtype == np.uint8 and not np.shares_memory(out, frame)
    # the central 80 % of the width and 90 % of the height
    assert safe_rect(w, h) == (int(np.ceil(0.1 * w)), int(np.ceil(0.05 * h)), int(0.9 * w), int(0.95 * h))
    assert _changed_inside(frame, out, safe_rect(w, h))
    lay = caption_layout(KO, w, h, language="ko")
    assert 1 <= len(lay.lines) <= 2
    assert lay.box[3] == safe_rect(w, h)[3]                                 # on the safe bottom
    assert abs((lay.box[0] + lay.box[2]) / 2 - w / 2) <= 1                  # centred


def test_caption_stays_above_the_card_and_long_text_gets_two_lines():
    frame = _real()
    long = " ".join([KO] * 4)
    out = burn_captions(frame, long, language="ko", bottom=400)
    assert _changed_inside(frame, out, safe_rect(1024, 576, 400))
    assert not np.any(out[400:] != frame[400:])
    lay = caption_layout(long, 1024, 576, language="ko", bottom=400)
    assert len(lay.lines) == 2 and lay.lines[-1].endswith("…")
    assert lay.lines[-1][:-1].split()[-1].rstrip(".") in [w.rstrip(".") for w in long.split()]   # cut at a word
    assert lay.size == round(0.04 * 576)                                    # shrunk to the floor before cutting
    short = caption_layout("비가 옵니다.", 1024, 576, language="ko")
    assert short.lines == ["비가 옵니다."] and short.size == round(0.055 * 576)
    two = caption_layout("First line\nSecond line\nThird line", 1024, 576, language="en")
    assert two.lines == ["First line", "Second line…"]


def test_korean_caption_draws_hangul_not_boxes():
    frame = np.full((576, 1024, 3), 90, np.uint8)
    text = "호우경보 대피하세요"
    lay = caption_layout(text, 1024, 576, language="ko")
    assert lay.missing() == []
    ink = lay.ink >= 0.5
    assert ink.mean() > 0.05
    # A "no glyph" box is one closed shape per character; Hangul syllables are built of several strokes
    # (호: ㅎ's dot, its ring, ㅗ), so the ink has more pieces than there are characters.
    n, _ = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    chars = sum(1 for c in text if not c.isspace())
    assert n - 1 > chars
    out = burn_captions(frame, text, language="ko")
    x0, y0, x1, y1 = lay.box
    assert (out[y0:y1, x0:x1] == 255).all(axis=2).sum() == (lay.ink >= 0.999).sum()  # white where the ink is full


def _lum(v):
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


@pytest.mark.parametrize("background", ["white", "black", "real"])
def test_contrast_is_measured_on_the_burned_frame_and_passes(background):
    frame = {"white": np.full((576, 1024, 3), 255, np.uint8), "black": np.zeros((576, 1024, 3), np.uint8),
             "real": _real()}[background]
    out = burn_captions(frame, KO, language="ko")
    ratio = caption_contrast(out, KO, language="ko")
    assert ratio >= 4.5
    if background == "white":                    # white text on 75 % black over white: 255·0.25 → 64
        assert ratio == pytest.approx((1 + 0.05) / (_lum(64) + 0.05), rel=1e-3)
    if background == "black":
        assert ratio == pytest.approx(21.0, rel=1e-3)


def test_caption_at_follows_webvtt_timing():
    cues = [Cue(0.0, 1.5, "하나"), Cue(1.5, 3.0, "둘"), Cue(2.5, 4.0, "셋"), Cue(5.0, 6.0, "  ")]
    assert caption_at(cues, 0.0) == "하나"
    assert caption_at(cues, 1.4999) == "하나"
    assert caption_at(cues, 1.5) == "둘"                 # a cue ends just before its end time
    assert caption_at(cues, 2.75) == "둘\n셋"             # overlapping cues, in start order
    assert caption_at(cues, 4.0) is None
    assert caption_at(cues, -0.1) is None
    assert caption_at(cues, 5.5) is None                 # a blank cue shows nothing
    assert caption_at([], 1.0) is None
    with pytest.raises(ValueError, match="finite"):
        caption_at(cues, float("nan"))


def test_burn_into_frames_captions_the_frames_of_each_cue():
    frames = [np.full((144, 256, 3), 120, np.uint8) for _ in range(12)]
    cues = [Cue(0.25, 0.5, "Heavy rain"), Cue(0.75, 1.0, "Move to higher ground")]
    out = list(burn_into_frames(iter(frames), cues, 8, "en"))
    assert len(out) == 12
    shown = [i for i, (a, b) in enumerate(zip(frames, out)) if b is not a]
    assert shown == [2, 3, 6, 7]                          # t = 0.25, 0.375 and 0.75, 0.875 s
    assert all(np.array_equal(out[i], burn_captions(frames[i], caption_at(cues, i / 8), language="en"))
               for i in shown)
    assert not np.array_equal(out[2], out[6])
    with pytest.raises(ValueError, match="fps"):
        list(burn_into_frames(frames, cues, 0, "en"))


def test_bad_input_raises():
    with pytest.raises(ValueError, match="uint8"):
        burn_captions(np.zeros((100, 100, 3), np.float32), "x", language="en")
    with pytest.raises(TypeError, match="numpy"):
        burn_captions([[0]], "x", language="en")
    with pytest.raises(ValueError, match="non-empty"):
        burn_captions(np.zeros((100, 100, 3), np.uint8), "  ", language="en")
    with pytest.raises(ValueError, match="bottom"):
        burn_captions(np.zeros((100, 100, 3), np.uint8), "x", language="en", bottom=2)
    with pytest.raises(ValueError, match="64x64"):
        burn_captions(np.zeros((40, 100, 3), np.uint8), "x", language="en")


def test_write_a_look_at_frame(tmp_path):
    """One real frame with a Korean caption, for a person to look at ($CINEALERT_SCREENSHOT keeps it)."""
    import os
    import shutil
    out = burn_captions(_real(), KO, language="ko")
    path = tmp_path / "caption_ko.png"
    cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    assert cv2.imread(str(path)).shape == (576, 1024, 3)
    if os.environ.get("CINEALERT_SCREENSHOT"):
        shutil.copy(path, os.environ["CINEALERT_SCREENSHOT"])
