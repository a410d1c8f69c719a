"""The benchmark suite: every stage's cost against the amount of work, in one report.

Runs `cinealert make` (the demo alert) in a fresh process for every size × loop length, each stage timed,
with peak memory; then the renderer alone (bench_render) and the prompt writer (bench_prompts, template).
Writes a Markdown table, the raw JSON and a plot of seconds against megapixel-frames (pixels × frames),
so cost growth with the work is visible. Model benchmarks (bench_models.py) are separate: they take
minutes and gigabytes.

    python bench/run_all.py                                  # 3 sizes x 3 loop lengths, into bench/results/
    python bench/run_all.py --sizes 512x288,1024x576 --seconds 1,3 --out /tmp/suite
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("alert", "metadata", "image", "scene", "motion", "layers", "render_encode", "metrics")


def run_make(size: str, seconds: float, fps: float, input_value: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(ROOT / "bench" / "bench_make.py"), "--one", input_value, size, tmp,
               "--seconds", str(seconds), "--fps", str(fps)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def plot(path: Path, points: list[dict]) -> None:
    """Seconds against megapixel-frames, one colour per size, labelled by loop length."""
    from PIL import Image, ImageDraw, ImageFont

    sys.path.insert(0, str(ROOT / "src"))
    from cinealert.deliver.fonts import font_candidates

    fonts = font_candidates()
    font = ImageFont.truetype(str(fonts[0]), 15) if fonts else ImageFont.load_default()
    w, h, m = 900, 560, 70
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    xs = [p["mpx_frames"] for p in points]
    ys = [p["total_s"] for p in points]
    xmax, ymax = max(xs) * 1.08, max(ys) * 1.12
    X = lambda v: m + (w - 2 * m) * v / xmax                     # noqa: E731
    Y = lambda v: h - m - (h - 2 * m) * v / ymax                 # noqa: E731
    d.line((m, h - m, w - m, h - m), fill="black")
    d.line((m, m, m, h - m), fill="black")
    d.text((m, 20), "cinealert make: total seconds against megapixel-frames (2-core CPU)", fill="black", font=font)
    d.text((w - m - 200, h - m + 30), "megapixels x frames", fill="black", font=font)
    d.text((8, m - 30), "seconds", fill="black", font=font)
    for k in range(5):
        v = ymax * k / 4
        d.text((8, Y(v) - 8), f"{v:.0f}", fill="gray", font=font)
        d.line((m, Y(v), w - m, Y(v)), fill=(230, 230, 230))
        xv = xmax * k / 4
        d.text((X(xv) - 10, h - m + 6), f"{xv:.0f}", fill="gray", font=font)
    colours = [(30, 90, 200), (200, 16, 32), (20, 140, 60), (235, 120, 20)]
    for i, size in enumerate(dict.fromkeys(p["size"] for p in points)):
        pts = sorted((p for p in points if p["size"] == size), key=lambda p: p["mpx_frames"])
        c = colours[i % len(colours)]
        d.line([(X(p["mpx_frames"]), Y(p["total_s"])) for p in pts], fill=c, width=2)
        for p in pts:
            x, y = X(p["mpx_frames"]), Y(p["total_s"])
            d.ellipse((x - 5, y - 5, x + 5, y + 5), fill=c)
            d.text((x + 7, y - 20), f"{p['seconds']:g} s", fill=c, font=font)
        d.text((w - m - 140, m + 22 * i), size, fill=c, font=font)
    img.save(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="512x288,1024x576,1920x1080")
    ap.add_argument("--seconds", default="1,3,6", help="loop lengths in seconds (default 1,3,6)")
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--input", default=str(ROOT / "src/cinealert/examples/kr_heavy_rain_advisory.xml"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for suite.md/json/png")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    points = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        for sec in (float(s) for s in args.seconds.split(",")):
            r = run_make(size, sec, args.fps, args.input)
            points.append({"size": size, "seconds": sec, "frames": r["frames"],
                           "mpx_frames": round(w * h * r["frames"] / 1e6, 2), "total_s": round(r["wall"], 3),
                           "peak_mb": round(r["peak_mb"]), "stages": r["timings"],
                           "render_ms_per_frame": r["metrics"].get("render_ms_per_frame")})
            print(f"  make {size} {sec:g} s: {r['wall']:.2f} s", file=sys.stderr)
    render = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_render.py"), "--sizes", args.sizes,
                             "--types", "flood", "--repeat", "1"], capture_output=True, text=True, check=True).stdout
    prompts = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_prompts.py"), "--seeds", "5",
                              "--lang", "en"], capture_output=True, text=True, check=True).stdout

    lines = [f"# cinealert benchmark suite", "", f"input: {Path(args.input).name}; {args.fps:g} fps; one run each", "",
             "| size | s | frames | Mpx·frames | " + " | ".join(STAGES) + " | total s | s per Mpx·frame | peak MB | render ms/frame |",
             "|" + "---|" * (len(STAGES) + 8)]
    for p in points:
        st = p["stages"]
        lines.append(f"| {p['size']} | {p['seconds']:g} | {p['frames']} | {p['mpx_frames']} | "
                     + " | ".join(f"{st.get(s, 0):.2f}" for s in STAGES)
                     + f" | {p['total_s']:.2f} | {p['total_s'] / p['mpx_frames']:.3f} | {p['peak_mb']} | "
                     f"{p['render_ms_per_frame']} |")
    lines += ["", "## Renderer alone (bench_render.py, flood, circle camera)", "", render.strip(), "",
              "## Prompt writer (bench_prompts.py, template, English, 5 seeds)", "", prompts.strip(), ""]
    (out / "suite.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "suite.json").write_text(json.dumps({"make": points}, indent=2) + "\n", encoding="utf-8")
    plot(out / "suite_time.png", points)
    print("\n".join(lines))
    print(f"\nwritten: {out / 'suite.md'}, {out / 'suite.json'}, {out / 'suite_time.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
