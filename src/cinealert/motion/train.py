"""Training the image-to-flow network on real videos: ``cinealert motion train VIDEOS -o DIR``.

1. Pairs: every video under ``VIDEOS`` (``VIDEOS/<motion class>/*.mp4``; the folder names the class, e.g.
   ``water``, ``fire``, ``smoke``) gives (first frame, its averaged Eulerian field, the mask of what moves
   consistently, the confidence), by :func:`cinealert.motion.extract.extract_motion` on its decoded frames.
2. A share of the videos (``--val``) is held out for validation, chosen by the seed.
3. Each step trains on a batch of random crops with augmentation: horizontal flips (the field's x sign
   flips with them), colour jitter (brightness, contrast, saturation), and 0–3 sparse direction hints
   taken from the true field inside the mask. The loss is the end-point error, weighted by the confidence
   inside the mask and by 0.1 outside it (where the field should be zero).
4. Validation end-point error (pixels per frame of the video, inside the mask) is logged every
   ``--eval-every`` steps; checkpoints are kept under ``DIR/checkpoints`` and a run started again with the
   same ``DIR`` resumes from the latest one.
5. The result is ``DIR/config.json`` + ``DIR/model.safetensors`` (load it with ``--motion-model DIR``),
   ``DIR/train_log.jsonl`` and ``DIR/metrics.json``.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError
from cinealert.motion.network import IN_CHANNELS, MODEL_TYPE, N_CLASSES, build_unet, inputs
from cinealert.regions import Region

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi")
TRAIN_FPS = 24.0


@dataclass
class Pair:
    name: str
    image: np.ndarray        # (h, w, 3) float32 [0, 1] at the working size
    flow: np.ndarray         # (h, w, 2) percent of width per frame at TRAIN_FPS
    mask: np.ndarray         # (h, w) float32
    confidence: np.ndarray   # (h, w) float32
    region: Region
    px_per_unit: float       # pixels per frame of the video (at its fps) per unit of ``flow``


def class_of(path: Path) -> Region:
    from cinealert.regions import region_from_name
    try:
        return region_from_name(path.parent.name)
    except (KeyError, ValueError):
        return Region.WATER


def find_videos(root: str | Path) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{str(root)!r} is not a folder of videos (VIDEOS/<motion class>/*.mp4)")
    videos = sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    if len(videos) < 2:
        raise InputError(f"{str(root)!r} holds {len(videos)} video(s); training needs at least 2 "
                         "(one is held out for validation)")
    return videos


def working_size(w: int, h: int, side: int, mult: int) -> tuple[int, int]:
    scale = side / max(w, h)
    return (max(mult, int(round(w * scale / mult)) * mult), max(mult, int(round(h * scale / mult)) * mult))


def make_pair(video: Path, *, side: int, mult: int) -> Pair:
    from cinealert.motion.extract import extract_motion, read_video

    frames, fps = read_video(video, max_side=max(256, side))
    motion = extract_motion(frames, fps)             # the same decoded frames give the first frame and the field
    h0, w0 = motion.flow.shape[:2]
    w, h = working_size(w0, h0, side, mult)
    image = cv2.resize(frames[0].astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
    # percent of the width per frame at TRAIN_FPS
    unit = 100.0 / w0 * (fps / TRAIN_FPS)
    flow = cv2.resize(motion.flow, (w, h), interpolation=cv2.INTER_AREA) * unit
    mask = cv2.resize(motion.mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    conf = cv2.resize(motion.confidence, (w, h), interpolation=cv2.INTER_AREA)
    return Pair(name=str(video), image=image, flow=flow.astype(np.float32), mask=mask, confidence=conf,
                region=class_of(video), px_per_unit=1.0 / unit)


def _jitter(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grey = rgb.mean(axis=2, keepdims=True)
    out = grey + (rgb - grey) * rng.uniform(0.8, 1.2)                    # saturation
    out = (out - out.mean()) * rng.uniform(0.8, 1.2) + out.mean()         # contrast
    return np.clip(out + rng.uniform(-0.12, 0.12), 0, 1).astype(np.float32)   # brightness


def sample(pair: Pair, crop: int, rng: np.random.Generator, *, augment: bool = True, hints: int | None = None):
    """One training example: (input (C, crop, crop), target flow (2, crop, crop), weight (crop, crop))."""
    h, w = pair.mask.shape
    cw, ch = min(crop, w), min(crop, h)
    x0 = int(rng.integers(0, w - cw + 1)) if augment else (w - cw) // 2
    y0 = int(rng.integers(0, h - ch + 1)) if augment else (h - ch) // 2
    sl = (slice(y0, y0 + ch), slice(x0, x0 + cw))
    img, flow, mask, conf = pair.image[sl], pair.flow[sl].copy(), pair.mask[sl], pair.confidence[sl]
    if augment and rng.random() < 0.5:
        img, flow, mask, conf = img[:, ::-1], flow[:, ::-1].copy(), mask[:, ::-1], conf[:, ::-1]
        flow[..., 0] *= -1.0
    if augment:
        img = _jitter(img, rng)
    classes = np.where(mask > 0.5, int(pair.region), 0).astype(np.uint8)
    given = []
    ys, xs = np.nonzero(mask > 0.5)
    count = hints if hints is not None else (int(rng.integers(0, 4)) if augment else 0)
    for _ in range(count if len(xs) else 0):
        k = int(rng.integers(len(xs)))
        given.append((int(xs[k]), int(ys[k]), float(flow[ys[k], xs[k], 0]), float(flow[ys[k], xs[k], 1])))
    x = inputs(np.ascontiguousarray(img), mask, classes, given, (cw, ch))
    weight = np.where(mask > 0.5, np.maximum(conf, 0.1), 0.1).astype(np.float32)
    return x, np.ascontiguousarray(flow.transpose(2, 0, 1)), weight


def _latest(ckpt_dir: Path) -> Path | None:
    steps = sorted(ckpt_dir.glob("step_*"), key=lambda p: int(p.name.split("_")[1]))
    return steps[-1] if steps else None


def train(videos: str | Path, out_dir: str | Path, *, steps: int = 200, batch: int = 8, lr: float = 2e-3,
          size: int = 128, crop: int = 64, base: int = 24, depth: int = 3, val: float = 0.25, seed: int = 0,
          eval_every: int | None = None, save_every: int | None = None, resume: bool = True,
          device: str | None = None, progress: bool = True) -> dict:
    """Train the network (see the module docstring); returns the final metrics."""
    import torch
    from safetensors.torch import load_file, save_file

    from cinealert.hf import pick_device

    if steps < 1 or batch < 1:
        raise InputError(f"--steps and --batch-size must be positive, got {steps} and {batch}")
    mult = 2 ** depth
    if crop % mult or crop < mult:
        raise InputError(f"--crop must be a multiple of {mult}, got {crop}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = out / "checkpoints"
    files = find_videos(videos)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(files))
    n_val = max(1, int(round(val * len(files))))
    val_files = [files[i] for i in order[:n_val]]
    train_files = [files[i] for i in order[n_val:]]
    t0 = time.perf_counter()
    pairs = [make_pair(f, side=size, mult=mult) for f in train_files]
    val_pairs = [make_pair(f, side=size, mult=mult) for f in val_files]
    prep_s = time.perf_counter() - t0

    dev = pick_device(device)
    torch.manual_seed(seed)
    net = build_unet(base, depth).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    start, log = 0, []
    last = _latest(ckpt_dir) if resume else None
    if last is not None:
        net.load_state_dict(load_file(str(last / "model.safetensors")))
        opt.load_state_dict(torch.load(last / "optimizer.pt", map_location=dev, weights_only=True))
        state = json.loads((last / "state.json").read_text())
        start, log = state["step"], state["log"]
        rng = np.random.default_rng(state["rng_seed"])
    eval_every = eval_every or max(1, steps // 10)
    save_every = save_every or max(1, steps // 4)
    steps_per_epoch = max(1, math.ceil(len(pairs) / batch))

    def validate(hints: int = 0) -> float:
        """Mean end-point error on the held-out videos, with ``hints`` true directions given (fixed seed)."""
        net.eval()
        errs = []
        vrng = np.random.default_rng(12345)
        with torch.no_grad():
            for p in val_pairs:
                h, w = p.mask.shape
                x, y, _ = sample(p, max(h, w), vrng, augment=False, hints=hints)
                pred = net(torch.from_numpy(x)[None].to(dev))[0].cpu().numpy()
                e = np.linalg.norm(pred - y, axis=0) * p.px_per_unit
                m = p.mask[: e.shape[0], : e.shape[1]] > 0.5
                errs.append(float(e[m].mean()) if m.any() else float(e.mean()))
        net.train()
        return float(np.mean(errs))

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, initial=start, desc="motion train", unit="step", leave=False)
    net.train()
    train_start = time.perf_counter()
    for step in range(start, steps):
        batch_x, batch_y, batch_w = zip(*(sample(pairs[int(rng.integers(len(pairs)))], crop, rng) for _ in range(batch)))
        x = torch.from_numpy(np.stack(batch_x)).to(dev)
        y = torch.from_numpy(np.stack(batch_y)).to(dev)
        wt = torch.from_numpy(np.stack(batch_w)).to(dev)
        pred = net(x)
        epe = torch.sqrt(((pred - y) ** 2).sum(1) + 1e-8)
        loss = (epe * wt).sum() / wt.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        entry = {"step": step + 1, "loss": round(loss.item(), 5)}
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            entry["val_epe_px"] = round(validate(), 5)
            entry["val_epe_hinted_px"] = round(validate(hints=3), 5)
        log.append(entry)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss):.4f}")
        if (step + 1) % save_every == 0 or step + 1 == steps:
            ck = ckpt_dir / f"step_{step + 1:06d}"
            ck.mkdir(parents=True, exist_ok=True)
            save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(ck / "model.safetensors"))
            torch.save(opt.state_dict(), ck / "optimizer.pt")
            (ck / "state.json").write_text(json.dumps({"step": step + 1, "log": log,
                                                       "rng_seed": int(rng.integers(1 << 31))}))
            for old in sorted(ckpt_dir.glob("step_*"), key=lambda p: int(p.name.split("_")[1]))[:-2]:
                shutil.rmtree(old, ignore_errors=True)
    if bar is not None:
        bar.close()
    train_s = time.perf_counter() - train_start
    done = max(1, steps - start)
    config = {"model_type": MODEL_TYPE, "in_channels": IN_CHANNELS, "classes": [r.name.lower() for r in Region],
              "n_classes": N_CLASSES, "base_channels": base, "depth": depth, "size": size, "fps": TRAIN_FPS,
              "flow_unit": "percent of the image width per frame at fps", "trained_steps": steps,
              "train_videos": [str(f) for f in train_files], "val_videos": [str(f) for f in val_files]}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(out / "model.safetensors"))
    with open(out / "train_log.jsonl", "w", encoding="utf-8") as f:
        for entry in log:
            f.write(json.dumps(entry) + "\n")
    vals = [e["val_epe_px"] for e in log if "val_epe_px" in e]
    losses = [e["loss"] for e in log]
    metrics = {"steps": steps, "resumed_from": start, "train_videos": len(train_files), "val_videos": len(val_files),
               "first_loss": losses[0] if losses else None, "last_loss": float(np.mean(losses[-5:])) if losses else None,
               "val_epe_px": vals[-1] if vals else None, "val_epe_first_px": vals[0] if vals else None,
               "val_epe_hinted_px": next((e["val_epe_hinted_px"] for e in reversed(log) if "val_epe_hinted_px" in e), None),
               "seconds_prepare": round(prep_s, 2), "seconds_train": round(train_s, 2),
               "seconds_per_step": round(train_s / done, 4),
               "seconds_per_epoch": round(train_s / done * steps_per_epoch, 4), "steps_per_epoch": steps_per_epoch,
               "parameters": int(sum(p.numel() for p in net.parameters())), "device": str(dev)}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
