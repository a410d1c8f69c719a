"""Narration: the alert read aloud in its language(s), at broadcast loudness, captioned, under the card.

1. Script  — the card's own text (:func:`cinealert.deliver.card.card_text`): event and level, area, what to
   do, the time. Every ``<info>`` block's language is spoken, the one the card shows first, then the others
   in document order; a language the backend cannot speak is left out with a warning (an error when none is
   left).
2. Speech  — one sentence at a time through a narration backend (``espeak`` built in, ``vits`` from a local
   model folder), the silence around each trimmed, laid end to end with short pauses; resampled to 48 kHz.
3. Loudness — EBU R128 / ITU-R BS.1770 as ffmpeg's ``ebur128`` filter measures it: a gain to the target
   (−23 LUFS broadcast, −16 LUFS mobile and web) and a true-peak limiter (4× oversampled) under −1 dBTP;
   measured again on the encoded files, and the ceiling lowered if an encoder pushed a peak over.
4. Files   — ``narration.m4a`` (AAC), ``narration.ogg`` (Opus) and ``captions.vtt`` (one cue per sentence,
   end to end, covering the narration).
5. Video   — the card video (and the broadcast MP4) looped whole until it lasts as long as the speech, with
   the narration as its audio track, padded with silence to exactly the video's length.
"""
from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from cinealert.deliver.captions import Cue, cues_end_to_end, to_webvtt
from cinealert.deliver.encode import ffmpeg_exe, frame_rate, write_atomic
from cinealert.errors import InputError

RATE = 48_000
#: Integrated loudness targets (LUFS): EBU R128 for broadcast, the streaming/mobile norm otherwise.
TARGET_BROADCAST, TARGET_DEFAULT = -23.0, -16.0
#: The highest true peak allowed in a written file (dBTP), and the limiter's first ceiling below it.
TRUE_PEAK_MAX, CEILING = -1.0, -2.0
#: Silence (seconds): before the first sentence, between sentences, between languages, after the last.
LEAD, PAUSE, LANGUAGE_PAUSE, TAIL = 0.2, 0.35, 0.8, 0.5
#: Files, by the names the pipeline and report use.
FILES = {"narration": "narration.m4a", "narration_ogg": "narration.ogg", "captions": "captions.vtt"}


# ---------------------------------------------------------------------------------------------- 1. script
@dataclass
class NarrationPlan:
    """What will be said: ``parts`` is (language, sentences) in speaking order."""

    backend: object
    voice: str | None
    parts: list[tuple[str, list[str]]]
    warnings: list[str] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        return [lang for lang, _ in self.parts]


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (not at a date's or a number's dot), each ending in a full stop."""
    text = " ".join((text or "").split())
    parts = re.split(r"(?<=[.!?。！？])(?<!\d\.)\s+(?=\S)", text) if text else []
    out = []
    for p in (p.strip(" ,;") for p in parts):
        if p:
            out.append(p if p[-1] in ".!?。！？…" else p + ("。" if _cjk(p[-1]) else "."))
    return out


def _cjk(ch: str) -> bool:
    return 0x2E80 <= ord(ch) <= 0x9FFF or 0xF900 <= ord(ch) <= 0xFAFF


def script(alert, disaster) -> list[tuple[str, list[str]]]:
    """(language, sentences) per language of the alert, the card's language first; the wording is the card's."""
    from cinealert.deliver.card import card_text, shorten

    infos = list(getattr(alert, "infos", None) or [])
    order = [alert.info_index] + [i for i in range(len(infos)) if i != alert.info_index] if infos else [None]
    out: list[tuple[str, list[str]]] = []
    for index in order:
        one = dataclasses.replace(alert, info_index=index) if index is not None else alert
        text = card_text(one, disaster, second_language=None)
        language = (one.language if one is not None and one.language else text.language) or "en"
        if any(_base(language) == _base(seen) for seen, _ in out):
            continue                                   # two blocks of one language: it is said once
        said = sentences(text.title) + sentences(shorten(text.area, 160)) + sentences(text.action) \
            + sentences(text.time)
        if said:
            out.append((language, said))
    return out


def _base(language: str) -> str:
    return (language or "").lower().replace("_", "-").split("-")[0]


def plan_narration(alert, disaster, backend, *, voice: str | None = None) -> NarrationPlan:
    """Check before anything is rendered that ``backend`` can say the alert: the voice exists and at least
    one of the alert's languages can be spoken (the others become warnings)."""
    backend.voice_id(voice)
    parts, warnings, problems = [], [], []
    for language, said in script(alert, disaster):
        why = backend.cannot_speak(" ".join(said), language)
        if why is None:
            parts.append((language, said))
        else:
            problems.append(why)
    if not parts:
        raise InputError(f"narration: {problems[0]}" if len(problems) == 1 else
                         f"narration: no language of the alert can be spoken ({'; '.join(problems)})")
    warnings += [f"narration: {why}; the other languages are spoken" for why in problems]
    return NarrationPlan(backend=backend, voice=voice, parts=parts, warnings=warnings)


