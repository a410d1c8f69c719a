"""Evaluation: FID, CLIP score, LPIPS and SSIM per disaster type, cinemagraph metrics of videos, the sweep.

Networks are tiny and random, built here from configs (no downloads): a CLIP folder, a DINOv2 folder, a
TorchScript network with the standard FID Inception's calling convention, and AlexNet + LPIPS heads.
"""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from cinealert.cli import main
from cinealert.evaluate import image_metrics as im
from cinealert.evaluate.tables import IMAGE_COLUMNS, csv_text, markdown


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# -- tiny networks ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_inception(tmp_path_factory):
    """A TorchScript file with the FID Inception's convention: float images in [0, 255], (N, 3, 299, 299),
    ``return_features=True`` → (N, 64) features."""
    import torch
    from torch import nn

    class TinyInception(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 16, 5, stride=4)
            self.b = nn.Conv2d(16, 64, 3, stride=2)

        def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
            x = img / 127.5 - 1.0
            x = torch.relu(self.b(torch.relu(self.a(x))))
            f = x.mean(dim=(2, 3))
            return f if return_features else f[:, :10]

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("inception") / "tiny-inception.pt"
    torch.jit.script(TinyInception()).save(str(path))
    return path


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A random CLIP (2-layer towers, hidden size 32) with a byte-level BPE tokenizer, as a folder."""
    import torch
    from tokenizers import pre_tokenizers
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    for symbol in symbols + [s + "</w>" for s in symbols]:
        vocab[symbol] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    processor = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size=32),
                              tokenizer=tokenizer)
    config = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=77, pad_token_id=1, bos_token_id=0,
                         eos_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("clip") / "clip"
    CLIPModel(config).save_pretrained(path)
    processor.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_dinov2(tmp_path_factory):
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                          image_size=32, patch_size=8)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dinov2") / "dinov2"
    Dinov2Model(config).save_pretrained(path)
    BitImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_lpips(tmp_path_factory):
    """AlexNet features in torchvision's key layout and LPIPS heads in LPIPS's, random, as two files."""
    import torch
    from cinealert.evaluate.lpips import _CONVS, CHANNELS

    torch.manual_seed(0)
    alex = {}
    for idx, i, o, k, _s, _p in _CONVS:
        alex[f"features.{idx}.weight"] = torch.randn(o, i, k, k) * (2.0 / (i * k * k)) ** 0.5
        alex[f"features.{idx}.bias"] = torch.zeros(o)
    heads = {f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1) * 0.1 for k, c in enumerate(CHANNELS)}
    folder = tmp_path_factory.mktemp("lpips")
    torch.save(alex, folder / "alexnet.pth")
    torch.save(heads, folder / "alex.pth")
    return f"{folder / 'alexnet.pth'},{folder / 'alex.pth'}"


# -- images ---------------------------------------------------------------------------------------
def _scenes(n, seed):
    """Distinct, structured images (blobs and stripes in colours that differ from image to image)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = np.zeros((96, 128, 3), np.float32)
        img[:] = rng.uniform(0, 1, 3)
        img += cv2.GaussianBlur(rng.normal(0, 0.6, (96, 128, 3)).astype(np.float32), (0, 0), 3.0)   # texture
        for _ in range(6):
            x, y, r = rng.integers(0, 128), rng.integers(0, 96), rng.integers(8, 30)
            cv2.circle(img, (int(x), int(y)), int(r), rng.uniform(0, 1, 3).tolist(), -1)
        out.append((np.clip(img, 0, 1) * 255).astype(np.uint8))
    return out


