import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def layered_scene():
    """A small synthetic scene: sky far away, a ground plane, a near box, and a strip of water.

    Returns (image (H,W,3) float32, depth (H,W) float32, regions (H,W) uint8).
    """
    from cinealert.regions import Region

    h, w = 96, 160
    rng = np.random.default_rng(0)
    y = np.arange(h, dtype=np.float32)[:, None]
    horizon = 36
    depth = np.where(y > horizon, np.clip((h - 1 - horizon) / np.maximum(y - horizon, 1e-3), 1, 40), 60.0)
    depth = np.broadcast_to(depth, (h, w)).astype(np.float32).copy()
    image = np.zeros((h, w, 3), np.float32)
    image[:horizon] = [0.55, 0.7, 0.9]
    image[horizon:] = [0.35, 0.5, 0.25]
    image += rng.uniform(-0.08, 0.08, image.shape).astype(np.float32)
    regions = np.zeros((h, w), np.uint8)
    regions[62:80] = Region.WATER
    image[62:80] = [0.3, 0.4, 0.55] + rng.uniform(-0.12, 0.12, (18, w, 3))
    # A near box standing on the ground at row 90.
    depth[50:90, 60:100] = depth[89, 80]
    image[50:90, 60:100] = [0.7, 0.3, 0.2]
    regions[50:90, 60:100] = Region.NONE
    return np.clip(image, 0, 1).astype(np.float32), depth, regions


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    """A folder holding a tiny random Llama causal LM and its byte-level BPE tokenizer (chat template set)."""
    from fixtures.tiny_models import make_tiny_llama
    return make_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="session")
def tiny_model_folders(tmp_path_factory):
    """Every tiny random model the model backends load, each in its own folder (built once per session)."""
    from fixtures.tiny_depth import make_tiny_depth_anything, make_tiny_dpt
    from fixtures.tiny_diffusers import make_tiny_sd
    from fixtures.tiny_segmenters import make_tiny_clipseg, make_tiny_langsam

    root = tmp_path_factory.mktemp("tiny_models")
    return {
        "t2i": make_tiny_sd(root / "sd"),
        "inpainter": make_tiny_sd(root / "sd-inpaint", inpaint=True),
        "clipseg": make_tiny_clipseg(root / "clipseg"),
        "langsam": make_tiny_langsam(root / "langsam"),
        "dpt": make_tiny_dpt(root / "dpt"),
        "depth-anything": make_tiny_depth_anything(root / "depth-anything"),
    }
