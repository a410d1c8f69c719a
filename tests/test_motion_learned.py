"""Learned and real-video motion: extraction from clips with known motion, transfer, the image-to-flow
network (training, resuming, loading as a backend), and motion evaluation."""
import json

import cv2
import numpy as np
import pytest

from cinealert.cli import main
from cinealert.motion.extract import ExtractedMotion, extract_file, extract_motion
from cinealert.motion.synthetic import make_clip, write_clip, write_dataset
from cinealert.regions import Region


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _core(mask, r=3):
    return cv2.erode(mask.astype(np.uint8), np.ones((2 * r + 1,) * 2, np.uint8)).astype(bool)


@pytest.mark.parametrize("region", [Region.WATER, Region.FIRE, Region.SMOKE])
def test_extract_recovers_a_known_field(tmp_path, region):
    clip = make_clip(width=160, height=120, frames=30, seed=1, region=region)
    m = extract_file(write_clip(clip, tmp_path / "clip.mp4"))
    err = np.linalg.norm(m.flow - clip.flow, axis=-1)
    speed = float(np.linalg.norm(clip.flow[clip.mask][0]))
    assert 0.8 <= speed <= 2.0
    assert err[_core(clip.mask)].mean() < 0.1              # px/frame, stated bound (measured 0.02-0.05)
    assert err[clip.mask].mean() < 0.2 and err[~clip.mask].mean() < 0.05
    iou = (m.mask & clip.mask).sum() / (m.mask | clip.mask).sum()
    assert iou > 0.8 and m.flow.dtype == np.float32 and m.flow.shape == (120, 160, 2)


def test_a_shaking_camera_does_not_change_the_field(tmp_path):
    steady = make_clip(width=160, height=120, frames=30, seed=2, region=Region.WATER)
    shaky = make_clip(width=160, height=120, frames=30, seed=2, region=Region.WATER, shake=2.0)
    a = extract_file(write_clip(steady, tmp_path / "a.mp4"))
    b = extract_file(write_clip(shaky, tmp_path / "b.mp4"))
    core = _core(steady.mask)
    assert np.linalg.norm(a.flow - b.flow, axis=-1)[core].mean() < 0.1      # stated bound
    assert np.linalg.norm(b.flow - steady.flow, axis=-1)[core].mean() < 0.15
    assert b.info["mean_camera_motion_px"] > 0.5 > a.info["mean_camera_motion_px"]
    raw = extract_motion(shaky.frames, 24.0, stabilise=False)
    assert raw.info["camera_motion_removed"] is False