def _write(root: Path, sets: dict[str, list[np.ndarray]], prompts: dict[str, list[str]] | None = None):
    for t, images in sets.items():
        (root / t).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(images):
            cv2.imwrite(str(root / t / f"{i:03d}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            if prompts:
                (root / t / f"{i:03d}.txt").write_text(prompts[t][i], encoding="utf-8")
    return root


def _noisy(images, seed=1, amount=4):
    rng = np.random.default_rng(seed)
    return [np.clip(i.astype(int) + rng.integers(-amount, amount + 1, i.shape), 0, 255).astype(np.uint8) for i in images]


def test_ssim_of_an_image_with_itself_is_one_and_noise_lowers_it():
    a, b = _scenes(2, 0)
    assert im.ssim(a, a) == pytest.approx(1.0, abs=1e-9)
    assert im.ssim(a, _noisy([a])[0]) < 0.999 and im.ssim(a, b) < im.ssim(a, _noisy([a])[0])
    with pytest.raises(ValueError):
        im.ssim(a.astype(np.float32), a)


def test_frechet_distance_is_zero_for_the_same_set_and_grows_with_shift():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(200, 8))
    assert abs(im.frechet_distance(f, f)) < 1e-6
    assert im.frechet_distance(f, f + 0.5) == pytest.approx(8 * 0.25, rel=1e-6)   # |Δμ|² only
    assert im.frechet_distance(f, rng.normal(size=(200, 8)) * 2) > 1.0
    with pytest.raises(ValueError):
        im.frechet_distance(f, f[:, :3])


def test_every_metric_runs_and_matched_pairs_beat_shuffled(tmp_path, tiny_inception, tiny_clip, tiny_lpips):
    from cinealert.evaluate.lpips import LPIPS
    gen = {"flood": _scenes(6, 0), "wildfire": _scenes(6, 1)}
    prompts = {t: [f"a {t} scene number {i}" for i in range(6)] for t in gen}
    ref = {t: _noisy(v) for t, v in gen.items()}
    g = im.read_sets(_write(tmp_path / "gen", gen, prompts))
    matched = im.read_sets(_write(tmp_path / "ref", ref))
    shuffled = im.read_sets(_write(tmp_path / "shuf", {t: v[1:] + v[:1] for t, v in ref.items()}))
    kw = dict(features=im.InceptionFeatures(tiny_inception, device="cpu"),
              clip=im.ClipScorer(tiny_clip, device="cpu"), lpips=LPIPS(tiny_lpips, device="cpu"))
    a = im.evaluate_sets(g, matched, **kw)
    b = im.evaluate_sets(g, shuffled, **kw)
    for row in list(a["rows"].values()) + [a["overall"]]:
        assert {"fid", "clip_score", "lpips", "ssim"} <= row.keys()
    assert a["unavailable"] == {} and any("unstable" in w for w in a["warnings"])
    assert a["overall"]["ssim"] > b["overall"]["ssim"] and a["overall"]["lpips"] < b["overall"]["lpips"]
    assert a["rows"]["flood"]["clip_score"] == b["rows"]["flood"]["clip_score"] >= 0
    same = im.evaluate_sets(g, g, **kw)
    assert abs(same["overall"]["fid"]) < 1e-3 and same["overall"]["ssim"] == pytest.approx(1.0)
    assert same["overall"]["lpips"] == pytest.approx(0.0, abs=1e-6)
    other = im.read_sets(_write(tmp_path / "other", {"flood": _scenes(6, 8), "wildfire": _scenes(6, 9)}))
    far = im.evaluate_sets(g, other, features=kw["features"])
    assert far["overall"]["fid"] > 10 * max(a["overall"]["fid"], 1e-6)   # other pictures are farther away
    md = markdown(a, IMAGE_COLUMNS)
    assert "| overall |" in md and "FID ↓" in md and csv_text(a, IMAGE_COLUMNS).startswith("name,")


def test_fid_on_dinov2_and_clip_features(tmp_path, tiny_dinov2, tiny_clip):
    g = im.read_sets(_write(tmp_path / "g", {"flood": _scenes(5, 0)}))
    r = im.read_sets(_write(tmp_path / "r", {"flood": _scenes(5, 7)}))
    for folder in (tiny_dinov2, tiny_clip):
        feats = im.TransformersFeatures(folder, device="cpu")
        res = im.evaluate_sets(g, r, features=feats)
        assert res["rows"]["flood"]["fid"] > 0 and res["fid_features"].startswith(("DINOv2", "CLIP"))
        assert abs(im.evaluate_sets(g, g, features=feats)["overall"]["fid"]) < 1e-3


def test_missing_weights_are_unavailable_not_zero(tmp_path, capsys):
    _write(tmp_path / "g", {"flood": _scenes(3, 0)})
    _write(tmp_path / "r", {"flood": _scenes(3, 1)})
    code, out, err = run(["evaluate", "--generated", tmp_path / "g", "--reference", tmp_path / "r", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert "fid" not in res["rows"]["flood"] and "lpips" not in res["rows"]["flood"]
    assert set(res["unavailable"]) == {"fid", "lpips", "clip_score"} and res["rows"]["flood"]["ssim"] > 0
    for flag, value, needle in (("--inception", tmp_path / "none.pt", "no such file"),
                                ("--clip", tmp_path, "not a model folder"),
                                ("--lpips", tmp_path / "none.pth", "no such file")):
        code, _, err = run(["evaluate", "--generated", tmp_path / "g", flag, value], capsys)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["evaluate", "--generated", tmp_path / "missing"], capsys)
    assert code == 2 and "not a folder" in err


def test_cli_writes_tables_and_plots(tmp_path, capsys, tiny_inception, tiny_lpips):
    _write(tmp_path / "g", {"flood": _scenes(4, 0), "typhoon": _scenes(4, 2)})
    _write(tmp_path / "r", {"flood": _scenes(4, 3), "typhoon": _scenes(4, 4)})
    code, out, err = run(["evaluate", "--generated", tmp_path / "g", "--reference", tmp_path / "r",
                          "--inception", tiny_inception, "--lpips", tiny_lpips, "--out", tmp_path / "e",
                          "--device", "cpu"], capsys)
    assert code == 0, err
    assert "| typhoon |" in out and "clip_score: unavailable" in out
    for name in ("images.md", "images.csv", "images.json", "images_fid.png", "images_lpips.png", "images_ssim.png"):
        assert (tmp_path / "e" / name).stat().st_size > 0, name
    plot = cv2.imread(str(tmp_path / "e" / "images_ssim.png"))
    assert plot is not None and plot.std() > 10


# -- videos and sweep -----------------------------------------------------------------------------
def test_video_metrics_of_made_clips(tmp_path, capsys):
    for t in ("flood", "wildfire"):
        assert run(["make", t, "-o", tmp_path / "v" / t, "--size", "256x144", "--seconds", "1", "--fps", "12",
                    "--formats", "mp4", "--quiet"], capsys)[0] == 0
    # A clip that does not loop, as a bare file: its seam shows.
    bad = tmp_path / "v" / "jump.mp4"
    from cinealert.deliver.encode import mp4_writer
    w = mp4_writer(bad, width=64, height=64, fps=12)
    for t in range(12):
        w.write(np.full((64, 64, 3), 20 + 15 * t, np.uint8))
    w.close()
    code, out, err = run(["evaluate", "--videos", tmp_path / "v", "--json", "--out", tmp_path / "ve"], capsys)
    assert code == 0, err
    res = json.loads(out)
    flood, jump = res["rows"]["flood"], res["rows"]["jump.mp4"]
    assert flood["hole_ratio"] == 0 and flood["motion_ratio"] > 1 and flood["flicker"] is not None
    assert flood["max_flashes_per_s"] <= 3 and 0 < flood["ssim_consistency"] <= 1
    assert jump["loop_seam"] > 5 and jump["hole_ratio"] is None and "flicker" in jump["unavailable"]
    assert (tmp_path / "ve" / "videos.md").exists() and (tmp_path / "ve" / "videos_loop_seam.png").exists()


def test_sweep_writes_the_evaluation_layout(tmp_path, capsys, tiny_clip):
    code, out, err = run(["evaluate", "sweep", "-o", tmp_path / "s", "--n", "2", "--types", "flood,wildfire",
                          "--size", "128x96", "--quiet"], capsys)
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "s" / "flood").iterdir())
    assert files == ["flood_000.json", "flood_000.png", "flood_001.json", "flood_001.png"]
    side = json.loads((tmp_path / "s" / "flood" / "flood_000.json").read_text())
    assert side["prompt"].endswith("No people appear in the image.") and side["prompting"] == "template"
    sets = im.read_sets(tmp_path / "s")
    assert sets["wildfire"].prompts[0] and len(sets["flood"].images) == 2
    res = im.evaluate_sets(sets, None, clip=im.ClipScorer(tiny_clip, device="cpu"))
    assert res["rows"]["flood"]["clip_prompts"] == 2 and "ssim" in res["unavailable"]
    code, _, err = run(["evaluate", "sweep", "-o", tmp_path / "k", "--prompt", "keyword", "--quiet"], capsys)
    assert code == 2 and "needs --t2i" in err


@pytest.mark.slow
def test_sweep_with_a_tiny_diffusers_model_and_keyword_prompts(tmp_path, capsys, tiny_model_folders):
    code, out, err = run(["evaluate", "sweep", "-o", tmp_path / "k", "--prompt", "keyword", "--t2i",
                          tiny_model_folders["t2i"], "--n", "1", "--types", "flood", "--size", "64x64", "--quiet"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "k" / "flood" / "flood_000.json").read_text())["prompt"] == "flood"
