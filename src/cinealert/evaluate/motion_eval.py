"""How well a motion backend predicts the motion of real clips: end-point and angular error per class.

For every held-out video (``VIDEOS/<motion class>/*.mp4``), the truth is its averaged Eulerian field
(:mod:`cinealert.motion.extract`) inside the mask of what moves consistently. Each backend is asked for
the first frame's field with that mask labelled as the video's class:

- ``rules``: the built-in field of the class (its direction rules for a typical disaster of that class);
- ``network``: a trained motion network (``--motion-model DIR``);
- ``transfer``: the field of another video of the same class (leave one out), fitted to this one's size.

End-point error (EPE) is the mean length of the difference vector in pixels per frame of the video;
angular error is the mean angle between predicted and true directions in degrees, over mask pixels that
move at least 0.1 pixel per frame.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from cinealert.regions import Region

#: A disaster whose rules move each class (the rules need one to choose directions and effects).
CLASS_DISASTER = {Region.WATER: "flood", Region.FIRE: "wildfire", Region.SMOKE: "wildfire",
                  Region.DEBRIS: "landslide", Region.CLOUD: "typhoon", Region.DUST: "yellow_dust",
                  Region.FOLIAGE: "typhoon", Region.SHIMMER: "heat_wave"}


def errors(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(EPE, angular error in degrees) of ``pred`` against ``truth`` inside ``mask``."""
    if not mask.any():
        return float("nan"), float("nan")
    d = np.linalg.norm(pred - truth, axis=-1)[mask]
    moving = mask & (np.linalg.norm(truth, axis=-1) >= 0.1)
    p, t = pred[moving], truth[moving]
    cos = (p * t).sum(-1) / (np.linalg.norm(p, axis=-1) * np.linalg.norm(t, axis=-1) + 1e-9)
    ang = float(np.degrees(np.arccos(np.clip(cos, -1, 1))).mean()) if moving.any() else float("nan")
    return float(d.mean()), ang


def evaluate_motion(videos: str | Path, *, motion_model: str | None = None, device: str | None = None,
                    seed: int = 0) -> dict:
    from cinealert.disasters import get_disaster
    from cinealert.motion.extract import extract_motion, read_video
    from cinealert.motion.network import NetworkMotion
    from cinealert.motion.rules import RuleMotion
    from cinealert.motion.train import class_of, find_videos

    files = find_videos(videos)
    clips = []
    for f in files:
        frames, fps = read_video(f, max_side=256, max_frames=240)
        clips.append({"path": f, "region": class_of(f), "frame": frames[0], "fps": fps,
                      "motion": extract_motion(frames, fps)})
    backends = {"rules": RuleMotion()}
    if motion_model:
        backends["network"] = NetworkMotion(motion_model, device=device)
    per: dict[str, dict[str, list]] = {}
    rows = {}
    for i, c in enumerate(clips):
        truth, mask = c["motion"].flow, c["motion"].mask
        h, w = mask.shape
        regions = np.where(mask, int(c["region"]), 0).astype(np.uint8)
        depth = np.ones((h, w), np.float32)
        disaster = get_disaster(CLASS_DISASTER.get(c["region"], "flood"))
        preds = {}
        for name, b in backends.items():
            plan = b.plan(regions, depth, disaster=disaster, frames=48, fps=c["fps"], seed=seed,
                          image=c["frame"].astype(np.float32) / 255.0)
            preds[name] = plan.flow
        others = [o for j, o in enumerate(clips) if j != i and o["region"] == c["region"]]
        if others:
            preds["transfer"] = others[0]["motion"].fit_to(w, h, c["fps"]).flow
        row = {"class": c["region"].name.lower(), "true_median_px": round(float(np.median(
            np.linalg.norm(truth[mask], axis=-1))), 4) if mask.any() else 0.0}
        for name, pred in preds.items():
            epe, ang = errors(pred, truth, mask)
            row[f"{name}_epe"] = round(epe, 4)
            row[f"{name}_angle"] = round(ang, 2)
            per.setdefault(row["class"], {}).setdefault(name, []).append((epe, ang))
        rows[str(Path(c["path"]).relative_to(videos))] = row
    classes = {}
    for cls, by in per.items():
        classes[cls] = {f"{n}_{k}": round(float(np.nanmean([v[j] for v in vals])), 4)
                        for n, vals in by.items() for j, k in ((0, "epe"), (1, "angle"))}
    overall = {}
    for name in list(backends) + ["transfer"]:
        vals = [v for by in per.values() for v in by.get(name, [])]
        if vals:
            overall[f"{name}_epe"] = round(float(np.nanmean([v[0] for v in vals])), 4)
            overall[f"{name}_angle"] = round(float(np.nanmean([v[1] for v in vals])), 2)
    return {"rows": classes, "videos": rows, "overall": overall, "unavailable":
            {} if motion_model else {"network": "no --motion-model folder"}, "warnings": [],
            "conventions": {"epe": "pixels per frame of the video, inside its moving mask",
                            "angle": "degrees, mask pixels moving at least 0.1 px per frame"}}