def test_motion_file_round_trip_and_fit(tmp_path, capsys):
    clip = make_clip(width=96, height=64, frames=20, seed=3, velocity=(1.0, 0.0))
    video = write_clip(clip, tmp_path / "v.mp4")
    code, out, err = run(["motion", "extract", video, "-o", tmp_path / "f.npz", "--preview", tmp_path / "f.png",
                          "--quiet"], capsys)
    assert code == 0, err
    m = ExtractedMotion.load(tmp_path / "f.npz")
    assert m.flow.shape == (64, 96, 2) and m.fps == pytest.approx(24.0) and (tmp_path / "f.png").exists()
    fit = m.fit_to(192, 128, 12.0)                          # twice the size, half the frame rate: x4
    core = _core(clip.mask)
    assert np.median(fit.flow[cv2.resize(core.astype(np.uint8), (192, 128)) > 0, 0]) == pytest.approx(4.0, rel=0.1)
    for bad in (["motion", "extract", tmp_path / "none.mp4", "-o", tmp_path / "x.npz"],
                ["motion", "extract", video, "-o", tmp_path / "x.txt"]):
        code, _, err = run(bad, capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    write_dataset(root / "train", per_class=3, width=96, height=64, frames=16)
    write_dataset(root / "held", per_class=1, width=96, height=64, frames=16, seed=500)
    return root


def test_unet_shapes_and_inputs():
    import torch
    from cinealert.motion.network import IN_CHANNELS, build_unet, inputs
    net = build_unet(base=8, depth=3)
    x = inputs(np.zeros((40, 60, 3), np.float32), np.ones((40, 60), bool), np.full((40, 60), 1, np.uint8),
               [(10, 10, 1.0, 0.0)], (64, 48))
    assert x.shape == (IN_CHANNELS, 48, 64) and x[-1].sum() > 0                  # the hint is marked
    assert net(torch.from_numpy(x)[None]).shape == (1, 2, 48, 64)


def test_training_lowers_the_loss_resumes_and_drives_make(clips, tmp_path, capsys):
    out = tmp_path / "model"
    code, text, err = run(["motion", "train", clips / "train", "-o", out, "--steps", "8", "--batch-size", "4",
                           "--size", "64", "--crop", "32", "--save-every", "4", "--quiet"], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    log = [json.loads(l) for l in (out / "train_log.jsonl").read_text().splitlines()]
    assert len(log) == 8 and metrics["val_epe_px"] is not None
    assert np.mean([e["loss"] for e in log[-3:]]) < np.mean([e["loss"] for e in log[:3]])
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_000004", "step_000008"]
    # Resume: asking for more steps continues from the last checkpoint.
    code, text, err = run(["motion", "train", clips / "train", "-o", out, "--steps", "12", "--batch-size", "4",
                           "--size", "64", "--crop", "32", "--save-every", "4", "--quiet"], capsys)
    assert code == 0, err
    m2 = json.loads((out / "metrics.json").read_text())
    assert m2["resumed_from"] == 8 and len((out / "train_log.jsonl").read_text().splitlines()) == 12
    # The folder is a motion backend.
    code, _, err = run(["make", "flood", "-o", tmp_path / "clip", "--motion-model", out, "--size", "256x144",
                        "--seconds", "1", "--fps", "12", "--formats", "mp4", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "clip" / "report.json").read_text())
    assert r["backends"]["motion"] == "network" and r["models"]["motion"] == str(out)
    assert r["metrics"]["hole_ratio"] == 0.0 and r["metrics"]["loop_seam"] <= 1.5
    # A folder that is not a motion model: one clear line, exit 2.
    code, _, err = run(["make", "flood", "-o", tmp_path / "bad", "--motion-model", clips, "--quiet"], capsys)
    assert code == 2 and "--motion-model" in err and len(err.strip().splitlines()) == 1


def test_animate_with_motion_from_a_video(clips, tmp_path, capsys):
    video = next((clips / "held" / "water").glob("*.mp4"))
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    cv2.imwrite(str(photo), (cv2.GaussianBlur(rng.uniform(0, 255, (144, 256, 3)), (0, 0), 3)).astype(np.uint8))
    code, _, err = run(["animate", photo, "--disaster", "flood", "--motion-from", video, "-o", tmp_path / "a",
                        "--seconds", "1", "--fps", "12", "--formats", "mp4", "--quiet"], capsys)
    assert code == 0, err
    r = json.loads((tmp_path / "a" / "report.json").read_text())
    assert r["backends"]["motion"] == "video" and r["motion"]["transferred"]["moving_share"] > 0.1
    assert r["metrics"]["static_leakage"] < 0.2
    code, _, err = run(["animate", photo, "--disaster", "flood", "--motion-from", tmp_path / "nope.mp4",
                        "-o", tmp_path / "b", "--quiet"], capsys)
    assert code == 2 and "--motion-from" in err


def test_evaluate_motion_reports_epe_per_class(clips, tmp_path, capsys):
    code, out, err = run(["motion", "train", clips / "train", "-o", tmp_path / "m", "--steps", "4",
                          "--batch-size", "2", "--size", "64", "--crop", "32", "--quiet"], capsys)
    assert code == 0, err
    code, out, err = run(["evaluate", "--motion", clips / "held", "--motion-model", tmp_path / "m", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert set(res["rows"]) == {"water", "fire", "smoke"}
    for row in res["rows"].values():
        assert row["rules_epe"] > 0 and row["network_epe"] > 0 and 0 <= row["rules_angle"] <= 180
    assert {"rules_epe", "network_epe"} <= res["overall"].keys()
