"""Benchmark: the model path on real-size architectures with random weights, through cinealert's backends.

Every model is built from its library class at the size of the checkpoint it stands for (random weights:
the time and memory of a forward pass do not depend on the values), saved with ``save_pretrained``
(safetensors) in a work folder, then loaded and run by the project's own backend, each in a fresh process
so its peak memory is its own:

=========  ===============================================================================================
t2i        SD 1.5 (UNet 860M, VAE, CLIP ViT-L/14 text) through DiffusersIllustrator at 512x512, --steps
           steps with guidance 7.5 (CFG: the UNet runs on a batch of 2); the same folder named "...turbo"
           (SD-Turbo defaults: 1 step, no guidance); SDXL (UNet 2.6B, two text encoders) at 1024x1024 with
           --sdxl only.
inpaint    SD 1.5 inpainting (9-channel UNet) through DiffusionInpainter on a --size frame whose hole (an
           ellipse, 15 % of the frame) is inpainted in its bounding box plus margin, --steps steps.
segment    CLIPSeg rd64 (ViT-B/16 at 352) through ClipSegSegmenter; GroundingDINO-tiny (Swin-T, BERT-base,
           900 queries) + SAM ViT-B (1024) through LangSamSegmenter, on a --size frame.
depth      DPT-Hybrid (BiT + ViT-B/16 at 384) through DptDepth; Depth Anything V2 Small (DINOv2 ViT-S/14,
           processor 518) through DepthAnythingDepth, on a --size frame.
=========  ===============================================================================================

Columns: load (the backend's constructor: from the folder to the device, imports excluded; the files were
usually just written, so they are in the page cache, and on a CPU safetensors are memory-mapped, so part of
the reading happens in the first call), first call, steady call (median of the later calls: 3 of them, on a
CPU 1 when the first call took over 10 s and none over 30 s, so the default run stays near 10 minutes on 2
cores; --repeat sets the number), peak memory (the process's peak RSS on a CPU,
``torch.cuda.max_memory_allocated`` on CUDA) and the number of parameters. Notes under the table split the
diffusion calls into UNet seconds per step, VAE and the rest, the LangSAM call into GroundingDINO and SAM,
and the others into the model's forward pass and the backend's pre/post-processing.

Random weights make the models' outputs noise, which changes nothing in the timing except where a threshold
decides how much work follows: LangSAM gets box and text thresholds of 0 and at most --boxes boxes, so SAM
always runs; the depth heads are rescaled (as the test fixtures do) so the depth varies and the edge
refinement runs as it does on real depth.

    python bench/bench_models.py                                  # everything but SDXL (~10 min on 2 CPU cores)
    python bench/bench_models.py --only depth,segment --work /tmp/bench-models   # keep the folders
    python bench/bench_models.py --sdxl --only t2i --device cuda --steps 4 --repeat 3

Nothing is downloaded: tokenizers and processors are written by the test fixtures' helpers (tests/fixtures).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))          # fixtures.*: tokenizer, processor and calibration helpers
if not (ROOT / "src" / "cinealert").is_dir() or str(ROOT / "src") not in sys.path:
    sys.path.insert(1, str(ROOT / "src"))

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

STAGES = ("t2i", "inpaint", "segment", "depth")
RESULT = "@@RESULT "
#: Bumped when a builder changes, so folders kept with --work are rebuilt.
BUILD_VERSION = 1
#: The share of the frame the inpainting hole covers.
HOLE_FRACTION = 0.15
#: On a CPU, a model whose first call takes longer than the first of these (seconds) gets 1 steady call
#: instead of 3, and none beyond the second (keeps the default run near 10 minutes on 2 cores).
LONG_CALL = (10.0, 30.0)
#: CLIP vocabulary of the real text encoders (the embedding matrix is this big; our tokenizer uses few ids).
CLIP_VOCAB = 49408


def log(message: str) -> None:
    print(f"[bench_models {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ======================================================================================================
# builders (run in a child process; each writes one model folder)
# ======================================================================================================
def _clip_tokenizer(tmp: Path):
    """A CLIP tokenizer (77 positions) written offline by the diffusers fixture; returns (tokenizer, bos, eos)."""
    from fixtures.tiny_diffusers import make_clip_tokenizer

    tok = make_clip_tokenizer(tmp)
    n = len(tok)
    return tok, n - 2, n - 1


def _clip_text(hidden: int, layers: int, heads: int, inter: int, bos: int, eos: int, *, act: str = "quick_gelu",
               projection: int | None = None, with_projection: bool = False):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(vocab_size=CLIP_VOCAB, hidden_size=hidden, intermediate_size=inter,
                            num_hidden_layers=layers, num_attention_heads=heads, max_position_embeddings=77,
                            projection_dim=projection or hidden, hidden_act=act, bos_token_id=bos,
                            eos_token_id=eos, pad_token_id=eos)
    cls = CLIPTextModelWithProjection if with_projection else CLIPTextModel
    return cls(config).eval()


def _sd_vae(sample: int, scaling: float = 0.18215, force_upcast: bool = False):
    from diffusers import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
                         block_out_channels=(128, 256, 512, 512), norm_num_groups=32,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         sample_size=sample, scaling_factor=scaling, force_upcast=force_upcast)


def _scheduler(spacing: str = "leading"):
    from diffusers import EulerDiscreteScheduler

    # Euler: one UNet call per step (SD 1.5's own PNDM adds a call), so seconds per step read plainly.
    return EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                  num_train_timesteps=1000, steps_offset=1, timestep_spacing=spacing)


def build_sd15(path: Path, *, inpaint: bool = False) -> None:
    """Stable Diffusion 1.5: UNet (320, 640, 1280, 1280), cross-attention 768, 8 heads; VAE (128..512);
    CLIP ViT-L/14 text encoder. ``inpaint``: the 9-channel UNet of the inpainting checkpoint."""
    import torch
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tok, bos, eos = _clip_tokenizer(Path(tmp))
        text = _clip_text(768, 12, 12, 3072, bos, eos)
        unet = UNet2DConditionModel(sample_size=64, in_channels=9 if inpaint else 4, out_channels=4,
                                    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
                                    cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)
        cls = StableDiffusionInpaintPipeline if inpaint else StableDiffusionPipeline
        pipe = cls(vae=_sd_vae(512), text_encoder=text, tokenizer=tok, unet=unet, scheduler=_scheduler(),
                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
        pipe.save_pretrained(path, safe_serialization=True)


def build_sdxl(path: Path) -> None:
    """SDXL base: UNet (320, 640, 1280) with 1/2/10 transformer layers, cross-attention 2048, text_time
    embeddings; CLIP ViT-L + OpenCLIP bigG text encoders. Saved in float16 (as the fp16 checkpoints are)."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    half = torch.float16
    with tempfile.TemporaryDirectory() as tmp:
        tok, bos, eos = _clip_tokenizer(Path(tmp))
        text = _clip_text(768, 12, 12, 3072, bos, eos).to(half)
        text_2 = _clip_text(1280, 32, 20, 5120, bos, eos, act="gelu", projection=1280,
                            with_projection=True).to(half)
        unet = UNet2DConditionModel(
            sample_size=128, in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280),
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"), layers_per_block=2,
            transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20), cross_attention_dim=2048,
            use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
            projection_class_embeddings_input_dim=2816, norm_num_groups=32).to(half)
        vae = _sd_vae(1024, scaling=0.13025, force_upcast=True).to(half)
        pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=text, text_encoder_2=text_2, tokenizer=tok,
                                         tokenizer_2=tok, unet=unet, scheduler=_scheduler())
        pipe.save_pretrained(path, safe_serialization=True)


