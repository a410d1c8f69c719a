"""Quality filters and image measures for the fine-tuning photos: pure numpy and OpenCV.

Every function takes an RGB ``uint8`` array of shape ``(H, W, 3)`` (a grey ``(H, W)`` array works
wherever only luminance is used) and measures one thing; the threshold it is compared with is a module
constant documented here and can be changed by the caller (:class:`Thresholds`).

Filters, in the order they run (an image is dropped for the first that fails, with the value measured):

* ``too_small`` - the shorter side of the original image is below :data:`MIN_SIDE` pixels;
* ``too_dark`` / ``washed_out`` - :func:`exposure`: mean luminance out of range, or most pixels
  clipped to black or white (checked before blur: a black frame has no edges either, and "too dark" is
  the useful reason);
* ``blurry`` - :func:`blur_score`: the variance of the Laplacian at a fixed working size;
* ``duplicate`` - :func:`phash` and :func:`find_duplicates`: a 64-bit DCT perceptual hash within
  :data:`DUP_DISTANCE` bits of an image that is kept;
* ``person`` / ``text`` - optional detectors, callables ``(image) -> bool`` supplied by the caller.

The same module measures what the dataset records about each kept photo: :func:`colour_stats`
(saturation, warm and cool hue shares, the warmth of the highlights, a colour mood) and
:func:`dominant_colours` (a few named colours).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import cv2
import numpy as np

# ------------------------------------------------------------------------------------------ thresholds
#: Shorter side, in pixels, below which a photo is too small: the text-to-image stage works at 512 px
#: and BLIP at 384 px, so a photo under 256 px would be upscaled more than twice.
MIN_SIDE = 256

#: Longer side, in pixels, of the grey image the blur score is measured on. A fixed working size makes
#: the score independent of the file's resolution (a 4000 px photo is judged as it will be used).
WORK_SIDE = 512

#: Variance of the Laplacian (8-bit grey, at :data:`WORK_SIDE`) below which a photo is blurry. Sharp
#: photos score in the hundreds or thousands; out-of-focus or motion-smeared ones in single or low double
#: digits. Kept low on purpose: smoke, fog, snowfall and dust photos are soft by nature and are exactly
#: what some disaster types look like.
BLUR_THRESHOLD = 40.0

#: Mean luminance (0-255, Rec. 601) below which a photo is too dark. Night photos of fires or flooded
#: streets under lamps average 40-80; a frame below 30 is almost black.
DARK_THRESHOLD = 30.0

#: Mean luminance (0-255) above which a photo is washed out. Well-exposed snow scenes average 170-210;
#: above 225 the whole frame is blown out.
BRIGHT_THRESHOLD = 225.0

#: Share of clipped pixels (luminance <= :data:`CLIP_LOW` or >= :data:`CLIP_HIGH`) from which a photo
#: counts as too dark / washed out whatever its mean: three quarters of the frame carry no detail.
CLIP_SHARE = 0.75
CLIP_LOW = 10
CLIP_HIGH = 245

#: Hamming distance (of 64 bits) up to which two perceptual hashes are the same photo. Resized or
#: re-compressed copies differ by 0-4 bits, crops and light edits by up to about 8; unrelated photos
#: by about 32 on average and rarely by fewer than 16.
DUP_DISTANCE = 8


@dataclass(frozen=True)
class Thresholds:
    """The thresholds one dataset build uses (the defaults are the module constants above)."""

    min_side: int = MIN_SIDE
    blur: float = BLUR_THRESHOLD
    dark: float = DARK_THRESHOLD
    bright: float = BRIGHT_THRESHOLD
    clip_share: float = CLIP_SHARE
    dup_distance: int = DUP_DISTANCE

    def __post_init__(self) -> None:
        if self.min_side < 1:
            raise ValueError(f"min_side must be at least 1, got {self.min_side}.")
        if self.blur < 0:
            raise ValueError(f"blur threshold must be >= 0, got {self.blur}.")
        if not 0 <= self.dark < self.bright <= 255:
            raise ValueError(f"need 0 <= dark < bright <= 255, got dark={self.dark}, bright={self.bright}.")
        if not 0 < self.clip_share <= 1:
            raise ValueError(f"clip_share must be in (0, 1], got {self.clip_share}.")
        if not 0 <= self.dup_distance <= 64:
            raise ValueError(f"dup_distance must be in 0..64, got {self.dup_distance}.")

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------------ helpers
def grey(image: np.ndarray) -> np.ndarray:
    """The 8-bit luminance (Rec. 601) of an RGB image; a grey image is returned as it is."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.uint8, copy=False)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB (H, W, 3) or grey (H, W) image, got shape {image.shape}.")
    return cv2.cvtColor(image.astype(np.uint8, copy=False), cv2.COLOR_RGB2GRAY)