# ---------------------------------------------------------------------------------------------- 2. speech
def trim(x: np.ndarray, rate: int, *, floor_db: float = -45.0, margin_s: float = 0.02) -> np.ndarray:
    """``x`` without the silence before and after the speech (quieter than ``floor_db`` below its peak)."""
    if x.size == 0:
        return x
    level = np.abs(x)
    loud = np.flatnonzero(level > level.max() * 10 ** (floor_db / 20))
    if loud.size == 0:
        return x[:0]
    m = int(margin_s * rate)
    return x[max(0, loud[0] - m): loud[-1] + m + 1]


def speak(plan: NarrationPlan) -> tuple[np.ndarray, list[Cue]]:
    """The whole narration at 48 kHz (mono float32) and one cue per sentence."""
    pieces: list[np.ndarray] = []
    starts: list[float] = []
    texts, langs = [], []
    rate = None
    clock = 0
    for k, (language, said) in enumerate(plan.parts):
        for j, text in enumerate(said):
            x, sr = plan.backend.synthesize(text, language, voice=plan.voice)
            x = np.asarray(x, np.float32).reshape(-1)
            if rate is None:
                rate = sr
                pieces.append(np.zeros(int(LEAD * rate), np.float32))
                clock = pieces[-1].size
            elif sr != rate:
                x = resample(x, sr, rate)
            x = trim(x, rate)
            if x.size == 0:
                continue
            if starts:
                gap = np.zeros(int((LANGUAGE_PAUSE if j == 0 else PAUSE) * rate), np.float32)
                pieces.append(gap)
                clock += gap.size
            starts.append(clock / rate)
            texts.append(text)
            langs.append(language)
            pieces.append(x)
            clock += x.size
    if not texts:
        raise InputError(f"narration: the {getattr(plan.backend, 'name', '')} backend made no sound for the alert")
    pieces.append(np.zeros(int(TAIL * rate), np.float32))
    speech = resample(np.concatenate(pieces), rate, RATE)
    total = speech.size / RATE
    starts[0] = 0.0                                   # the first cue opens with the narration
    return speech, cues_end_to_end(starts, texts, total, langs)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """``x`` from ``src`` Hz to ``dst`` Hz with ffmpeg's resampler (the length scales exactly)."""
    if src == dst:
        return np.asarray(x, np.float32)
    out = _ffmpeg_pcm(["-f", "f32le", "-ar", str(src), "-ac", "1", "-i", "-", "-af", f"aresample={dst}",
                       "-f", "f32le", "-ac", "1", "-"], np.asarray(x, np.float32).tobytes())
    y = np.frombuffer(out, np.float32)
    n = int(round(x.size * dst / src))
    return np.pad(y, (0, max(0, n - y.size)))[:n].astype(np.float32)


