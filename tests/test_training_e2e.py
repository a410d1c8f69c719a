"""The paper's whole metadata path, offline: photos → dataset build (tiny BLIP captions) → LoRA fine-tune of
a tiny random Llama → prompt --llm tiny --adapter out, all through the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cinealert.cli import main


def _photos(root):
    import cv2
    rng = np.random.default_rng(3)
    for kind, colour in (("flood", (90, 70, 50)), ("wildfire", (30, 80, 220)), ("heavy_snow", (235, 235, 240))):
        folder = root / kind
        folder.mkdir(parents=True)
        for i in range(3):
            img = np.full((288, 352, 3), colour, np.float32) + rng.normal(0, 25, (288, 352, 3))
            for _ in range(6):             # large random shapes make each photo's structure its own
                x, y = int(rng.integers(0, 352)), int(rng.integers(0, 288))
                shade = tuple(float(c) for c in rng.integers(0, 255, 3))
                cv2.rectangle(img, (x, y), (x + int(rng.integers(40, 160)), y + int(rng.integers(30, 120))),
                              shade, -1)
            cv2.imwrite(str(folder / f"{i}.jpg"), np.clip(img, 0, 255).astype(np.uint8))
    return root


@pytest.fixture(scope="module")
def tiny_blip_dir(tmp_path_factory):
    from fixtures.tiny_blip import make_tiny_blip
    return make_tiny_blip(tmp_path_factory.mktemp("tiny_blip"))


def test_dataset_finetune_prompt_end_to_end(tmp_path, tiny_llama, tiny_blip_dir, capsys):
    photos = _photos(tmp_path / "photos")
    data = tmp_path / "data" / "meta.jsonl"
    assert main(["dataset", "build", str(photos), "-o", str(data), "--captioner", str(tiny_blip_dir),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "9 records" in out and "train" in out
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    assert {r["disaster"] for r in records} == {"flood", "wildfire", "heavy_snow"}
    assert {r["split"] for r in records} == {"train", "validation"}
    assert all(isinstance(r["caption"], str) for r in records)

    adapter = tmp_path / "lora"
    assert main(["finetune", "--base", str(tiny_llama), "--data", str(data), "--out", str(adapter),
                 "--steps", "3", "--batch-size", "2", "--rank", "4", "--max-length", "256", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "after 3 steps" in out
    log = [json.loads(line) for line in (adapter / "train_log.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in log if "loss" in row]
    assert len(losses) == 3 and all(np.isfinite(losses))
    assert any("val_loss" in row for row in log)
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()

    # The adapter loads onto the base; random weights rarely write usable metadata, so the run either
    # succeeds or fails with the one-line "could not be used" error — and --fallback template succeeds.
    code = main(["prompt", "flood", "--llm", str(tiny_llama), "--adapter", str(adapter), "--json"])
    captured = capsys.readouterr()
    if code == 0:
        report = json.loads(captured.out)["generator"]
        assert report["backend"] == "llm" and report["adapter"] == str(adapter)
    else:
        assert code == 2 and "could not be used" in captured.err and captured.err.count("\n") == 1
    assert main(["prompt", "flood", "--llm", str(tiny_llama), "--adapter", str(adapter), "--json",
                 "--fallback", "template", "--seed", "4"]) == 0
    result = json.loads(capsys.readouterr().out)
    gen = result["generator"]
    assert gen["adapter"] == str(adapter) and gen["keywords"].startswith("disaster: flood")
    assert gen["backend"] in ("llm", "template")
    if gen["backend"] == "template":
        assert gen["fallback_from"] == "llm" and gen["problem"]
    assert result["prompt"].endswith("No people appear in the image.")


def test_make_with_llm_records_the_generator(tmp_path, tiny_llama, capsys):
    out = tmp_path / "clip"
    code = main(["make", "wildfire", "-o", str(out), "--llm", str(tiny_llama), "--fallback", "template",
                 "--size", "128x72", "--seconds", "1", "--fps", "8", "--formats", "poster", "--quiet"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    gen = report["metadata_generator"]
    assert gen["model"] == str(tiny_llama) and gen["raw_text"] is not None
    assert report["backends"]["prompting"] == gen["backend"]


def test_missing_model_folders_exit_2(tmp_path, capsys):
    for args in (["prompt", "flood", "--llm", str(tmp_path / "nope")],
                 ["prompt", "flood", "--adapter", str(tmp_path)],
                 ["finetune", "--base", str(tmp_path / "nope"), "--data", str(tmp_path / "d.jsonl"),
                  "--out", str(tmp_path / "o")],
                 ["dataset", "build", str(tmp_path / "nothing"), "-o", str(tmp_path / "d.jsonl")]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
