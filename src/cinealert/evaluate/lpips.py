"""LPIPS (AlexNet, v0.1) on plain torch: the learned perceptual distance between two images.

The network is AlexNet's five convolutional stages; each stage's activations are unit-normalised along
the channels, their squared difference is weighted per channel by a learned 1 × 1 head, averaged over the
image and summed over the stages. Inputs are RGB in [−1, 1] after LPIPS's fixed shift and scale.

Weights come from local files (nothing is downloaded): torchvision's AlexNet state dict (keys
``features.{0,3,6,8,10}.weight|bias``, e.g. ``alexnet-owt-7be5be79.pth``) and the LPIPS heads
(keys ``lin{0..4}.model.1.weight``, e.g. LPIPS's ``alex.pth``), as ``.pth`` or ``.safetensors``, in one
file or two (``--lpips ALEXNET,HEADS``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from cinealert.errors import BackendUnavailable

#: AlexNet's convolutions: (in, out, kernel, stride, padding) and the index in torchvision's ``features``.
_CONVS = ((0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1), (8, 384, 256, 3, 1, 1),
          (10, 256, 256, 3, 1, 1))
CHANNELS = tuple(c[2] for c in _CONVS)
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)


def build_network():
    """The LPIPS network with uninitialised weights (an ``nn.Module``)."""
    import torch
    from torch import nn

    class LPIPSAlex(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(i, o, k, s, p) for _, i, o, k, s, p in _CONVS)
            self.heads = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)
            self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1))
            self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1))

        def stages(self, x):
            x = (x - self.shift) / self.scale
            out = []
            for k, conv in enumerate(self.convs):
                if k in (1, 2):                               # AlexNet pools before conv 2 and conv 3
                    x = torch.nn.functional.max_pool2d(x, 3, 2)
                x = torch.relu(conv(x))
                out.append(x)
            return out

        def forward(self, a, b):
            """``(B, 3, H, W)`` images in [−1, 1] → ``(B,)`` distances."""
            total = 0.0
            for fa, fb, head in zip(self.stages(a), self.stages(b), self.heads):
                na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
                nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
                total = total + head((na - nb) ** 2).mean(dim=(1, 2, 3))
            return total

    return LPIPSAlex()


def _load_state(path: Path) -> dict:
    import torch

    if not path.is_file():
        raise BackendUnavailable(f"--lpips {path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file
            return load_file(str(path))
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported as such, in one line
        raise BackendUnavailable(f"--lpips {path}: not a weights file ({type(err).__name__})") from None
    return state.get("state_dict", state) if isinstance(state, dict) else {}


class LPIPS:
    """LPIPS distances with weights read from ``paths`` (see the module docstring)."""

    def __init__(self, paths, *, device: str | None = None, size: int = 256) -> None:
        import torch

        from cinealert.hf import pick_device

        files = [Path(p) for p in (paths.split(",") if isinstance(paths, str) else paths)]
        state: dict = {}
        for f in files:
            state.update(_load_state(f))
        net = build_network()
        mapped = {}
        for k, (idx, *_rest) in enumerate(_CONVS):
            for part in ("weight", "bias"):
                key = next((c for c in (f"features.{idx}.{part}", f"net.features.{idx}.{part}") if c in state), None)
                if key is None:
                    raise BackendUnavailable(f"--lpips: AlexNet weight features.{idx}.{part} is missing from "
                                             f"{', '.join(str(f) for f in files)}")
                mapped[f"convs.{k}.{part}"] = state[key]
            head = next((c for c in (f"lin{k}.model.1.weight", f"lin{k}.weight") if c in state), None)
            if head is None:
                raise BackendUnavailable(f"--lpips: LPIPS head lin{k}.model.1.weight is missing from "
                                         f"{', '.join(str(f) for f in files)}")
            mapped[f"heads.{k}.weight"] = state[head]
        try:
            net.load_state_dict(mapped, strict=False)
        except RuntimeError as err:
            raise BackendUnavailable(f"--lpips: weights do not fit AlexNet ({str(err).splitlines()[-1].strip()})") from None
        self.device = pick_device(device)
        self.net = net.to(self.device).eval()
        self.size = size
        self.torch = torch

    def _tensor(self, images: list[np.ndarray]):
        import cv2
        x = np.stack([cv2.resize(im, (self.size, self.size), interpolation=cv2.INTER_AREA) for im in images])
        t = self.torch.from_numpy(x).permute(0, 3, 1, 2).float().to(self.device)
        return t / 127.5 - 1.0

    def distance_many(self, a: list[np.ndarray], b: list[np.ndarray], batch: int = 8) -> np.ndarray:
        """Distances of pairs of ``(H, W, 3)`` uint8 RGB images (resized to ``size × size``)."""
        if len(a) != len(b):
            raise ValueError(f"{len(a)} and {len(b)} images: LPIPS needs pairs.")
        out = []
        with self.torch.inference_mode():
            for i in range(0, len(a), batch):
                out.append(self.net(self._tensor(a[i:i + batch]), self._tensor(b[i:i + batch])).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)