def fit_side(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` resized so that its longer side is ``side`` pixels (area averaging when shrinking)."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    if scale == 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def shrink(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` shrunk so that its longer side is at most ``side`` pixels (never enlarged)."""
    return image if max(image.shape[:2]) <= side else fit_side(image, side)


# ------------------------------------------------------------------------------------------ size
def too_small(width: int, height: int, min_side: int = MIN_SIDE) -> bool:
    """True when the shorter side is below ``min_side`` pixels."""
    return min(width, height) < min_side


# ------------------------------------------------------------------------------------------ blur
def blur_score(image: np.ndarray, work_side: int = WORK_SIDE) -> float:
    """Sharpness: the variance of the Laplacian of the grey image resized to ``work_side`` px (longer
    side). Higher is sharper; compare with :data:`BLUR_THRESHOLD`."""
    g = fit_side(grey(image), work_side)
    return float(cv2.Laplacian(g, cv2.CV_64F).var())


def is_blurry(score: float, threshold: float = BLUR_THRESHOLD) -> bool:
    return score < threshold


# ------------------------------------------------------------------------------------------ exposure
@dataclass(frozen=True)
class Exposure:
    """Mean luminance (0-255) and the shares of pixels clipped to black and to white."""

    mean: float
    dark_share: float
    bright_share: float


def exposure(image: np.ndarray) -> Exposure:
    """The exposure of ``image`` (measured on a copy at most 512 px on its longer side)."""
    g = shrink(grey(image), WORK_SIDE)
    return Exposure(float(g.mean()), float(np.mean(g <= CLIP_LOW)), float(np.mean(g >= CLIP_HIGH)))


def is_too_dark(exp: Exposure, threshold: float = DARK_THRESHOLD, clip_share: float = CLIP_SHARE) -> bool:
    """Mean luminance below ``threshold``, or at least ``clip_share`` of the pixels crushed to black."""
    return exp.mean < threshold or exp.dark_share >= clip_share


def is_washed_out(exp: Exposure, threshold: float = BRIGHT_THRESHOLD, clip_share: float = CLIP_SHARE) -> bool:
    """Mean luminance above ``threshold``, or at least ``clip_share`` of the pixels blown to white."""
    return exp.mean > threshold or exp.bright_share >= clip_share


# ------------------------------------------------------------------------------------------ pHash
def phash(image: np.ndarray) -> int:
    """A 64-bit DCT perceptual hash of ``image``.

    The grey image is shrunk to 32 x 32 (area averaging), transformed by a 2-D DCT, and the 8 x 8 block of
    lowest frequencies is kept. Each of its 63 AC coefficients gives one bit (above the median of the 63
    or not); the DC coefficient's bit says whether the image is brighter than mid-grey. Bits are packed
    row by row, most significant first. Resizing, re-compression and small colour or contrast changes
    barely move the low frequencies, so copies land within a few bits of each other.
    """
    small = cv2.resize(grey(image), (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    bits = np.empty(64, bool)
    bits[1:] = low[1:] > np.median(low[1:])
    bits[0] = small.mean() > 127.5
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """The number of bits in which two hashes differ."""
    return (int(a) ^ int(b)).bit_count()


def find_duplicates(hashes: Sequence[int], max_distance: int = DUP_DISTANCE) -> list[tuple[int, int] | None]:
    """Greedy near-duplicate grouping, in the order given (put the image to keep first).

    Walks ``hashes`` in order; an item within ``max_distance`` bits of an item already kept is a
    duplicate of the nearest such one. Returns, per item, None (kept) or ``(index of the kept item,
    distance)``. Each item is compared with all kept ones at once (a vectorised XOR and bit count), so
    the cost is O(n x kept) machine-word operations: well under a second for ten thousand photos.
    """
    n = len(hashes)
    kept = np.empty(n, np.uint64)
    kept_index: list[int] = []
    exact: dict[int, int] = {}
    out: list[tuple[int, int] | None] = []
    for i, h in enumerate(hashes):
        h = int(h)
        if h in exact:
            out.append((exact[h], 0))
            continue
        if kept_index:
            d = np.bitwise_count(kept[:len(kept_index)] ^ np.uint64(h))
            j = int(np.argmin(d))
            if d[j] <= max_distance:
                out.append((kept_index[j], int(d[j])))
                continue
        kept[len(kept_index)] = h
        kept_index.append(i)
        exact[h] = i
        out.append(None)
    return out


# ------------------------------------------------------------------------------------------ colour
#: Hue ranges (degrees) of warm colours (reds, oranges, yellows) and cool ones (cyans, blues, violets).
WARM_HUES = ((0.0, 50.0), (330.0, 360.0))
COOL_HUES = ((170.0, 270.0),)
#: A pixel counts as coloured from this saturation (0-1), and as lit from this value (0-1).
COLOURED_SAT = 0.2
LIT_VALUE = 0.15
#: Mean saturation (of lit pixels) below which a photo is grey, and from which it is saturated.
GREY_SAT = 0.15
VIVID_SAT = 0.4
#: Share of lit pixels of warm (or cool) hue from which a photo is warm (or cool), if it also outweighs
#: the other kind by half again.
HUE_SHARE = 0.25

COLOUR_MOODS = ("warm", "cool", "grey", "saturated")


@dataclass(frozen=True)
class ColourStats:
    """Colour measures of one photo.

    ``saturation``: mean HSV saturation (0-1) of the lit pixels; ``warm_share`` / ``cool_share``: share
    of lit pixels that are coloured and of warm / cool hue; ``warmth``: mean red minus blue (0-255 units)
    of the brightest quarter of the pixels, the colour cast of the light itself (positive = warm);
    ``mood``: one of :data:`COLOUR_MOODS` (see :func:`colour_mood`).
    """

    saturation: float
    warm_share: float
    cool_share: float
    warmth: float
    mood: str


def _in_ranges(hue: np.ndarray, ranges) -> np.ndarray:
    mask = np.zeros(hue.shape, bool)
    for lo, hi in ranges:
        mask |= (hue >= lo) & (hue < hi)
    return mask


def colour_mood(saturation: float, warm_share: float, cool_share: float) -> str:
    """The colour mood, by the first rule that holds:

    1. ``grey`` - mean saturation below :data:`GREY_SAT` (fog, smoke, snow, overcast);
    2. ``warm`` - warm hues cover at least :data:`HUE_SHARE` and 1.5 times the cool share (fire, sunset,
       muddy water);
    3. ``cool`` - the same for cool hues (blue hour, ice, sea);
    4. ``saturated`` - mean saturation at least :data:`VIVID_SAT` (strong mixed colours);
    5. otherwise warm or cool, whichever share is larger (warm on a tie).
    """
    if saturation < GREY_SAT:
        return "grey"
    if warm_share >= HUE_SHARE and warm_share >= 1.5 * cool_share:
        return "warm"
    if cool_share >= HUE_SHARE and cool_share >= 1.5 * warm_share:
        return "cool"
    if saturation >= VIVID_SAT:
        return "saturated"
    return "warm" if warm_share >= cool_share else "cool"


def colour_stats(image: np.ndarray) -> ColourStats:
    """Saturation, hue shares, highlight warmth and colour mood of an RGB image (on a 256 px copy)."""
    small = shrink(np.asarray(image, np.uint8), 256)
    hsv = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    lit = val >= LIT_VALUE
    n_lit = max(int(lit.sum()), 1)
    saturation = float(sat[lit].mean()) if lit.any() else 0.0
    coloured = lit & (sat >= COLOURED_SAT)
    warm = float((coloured & _in_ranges(hue, WARM_HUES)).sum()) / n_lit
    cool = float((coloured & _in_ranges(hue, COOL_HUES)).sum()) / n_lit
    luma = grey(small).ravel()
    top = luma >= np.quantile(luma, 0.75)
    rgb = small.reshape(-1, 3).astype(np.float32)
    warmth = float((rgb[top, 0] - rgb[top, 2]).mean())
    return ColourStats(saturation, warm, cool, warmth, colour_mood(saturation, warm, cool))


#: Named colours (sRGB) that dominant colours are snapped to.
PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20), "dark grey": (70, 70, 70), "grey": (128, 128, 128),
    "light grey": (190, 190, 190), "white": (245, 245, 245), "red": (200, 35, 30),
    "dark red": (110, 20, 20), "orange": (235, 130, 30), "yellow": (235, 215, 50),
    "brown": (115, 75, 40), "beige": (210, 190, 150), "olive": (120, 120, 45),
    "green": (60, 150, 60), "dark green": (25, 70, 30), "teal": (30, 125, 125),
    "sky blue": (135, 180, 230), "blue": (40, 85, 200), "navy": (20, 30, 80),
    "purple": (120, 55, 140), "pink": (235, 150, 180),
}
_PALETTE_NAMES = tuple(PALETTE)
_PALETTE_LAB = cv2.cvtColor(np.array([list(PALETTE.values())], np.float32) / 255.0,
                            cv2.COLOR_RGB2Lab).reshape(-1, 3)


def dominant_colours(image: np.ndarray, *, top: int = 3, min_share: float = 0.08) -> list[tuple[str, float]]:
    """The ``top`` most common named colours of ``image`` with their pixel shares.

    Each pixel of a 64 px copy is snapped to the nearest colour of :data:`PALETTE` in CIE Lab; colours
    covering less than ``min_share`` of the image are left out (the most common one never is).
    """
    small = shrink(np.asarray(image, np.uint8), 64)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 1, 3)
    nearest = np.argmin(((lab - _PALETTE_LAB[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(nearest, minlength=len(_PALETTE_NAMES)) / max(len(nearest), 1)
    order = np.argsort(-counts, kind="stable")[:top]
    out = [(_PALETTE_NAMES[i], round(float(counts[i]), 3)) for i in order if counts[i] >= min_share]
    return out or [(_PALETTE_NAMES[order[0]], round(float(counts[order[0]]), 3))]
