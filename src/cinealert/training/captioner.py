"""BLIP captions of the fine-tuning photos.

The paper captions each real disaster photo with BLIP and teaches the metadata LLM from those captions.
:class:`BlipCaptioner` loads a local BLIP captioning folder (``BlipForConditionalGeneration`` and its
``BlipProcessor``, e.g. a saved copy of ``Salesforce/blip-image-captioning-base``) and captions images in
batches, greedily, so that the same photo always gets the same caption. Nothing is downloaded.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from cinealert.errors import BackendUnavailable
from cinealert.hf import model_dir, pick_device, pick_dtype, quiet_transformers, read_config, require

#: The conditional-captioning prompt BLIP's authors use; BLIP continues it ("a photography of a flooded
#: street with cars"), and :func:`clean_caption` takes it off again.
DEFAULT_PROMPT = "a photography of"

#: Nonsense words BLIP is known to emit at the start of captions ("arafed", "araffe").
_ARTEFACTS = re.compile(r"\bara+f+e+d?\b\s*", re.I)
_SPACES = re.compile(r"\s+")
_SPACE_PUNCT = re.compile(r"\s+([,.;:!?])")


def clean_caption(text: str, prompt: str | None = DEFAULT_PROMPT) -> str:
    """A BLIP caption without the prompt it was asked to continue, BLIP's "arafed" artefacts, repeated
    spaces or a trailing full stop; lower case as BLIP writes it. May be empty."""
    text = _SPACES.sub(" ", str(text)).strip()
    if prompt:
        p = _SPACES.sub(" ", prompt).strip()
        if p and text.lower().startswith(p.lower()):
            text = text[len(p):].strip()
    text = _ARTEFACTS.sub("", text)
    text = _SPACE_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip(" .,;:")


class BlipCaptioner:
    """Captions images with a local BLIP captioning model.

    Args:
        model_dir: a Hugging Face BLIP captioning folder (config.json, weights, processor files).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; by default CUDA when available.
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"``; by default bfloat16 on CUDA, float32 on CPU.
        max_new_tokens: longest caption, in tokens.
        prompt: the text BLIP continues (conditional captioning); ``""`` for unconditional captions.
        batch_size: images per forward pass.

    Raises:
        BackendUnavailable: the folder is missing or is not a BLIP captioning model, or torch /
            transformers do not load.
    """

    def __init__(self, model_dir: str | Path, *, device: str | None = None, dtype: str | None = None,
                 max_new_tokens: int = 30, prompt: str = DEFAULT_PROMPT, batch_size: int = 8):
        folder = _model_dir(model_dir)
        config = read_config(folder)
        kind = config.get("model_type")
        if kind != "blip":
            raise BackendUnavailable(f"--captioner: {str(folder)!r} is not a BLIP captioning model "
                                     f"(its config.json says model_type {kind!r}, expected 'blip')")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.torch = require("torch", "the BLIP captioner")
        transformers = require("transformers", "the BLIP captioner")
        quiet_transformers()
        self.path = folder
        self.device = pick_device(device)
        self.dtype = pick_dtype(self.device, dtype)
        self.max_new_tokens = int(max_new_tokens)
        self.prompt = prompt or ""
        self.batch_size = int(batch_size)
        try:
            self.processor = transformers.BlipProcessor.from_pretrained(folder)
            model = transformers.BlipForConditionalGeneration.from_pretrained(folder, dtype=self.dtype)
        except (OSError, ValueError, KeyError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise BackendUnavailable(f"--captioner: cannot load the BLIP model in {str(folder)!r}: {first}") from None
        self.model = model.to(self.device).eval()

    @property
    def name(self) -> str:
        return f"BLIP ({self.path})"

    def describe(self) -> dict:
        """What the report says about the captioner."""
        return {"model": str(self.path), "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""),
                "prompt": self.prompt, "max_new_tokens": self.max_new_tokens}

    def caption(self, images: Sequence) -> list[str]:
        """One caption per image (RGB ``uint8`` arrays or PIL images), the prompt taken off
        (:func:`clean_caption`); in batches of ``batch_size``, greedy decoding."""
        out: list[str] = []
        for start in range(0, len(images), self.batch_size):
            out.extend(self._batch(images[start:start + self.batch_size]))
        return out

    def _batch(self, images: Iterable) -> list[str]:
        from PIL import Image

        pil = [im if isinstance(im, Image.Image) else Image.fromarray(np.asarray(im, np.uint8)) for im in images]
        pil = [im.convert("RGB") for im in pil]
        if self.prompt:
            inputs = self.processor(images=pil, text=[self.prompt] * len(pil), return_tensors="pt")
        else:
            inputs = self.processor(images=pil, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("pixel_values", "input_ids", "attention_mask")}
        inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)
        with self.torch.inference_mode():
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False, num_beams=1)
        texts = self.processor.batch_decode(ids, skip_special_tokens=True)
        return [clean_caption(t, self.prompt) for t in texts]


def _model_dir(path: str | Path) -> Path:
    return model_dir(path, "--captioner", files=("config.json",))