def _ffmpeg_pcm(args: list[str], data: bytes | None = None) -> bytes:
    res = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                          *(["-nostdin"] if data is None else []), *args], input=data, capture_output=True, timeout=600)
    if res.returncode != 0:
        msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"ffmpeg failed: {msg[-1] if msg else res.returncode}")
    return res.stdout


# -------------------------------------------------------------------------------------------- 3. loudness
def loudness(source: np.ndarray | Path) -> dict:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) by ffmpeg's EBU R128 meter, of
    48 kHz mono samples or of a file."""
    if isinstance(source, (str, Path)):
        inputs, data = ["-i", str(source)], None
    else:
        inputs = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-"]
        data = np.asarray(source, np.float32).tobytes()
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", *(["-nostdin"] if data is None else []), *inputs, "-map", "0:a:0",
           "-af", "ebur128=peak=true", "-f", "null", "-"]
    res = subprocess.run(cmd, input=data, capture_output=True, timeout=600)
    text = res.stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:"):] if "Summary:" in text else ""
    if res.returncode != 0 or not summary:
        raise RuntimeError(f"ffmpeg could not measure the loudness: {text.strip().splitlines()[-1:]}")

    def value(pattern: str) -> float:
        m = re.search(pattern, summary, re.S)
        return float(m.group(1)) if m and m.group(1) not in ("nan", "-inf", "inf") else float("-inf")
    return {"integrated_lufs": value(r"I:\s+(-?[\d.]+|-?inf|nan) LUFS"),
            "range_lu": value(r"LRA:\s+(-?[\d.]+|-?inf|nan) LU"),
            "true_peak_dbtp": value(r"True peak:\s+Peak:\s+(-?[\d.]+|-?inf|nan) dBFS")}


def true_peaks(x: np.ndarray, over: int = 4) -> np.ndarray:
    """Per sample, the largest magnitude of the signal reconstructed ``over`` times finer (band-limited
    interpolation by FFT), as a true-peak meter sees it."""
    n = x.size
    if n == 0:
        return x.copy()
    size = _fast_length(n)                    # zero-padded to a length the FFT handles quickly
    spec = np.fft.rfft(x.astype(np.float64), size)
    fine = np.fft.irfft(spec, size * over)[: n * over] * over
    return np.abs(fine).reshape(n, over).max(axis=1).astype(np.float32)


def _fast_length(n: int) -> int:
    """The smallest length ≥ ``n`` whose prime factors are 2, 3 and 5."""
    best, p5 = 1 << max(0, (n - 1).bit_length()), 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            k = p35
            while k < n:
                k *= 2
            best = min(best, k)
            p35 *= 3
        p5 *= 5
    return best


def _running_min(a: np.ndarray, k: int) -> np.ndarray:
    """The minimum of ``a`` over a window of ``k`` samples centred on each sample (van Herk / Gil-Werman)."""
    n, half = a.size, k // 2
    padded = np.pad(a, (half, half + (-(a.size + 2 * half)) % k), constant_values=1.0)
    blocks = padded.reshape(-1, k)
    fwd = np.minimum.accumulate(blocks, axis=1).ravel()
    bwd = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    m = padded.size - k + 1
    return np.minimum(bwd[:m], fwd[k - 1:k - 1 + m])[:n]


def limit(x: np.ndarray, ceiling_db: float, *, rate: int = RATE, window_s: float = 0.005) -> np.ndarray:
    """A look-ahead true-peak limiter: the gain dips smoothly (over ``window_s``) wherever a true peak would
    pass ``ceiling_db`` dBTP, and stays 1 elsewhere."""
    ceiling = 10 ** (ceiling_db / 20)
    need = np.minimum(1.0, ceiling / np.maximum(true_peaks(x), 1e-12)).astype(np.float64)
    if need.min() >= 1.0:
        return x
    k = max(3, int(window_s * rate) | 1)
    held = _running_min(need, 2 * k + 1)             # every sample within k of a peak is held low
    c = np.concatenate([[0.0], np.cumsum(held)])
    half = k // 2
    idx = np.arange(x.size)
    lo, hi = np.clip(idx - half, 0, x.size), np.clip(idx + half + 1, 0, x.size)
    gain = (c[hi] - c[lo]) / (hi - lo)                 # a box average of the held gain: smooth and ≤ need
    return (x * gain).astype(np.float32)


def normalise(x: np.ndarray, target: float, ceiling_db: float = CEILING, rounds: int = 4) -> tuple[np.ndarray, dict]:
    """``x`` at ``target`` LUFS integrated with true peaks under ``ceiling_db``; the last measurement."""
    y = np.asarray(x, np.float32)
    for _ in range(rounds):
        m = loudness(y)
        if not math.isfinite(m["integrated_lufs"]):
            raise InputError("narration: the speech is silent (no loudness to measure)")
        off = target - m["integrated_lufs"]
        if abs(off) < 0.3 and m["true_peak_dbtp"] <= ceiling_db + 0.1:
            return y, m
        y = limit(y * np.float32(10 ** (off / 20)), ceiling_db)
    return y, loudness(y)


# ------------------------------------------------------------------------------------------------ 4. files
def encode(x: np.ndarray, path: Path, codec: str) -> Path:
    """Write 48 kHz mono samples as AAC in MP4 (``aac``) or Opus in Ogg (``opus``), atomically."""
    args = {"aac": ["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-f", "mp4"],
            "opus": ["-c:a", "libopus", "-b:a", "48k", "-f", "ogg"]}[codec]
    part = path.with_name(path.name + ".part")
    _ffmpeg_pcm(["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-", *args, str(part)],
                np.asarray(x, np.float32).tobytes())
    part.replace(path)
    return path


def decoded_samples(path: Path, stream: str = "0:a:0") -> np.ndarray:
    """The decoded audio of a file at 48 kHz mono (for measuring what a player hears)."""
    return np.frombuffer(_ffmpeg_pcm(["-i", str(path), "-map", stream, "-f", "f32le", "-ar", str(RATE), "-ac", "1",
                                      "-"]), np.float32)


# ------------------------------------------------------------------------------------------------ 5. video
def add_audio(video: Path, speech: np.ndarray, *, fps: float, loop_frames: int, burn: dict | None = None) -> dict:
    """Loop ``video`` (a loop of ``loop_frames`` frames) whole until it lasts as long as ``speech`` and lay
    the speech under it, padded with silence to the video's exact length; the file is replaced.

    ``burn`` (``cues``, ``language``, ``bottom``) also draws the captions into the frames (:func:`burn_in`); the
    looped frames are then encoded again, otherwise the loop is copied as it is."""
    rate = Fraction(frame_rate(fps))
    loop_s = Fraction(loop_frames) / rate
    speech_s = Fraction(speech.size, RATE)
    loops = max(1, math.ceil(speech_s / loop_s))
    video_s = loops * loop_s
    n = int(round(video_s * RATE))
    audio = np.zeros(n, np.float32)
    audio[:min(n, speech.size)] = speech[:n]
    source, repeat, burned = video, loops - 1, None
    if burn is not None:
        source = video.with_name(video.name + ".burn.part")
        burned = burn_in(video, source, fps=fps, loops=loops, **burn)
        repeat = 0
    part = video.with_name(video.name + ".audio.part")
    try:
        _ffmpeg_pcm(["-stream_loop", str(repeat), "-i", str(source), "-f", "f32le", "-ar", str(RATE), "-ac", "1",
                     "-i", "-", "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k",
                     "-movflags", "+faststart", "-f", "mp4", str(part)], audio.tobytes())
    finally:
        if source != video:
            source.unlink(missing_ok=True)
    part.replace(video)
    out = {"loops": loops, "frames": loops * loop_frames, "video_s": round(float(video_s), 4),
           "audio_s": round(n / RATE, 4)}
    if burned is not None:
        out["burned_captions"] = burned
    return out


def burn_in(video: Path, out: Path, *, fps: float, loops: int, cues: list[Cue], language: str,
            bottom: int | None = None) -> dict:
    """The hook of ``--burn-captions``: ``video`` looped ``loops`` times with each cue drawn into the frames of
    its time by ``cinealert.deliver.burnin.burn_into_frames`` (the accessibility part of the project: the caption
    box above ``bottom``, the card panel's top), encoded to ``out`` (H.264, no audio)."""
    try:
        from cinealert.deliver.burnin import burn_into_frames
    except ImportError:
        raise InputError("--burn-captions needs cinealert.deliver.burnin, which is not in this build") from None
    from cinealert.deliver.encode import mp4_writer, probe_video

    p = probe_video(video)
    w, h = p["width"], p["height"]
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-stream_loop", str(loops - 1),
           "-i", str(video), "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    reader = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def frames():
        size = w * h * 3
        while True:
            buf = reader.stdout.read(size)
            if len(buf) < size:
                return
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)

    writer = mp4_writer(out, width=w, height=h, fps=fps)
    count = 0
    try:
        for frame in burn_into_frames(frames(), cues, fps, language, bottom=bottom):
            writer.write(np.ascontiguousarray(frame))
            count += 1
        writer.close()
    except BaseException:
        writer.abort()
        out.unlink(missing_ok=True)
        raise
    finally:
        reader.stdout.close()
        reader.wait()
    return {"frames": count, "cues": len(cues), "bottom": bottom}


