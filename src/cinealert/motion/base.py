"""The motion stage's output: everything that moves, described once for the whole loop."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Oscillation:
    """A displacement that loops by construction: ``d(x, t) = cos(2πct/N)·P(x) + sin(2πct/N)·Q(x)``.

    ``P`` and ``Q`` are ``(H, W, 2)`` float32 pixel offsets (x, y); ``cycles`` is the whole number of
    periods in one loop, so frame N equals frame 0.
    """

    p: np.ndarray
    q: np.ndarray
    cycles: int
    outline: bool = False      # True: the object itself sways (its outline moves), not just its texture


@dataclass
class MotionPlan:
    """Attributes:
        flow: ``(H, W, 2)`` float32 Eulerian field in pixels per frame (x along columns, y along rows),
            zero where nothing flows.
        mask: ``(H, W)`` float32 soft mask in [0, 1] of the fluid: pixels whose texture moves
            inside a region that stays put (water, fire, smoke, clouds, ...).
        outline: ``(H, W)`` float32 soft alpha of objects that sway as a whole (tree crowns in
            wind), drawn over what they hide; None when there are none.
        oscillations: looping displacements (ripples, sway, shimmer) added on top of the flow.
        effects: whole-frame effects with their settings, e.g. ``{"kind": "rain", ...}``.
        shake: ``(N, 2)`` float32 whole-frame offsets in pixels per frame, or None.
        swell: ``(H, W)`` float32 upward shift in pixels at the height of the swell (rising water): the
            water's texture and its edge rise by ``swell · (1 − cos 2πt/N) / 2`` and fall back once per loop;
            None when nothing rises.
        backend: name of the backend that made it.
        info: details for the report (speeds per class, ...).
    """

    flow: np.ndarray
    mask: np.ndarray
    oscillations: list[Oscillation] = field(default_factory=list)
    effects: list[dict] = field(default_factory=list)
    shake: np.ndarray | None = None
    outline: np.ndarray | None = None
    swell: np.ndarray | None = None
    backend: str = ""
    info: dict = field(default_factory=dict)
