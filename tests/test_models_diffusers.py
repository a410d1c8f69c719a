"""The diffusers backends on tiny random pipelines: text-to-image and inpainting.

The folders are built from configs (tests/fixtures/tiny_diffusers.py) and load the way real Stable
Diffusion folders do; their native size is 32 px and every call runs two steps.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("diffusers")

from cinealert.errors import BackendUnavailable
from cinealert.imaging import diffusers_t2i as dt
from cinealert.prompting.metadata import NO_PEOPLE, SceneMetadata


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: the tiny models gain nothing from more, and two OpenMP threads on a busy
    two-core machine spin-wait for each other (calls become 50x slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory):
    from fixtures.tiny_diffusers import make_tiny_sd
    return make_tiny_sd(tmp_path_factory.mktemp("tiny_sd") / "sd")


@pytest.fixture(scope="session")
def tiny_sd_inpaint(tmp_path_factory):
    from fixtures.tiny_diffusers import make_tiny_sd
    return make_tiny_sd(tmp_path_factory.mktemp("tiny_sd_inpaint") / "sd-inpaint", inpaint=True)


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory):
    from fixtures.tiny_diffusers import make_tiny_sd
    return make_tiny_sd(tmp_path_factory.mktemp("tiny_sdxl") / "sdxl", xl=True)


@pytest.fixture(scope="module")
def illustrator(tiny_sd):
    return dt.DiffusersIllustrator(tiny_sd, steps=2, device="cpu")


@pytest.fixture(scope="module")
def inpainter(tiny_sd_inpaint):
    from cinealert.render.diffusion_inpaint import DiffusionInpainter
    return DiffusionInpainter(tiny_sd_inpaint, steps=2, device="cpu")


def _metadata(**changes) -> SceneMetadata:
    data = dict(disaster="flood", scene="Brown flood water covers the main road of a small river town",
                setting="a river town in a green valley",
                foreground=["a flooded road with half-submerged cars", "a row of red-roofed houses"],
                background=["low wooded hills", "a concrete bridge over the swollen river"],
                sky="low grey rain clouds", time_of_day="afternoon", season="summer",
                lighting="soft diffuse light", mood="tense and quiet")
    data.update(changes)
    return SceneMetadata(**data)


def _one_line_error(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


# ------------------------------------------------------------------------------------------------------
# text to image
# ------------------------------------------------------------------------------------------------------
def test_generates_requested_size_and_says_how(illustrator, tiny_sd):
    result = illustrator.generate(_metadata(), width=96, height=64, seed=1)
    assert result.image.shape == (64, 96, 3) and result.image.dtype == np.float32
    assert np.isfinite(result.image).all() and 0.0 <= result.image.min() and result.image.max() <= 1.0
    assert result.regions is None and result.depth is None and result.backend == "diffusers"
    info = result.info
    gw, gh = info["generated_size"]
    assert (gw, gh) == (40, 24)                           # 3:2 at about 32² px, multiples of 8
    assert info["size_note"].startswith("generated at 40x24, scaled to 96x64")
    for key in ("model", "family", "steps", "guidance", "generated_size", "size_note", "prompt_used",
                "dropped_sentences", "seconds", "device", "dtype"):
        assert key in info
    assert info["model"] == str(tiny_sd) and info["family"] == "sd1" and info["steps"] == 2
    assert info["device"] == "cpu" and info["dtype"] == "float32"
    assert info["models"] == {"t2i": str(tiny_sd)}


def test_same_seed_same_image_other_seed_other_image(illustrator):
    meta = _metadata()
    a = illustrator.generate(meta, width=48, height=48, seed=3).image
    b = illustrator.generate(meta, width=48, height=48, seed=3).image
    c = illustrator.generate(meta, width=48, height=48, seed=4).image
    assert np.array_equal(a, b)
    assert np.abs(a - c).max() > 0.05


def test_prompt_fits_77_tokens_and_long_metadata_drops_later_sentences(illustrator):
    meta = _metadata(foreground=["a flooded road with half-submerged cars and a bus", "red-roofed houses",
                                 "a petrol station", "a line of leaning power poles"],
                     background=["low wooded hills", "a concrete bridge over the swollen river",
                                 "a water tower", "terraced rice paddies"])
    info = illustrator.generate(meta, width=32, height=32, seed=0).info
    prompt = info["prompt_used"]
    tokenizer = illustrator.pipe.tokenizer
    assert len(tokenizer(prompt)["input_ids"]) <= 77 == info["token_limit"]
    assert len(tokenizer(meta.to_prompt())["input_ids"]) > 77
    assert prompt.startswith("Brown flood water covers the main road")
    assert info["dropped_sentences"] and all(s not in prompt for s in info["dropped_sentences"])
    full = dt.split_sentences(meta.to_prompt())
    kept = dt.split_sentences(prompt)
    assert [s for s in full if s in kept] == kept                       # order kept
    assert NO_PEOPLE not in prompt and "people" in info["negative_prompt"]


def test_fit_prompt_keeps_whole_sentences_in_order():
    words = lambda text: len(text.split()) + 2  # a stand-in tokenizer
    text = ("One two three. " + "long " * 20 + "sentence. Short one. " + NO_PEOPLE)
    fit = dt.fit_prompt(text, words, limit=10)
    assert fit.prompt == "One two three. Short one."
    assert fit.dropped == ["long " * 19 + "long sentence."]
    assert fit.directives == [NO_PEOPLE] and fit.tokens == 7 and not fit.over_limit
    first_too_long = dt.fit_prompt("a b c d e f g h i j k. Tail.", words, limit=5)
    assert first_too_long.prompt == "a b c d e f g h i j k." and first_too_long.over_limit


def test_no_guidance_means_no_negative_prompt(tiny_sd):
    ill = dt.DiffusersIllustrator(tiny_sd, steps=1, guidance=0.0, device="cpu")
    info = ill.generate(_metadata(), width=32, height=32, seed=0).info
    assert info["guidance"] == 0.0 and info["negative_prompt"] is None
    assert any("no negative prompt" in n for n in info["prompt_notes"])


def test_loading_and_generating_keep_stderr_clean(tiny_sd, capfd):
    ill = dt.DiffusersIllustrator(tiny_sd, steps=1, device="cpu", vae_tiling=True)
    result = ill.generate(_metadata(), width=40, height=24, seed=0)
    assert result.info["vae_tiling"] is True and result.info["size_note"].startswith("generated at the requested")
    captured = capfd.readouterr()
    assert captured.err == ""


def test_sdxl_pipeline_generates(tiny_sdxl):
    ill = dt.DiffusersIllustrator(tiny_sdxl, steps=2, device="cpu")
    result = ill.generate(_metadata(), width=64, height=48, seed=2)
    assert result.image.shape == (48, 64, 3)
    assert result.info["family"] == "sdxl" and result.info["guidance"] == 5.0
    assert len(ill.pipe.tokenizer_2(result.info["prompt_used"])["input_ids"]) <= 77


# ------------------------------------------------------------------------------------------------------
# families and sizes, from config files only
# ------------------------------------------------------------------------------------------------------
def _write_configs(folder, cls="StableDiffusionPipeline", *, cross=768, sample=64, text_time=False,
                   name_or_path=None):
    folder.mkdir(parents=True)
    index = {"_class_name": cls, "unet": ["diffusers", "UNet2DConditionModel"],
             "vae": ["diffusers", "AutoencoderKL"]}
    if name_or_path:
        index["_name_or_path"] = name_or_path
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "unet").mkdir()
    unet = {"sample_size": sample, "cross_attention_dim": cross, "block_out_channels": [320, 640, 1280, 1280]}
    if text_time:
        unet["addition_embed_type"] = "text_time"
        unet["block_out_channels"] = [320, 640, 1280]
    (folder / "unet" / "config.json").write_text(json.dumps(unet))
    (folder / "vae").mkdir()
    (folder / "vae" / "config.json").write_text(json.dumps({"block_out_channels": [128, 256, 512, 512]}))
    return folder


@pytest.mark.parametrize("name, kwargs, family, native, steps, guidance", [
    ("sd-v1-5", {}, "sd1", 512, 25, 7.5),
    ("stable-diffusion-2-1", {"cross": 1024, "sample": 96}, "sd2", 768, 25, 7.5),
    ("stable-diffusion-2-base", {"cross": 1024, "sample": 64}, "sd2", 512, 25, 7.5),
    ("sdxl-base", {"cls": "StableDiffusionXLPipeline", "cross": 2048, "sample": 128, "text_time": True},
     "sdxl", 1024, 30, 5.0),
    ("my-xl", {"cross": 2048, "sample": 128, "text_time": True}, "sdxl", 1024, 30, 5.0),
    ("sd-turbo", {"cross": 1024, "sample": 96}, "sd-turbo", 512, 2, 0.0),
    ("SDXL-Turbo", {"cls": "StableDiffusionXLPipeline", "cross": 2048, "sample": 128, "text_time": True},
     "sdxl-turbo", 512, 2, 0.0),
    ("local", {"cross": 1024, "sample": 64, "name_or_path": "stabilityai/sd-turbo"}, "sd-turbo", 512, 2, 0.0),
])
def test_family_detection_from_configs(tmp_path, name, kwargs, family, native, steps, guidance):
    folder = _write_configs(tmp_path / name, **kwargs)
    fam = dt.detect_family(folder)
    assert (fam.name, fam.native, fam.steps, fam.guidance) == (family, native, steps, guidance)
    assert fam.multiple == (32 if fam.name.startswith("sdxl") else 64)
    assert fam.evidence


def test_family_of_a_pipeline_without_unet(tmp_path):
    folder = tmp_path / "sd3"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusion3Pipeline"}))
    for sub, config in (("transformer", {"sample_size": 128, "patch_size": 2}),
                        ("vae", {"block_out_channels": [128, 256, 512, 512]})):
        (folder / sub).mkdir()
        (folder / sub / "config.json").write_text(json.dumps(config))
    fam = dt.detect_family(folder)
    assert (fam.name, fam.native, fam.multiple) == ("other", 1024, 16) and "no UNet" in fam.evidence


def test_generation_size_keeps_aspect_area_and_multiples():
    assert dt.generation_size(512, 512, 512, 64) == (512, 512)
    w, h = dt.generation_size(1024, 576, 512, 64)
    assert (w, h) == (704, 384) and w % 64 == 0 and h % 64 == 0
    w, h = dt.generation_size(576, 1024, 1024, 32)
    assert w % 32 == 0 and h % 32 == 0 and abs(w * h - 1024 ** 2) < 0.1 * 1024 ** 2 and h > w
    w, h = dt.generation_size(4000, 100, 512, 64)                       # extreme aspect: clamped to 4:1
    assert w / h == pytest.approx(4.0, rel=0.15)


def test_cover_resize_is_exact_and_centred():
    image = np.zeros((24, 40, 3), np.float32)
    image[:, 15:25] = 1.0
    out, cropped = dt.cover_resize(image, 30, 30)
    assert out.shape == (30, 30, 3) and cropped
    assert out[:, 15].mean() > 0.9 and out[:, 0].mean() < 0.1


# ------------------------------------------------------------------------------------------------------
# errors: one line naming the folder
# ------------------------------------------------------------------------------------------------------
def test_missing_folder(tmp_path):
    with pytest.raises(BackendUnavailable) as excinfo:
        dt.DiffusersIllustrator(tmp_path / "nowhere")
    _one_line_error(excinfo, "--t2i", "nowhere")


def test_folder_of_another_role(tmp_path, tiny_sd_inpaint):
    llm = tmp_path / "llm"
    llm.mkdir()
    (llm / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(BackendUnavailable) as excinfo:
        dt.DiffusersIllustrator(llm)
    _one_line_error(excinfo, "--t2i", str(llm), "llm")
    with pytest.raises(BackendUnavailable) as excinfo:
        dt.DiffusersIllustrator(tiny_sd_inpaint)
    _one_line_error(excinfo, "--t2i", "inpainter")
    assert dt.DiffusersIllustrator.accepts(llm) and dt.DiffusersIllustrator.accepts(tiny_sd_inpaint)


def test_t2i_folder_without_unet_weights(tmp_path, tiny_sd):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_sd, broken)
    for f in (broken / "unet").glob("diffusion_pytorch_model*"):
        f.unlink()
    assert dt.DiffusersIllustrator.accepts(broken) is None            # the configs look right
    with pytest.raises(BackendUnavailable) as excinfo:
        dt.DiffusersIllustrator(broken)
    _one_line_error(excinfo, "--t2i", str(broken), "unet")


def test_t2i_folder_with_corrupt_weights(tmp_path, tiny_sd):
    broken = tmp_path / "corrupt"
    shutil.copytree(tiny_sd, broken)
    (broken / "vae" / "diffusion_pytorch_model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(BackendUnavailable) as excinfo:
        dt.DiffusersIllustrator(broken, device="cpu")
    _one_line_error(excinfo, "--t2i", str(broken), "cannot load")


def test_availability_and_accepts(tiny_sd):
    usable, reason = dt.DiffusersIllustrator.availability()
    assert usable and reason
    assert dt.DiffusersIllustrator.accepts(tiny_sd) is None


# ------------------------------------------------------------------------------------------------------
# inpainting
# ------------------------------------------------------------------------------------------------------
def _scene(h=96, w=160, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.uniform(0.0, 1.0, (h, w, 3)).astype(np.float32)
    return image


def test_inpainter_keeps_known_pixels_and_fills_holes(inpainter):
    image = _scene()
    known = np.ones(image.shape[:2], bool)
    known[30:60, 50:90] = False
    out = inpainter.inpaint(image, known)
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.array_equal(out[known], image[known])                     # bit for bit
    holes = out[~known]
    assert np.isfinite(holes).all() and holes.min() >= 0.0 and holes.max() <= 1.0
    assert inpainter.calls[-1]["method"] == "diffusion"
    again = inpainter.inpaint(image, known)
    assert np.array_equal(out, again)                                    # same seed, same fill


def test_inpainter_works_on_the_holes_box_only(inpainter):
    image = _scene(h=200, w=300, seed=1)
    known = np.ones(image.shape[:2], bool)
    known[140:152, 200:216] = False                                      # 0.3 % of the image
    out = inpainter.inpaint(image, known)
    call = inpainter.calls[-1]
    assert call["method"] == "diffusion"
    y0, y1, x0, x1 = call["bbox"]
    assert y0 <= 140 and y1 >= 152 and x0 <= 200 and x1 >= 216
    assert (y1 - y0) * (x1 - x0) < 0.2 * image.shape[0] * image.shape[1]
    assert call["working_size"][0] % 8 == 0 and call["working_size"][1] % 8 == 0
    assert np.array_equal(out[known], image[known])


def test_inpainter_float_known_mask(inpainter):
    image = _scene(seed=2)
    known = np.ones(image.shape[:2], np.float32)
    known[20:50, 20:60] = 0.0
    out = inpainter.inpaint(image, known)
    keep = known >= 1.0
    assert np.array_equal(out[keep], image[keep])


def test_inpainter_tiny_holes_use_push_pull(inpainter):
    from cinealert.render.inpaint import push_pull_fill

    image = _scene(seed=3)
    known = np.ones(image.shape[:2], bool)
    known[10:12, 10:13] = False
    out = inpainter.inpaint(image, known)
    assert inpainter.calls[-1]["method"] == "pushpull" and inpainter.calls[-1]["reason"] == "tiny holes"
    assert np.array_equal(out, push_pull_fill(image, known))
    full = np.ones(image.shape[:2], bool)
    assert np.array_equal(inpainter.inpaint(image, full), image)


def test_inpainter_other_channel_counts_fall_back_once(inpainter):
    from cinealert.render.diffusion_inpaint import InpaintWarning

    image = np.dstack([_scene(seed=4), _scene(seed=5)[..., :1]])
    known = np.ones(image.shape[:2], bool)
    known[30:60, 50:90] = False
    inpainter.notes.clear()
    with pytest.warns(InpaintWarning, match="4-channel"):
        out = inpainter.inpaint(image, known)
    assert out.shape == image.shape and np.array_equal(out[known], image[known])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", InpaintWarning)
        inpainter.inpaint(image, known)                                   # said once only
    assert len(inpainter.notes) == 1


def test_inpainter_rejects_bad_masks(inpainter):
    image = _scene()
    with pytest.raises(ValueError):
        inpainter.inpaint(image, np.ones((10, 10), bool))
    with pytest.raises(ValueError):
        inpainter.inpaint(image, np.zeros(image.shape[:2], bool))


def test_inpainter_in_the_layered_renderer(inpainter, layered_scene):
    from cinealert.render.layers import build_layers

    image, depth, _regions = layered_scene
    scene = build_layers(image, depth, max_shift_px=12.0, inpainter=inpainter)
    assert len(scene.layers) >= 2
    back = scene.layers[0]
    assert back.rgba[..., 3].min() == 255
    assert any(c["method"] == "diffusion" for c in inpainter.calls)
    assert inpainter.describe()["diffusion_calls"] >= 1


def test_inpainter_refuses_other_folders(tmp_path, tiny_sd):
    from cinealert.render.diffusion_inpaint import DiffusionInpainter

    with pytest.raises(BackendUnavailable) as excinfo:
        DiffusionInpainter(tiny_sd)
    _one_line_error(excinfo, "--inpainter", "t2i")
    with pytest.raises(BackendUnavailable) as excinfo:
        DiffusionInpainter(tmp_path / "missing")
    _one_line_error(excinfo, "--inpainter", "missing")
    assert DiffusionInpainter.accepts(tiny_sd) is not None


def test_inpainter_defaults(inpainter, tiny_sd_inpaint):
    assert inpainter.name == "diffusion" and inpainter.role == "inpainter"
    assert inpainter.unet_channels == 9 and inpainter.strength == 1.0 and inpainter.steps == 2
    # the render module has no negative prompt of its own: the pipeline hands over the metadata's
    assert "people" not in inpainter.prompt and inpainter.negative_prompt == ""
    assert type(inpainter).accepts(tiny_sd_inpaint) is None


def test_inpainter_takes_its_prompts(tiny_sd_inpaint):
    from cinealert.render.diffusion_inpaint import DiffusionInpainter

    inp = DiffusionInpainter(tiny_sd_inpaint, steps=2, device="cpu", prompt="a river bank", negative_prompt="boats")
    assert (inp.prompt, inp.negative_prompt) == ("a river bank", "boats")
    assert inp.describe()["negative_prompt"] == "boats"


def test_sdxl_inpainting(tmp_path_factory):
    from cinealert.render.diffusion_inpaint import DiffusionInpainter
    from fixtures.tiny_diffusers import make_tiny_sd

    folder = make_tiny_sd(tmp_path_factory.mktemp("tiny_sdxl_inpaint") / "sdxl-inpaint", inpaint=True, xl=True)
    inp = DiffusionInpainter(folder, steps=2, device="cpu")
    assert inp.family.name == "sdxl"
    image = _scene(h=64, w=80, seed=6)
    known = np.ones(image.shape[:2], bool)
    known[20:40, 30:50] = False
    out = inp.inpaint(image, known)
    assert inp.calls[-1]["method"] == "diffusion"
    assert np.array_equal(out[known], image[known]) and np.isfinite(out).all()
