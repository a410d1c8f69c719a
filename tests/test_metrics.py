import numpy as np
import pytest

from cinealert.evaluate.cinemagraph import (frame_step, loop_seam, max_flashes_per_second,
                                            relative_luminance, static_leakage)


def _cyclic(n=24, jump=False):
    x = np.arange(64)
    frames = []
    for t in range(n):
        phase = 2 * np.pi * t / n
        row = (127 + 100 * np.sin(2 * np.pi * x / 64 + phase)).astype(np.uint8)
        frames.append(np.repeat(np.repeat(row[None, :, None], 32, 0), 3, 2))
    if jump:
        frames[-1] = 255 - frames[-1]
    return frames


def test_loop_seam_smooth_cycle_is_about_one():
    assert 0.8 <= loop_seam(_cyclic()) <= 1.2


def test_loop_seam_detects_a_jump():
    assert loop_seam(_cyclic(jump=True)) > 5


def test_loop_seam_needs_frames():
    with pytest.raises(ValueError):
        loop_seam(_cyclic()[:2])


def test_relative_luminance_endpoints():
    white = np.full((2, 2, 3), 255, np.uint8)
    black = np.zeros((2, 2, 3), np.uint8)
    assert np.allclose(relative_luminance(white), 1.0)
    assert np.allclose(relative_luminance(black), 0.0)
    red = np.zeros((1, 1, 3), np.uint8)
    red[..., 0] = 255
    assert np.isclose(relative_luminance(red)[0, 0], 0.2126, atol=1e-4)


def test_flashes_counted_for_strobing_and_not_for_steady():
    white = np.full((8, 8, 3), 255, np.uint8)
    black = np.zeros((8, 8, 3), np.uint8)
    strobe = [white if i % 2 else black for i in range(48)]
    assert max_flashes_per_second(strobe, 24) >= 10
    steady = [np.full((8, 8, 3), 100 + (i % 3), np.uint8) for i in range(48)]
    assert max_flashes_per_second(steady, 24) == 0
    slow = [white if (i // 12) % 2 else black for i in range(48)]   # one change every half second
    assert max_flashes_per_second(slow, 24) <= 2


def test_static_leakage():
    start = np.zeros((20, 20, 3), np.uint8)
    moving = np.zeros((20, 20), bool)
    moving[:, :8] = True
    later = start.copy()
    later[:, :8] = 90
    assert static_leakage(start, [later], moving) == 0.0
    leaky = later.copy()
    leaky[:, 15:] = 45
    assert static_leakage(start, [leaky], moving) > 0.1
    assert frame_step(start, later) > 0
