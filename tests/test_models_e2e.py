"""`cinealert make` end to end with every model backend (tiny random models), and model-folder errors."""
from __future__ import annotations

import json
import shutil

import pytest

from cinealert import models
from cinealert.cli import main

SMALL = ["--size", "128x72", "--seconds", "1", "--fps", "8", "--formats", "mp4,poster", "--quiet"]


def _report(out):
    return json.loads((out / "report.json").read_text())


def test_make_with_every_model_backend(tmp_path, tiny_model_folders, capsys):
    f = tiny_model_folders
    out = tmp_path / "clip"
    code = main(["make", "flood", "-o", str(out), "--t2i", str(f["t2i"]), "--segmenter", str(f["langsam"]),
                 "--depth", str(f["dpt"]), "--inpainter", str(f["inpainter"]), *SMALL])
    assert code == 0, capsys.readouterr().err
    r = _report(out)
    assert r["backends"]["imaging"] == "diffusers" and r["backends"]["segmenter"] == "langsam"
    assert r["backends"]["depth"] == "dpt" and r["backends"]["inpainter"] == "diffusion"
    assert r["models"] == {"t2i": str(f["t2i"]), "segmenter": str(f["langsam"]), "depth": str(f["dpt"]),
                           "inpainter": str(f["inpainter"])}
    assert r["scene"]["image"]["generated_size"] and r["video"]["frames"] == 8
    assert (out / "cinemagraph.mp4").stat().st_size > 0 and r["metrics"]["hole_ratio"] == 0
    # the pipeline hands the inpainter the scene's prompt and the metadata's negative prompt
    told = r["model_reports"]["inpainter"]
    assert told["negative_prompt"] == r["negative_prompt"] and "people" in told["negative_prompt"]
    assert told["prompt"].startswith(r["metadata"]["setting"]) and told["seed"] == r["seed"]


def test_make_finds_models_by_role_folder(tmp_path, tiny_model_folders, capsys, monkeypatch):
    f = tiny_model_folders
    root = tmp_path / "models"
    root.mkdir()
    for role, key in (("t2i", "t2i"), ("segmenter", "clipseg"), ("depth", "depth-anything")):
        (root / role).symlink_to(f[key])
    monkeypatch.setenv(models.ENV_MODELS, str(root))
    out = tmp_path / "clip"
    assert main(["make", "wildfire", "-o", str(out), *SMALL]) == 0, capsys.readouterr().err
    r = _report(out)
    assert (r["backends"]["imaging"], r["backends"]["segmenter"], r["backends"]["depth"]) == \
        ("diffusers", "clipseg", "depth-anything")
    assert r["backends"]["inpainter"] == "mirror"               # no inpainter/ folder: the built-in
    # an explicit built-in name still wins over the folder found
    out2 = tmp_path / "clip2"
    assert main(["make", "wildfire", "-o", str(out2), "--segmenter", "heuristic", *SMALL]) == 0
    assert _report(out2)["backends"]["segmenter"] == "heuristic"


@pytest.mark.parametrize("flag, make_bad, needle", [
    ("--t2i", lambda p, f: p / "missing", "no such folder"),
    ("--depth", lambda p, f: f["t2i"], "not a depth model"),
    ("--segmenter", lambda p, f: p, "not a model folder"),
    ("--inpainter", lambda p, f: f["t2i"], "not an inpainter model"),
    ("--depth", lambda p, f: p / "broken-dpt", "--depth"),
    ("--segmenter", lambda p, f: p / "half-pair", "--segmenter"),
    ("--t2i", lambda p, f: p / "broken-sd", "--t2i"),
])
def test_missing_or_broken_model_folder_exit_2(tmp_path, tiny_model_folders, capsys, flag, make_bad, needle):
    f = tiny_model_folders
    shutil.copytree(f["dpt"], tmp_path / "broken-dpt")
    (tmp_path / "broken-dpt" / "model.safetensors").unlink()
    (tmp_path / "half-pair").mkdir()
    shutil.copytree(f["langsam"] / "sam", tmp_path / "half-pair" / "sam")
    shutil.copytree(f["t2i"], tmp_path / "broken-sd")
    shutil.rmtree(tmp_path / "broken-sd" / "unet")
    models.clear_loaded()
    bad = make_bad(tmp_path, f)
    code = main(["make", "flood", "-o", str(tmp_path / "out"), flag, str(bad), *SMALL])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert needle in err and (str(bad) in err or "'" in err)


def test_models_load_once_per_process(tmp_path, tiny_model_folders, capsys):
    models.clear_loaded()
    f = tiny_model_folders
    args = ["--depth", str(f["dpt"]), "--segmenter", str(f["clipseg"]), *SMALL]
    assert main(["make", "flood", "-o", str(tmp_path / "a"), *args]) == 0
    loaded = dict(models._LOADED)
    assert len(loaded) == 2
    assert main(["make", "대설경보", "-o", str(tmp_path / "b"), *args]) == 0
    assert models._LOADED == loaded and all(models._LOADED[k] is v for k, v in loaded.items())


def test_llm_folders_pair_a_found_adapter_only_with_the_found_llm(tmp_path):
    (tmp_path / "llm").mkdir()
    (tmp_path / "adapter").mkdir()
    assert models.llm_folders(None, None, tmp_path) == (str(tmp_path / "llm"), str(tmp_path / "adapter"))
    assert models.llm_folders("/my/llm", None, tmp_path) == ("/my/llm", None)
    assert models.llm_folders(None, "/my/lora", tmp_path) == (str(tmp_path / "llm"), "/my/lora")
    assert models.llm_folders(None, None, None) == (None, None)


@pytest.mark.parametrize("backend", ["clipseg", "langsam"])
def test_model_segmenters_write_per_class_regions_for_a_real_photo(tmp_path, tiny_model_folders, capsys, backend):
    """animate on a real wildfire photo (fire above a river) with a tiny model segmenter: regions.png holds
    only the wildfire's classes under report.json's legend, and its shares are those the report states."""
    import numpy as np
    from PIL import Image

    from cinealert.disasters import DISASTERS
    from cinealert.evaluate.segmentation import DEVSET
    out = tmp_path / "clip"
    code = main(["animate", str(DEVSET / "deerfire_river.jpg"), "--disaster", "wildfire", "-o", str(out),
                 "--segmenter", str(tiny_model_folders[backend]), *SMALL])
    assert code == 0, capsys.readouterr().err
    r = _report(out)
    assert r["backends"]["segmenter"] == backend
    legend = r["scene"]["region_classes"]
    with Image.open(out / "regions.png") as im:
        regions = np.asarray(im)
    allowed = {0} | {int(v) for v in DISASTERS["wildfire"].regions}
    assert set(np.unique(regions).tolist()) <= allowed <= set(legend.values())
    names = {v: k for k, v in legend.items()}
    shares = {names[int(v)]: float((regions == v).mean()) for v in np.unique(regions)}
    assert shares == pytest.approx(r["scene"]["regions"], abs=1e-3)
    seg = r["model_reports"]["segmenter"]
    assert seg["query_regions"]["fire"] == "fire" and seg["query_regions"]["smoke"] == "smoke"
    assert set(seg["query_regions"].values()) <= {names[v] for v in allowed}