# ------------------------------------------------------------------------------------------------- the job
def check_options(opts, root=None):
    """Check the narration options of a job (``formats``, ``tts``, ``voice``, ``loudness``, ``burn_captions`` of
    :class:`cinealert.pipeline.Options`) before anything runs; the registry's choice for ``--tts``, or None when
    ``narration`` is not among the formats."""
    from cinealert import registry

    given = [f for f, v in (("--tts", opts.tts), ("--voice", opts.voice), ("--loudness", opts.loudness),
                            ("--burn-captions", opts.burn_captions or None)) if v is not None]
    if "narration" not in opts.formats:
        if given:
            raise InputError(f"{', '.join(given)} need narration in --formats (or --preset broadcast / mobile)")
        return None
    if opts.loudness is not None and not -40 <= opts.loudness <= -5:
        raise InputError(f"--loudness must be between -40 and -5 LUFS, got {opts.loudness:g}.")
    if opts.burn_captions:
        import importlib.util
        if importlib.util.find_spec("cinealert.deliver.burnin") is None:
            raise InputError("--burn-captions needs cinealert.deliver.burnin, which is not in this build")
        if "card" not in opts.formats:
            raise InputError("--burn-captions draws the captions into card.mp4: add card to --formats")
    return registry.resolve("narration", opts.tts, root=root, flag="--tts")


