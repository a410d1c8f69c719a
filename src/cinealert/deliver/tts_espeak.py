"""Speech from eSpeak NG (Debian package ``espeak-ng``), run as a subprocess.

eSpeak NG speaks about a hundred languages with formant synthesis: robotic, but clear, small and quick, and it
needs no model. The alert's BCP 47 language (``ko-KR``, ``en-US``, ``fr``) is matched to one of its voices
(exact, base language, then the first regional voice of that language); ``--voice`` picks one of its voice
variants (``espeak-ng --voices=variant``: ``f3``, ``klatt``, ``Alicia``, ...). The executable is
``espeak-ng`` on ``PATH``, or the file ``$CINEALERT_ESPEAK`` names.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import wave
from functools import lru_cache

import numpy as np

from cinealert.errors import BackendUnavailable, InputError

ENV_EXE = "CINEALERT_ESPEAK"
#: Words per minute: a little slower than eSpeak's 175, as alert readers speak.
RATE_WPM = 155
#: The voice a bare language code gets where eSpeak has only regional ones.
_PREFERRED = {"en": "en-us", "fr": "fr-fr", "zh": "cmn", "pt": "pt", "es": "es", "vi": "vi"}


def executable() -> str:
    """The eSpeak NG program; a one-line error naming the package when there is none."""
    exe = os.environ.get(ENV_EXE) or shutil.which("espeak-ng")
    if not exe or not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        where = f"${ENV_EXE}={os.environ[ENV_EXE]!r} is not an executable" if os.environ.get(ENV_EXE) \
            else "espeak-ng is not on PATH"
        raise BackendUnavailable(f"narration needs eSpeak NG: {where}; install the Debian package espeak-ng "
                                 "(apt-get install espeak-ng), or use --tts DIR with a VITS model")
    return exe


@lru_cache(maxsize=4)
def _listing(exe: str, what: str) -> str:
    res = subprocess.run([exe, f"--voices={what}" if what else "--voices"], capture_output=True, text=True,
                         timeout=30)
    if res.returncode != 0:
        raise BackendUnavailable(f"{exe} --voices failed: {res.stderr.strip() or res.returncode}")
    return res.stdout


def languages(exe: str) -> dict[str, str]:
    """Every language code eSpeak NG answers to (its voices' own and their other names) → its voice."""
    out: dict[str, str] = {}
    for line in _listing(exe, "").splitlines()[1:]:
        cols = line.split()
        if len(cols) < 5:
            continue
        out.setdefault(cols[1].lower(), cols[1])
        for alias in re.findall(r"\(([\w-]+) \d+\)", line):
            out.setdefault(alias.lower(), cols[1])
    return out


def variants(exe: str) -> dict[str, str]:
    """Voice variants: lower-cased name (the file name and the display name) → the name eSpeak takes."""
    out: dict[str, str] = {}
    for line in _listing(exe, "variant").splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5 and cols[4].startswith("!v/"):
            name = cols[4][3:]
            out[name.lower()] = name
            out.setdefault(cols[3].lower(), name)
    return out


class EspeakSpeech:
    """Narration backend ``espeak``: ``synthesize(text, language)`` → (mono float32 samples, sample rate)."""

    name = "espeak"
    summary = "eSpeak NG formant speech, about 100 languages (Debian package espeak-ng; --voice VARIANT)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        try:
            exe = executable()
            _listing(exe, "")
        except (BackendUnavailable, OSError, subprocess.SubprocessError) as err:
            return False, str(err)
        return True, f"built in ({exe})"

    def __init__(self) -> None:
        self.exe = executable()

    def voice_id(self, voice: str | None) -> str | None:
        """The variant eSpeak takes for ``--voice`` (None: its default); unknown ones are the user's mistake."""
        if voice in (None, ""):
            return None
        known = variants(self.exe)
        found = known.get(str(voice).lower())
        if found is None:
            names = sorted({v for v in known.values()}, key=str.lower)
            raise InputError(f"--voice {voice}: eSpeak NG has no such voice variant; choose one of "
                             f"{', '.join(names[:12])}, ... ({len(names)} in all: espeak-ng --voices=variant)")
        return found

    def language_id(self, language: str) -> str | None:
        """eSpeak's voice for a BCP 47 language, or None when it cannot speak it."""
        known = languages(self.exe)
        code = (language or "").strip().lower().replace("_", "-")
        base = code.split("-")[0]
        for cand in (code, _PREFERRED.get(code), base, _PREFERRED.get(base)):
            if cand and cand in known:
                return known[cand]
        regional = sorted(k for k in known if k.startswith(base + "-")) if base else []
        return known[regional[0]] if regional else None

    def cannot_speak(self, text: str, language: str) -> str | None:
        """Why eSpeak NG cannot speak ``language`` (one line), or None when it can."""
        if self.language_id(language) is None:
            return f"eSpeak NG has no voice for language {language!r} (see espeak-ng --voices)"
        return None

    def synthesize(self, text: str, language: str, *, voice: str | None = None) -> tuple[np.ndarray, int]:
        lang = self.language_id(language)
        if lang is None:
            raise InputError(f"eSpeak NG cannot speak language {language!r}")
        variant = self.voice_id(voice)
        cmd = [self.exe, "-v", lang + (f"+{variant}" if variant else ""), "-s", str(RATE_WPM), "-b", "1",
               "--stdout"]
        res = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=120)
        if res.returncode != 0 or not res.stdout:
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"espeak-ng could not speak {language!r}: {msg[-1] if msg else res.returncode}")
        return read_wav(res.stdout)


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV bytes (as eSpeak writes them to a pipe: the sizes may be left unset) → mono float32."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, rate, channels, bits = 12, None, 1, 16
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag == b"fmt ":
            channels = int.from_bytes(data[pos + 10:pos + 12], "little")
            rate = int.from_bytes(data[pos + 12:pos + 16], "little")
            bits = int.from_bytes(data[pos + 22:pos + 24], "little")
        elif tag == b"data":
            body = data[pos + 8:] if size in (0, 0xFFFFFFFF) or pos + 8 + size > len(data) else \
                data[pos + 8:pos + 8 + size]
            if bits != 16 or rate is None:
                with wave.open(io.BytesIO(data)) as w:          # anything unusual: let the wave module read it
                    return _pcm16(w.readframes(w.getnframes()), w.getnchannels()), w.getframerate()
            return _pcm16(body, channels), rate
        pos += 8 + size + (size & 1)
    raise ValueError("a WAV file without a data chunk")


def _pcm16(body: bytes, channels: int) -> np.ndarray:
    x = np.frombuffer(body[: len(body) - len(body) % (2 * channels)], "<i2").astype(np.float32) / 32768.0
    return x.reshape(-1, channels).mean(axis=1) if channels > 1 else x
