"""Results as tables (Markdown, CSV, JSON) and one bar plot (PNG) per metric, drawn with Pillow."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

#: (key, column title, better) in table order.
IMAGE_COLUMNS = (("fid", "FID ↓", "low"), ("clip_score", "CLIP score ↑", "high"), ("lpips", "LPIPS ↓", "low"),
                 ("ssim", "SSIM ↑", "high"))
VIDEO_COLUMNS = (("loop_seam", "loop seam (≈1)", "low"), ("hole_ratio", "hole ratio ↓", "low"),
                 ("flicker", "flicker ↓", "low"), ("motion_ratio", "motion in/out ↑", "high"),
                 ("max_flashes_per_s", "flashes/s (≤3)", "low"), ("ssim_consistency", "frame SSIM ↑", "high"),
                 ("render_ms_per_frame", "render ms/frame", "low"))
MOTION_COLUMNS = (("rules_epe", "rules EPE ↓", "low"), ("rules_angle", "rules angle° ↓", "low"),
                  ("network_epe", "network EPE ↓", "low"), ("network_angle", "network angle° ↓", "low"),
                  ("transfer_epe", "transfer EPE ↓", "low"), ("transfer_angle", "transfer angle° ↓", "low"))


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def rows_of(result: dict, columns) -> tuple[list[str], list[list]]:
    """Header and rows: one per type (or clip) and ``overall`` last when present."""
    counts = [c for c in ("n_generated", "n_reference", "frames") if any(c in r for r in result["rows"].values())]
    header = ["name", *counts, *[title for _, title, _ in columns]]
    body = []
    items = list(result["rows"].items()) + ([("overall", result["overall"])] if result.get("overall") else [])
    for name, row in items:
        body.append([name, *[row.get(c) for c in counts], *[row.get(k) for k, _, _ in columns]])
    return header, body


def markdown(result: dict, columns) -> str:
    header, body = rows_of(result, columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in body]
    notes = [f"- {k}: unavailable ({v})" for k, v in result.get("unavailable", {}).items()]
    notes += [f"- {w}" for w in result.get("warnings", [])]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def csv_text(result: dict, columns) -> str:
    header, body = rows_of(result, columns)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in body:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def bar_plot(path: Path, title: str, labels: list[str], values: list[float | None], *, better: str) -> Path:
    """A horizontal bar chart PNG: one bar per label, its value written beside it ("n/a" for None)."""
    from PIL import Image, ImageDraw, ImageFont

    from cinealert.deliver.fonts import font_candidates

    rows = max(1, len(labels))
    w, h = 900, 70 + 34 * rows
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    fonts = font_candidates()
    font = ImageFont.truetype(str(fonts[0]), 18) if fonts else ImageFont.load_default()
    small = ImageFont.truetype(str(fonts[0]), 15) if fonts else font
    d.text((16, 14), f"{title} ({'lower' if better == 'low' else 'higher'} is better)", fill=(20, 20, 20), font=font)
    x0, x1 = 200, w - 110
    finite = [v for v in values if v is not None]
    top = max(finite) if finite else 1.0
    top = top if top > 0 else 1.0
    for i, (label, v) in enumerate(zip(labels, values)):
        y = 56 + 34 * i
        d.text((16, y + 3), label, fill=(40, 40, 40), font=small)
        if v is None:
            d.text((x0, y + 3), "n/a", fill=(130, 130, 130), font=small)
            continue
        length = int((x1 - x0) * max(v, 0) / top)
        colour = (30, 90, 200) if label != "overall" else (200, 16, 32)
        d.rectangle((x0, y + 4, x0 + max(length, 1), y + 26), fill=colour)
        d.text((x0 + length + 8, y + 5), _fmt(v), fill=(20, 20, 20), font=small)
    path = Path(path)
    img.save(path)
    return path


def write_all(result: dict, out_dir: Path, columns, *, stem: str) -> dict[str, Path]:
    """``stem.md``, ``stem.csv``, ``stem.json`` and one ``stem_<metric>.png`` per metric in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / f"{stem}.md", "csv": out_dir / f"{stem}.csv", "json": out_dir / f"{stem}.json"}
    paths["md"].write_text(markdown(result, columns), encoding="utf-8")
    paths["csv"].write_text(csv_text(result, columns), encoding="utf-8")
    paths["json"].write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    labels = list(result["rows"]) + (["overall"] if result.get("overall") else [])
    for key, title, better in columns:
        vals = [r.get(key) for r in result["rows"].values()] + ([result["overall"].get(key)] if result.get("overall") else [])
        if all(v is None for v in vals):
            continue
        paths[key] = bar_plot(out_dir / f"{stem}_{key}.png", title, labels, vals, better=better)
    return paths
