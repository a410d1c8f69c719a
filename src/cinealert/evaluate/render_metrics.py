"""The measures every clip's report carries (step 7 of the job), taken from the renderer that made it.

The renderer animates the fluid alone (no camera) at a few frames: frame 0 (the picture itself in a
symmetric loop), a third and two thirds through the loop (for static leakage), and a quarter and a half
through a flow cycle (for ghosting). Each of them is rendered once.
"""
from __future__ import annotations

import numpy as np

from cinealert.evaluate.cinemagraph import loop_seam, static_leakage
from cinealert.evaluate.ghosting import ghosting
from cinealert.evaluate.halo import halo_hf


def render_metrics(renderer, plan, *, smalls: list[np.ndarray], safety: dict, moving: np.ndarray, frames: int,
                   render_s: float) -> dict:
    """Loop seam, hole ratio, static leakage, flashes, render time per frame, ghosting and halos.

    Args:
        renderer: the renderer of the clip (``fluid_frame``, ``period``, ``stats``, ``sway``, ``revealed_fill``).
        plan: its motion plan (``mask``).
        smalls: the clip's frames made small, in order.
        safety: the photosensitivity report of the clip (``general_flashes_per_s``, ``red_flashes_per_s``).
        moving: ``(H, W)`` bool, where the clip is meant to move.
        frames: frames in the loop.
        render_s: seconds spent rendering them.
    """
    start = renderer.fluid_frame(0)
    still = [renderer.fluid_frame(t) for t in (frames // 3, 2 * frames // 3)]
    # Ghosting: the fluid alone (no camera) a quarter and half through its flow cycle against the picture.
    ghost = ghosting(start, [renderer.fluid_frame(max(1, renderer.period * k // 4)) for k in (1, 2)], plan.mask > 0.5)
    ghost["halo_hf"] = halo_hf(*renderer.revealed_fill(), reach=renderer.sway_reach) if renderer.sway else None
    return {
        "loop_seam": round(loop_seam(smalls), 4),
        "hole_ratio": round(renderer.stats.hole_ratio, 6),
        "static_leakage": round(static_leakage(start, still, moving), 5),
        "max_flashes_per_s": float(max(safety["general_flashes_per_s"], safety["red_flashes_per_s"])),
        "render_ms_per_frame": round(1000.0 * render_s / max(1, frames), 2),
        **ghost,
    }
