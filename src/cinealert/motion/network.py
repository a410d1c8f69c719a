"""The learned motion path: a U-Net in plain torch that predicts the Eulerian field from an image.

Inputs, stacked as channels at the network's working size:

- the RGB image (3), in [−1, 1];
- the motion mask (1): where things should move (from the segmenter, or the video's mask in training);
- the motion class (one channel per :class:`Region`, one-hot): water, fire, smoke, clouds, debris, …;
- sparse direction hints (3): a few pixels with a unit direction (x, y) and a marker channel, as a user
  draws arrows; zero where no hint is given.

The output is the field in *percent of the image width per frame at the training frame rate*, so one model
serves any size: :meth:`MotionNet.predict` converts it to pixels per frame for the size and frame rate at
hand. A model is a folder: ``config.json`` (``model_type: cinealert-motion-unet``, channels, working size,
frame rate, classes) and ``model.safetensors``; ``--motion-model DIR`` loads it as the ``network`` motion
backend, which keeps the rule backend's looping displacements, particles and shake and takes its flow from
the network inside the moving regions.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import BackendUnavailable
from cinealert.regions import Region

MODEL_TYPE = "cinealert-motion-unet"
N_CLASSES = len(Region)
IN_CHANNELS = 3 + 1 + N_CLASSES + 3
#: Region classes whose texture flows (the others sway, shimmer or stand still).
FLOWING = (Region.WATER, Region.FIRE, Region.SMOKE, Region.CLOUD, Region.DEBRIS, Region.DUST)


def build_unet(base: int = 24, depth: int = 3):
    """The U-Net (an ``nn.Module``): ``(B, IN_CHANNELS, H, W)`` → ``(B, 2, H, W)``; H and W multiples of 2**depth."""
    import torch
    from torch import nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.GroupNorm(min(8, o), o), nn.SiLU(),
                             nn.Conv2d(o, o, 3, padding=1), nn.GroupNorm(min(8, o), o), nn.SiLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            chans = [base * 2 ** k for k in range(depth + 1)]
            self.down = nn.ModuleList([block(IN_CHANNELS, chans[0])] +
                                      [block(chans[k], chans[k + 1]) for k in range(depth)])
            self.up = nn.ModuleList([block(chans[k + 1] + chans[k], chans[k]) for k in reversed(range(depth))])
            self.out = nn.Conv2d(chans[0], 2, 1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, x):
            skips = []
            for k, b in enumerate(self.down):
                x = b(x if k == 0 else torch.nn.functional.max_pool2d(x, 2))
                skips.append(x)
            for b, skip in zip(self.up, reversed(skips[:-1])):
                x = torch.nn.functional.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
                x = b(torch.cat([x, skip], 1))
            return self.out(x)

    return UNet()


def inputs(image: np.ndarray, mask: np.ndarray, classes: np.ndarray, hints: list[tuple[int, int, float, float]] | None,
           size: tuple[int, int]) -> np.ndarray:
    """The network's ``(IN_CHANNELS, h, w)`` float32 input at ``size = (w, h)``.

    Args:
        image: ``(H, W, 3)`` float32 RGB in [0, 1] or uint8.
        mask: ``(H, W)`` bool or float, where things move.
        classes: ``(H, W)`` uint8 Region labels.
        hints: ``(x, y, dx, dy)`` in the image's pixels; the direction is normalised.
    """
    w, h = size
    img = image.astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    rgb = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA) * 2.0 - 1.0
    m = cv2.resize(np.asarray(mask, np.float32), (w, h), interpolation=cv2.INTER_AREA)
    cls = cv2.resize(classes.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    onehot = np.stack([(cls == k).astype(np.float32) for k in range(N_CLASSES)])
    hint = np.zeros((3, h, w), np.float32)
    H, W = mask.shape
    for x, y, dx, dy in hints or []:
        n = float(np.hypot(dx, dy))
        if n < 1e-6:
            continue
        cx, cy = int(np.clip(x * w / W, 0, w - 1)), int(np.clip(y * h / H, 0, h - 1))
        hint[:, max(0, cy - 1):cy + 2, max(0, cx - 1):cx + 2] = np.array([dx / n, dy / n, 1.0], np.float32)[:, None, None]
    return np.concatenate([rgb.transpose(2, 0, 1), m[None], onehot, hint]).astype(np.float32)


class MotionNet:
    """A trained motion network loaded from its folder (see the module docstring)."""

    def __init__(self, folder: str | Path, *, device: str | None = None) -> None:
        import torch

        from cinealert.hf import pick_device

        folder = Path(folder)
        problem = self.problem(folder)
        if problem:
            raise BackendUnavailable(f"--motion-model {folder}: {problem}")
        self.config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.device = pick_device(device)
        net = build_unet(self.config["base_channels"], self.config["depth"])
        from safetensors.torch import load_file
        try:
            net.load_state_dict(load_file(str(folder / "model.safetensors")))
        except (RuntimeError, OSError) as err:
            raise BackendUnavailable(f"--motion-model {folder}: weights do not fit the config "
                                     f"({str(err).splitlines()[0]})") from None
        self.net = net.to(self.device).eval()
        self.torch = torch
        self.folder = folder

    @staticmethod
    def problem(folder: Path) -> str | None:
        if not folder.is_dir():
            return "no such folder"
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "no readable config.json"
        if config.get("model_type") != MODEL_TYPE:
            return f"not a motion model (model_type {config.get('model_type')!r}, expected {MODEL_TYPE!r})"
        if not (folder / "model.safetensors").is_file():
            return "model.safetensors is missing"
        return None

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        side = int(self.config["size"])
        mult = 2 ** int(self.config["depth"])
        scale = side / max(width, height)
        return (max(mult, int(round(width * scale / mult)) * mult), max(mult, int(round(height * scale / mult)) * mult))

    def predict(self, image: np.ndarray, mask: np.ndarray, classes: np.ndarray, *, fps: float,
                hints=None) -> np.ndarray:
        """``(H, W, 2)`` float32 field in pixels per frame at ``fps`` for an image of that size."""
        h, w = mask.shape
        size = self.working_size(w, h)
        x = self.torch.from_numpy(inputs(image, mask, classes, hints, size))[None].to(self.device)
        with self.torch.inference_mode():
            y = self.net(x)[0].permute(1, 2, 0).float().cpu().numpy()
        flow = cv2.resize(y, (w, h), interpolation=cv2.INTER_LINEAR) * (w / 100.0)
        return (flow * float(self.config.get("fps", 24.0)) / fps).astype(np.float32)


class NetworkMotion:
    """Motion backend ``network``: the rules' plan with its flow taken from a trained motion network."""

    name = "network"
    summary = "a trained image-to-flow U-Net (cinealert motion train) predicts the flow; rules add the rest"
    role = "motion"
    flag = "--motion-model"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        from cinealert.hf import missing_package
        missing = missing_package(("torch", "safetensors"))
        return (False, missing) if missing else (True, "torch")

    @classmethod
    def accepts(cls, path) -> str | None:
        return MotionNet.problem(Path(path))

    def __init__(self, path, *, device=None, dtype=None) -> None:
        self.model = MotionNet(path, device=device)
        self.folder = Path(path)
        self.last_report = None

    def plan(self, regions, depth, *, disaster, frames: int, fps: float, seed: int = 0, speed: float = 1.0,
             image: np.ndarray | None = None, hints=None):
        from cinealert.motion.rules import RuleMotion

        plan = RuleMotion().plan(regions, depth, disaster=disaster, frames=frames, fps=fps, seed=seed, speed=speed)
        if image is None:
            raise ValueError("the network motion backend needs the image")
        flowing = np.isin(regions, [int(r) for r in FLOWING])
        if not flowing.any() or speed == 0:
            plan.backend = self.name
            return plan
        flow = self.model.predict(image, flowing, regions, fps=fps, hints=hints) * np.float32(speed)
        soft = cv2.GaussianBlur(flowing.astype(np.float32), (0, 0), 1.2)[..., None]
        plan.flow = (flow * soft * flowing[..., None]).astype(np.float32)
        plan.backend = self.name
        speeds = np.linalg.norm(plan.flow[flowing], axis=-1)
        plan.info = dict(plan.info, network=str(self.folder),
                         network_median_px_per_frame=round(float(np.median(speeds)), 4))
        self.last_report = {"folder": str(self.folder), "median_px_per_frame": round(float(np.median(speeds)), 4)}
        return plan
