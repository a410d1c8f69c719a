"""Speech from a local VITS model folder (transformers ``VitsModel``): Meta's MMS-TTS checkpoints
(``facebook/mms-tts-kor``, ``-eng``, ``-fra``, ...) or any VITS saved with ``save_pretrained``.

The folder holds ``config.json`` (``model_type: vits``), the weights and the tokenizer (``vocab.json``,
``tokenizer_config.json``). An MMS model speaks one language, named in its tokenizer config (ISO 639-3:
``kor``, ``eng``); a model without one speaks any text whose letters its vocabulary covers. MMS models of
non-Latin scripts read romanised text (``is_uroman``), which needs the Python package ``uroman``. ``--voice N``
picks speaker ``N`` of a multi-speaker model. Synthesis is seeded, so the same text gives the same audio.
"""
from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import numpy as np

from cinealert import hf
from cinealert.errors import BackendUnavailable, InputError

#: BCP 47 base language → ISO 639-3, as MMS-TTS tokenizers name their language.
ISO639_3 = {"en": "eng", "ko": "kor", "fr": "fra", "es": "spa", "zh": "cmn", "ja": "jpn", "de": "deu",
            "it": "ita", "pt": "por", "ru": "rus", "ar": "ara", "vi": "vie", "th": "tha", "id": "ind",
            "hi": "hin", "tr": "tur", "nl": "nld", "pl": "pol", "uk": "ukr", "el": "ell", "he": "heb",
            "is": "isl", "sv": "swe", "fi": "fin", "da": "dan", "nb": "nob", "no": "nor", "cs": "ces",
            "ro": "ron", "hu": "hun", "tl": "tgl", "fil": "tgl", "ms": "zlm", "sw": "swh"}
#: Share of a text's letters the vocabulary must hold for a model without a named language to read it.
MIN_COVERAGE = 0.8


class VitsSpeech:
    """Narration backend ``vits``: a local VITS / MMS-TTS folder (``--tts DIR`` or ``--models DIR`` with
    ``tts/``)."""

    name = "vits"
    summary = "VITS / MMS-TTS neural speech from a local transformers folder (--tts DIR; --voice SPEAKER)"
    role = "tts"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        problem = hf.missing_package(("torch", "transformers"))
        if problem is not None:
            return False, problem
        return True, "torch and transformers are installed; needs a local VITS folder (--tts DIR)"

    @classmethod
    def accepts(cls, path: str | Path) -> str | None:
        p = Path(path).expanduser()
        if not p.is_dir():
            return f"{str(p)!r} is not a folder"
        mtype = hf.read_config(p).get("model_type")
        if mtype != "vits":
            return f"{str(p)!r} holds a {mtype or 'unknown'} model, not a VITS model (config.json model_type)"
        if not (p / "vocab.json").is_file():
            return f"{str(p)!r} has no vocab.json (the VITS tokenizer's vocabulary)"
        return None

    def __init__(self, path: str | Path, *, device: str | None = None, dtype: str | None = None,
                 seed: int = 0) -> None:
        folder = hf.model_dir(path, "--tts", files=("config.json",))
        why = self.accepts(folder)
        if why is not None:
            raise BackendUnavailable(f"--tts: {why}")
        torch = hf.require("torch", "the VITS narration backend")
        transformers = hf.require("transformers", "the VITS narration backend")
        hf.quiet_transformers()
        self.device = hf.pick_device(device)
        try:
            self.model = transformers.VitsModel.from_pretrained(str(folder), local_files_only=True).to(self.device)
            self.tokenizer = transformers.VitsTokenizer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as err:
            raise BackendUnavailable(f"--tts {folder}: cannot load the VITS model: {err}") from None
        self.model.eval()
        self.torch, self.folder, self.seed = torch, folder, int(seed)
        self.rate = int(self.model.config.sampling_rate)
        self.speakers = int(getattr(self.model.config, "num_speakers", 1) or 1)
        self.model_language = (getattr(self.tokenizer, "language", None) or "").lower() or None
        self._vocab = set(self.tokenizer.get_vocab())

    def voice_id(self, voice: str | None) -> int | None:
        """The speaker index for ``--voice`` (None: the model's only or first speaker)."""
        if voice in (None, ""):
            return None
        if self.speakers > 1 and str(voice).isdigit() and int(voice) < self.speakers:
            return int(voice)
        raise InputError(f"--voice {voice}: the VITS model in {str(self.folder)!r} has "
                         + (f"speakers 0 to {self.speakers - 1}" if self.speakers > 1 else "one speaker only "
                            "(leave out --voice)"))

    def language_id(self, language: str) -> str | None:
        base = (language or "").lower().replace("_", "-").split("-")[0]
        if self.model_language is not None:
            return self.model_language if ISO639_3.get(base, base) == self.model_language else None
        return base or None

    def cannot_speak(self, text: str, language: str) -> str | None:
        """Why this model cannot read ``text`` in ``language`` (one line), or None when it can."""
        if self.language_id(language) is None:
            return (f"the VITS model in {str(self.folder)!r} speaks {self.model_language!r}, not {language!r}")
        letters = [c for c in text if unicodedata.category(c).startswith("L")]
        if getattr(self.tokenizer, "is_uroman", False) and any(ord(c) > 0x24F for c in letters) \
                and importlib.util.find_spec("uroman") is None:
            return "the VITS model reads romanised text, which needs the Python package uroman"
        norm = self.tokenizer.normalize_text(text) if hasattr(self.tokenizer, "normalize_text") else text.lower()
        known = sum(c.lower() in self._vocab or c in self._vocab for c in norm if unicodedata.category(c)[0] == "L")
        if letters and known / len(letters) < MIN_COVERAGE:
            return (f"the VITS model's vocabulary holds {known} of the {len(letters)} letters of the "
                    f"{language!r} text")
        return None

    def synthesize(self, text: str, language: str, *, voice: str | None = None) -> tuple[np.ndarray, int]:
        why = self.cannot_speak(text, language)
        if why is not None:
            raise InputError(why)
        if getattr(self.tokenizer, "is_uroman", False) and importlib.util.find_spec("uroman") is not None:
            import uroman
            text = uroman.Uroman().romanize_string(text)
        torch = self.torch
        inputs = self.tokenizer(text, return_tensors="pt").to(self.device)
        if inputs["input_ids"].shape[-1] == 0:
            raise InputError(f"the VITS model's tokenizer keeps nothing of the {language!r} text")
        speaker = self.voice_id(voice)
        extra = {"speaker_id": speaker} if speaker is not None else {}
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []), torch.no_grad():
            torch.manual_seed(self.seed)
            wave = self.model(**inputs, **extra).waveform[0]
        return wave.float().cpu().numpy().astype(np.float32), self.rate
