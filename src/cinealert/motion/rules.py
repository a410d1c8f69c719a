"""Built-in motion: an Eulerian field and looping displacements for every region class.

Speeds are given as a share of the image width per second, so a clip looks the same at any size and
frame rate. Nearer parts of a region move faster on screen than farther parts (speed scales with the
inverse of depth, relative to the nearest part of that region), as they would in a real scene.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from cinealert.disasters import DisasterType
from cinealert.motion.base import MotionPlan, Oscillation
from cinealert.motion.noise import smooth_noise
from cinealert.regions import Region, check_regions
from cinealert.validate import check_depth

# (speed as share of width per second, direction (x, y) before noise, direction wobble in radians)
_FLOW = {
    Region.WATER: (0.030, (1.0, 0.0), 0.35),
    Region.FIRE: (0.016, (0.0, -1.0), 0.45),      # flames mostly flicker in place (see below)
    Region.SMOKE: (0.022, (0.45, -1.0), 0.35),
    Region.CLOUD: (0.010, (1.0, 0.0), 0.15),
    Region.DEBRIS: (0.028, (0.0, 1.0), 0.25),
    Region.DUST: (0.014, (1.0, -0.25), 0.40),
}
# Looping displacements per class: (amplitude as share of width, cycles per second, feature scale
# as share of width). Flames get two: a slow lick and a fast flicker, mostly vertical.
_OSCILLATE = {
    Region.WATER: ((0.0012, 1.0, 0.020),),
    Region.FIRE: ((0.0060, 1.7, 0.030), (0.0030, 3.3, 0.012)),
    Region.FOLIAGE: ((0.0035, 0.7, 0.120),),
    Region.SHIMMER: ((0.0014, 2.0, 0.012),),
    Region.SMOKE: ((0.0020, 0.7, 0.050),),
}
_SHAKE_HZ = (2.3, 3.7, 5.3)
#: Disasters whose water visibly rises (and, to loop, falls back) once per loop, and by how much (share of height).
RISING_WATER = ("flood", "heavy_rain", "storm_surge")
RISE_SHARE = 0.008


class RuleMotion:
    """Motion from rules per region class: flows, sways, ripples, particles and shake."""

    name = "rules"
    summary = "built-in Eulerian fields per region class (water flows, flames rise, snow falls, ...)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def plan(self, regions: np.ndarray, depth: np.ndarray, *, disaster: DisasterType, frames: int,
             fps: float, seed: int = 0, speed: float = 1.0, image: np.ndarray | None = None,
             hints=None) -> MotionPlan:
        """Describe the motion of one loop of ``frames`` frames.

        Args:
            regions: ``(H, W)`` uint8 Region labels.
            depth: ``(H, W)`` float32 relative depth, larger = farther.
            disaster: the disaster type (chooses directions and whole-frame effects).
            frames: loop length N (frame N equals frame 0).
            fps: frames per second (speeds are per second).
            seed: seeds every random choice.
            speed: multiplies every speed and amplitude; 0 freezes the fluid.
            image, hints: unused (the rules need no picture); other motion backends take them.
        """
        h, w = depth.shape
        regions = check_regions(regions, (h, w))
        check_depth(depth, (h, w))
        if frames < 2:
            raise ValueError(f"frames must be at least 2, got {frames}.")
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}.")
        if not 0 <= speed <= 5:
            raise ValueError(f"speed must be between 0 and 5, got {speed}.")
        rng = np.random.default_rng(seed)
        seconds = frames / fps
        flow = np.zeros((h, w, 2), np.float32)
        info: dict = {"classes": {}}
        oscillations: list[Oscillation] = []
        present = [Region(v) for v in np.unique(regions) if v != Region.NONE]
        for cls in present:
            sel = regions == cls
            share = float(sel.mean())
            entry = {"share": round(share, 4)}
            if cls in _FLOW:
                base, direction, wobble = _FLOW[cls]
                direction = self._direction(cls, direction, disaster, rng, sel)
                px = base * speed * w / fps
                field = self._class_flow(sel, depth, px, direction, wobble, rng)
                flow[sel] = field[sel]
                entry["px_per_frame_nearest"] = round(px, 3)
                entry["direction"] = [round(float(direction[0]), 3), round(float(direction[1]), 3)]
            if cls in _OSCILLATE and speed > 0:
                entry["oscillation_cycles"] = []
                for amp, hz, feature in _OSCILLATE[cls]:
                    cycles = max(1, int(round(hz * seconds)))
                    oscillations.append(self._oscillation(sel, cls, amp * speed * w, cycles, feature * w, rng))
                    entry["oscillation_cycles"].append(cycles)
            info["classes"][cls.name.lower()] = entry
        # Soften the field's edges a little so textures do not tear at region borders.
        swaying = regions == Region.FOLIAGE
        moving = ((regions != Region.NONE) & ~swaying).astype(np.float32)
        if moving.any():
            flow = cv2.GaussianBlur(flow, (0, 0), 1.2) * moving[..., None]
        # Soft inside the region and zero outside it: an anti-aliased rim of a neighbour (a tree crown
        # against moving clouds) belongs to the neighbour, and must not be painted with fluid.
        mask = np.minimum(np.clip(cv2.GaussianBlur(moving, (0, 0), 1.0) * 1.25, 0.0, 1.0), moving)

        effects = [self._effect(name, disaster, rng, speed) for name in disaster.effects]
        effects = [e for e in effects if e is not None]
        shake = self._shake(frames, seconds, w, rng, speed) if "shake" in disaster.effects else None
        outline = cv2.GaussianBlur(swaying.astype(np.float32), (0, 0), 0.8) if swaying.any() else None
        swell = self._swell(regions == Region.WATER, disaster, speed) if Region.WATER in present else None
        if swell is not None:
            info["swell_px"] = round(float(swell.max()), 2)
        return MotionPlan(flow=flow.astype(np.float32), mask=mask.astype(np.float32),
                          oscillations=oscillations, effects=effects, shake=shake, outline=outline,
                          swell=swell, backend=self.name, info=info)

    # -- pieces ----------------------------------------------------------------------------
    @staticmethod
    def _direction(cls: Region, base: tuple[float, float], disaster: DisasterType,
                   rng: np.random.Generator, sel: np.ndarray) -> np.ndarray:
        d = np.array(base, np.float32)
        if cls == Region.WATER and disaster.scene in ("coastal", "typhoon"):
            d = np.array([rng.uniform(-0.5, 0.5), 1.0], np.float32)       # waves roll toward the shore
        elif cls in (Region.WATER, Region.CLOUD, Region.DUST, Region.SMOKE):
            if rng.random() < 0.5:
                d[0] = -d[0]
        elif cls == Region.DEBRIS:
            d = _downslope(sel)
        return d / max(1e-6, float(np.hypot(*d)))

    @staticmethod
    def _class_flow(sel: np.ndarray, depth: np.ndarray, px: float, direction: np.ndarray,
                    wobble: float, rng: np.random.Generator) -> np.ndarray:
        h, w = sel.shape
        z = depth[sel]
        z_near = float(np.percentile(z, 3)) if z.size else 1.0
        perspective = np.clip(z_near / depth, 0.12, 1.0)
        angle = math.atan2(float(direction[1]), float(direction[0]))
        angle = angle + wobble * smooth_noise((h, w), scale=0.25 * w, rng=rng)
        gain = 1.0 + 0.3 * smooth_noise((h, w), scale=0.15 * w, rng=rng)
        mag = px * perspective * gain
        return np.stack([mag * np.cos(angle), mag * np.sin(angle)], axis=-1).astype(np.float32)

    @staticmethod
    def _oscillation(sel: np.ndarray, cls: Region, amp: float, cycles: int, feature: float,
                     rng: np.random.Generator) -> Oscillation:
        h, w = sel.shape
        outline = cls == Region.FOLIAGE
        if outline:
            # Defined around the object too, so that the swaying crown can be drawn there.
            reach = int(np.ceil(amp)) * 2 + 3
            grown = cv2.dilate(sel.astype(np.uint8), np.ones((reach, reach), np.uint8))
            weight = cv2.GaussianBlur(grown.astype(np.float32), (0, 0), reach / 2)[..., None]
            # Whole crowns sway together, mostly sideways, tips more than the trunk.
            phase = smooth_noise((h, w), scale=feature, rng=rng) * math.pi
            rows = np.linspace(1.0, 0.4, h, dtype=np.float32)[:, None]
            p = np.stack([np.cos(phase) * rows, 0.15 * np.sin(phase) * rows], -1)
            q = np.stack([np.sin(phase) * rows, -0.15 * np.cos(phase) * rows], -1)
        else:
            weight = cv2.GaussianBlur(sel.astype(np.float32), (0, 0), 2.0)[..., None]
            p = smooth_noise((h, w), scale=feature, rng=rng, channels=2)
            q = smooth_noise((h, w), scale=feature, rng=rng, channels=2)
            if cls in (Region.WATER, Region.FIRE):
                p[..., 0] *= 0.4     # ripples bob and flames lick up and down more than sideways
                q[..., 0] *= 0.4
        return Oscillation(p=(p * amp * weight).astype(np.float32),
                           q=(q * amp * weight).astype(np.float32), cycles=cycles, outline=outline)

    @staticmethod
    def _effect(name: str, disaster: DisasterType, rng: np.random.Generator, speed: float) -> dict | None:
        windy = "wind" in disaster.effects
        if name == "rain":
            return {"kind": "rain", "density": 1.0 if windy else 0.8,
                    "angle_deg": float(rng.uniform(18, 28) * rng.choice([-1, 1])) if windy
                    else float(rng.uniform(-8, 8)), "speed": speed, "seed": int(rng.integers(1 << 30))}
        if name == "snowfall":
            heavy = disaster.key == "heavy_snow"
            return {"kind": "snowfall", "density": 1.0 if heavy else 0.5, "speed": speed,
                    "seed": int(rng.integers(1 << 30))}
        if name == "embers":
            return {"kind": "embers", "density": 0.6, "speed": speed, "seed": int(rng.integers(1 << 30))}
        if name == "dust_haze":
            # A yellow-dust day is thick with it; over a drought a little dust drifts across the dry ground.
            density = 0.8 if disaster.key == "yellow_dust" else 0.35
            return {"kind": "dust_haze", "density": density, "speed": speed, "seed": int(rng.integers(1 << 30))}
        return None  # wind tilts the rain; shake and heat haze are handled elsewhere

    @staticmethod
    def _swell(water: np.ndarray, disaster: DisasterType, speed: float) -> np.ndarray | None:
        """Flood water rises and falls once per loop: an upward shift of the water, largest at its edge.

        Only for disasters whose water is rising (floods, heavy rain, storm surge); ``speed`` scales it.
        """
        if disaster.key not in RISING_WATER or speed <= 0 or not water.any():
            return None
        h, w = water.shape
        amp = RISE_SHARE * h * min(speed, 2.0)
        # Full shift over the water, tapering to nothing a few swell-heights above its edge.
        reach = int(np.ceil(amp)) + 3
        above = cv2.dilate(water.astype(np.uint8), np.ones((2 * reach + 1, 1), np.uint8))
        weight = cv2.GaussianBlur(np.maximum(water.astype(np.float32), above.astype(np.float32) * 0.999),
                                  (0, 0), 1.0)
        return (weight * amp).astype(np.float32)

    @staticmethod
    def _shake(frames: int, seconds: float, width: int, rng: np.random.Generator, speed: float) -> np.ndarray:
        t = np.arange(frames, dtype=np.float64) / frames
        amp = 0.0035 * width * min(speed, 1.5)
        out = np.zeros((frames, 2), np.float64)
        for k, hz in enumerate(_SHAKE_HZ):
            cycles = max(1, int(round(hz * seconds)))
            phase = rng.uniform(0, 2 * math.pi, 2)
            weight = amp / (k + 1)
            out[:, 0] += weight * np.sin(2 * math.pi * cycles * t + phase[0])
            out[:, 1] += 0.6 * weight * np.sin(2 * math.pi * cycles * t + phase[1])
        # Swell and settle once per loop, like a tremor, so the shake is not a constant buzz.
        envelope = 0.35 + 0.65 * np.sin(math.pi * t) ** 2
        return (out * envelope[:, None]).astype(np.float32)


def _downslope(sel: np.ndarray) -> np.ndarray:
    """Main axis of a region, pointing down the image (debris runs downhill)."""
    ys, xs = np.nonzero(sel)
    if xs.size < 10:
        return np.array([0.0, 1.0], np.float32)
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    vals, vecs = np.linalg.eigh(cov)
    axis = vecs[:, int(np.argmax(vals))]
    if axis[1] < 0:
        axis = -axis
    if axis[1] < 0.35:                      # a wide fan still runs mostly downhill
        axis = np.array([axis[0], 0.35])
    return (axis / np.hypot(*axis)).astype(np.float32)