def build_turbo(path: Path, base: Path) -> None:
    """The SD 1.5 folder again under a name with "turbo" (links, no copy): the SD-Turbo defaults apply."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in base.iterdir():
        link = path / entry.name
        if not link.exists():
            link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())


def _save(model, processor, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    processor.save_pretrained(path)


def build_clipseg(path: Path) -> None:
    """CLIPSeg rd64-refined: ViT-B/16 vision (224, interpolated to the processor's 352), text 512 x 12 layers,
    extract layers 3/6/9, reduce_dim 64, the complex transposed convolution."""
    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, CLIPSegProcessor
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tok, bos, eos = _clip_tokenizer(Path(tmp))
        image_processor = ViTImageProcessorPil(size={"height": 352, "width": 352}, resample=2,
                                               image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
        processor = CLIPSegProcessor(image_processor=image_processor, tokenizer=tok)
        config = CLIPSegConfig(
            text_config=dict(vocab_size=CLIP_VOCAB, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                             num_attention_heads=8, max_position_embeddings=77, bos_token_id=bos,
                             eos_token_id=eos, pad_token_id=eos),
            vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                               image_size=224, patch_size=16),
            projection_dim=512, extract_layers=[3, 6, 9], reduce_dim=64, decoder_num_attention_heads=4,
            decoder_intermediate_size=2048, conditional_layer=0, use_complex_transposed_convolution=True)
        _save(CLIPSegForImageSegmentation(config).eval(), processor, path)


def build_langsam(path: Path) -> None:
    """GroundingDINO-tiny (Swin-T 96/(2,2,6,2)/(3,6,12,24)/window 7, BERT-base, d_model 256, 6+6 layers, 900
    queries) in ``grounding-dino/`` and SAM ViT-B (768 x 12 layers, 1024 input) in ``sam/``."""
    import torch
    from fixtures.tiny_segmenters import write_bert_vocab
    from transformers import (BertConfig, BertTokenizerFast, GroundingDinoConfig, GroundingDinoForObjectDetection,
                              GroundingDinoProcessor, SamConfig, SamModel, SamProcessor, SwinConfig)
    from transformers.models.grounding_dino.image_processing_pil_grounding_dino import (
        GroundingDinoImageProcessorPil)
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    torch.manual_seed(0)
    dino_dir = path / "grounding-dino"
    dino_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(str(write_bert_vocab(dino_dir / "vocab.txt")), do_lower_case=True,
                                  model_max_length=256)
    processor = GroundingDinoProcessor(image_processor=GroundingDinoImageProcessorPil(
        size={"shortest_edge": 800, "longest_edge": 1333}), tokenizer=tokenizer)
    backbone = SwinConfig(image_size=224, patch_size=4, embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24],
                          window_size=7, out_indices=[2, 3, 4])
    text = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                      intermediate_size=3072, max_position_embeddings=512)
    config = GroundingDinoConfig(backbone_config=backbone, text_config=text, num_queries=900, d_model=256,
                                 encoder_layers=6, decoder_layers=6, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
                                 encoder_attention_heads=8, decoder_attention_heads=8, num_feature_levels=4,
                                 encoder_n_points=4, decoder_n_points=4, max_text_len=256, two_stage=True)
    _save(GroundingDinoForObjectDetection(config).eval(), processor, dino_dir)
    sam = SamModel(SamConfig(vision_config=dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                                image_size=1024, patch_size=16, window_size=14, mlp_dim=3072,
                                                global_attn_indexes=[2, 5, 8, 11], output_channels=256))).eval()
    _save(sam, SamProcessor(image_processor=SamImageProcessorPil()), path / "sam")


def build_dpt_hybrid(path: Path) -> None:
    """DPT-Hybrid (MiDaS 3.0): BiT-R50 stages 1-3 (as transformers builds it: no timm) + ViT-B/16 at 384."""
    import torch
    from fixtures.tiny_depth import _calibrate
    from transformers import DPTConfig, DPTForDepthEstimation
    from transformers.models.dpt.image_processing_pil_dpt import DPTImageProcessorPil

    torch.manual_seed(0)
    config = DPTConfig(is_hybrid=True, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                       intermediate_size=3072, image_size=384, patch_size=16, backbone_out_indices=[2, 5, 8, 11],
                       readout_type="project", reassemble_factors=[1, 1, 1, 0.5],
                       neck_hidden_sizes=[256, 512, 768, 768], fusion_hidden_size=256,
                       backbone_featmap_shape=[1, 1024, 24, 24], neck_ignore_stages=[0, 1], use_auxiliary_head=False)
    model = DPTForDepthEstimation(config).eval()
    # A random head ends in a ReLU that outputs ~0 everywhere: rescale it (the fixtures' helper) so the
    # depth varies and the edge refinement runs as it does on a real prediction.
    _calibrate(model, model.head.head[4], size=(384, 384), mean=1.0, std=0.3, seed=0)
    processor = DPTImageProcessorPil(size={"height": 384, "width": 384}, keep_aspect_ratio=False,
                                     ensure_multiple_of=1, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    _save(model, processor, path)


def build_depth_anything(path: Path) -> None:
    """Depth Anything V2 Small: DINOv2 ViT-S/14 (384 x 12 layers, 6 heads), DPT head (48/96/192/384, 64)."""
    import torch
    from fixtures.tiny_depth import _calibrate
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation
    from transformers.models.dpt.image_processing_pil_dpt import DPTImageProcessorPil

    torch.manual_seed(0)
    backbone = {"model_type": "dinov2", "hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 6,
                "mlp_ratio": 4, "image_size": 518, "patch_size": 14, "out_indices": [3, 6, 9, 12],
                "reshape_hidden_states": False, "apply_layernorm": True}
    config = DepthAnythingConfig(backbone_config=backbone, use_pretrained_backbone=False, patch_size=14,
                                 reassemble_hidden_size=384, neck_hidden_sizes=[48, 96, 192, 384],
                                 fusion_hidden_size=64, head_hidden_size=32, depth_estimation_type="relative")
    model = DepthAnythingForDepthEstimation(config).eval()
    _calibrate(model, model.head.conv3, size=(518, 518), mean=1.0, std=0.3, seed=0)
    processor = DPTImageProcessorPil(size={"height": 518, "width": 518}, keep_aspect_ratio=True,
                                     ensure_multiple_of=14, resample=3,
                                     image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    _save(model, processor, path)


# ======================================================================================================
# what is benchmarked
# ======================================================================================================
#: name → stage, label, builder (folder, work folder), the folder it needs built first, the option it needs.
MODELS = {
    "sd15": {"stage": "t2i", "label": "SD 1.5 (CFG 7.5)", "builder": lambda p, work: build_sd15(p)},
    "sd15-turbo": {"stage": "t2i", "label": "SD-Turbo style (SD 1.5 arch, 1 step)", "after": "sd15",
                   "builder": lambda p, work: build_turbo(p, work / "sd15")},
    "sdxl": {"stage": "t2i", "label": "SDXL base (CFG 5)", "builder": lambda p, work: build_sdxl(p),
             "optional": "--sdxl"},
    "sd15-inpaint": {"stage": "inpaint", "label": "SD 1.5 inpainting (CFG 7.5)",
                     "builder": lambda p, work: build_sd15(p, inpaint=True)},
    "clipseg-rd64": {"stage": "segment", "label": "CLIPSeg rd64", "builder": lambda p, work: build_clipseg(p)},
    "langsam": {"stage": "segment", "label": "GroundingDINO-T + SAM ViT-B",
                "builder": lambda p, work: build_langsam(p)},
    "dpt-hybrid": {"stage": "depth", "label": "DPT-Hybrid (MiDaS 3.0)",
                   "builder": lambda p, work: build_dpt_hybrid(p)},
    "depth-anything-v2-small": {"stage": "depth", "label": "Depth Anything V2 Small",
                                "builder": lambda p, work: build_depth_anything(p)},
}


def build(name: str, work: Path) -> None:
    from cinealert.imaging.diffusers_t2i import quiet_diffusers

    quiet_diffusers()
    path = work / name
    if path.exists():
        shutil.rmtree(path)
    MODELS[name]["builder"](path, work)


# ======================================================================================================
# measuring (run in a child process)
# ======================================================================================================
class CallTimer:
    """Seconds of each call to wrapped methods (``forward`` of a module, ``vae.decode``...), by label."""

    def __init__(self, sync) -> None:
        self.sync = sync
        self.times: dict[str, list[float]] = defaultdict(list)

    def wrap(self, obj, attr: str, label: str) -> None:
        if obj is None or not hasattr(obj, attr):
            return
        original = getattr(obj, attr)

        def timed(*args, **kwargs):
            self.sync()
            start = time.perf_counter()
            out = original(*args, **kwargs)
            self.sync()
            self.times[label].append(time.perf_counter() - start)
            return out

        setattr(obj, attr, timed)

    def reset(self) -> None:
        self.times.clear()


def _frame(width: int, height: int):
    """A smooth RGB test frame (sky-to-ground gradient with some texture), float32 in [0, 1]."""
    import numpy as np

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([0.4 + 0.3 * y / height, 0.5 + 0.1 * np.sin(x / 37.0), 0.7 - 0.4 * y / height], axis=2)
    img += rng.normal(0.0, 0.04, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _hole(width: int, height: int, fraction: float):
    """``known`` (True = known) with an elliptic hole covering ``fraction`` of the frame (a disocclusion
    behind a foreground object, right of centre and towards the bottom)."""
    import numpy as np

    area = fraction * width * height
    b = (area / (np.pi * 1.3)) ** 0.5          # semi-axes a = 1.3 b
    a = 1.3 * b
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    inside = ((x - 0.6 * width) / a) ** 2 + ((y - 0.6 * height) / b) ** 2 <= 1.0
    return ~inside


def _metadata():
    from cinealert.prompting.metadata import SceneMetadata

    return SceneMetadata(
        disaster="heavy_rain", scene="Brown flood water covers the main road of a small river town",
        setting="a river town in the hills", foreground=["a flooded road with half-submerged cars", "utility poles"],
        background=["a row of red-roofed houses", "low wooded hills"], sky="low grey clouds with heavy rain",
        time_of_day="afternoon", season="summer", lighting="soft diffuse light", mood="tense",
        regions=["water", "cloud"], keywords=["flood water", "river"])


def _params(*modules) -> int:
    return sum(p.numel() for m in modules if m is not None for p in m.parameters())


def measure(name: str, opts: dict) -> dict:
    """Load ``name`` from its folder with its backend, call it once, then ``repeat`` more times."""
    import numpy as np
    import torch

    threads = opts["threads"]
    torch.set_num_threads(threads)
    import transformers  # noqa: F401 - imports out of the load timing
    from cinealert import hf

    spec = MODELS[name]
    stage = spec["stage"]
    if stage in ("t2i", "inpaint"):
        import diffusers  # noqa: F401

        from cinealert.imaging.diffusers_t2i import quiet_diffusers

        quiet_diffusers()
    hf.quiet_transformers()
    device = hf.pick_device(opts["device"])
    cuda = device.type == "cuda"
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    timer = CallTimer(sync)
    path = Path(opts["work"]) / name
    width, height = opts["size"]
    frame = _frame(width, height)
    notes: list[str] = []
    kw = {"device": opts["device"], "dtype": opts["dtype"]}

    sync()
    start = time.perf_counter()
    if stage == "t2i":
        from cinealert.imaging.diffusers_t2i import DiffusersIllustrator

        steps = 1 if "turbo" in name else opts["steps"]
        backend = DiffusersIllustrator(path, steps=steps, **kw)
        side = backend.family.native
        metadata = _metadata()
        call = lambda: backend.generate(metadata, width=side, height=side, seed=0)
    elif stage == "inpaint":
        from cinealert.render.diffusion_inpaint import DiffusionInpainter

        backend = DiffusionInpainter(path, steps=opts["steps"], **kw)
        known = _hole(width, height, HOLE_FRACTION)
        call = lambda: backend.inpaint(frame, known)
    elif stage == "segment":
        from cinealert.disasters import DISASTERS
        from cinealert.scene.text_segmenter import ClipSegSegmenter, LangSamSegmenter, segmenter_queries

        disaster = DISASTERS["heavy_rain"]
        if name == "langsam":
            backend = LangSamSegmenter(path, box_threshold=0.0, text_threshold=0.0, max_boxes=opts["boxes"], **kw)
        else:
            backend = ClipSegSegmenter(path, **kw)
        call = lambda: backend.segment(frame, disaster=disaster)
        notes.append(f"queries {segmenter_queries(disaster)}")
    else:
        from cinealert.scene.model_depth import DepthAnythingDepth, DptDepth

        backend = (DptDepth if name.startswith("dpt") else DepthAnythingDepth)(path, **kw)
        call = lambda: backend.estimate(frame)
    sync()
    load = time.perf_counter() - start

    # What the call is made of: diffusion UNet / VAE, GroundingDINO / SAM.
    if stage in ("t2i", "inpaint"):
        pipe = backend.pipe
        modules = [getattr(pipe, k, None) for k in ("unet", "vae", "text_encoder", "text_encoder_2")]
        timer.wrap(pipe.unet, "forward", "unet")
        timer.wrap(pipe.vae, "decode", "vae decode")
        timer.wrap(pipe.vae, "encode", "vae encode")
        for key in ("text_encoder", "text_encoder_2"):
            timer.wrap(getattr(pipe, key, None), "forward", "text")
        model_dtype = pipe.unet.dtype
    elif name == "langsam":
        modules = [backend.dino, backend.sam]
        timer.wrap(backend.dino, "forward", "GroundingDINO")
        timer.wrap(backend.sam, "forward", "SAM")
        model_dtype = backend.dino.dtype
    else:
        modules = [backend.model]
        timer.wrap(backend.model, "forward", "model")
        model_dtype = backend.model.dtype

    def timed_call() -> tuple[float, object]:
        timer.reset()
        sync()
        t = time.perf_counter()
        out = call()
        sync()
        return time.perf_counter() - t, out

    log(f"{name}: loaded in {load:.1f} s; first call ...")
    first, out = timed_call()
    parts_first = {k: list(v) for k, v in timer.times.items()}
    repeat = opts["repeat"]
    if repeat is None:       # by default 3 more calls; on a CPU fewer when a call takes long
        repeat = 3 if cuda or first < LONG_CALL[0] else 1 if first < LONG_CALL[1] else 0
        if repeat < 3:
            notes.append(f"{repeat or 'no'} steady call{'s' if repeat != 1 else ''} (the first took "
                         f"{first:.0f} s on a CPU; --repeat N for more)")
    steady: list[float] = []
    for i in range(repeat):
        log(f"{name}: first call {first:.1f} s; steady call {i + 1}/{repeat} ...")
        seconds, out = timed_call()
        steady.append(seconds)
    parts = {k: list(v) for k, v in timer.times.items()} if steady else parts_first

    # Notes on what a call is made of (the last call).
    call_seconds = steady[-1] if steady else first
    if stage in ("t2i", "inpaint"):
        unet = parts.get("unet", [])
        info = out.info if stage == "t2i" else backend.calls[-1]
        size = info.get("generated_size") or info.get("working_size")
        cfg = "CFG: UNet batch 2" if backend.guidance > 1.0 else "no CFG: UNet batch 1"
        vae = sum(parts.get("vae decode", [])) + sum(parts.get("vae encode", []))
        rest = call_seconds - sum(unet) - vae
        steps = ", ".join(f"{t:.2f}" for t in unet)
        text = (f"{len(unet)} UNet call{'s' if len(unet) != 1 else ''} at {size[0]}x{size[1]} ({cfg}): "
                f"{steps} s/step; VAE "
                f"{'encode+decode' if parts.get('vae encode') else 'decode'} {vae:.2f} s; text encoder "
                f"{sum(parts.get('text', [])):.2f} s; rest {rest:.2f} s")
        if stage == "inpaint":
            text += (f"; hole {HOLE_FRACTION:.0%} of {width}x{height}, box {info.get('bbox')} "
                     f"({info.get('method')})")
        notes.insert(0, text)
        notes.append(f"attention slicing {'on' if backend.attention_slicing else 'off'}")
    elif name == "langsam":
        boxes = len(backend.last_report.get("boxes", []))
        notes.insert(0, f"GroundingDINO {sum(parts.get('GroundingDINO', [])):.2f} s, SAM "
                        f"{sum(parts.get('SAM', [])):.2f} s ({boxes} boxes), rest "
                        f"{call_seconds - sum(parts.get('GroundingDINO', [])) - sum(parts.get('SAM', [])):.2f} s")
    else:
        fwd = sum(parts.get("model", []))
        working = (backend.last_report.get("working_size") if stage == "depth" else None)
        where = f" at {working[1]}x{working[0]}" if working else ""
        rest = "edge refinement radius " + str(backend.last_report.get("edge_radius")) if stage == "depth" else ""
        notes.insert(0, f"model forward{where} {fwd:.2f} s, rest (pre/post-processing{', ' + rest if rest else ''}) "
                        f"{call_seconds - fwd:.2f} s")
    if not np.isfinite(np.asarray(getattr(out, "image", out), dtype=np.float32)).all():
        notes.append("output not finite")

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else peak_rss
    return {
        "name": name, "stage": stage, "label": spec["label"], "params": _params(*modules),
        "device": str(device) + (f" ({torch.cuda.get_device_name(device)})" if cuda else f" ({threads} threads)"),
        "dtype": str(model_dtype).replace("torch.", ""), "load": load, "first": first,
        "steady": statistics.median(steady) if steady else None, "steady_runs": len(steady), "peak_mb": peak,
        "peak_kind": "CUDA allocated" if cuda else "RSS", "peak_rss_mb": peak_rss,
        "notes": notes,
    }


# ======================================================================================================
# the parent: builds, measures, prints
# ======================================================================================================
def _child(mode: str, name: str, opts: dict) -> dict:
    """Run ``mode`` (build / measure) for ``name`` in a fresh process; its result, or an ``error``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, name, json.dumps(opts)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=str(ROOT), check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT):])
    return {"error": f"{mode} process exited with status {proc.returncode} (see the lines above)"}