def plan_for(opts, alert, disaster) -> NarrationPlan | None:
    """The job's narration plan (None without ``narration`` in its formats), checked before rendering."""
    if "narration" not in opts.formats:
        return None
    backend, _ = opts.backend("narration", "espeak")
    return plan_narration(alert, disaster, backend, voice=opts.voice)


def deliver(plan: NarrationPlan, opts, out_dir: Path, paths: dict, *, card=None) -> tuple[dict, dict, list[str]]:
    """:func:`narrate` for a job: −23 LUFS for the broadcast preset (else −16, or ``opts.loudness``), the speech
    under ``card.mp4`` and, for broadcast, ``cinemagraph.mp4`` (``paths``: the media written so far)."""
    target = opts.loudness if opts.loudness is not None else (
        TARGET_BROADCAST if opts.preset == "broadcast" else TARGET_DEFAULT)
    names = ("card", "mp4") if opts.preset == "broadcast" else ("card",)
    return narrate(plan, out_dir, target_lufs=target, videos={k: paths[k] for k in names if k in paths},
                   fps=opts.fps, loop_frames=opts.frames, burn_captions=opts.burn_captions,
                   caption_bottom=card.layout.panel[1] if card is not None else None)


def narrate(plan: NarrationPlan, out_dir: Path, *, target_lufs: float, videos: dict[str, Path] | None = None,
            fps: float = 24.0, loop_frames: int = 0, burn_captions: bool = False,
            caption_bottom: int | None = None) -> tuple[dict, dict, list[str]]:
    """Speak ``plan``, normalise it, write narration.m4a, narration.ogg and captions.vtt in ``out_dir``, and
    lay the narration under ``videos`` (name → file, looped as needed). ``burn_captions`` also draws the
    captions into the card video's frames, above ``caption_bottom`` (the card panel's top row).

    Returns (files written: name → path, the report, warnings)."""
    t0 = time.perf_counter()
    speech, cues = speak(plan)
    synth_s = time.perf_counter() - t0
    out_dir = Path(out_dir)
    paths = {k: out_dir / v for k, v in FILES.items()}
    ceiling = CEILING
    for attempt in range(3):
        if attempt:
            ceiling -= worst - TRUE_PEAK_MAX + 0.3      # an encoder pushed a peak over: limit lower and again
        level, measured = normalise(speech, target_lufs, ceiling)
        encode(level, paths["narration"], "aac")
        encode(level, paths["narration_ogg"], "opus")
        files = {k: loudness(paths[k]) for k in ("narration", "narration_ogg")}
        worst = max(f["true_peak_dbtp"] for f in files.values())
        if worst <= TRUE_PEAK_MAX:
            break
    langs = ", ".join(_base(lang) for lang in plan.languages)
    note = f"narration of the alert in {langs}; one cue per spoken sentence"
    write_atomic(paths["captions"], to_webvtt(cues, note=note))
    warnings = list(plan.warnings)
    if worst > TRUE_PEAK_MAX:
        warnings.append(f"narration: the true peak stays at {worst:.1f} dBTP, above {TRUE_PEAK_MAX:g}")
    on_video = {}
    for name, video in (videos or {}).items():
        burn = {"cues": cues, "language": plan.languages[0], "bottom": caption_bottom} \
            if burn_captions and name == "card" else None
        on_video[name] = add_audio(Path(video), level, fps=fps, loop_frames=loop_frames, burn=burn)
    backend = plan.backend
    report = {
        "backend": backend.name,
        "voice": plan.voice or "default",
        "model": str(getattr(backend, "folder", "")) or None,
        "language": plan.languages[0],
        "languages": plan.languages,
        "voices": {lang: backend.language_id(lang) for lang in plan.languages},
        "sentences": len(cues),
        "duration_s": round(speech.size / RATE, 3),
        "target_lufs": target_lufs,
        "loudness_lufs": round(files["narration"]["integrated_lufs"], 2),
        "true_peak_dbtp": round(files["narration"]["true_peak_dbtp"], 2),
        "loudness_range_lu": round(files["narration"]["range_lu"], 2),
        "ogg": {"loudness_lufs": round(files["narration_ogg"]["integrated_lufs"], 2),
                "true_peak_dbtp": round(files["narration_ogg"]["true_peak_dbtp"], 2)},
        "before_encoding": {k: round(v, 2) for k, v in measured.items()},
        "limiter_ceiling_dbtp": round(ceiling, 2),
        "synthesis_s": round(synth_s, 3),
        "captions": {"cues": len(cues), "languages": list(dict.fromkeys(c.language for c in cues))},
        "videos": on_video,
        "files": {"m4a": paths["narration"].name, "ogg": paths["narration_ogg"].name,
                  "vtt": paths["captions"].name},
    }
    return paths, report, warnings
