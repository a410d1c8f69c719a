"""A generation sweep: N images per disaster type with one configuration, in the evaluation layout.

``cinealert evaluate sweep -o DIR`` writes ``DIR/<type>/<type>_<i>.png`` with a sidecar ``.json`` each
(prompt, negative prompt, seed, backends, metadata), so that ``cinealert evaluate --generated DIR`` can
score it, CLIP score included. The paper's comparison is one command per arm:

    cinealert evaluate sweep -o runs/keyword  --t2i models/sd15 --prompt keyword    # SD with the bare keyword
    cinealert evaluate sweep -o runs/template --t2i models/sd15 --prompt metadata   # with our metadata
    cinealert evaluate sweep -o runs/llm      --t2i models/sd15 --llm models/llama --adapter out/lora
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cinealert.errors import InputError

PAPER_TYPES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake")


@dataclass
class KeywordPrompt:
    """A bare keyword as the whole prompt (the paper's "Stable Diffusion" arm)."""

    keyword: str

    def to_prompt(self) -> str:
        return self.keyword

    def negative_prompt(self) -> str:
        return ""


def run_sweep(out_dir: str | Path, *, types=PAPER_TYPES, n: int = 4, prompt: str = "metadata",
              t2i: str | None = None, llm: str | None = None, adapter: str | None = None,
              width: int = 512, height: int = 512, seed: int = 0, device: str | None = None,
              progress: bool = True) -> dict:
    """Generate ``n`` images per type; returns a summary (counts, seconds, configuration)."""
    from cinealert import models, registry
    from cinealert.alerts import read_input
    from cinealert.disasters import get_disaster
    from cinealert.prompting import generate_metadata
    from cinealert.validate import check_size

    if prompt not in ("metadata", "keyword"):
        raise InputError(f"--prompt must be metadata or keyword, got {prompt!r}")
    if prompt == "keyword" and t2i is None:
        raise InputError("--prompt keyword needs --t2i DIR: the procedural illustrator draws from the metadata, "
                         "not from a prompt")
    if not 1 <= n <= 10000:
        raise InputError(f"--n must be between 1 and 10000, got {n}")
    try:
        check_size(width, height)
    except (TypeError, ValueError) as err:
        raise InputError(f"impossible size {width}x{height}: {err}") from None
    keys = [get_disaster(t).key for t in types]
    if t2i is not None:
        choice = registry.resolve("imaging", t2i, flag="--t2i")
        cls = choice.entry.load()
        illustrator = models.load_once(cls, choice.folder, device=device) if not choice.entry.builtin else cls()
    else:
        illustrator = registry.create("imaging", "procedural")
    out_dir = Path(out_dir)
    summary = {"out": str(out_dir), "prompt": prompt, "imaging": illustrator.name, "t2i": t2i, "llm": llm,
               "adapter": adapter, "n": n, "size": [width, height], "types": {}}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n * len(keys), desc="sweep", unit="image", leave=False)
    start = time.perf_counter()
    for key in keys:
        folder = out_dir / key
        folder.mkdir(parents=True, exist_ok=True)
        alert = read_input(key)
        for i in range(n):
            s = seed + i
            metadata, how = generate_metadata(alert, seed=s, llm=llm, adapter=adapter, device=device) if llm \
                else generate_metadata(alert, seed=s)
            subject = KeywordPrompt(get_disaster(key).name_en.lower()) if prompt == "keyword" else metadata
            result = illustrator.generate(subject, width=width, height=height, seed=s)
            name = f"{key}_{i:03d}"
            rgb = np.clip(result.image * 255.0 + 0.5, 0, 255).astype(np.uint8)
            ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            if not ok:
                raise RuntimeError(f"could not encode {name}.png")
            (folder / f"{name}.png").write_bytes(buf.tobytes())
            side = {"prompt": subject.to_prompt(), "negative_prompt": subject.negative_prompt(), "seed": s,
                    "disaster": key, "imaging": illustrator.name, "prompting": how.get("backend"),
                    "metadata": metadata.to_dict()}
            (folder / f"{name}.json").write_text(json.dumps(side, indent=2, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")
            if bar is not None:
                bar.update(1)
        summary["types"][key] = n
    if bar is not None:
        bar.close()
    summary["seconds"] = round(time.perf_counter() - start, 2)
    (out_dir / "sweep.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