def _child_main(mode: str, name: str, opts: dict) -> int:
    try:
        if mode == "build":
            import torch

            torch.set_num_threads(opts["threads"])
            start = time.perf_counter()
            build(name, Path(opts["work"]))
            result = {"seconds": time.perf_counter() - start}
        else:
            result = measure(name, opts)
    except Exception as err:  # noqa: BLE001 - reported as a skipped row
        import traceback

        traceback.print_exc(file=sys.stderr)
        result = {"error": f"{type(err).__name__}: {' '.join(str(err).split())[:300]}"}
    print(RESULT + json.dumps(result), flush=True)
    return 0


def _fmt_params(n: int) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e9 else f"{n / 1e6:.1f} M"


def _fmt(v, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def table(rows: list[dict]) -> str:
    lines = ["| stage | model | params | device | dtype | load s | first s | steady s | peak MB |",
             "| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['stage']} | {r['label']} | – | – | – | – | – | – | – |")
            continue
        steady = _fmt(r["steady"], 2) + (f" (×{r['steady_runs']})" if r["steady_runs"] > 1 else "")
        lines.append(f"| {r['stage']} | {r['label']} | {_fmt_params(r['params'])} | {r['device']} | {r['dtype']} | "
                     f"{_fmt(r['load'])} | {_fmt(r['first'], 2)} | {steady} | {r['peak_mb']:.0f} |")
    return "\n".join(lines)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WxH, got {text!r}") from None
    if w < 64 or h < 64:
        raise argparse.ArgumentTypeError(f"size must be at least 64x64, got {text!r}")
    return w, h


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_main(argv[1], argv[2], json.loads(argv[3]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(STAGES),
                    help=f"stages to run, comma-separated (default: {','.join(STAGES)}), or model names "
                         f"({', '.join(MODELS)})")
    ap.add_argument("--steps", type=int, default=2, help="denoising steps of t2i and inpainting (default 2; "
                    "SD-Turbo style always 1)")
    ap.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: CUDA when available)")
    ap.add_argument("--dtype", default=None, help="float32, bfloat16, float16 (default: the backends' own: "
                    "float32 on CPU, bfloat16 on CUDA)")
    ap.add_argument("--size", type=parse_size, default=(1024, 576),
                    help="frame size for inpaint, segment and depth (default 1024x576); t2i runs at the "
                         "model's native square")
    ap.add_argument("--repeat", type=int, default=None,
                    help=f"steady calls after the first (default 3; on a CPU 1 when the first call took over "
                         f"{LONG_CALL[0]:.0f} s, none over {LONG_CALL[1]:.0f} s)")
    ap.add_argument("--boxes", type=int, default=8, help="boxes LangSAM passes to SAM (default 8)")
    ap.add_argument("--sdxl", action="store_true", help="also SDXL text-to-image at 1024x1024 (heavy: 2.6B UNet, 3.5B in "
                    "all; 6.5 GB on disk, about 20 GB of RAM in float32 on a CPU, ~5 min a step there)")
    ap.add_argument("--work", default=None, help="keep the built model folders here and reuse them next time "
                    "(default: a temporary folder, deleted at the end)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if args.steps < 1:
        ap.error("--steps must be at least 1")

    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in STAGES and w not in MODELS]
    if unknown:
        ap.error(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(STAGES + tuple(MODELS))}")
    names = [n for n, s in MODELS.items()
             if (n in wanted or (s["stage"] in wanted and (not s.get("optional") or args.sdxl)))]
    if not names:
        ap.error("nothing to run")

    import torch

    threads = cores()
    cuda = torch.cuda.is_available() if args.device in (None, "", "auto") else str(args.device).startswith("cuda")
    temp = args.work is None
    work = Path(tempfile.mkdtemp(prefix="cinealert-bench-models-") if temp else args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    log(f"work folder {work}{' (temporary)' if temp else ''}; {threads} torch threads; "
        f"{'CUDA' if cuda else 'CPU'}; models: {', '.join(names)}")
    started = time.perf_counter()
    rows: list[dict] = []
    built: dict[str, float] = {}
    try:
        for name in names:
            spec = MODELS[name]
            needs = [n for n in (spec.get("after"), name) if n]
            error = None
            for n in needs:
                marker = work / f"{n}.built"
                if marker.is_file() and marker.read_text().strip() == str(BUILD_VERSION) and (work / n).is_dir():
                    continue
                log(f"building {n} ({MODELS[n]['label']}) ...")
                res = _child("build", n, {"work": str(work), "threads": threads})
                if "error" in res:
                    error = f"build of {n} failed: {res['error']}"
                    break
                built[n] = res["seconds"]
                marker.write_text(str(BUILD_VERSION))
                log(f"built {n} in {res['seconds']:.1f} s")
            if error is None:
                repeat = None if args.repeat is None else max(0, args.repeat)
                opts = {"work": str(work), "threads": threads, "device": args.device, "dtype": args.dtype,
                        "steps": args.steps, "size": list(args.size), "repeat": repeat,
                        "boxes": max(1, args.boxes)}
                log(f"measuring {name} ...")
                res = _child("measure", name, opts)
                error = res.get("error")
            if error is not None:
                log(f"{name} skipped: {error}")
                rows.append({"name": name, "stage": spec["stage"], "label": spec["label"], "error": error})
            else:
                log(f"{name}: load {res['load']:.1f} s, first {res['first']:.2f} s, steady "
                    f"{_fmt(res['steady'], 2)} s, peak {res['peak_mb']:.0f} MB")
                rows.append(res)
    finally:
        if temp:
            shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    load_after = os.getloadavg()

    print(table(rows))
    print()
    print(f"torch {torch.__version__}, {threads} intra-op threads (of {os.cpu_count()} cores); load average "
          f"before {' '.join(f'{v:.2f}' for v in load_before)}, after {' '.join(f'{v:.2f}' for v in load_after)}; "
          f"{'t2i at the native square, ' if any(r['stage'] == 't2i' for r in rows) else ''}"
          f"frames {args.size[0]}x{args.size[1]}, {args.steps} step{'s' if args.steps != 1 else ''}; wall {total:.0f} s"
          + (f" (builds {sum(built.values()):.0f} s)" if built else ""))
    peak_kind = {r.get("peak_kind") for r in rows if "peak_kind" in r}
    if peak_kind:
        print(f"peak MB: {' / '.join(sorted(peak_kind))} of the process running that one model")
    for r in rows:
        if "error" in r:
            print(f"- {r['name']}: skipped: {r['error']}")
        else:
            extra = [f"peak RSS {r['peak_rss_mb']:.0f} MB"] if r["peak_kind"] != "RSS" else []
            print(f"- {r['name']}: " + "; ".join(r["notes"] + extra))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "builds_s": built, "wall_s": total,
                                               "threads": threads, "load_before": load_before,
                                               "load_after": load_after}, indent=2), encoding="utf-8")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
