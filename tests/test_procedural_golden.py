"""The procedural illustrator draws the same pictures, byte for byte, for a fixed seed: digests of the image,
the region map, the depth map and the info of every disaster type in several settings, recorded in
``tests/data/procedural_golden.json``. A change that alters a picture on purpose records new digests with
``CINEALERT_WRITE_GOLDEN=1 pytest tests/test_procedural_golden.py`` and says why in its commit."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from cinealert.disasters import DISASTERS
from cinealert.imaging.procedural import ProceduralIllustrator
from cinealert.prompting.metadata import SceneMetadata
from fixtures.machine import machine

GOLDEN = Path(__file__).parent / "data" / "procedural_golden.json"

# (name, seed, size, metadata fields): the settings vary the palettes, the keywords and the portrait branch.
VARIANTS = [
    ("rural-afternoon", 0, (160, 96), dict(setting="a rural Korean village", time_of_day="afternoon", season="summer")),
    ("city-night-winter", 5, (160, 96), dict(setting="a dense city with apartment towers and a bridge",
                                             foreground=["cars on a road", "power lines"], time_of_day="night",
                                             season="winter")),
    ("coast-dawn-autumn", 11, (96, 160), dict(setting="a harbour town with hanok roofs and fishing boats",
                                              background=["mountains", "forest"], time_of_day="dawn",
                                              season="autumn")),
]


def _digest(result) -> dict:
    def h(a) -> str:
        return hashlib.sha256(a.tobytes() + str((a.dtype, a.shape)).encode()).hexdigest()[:20]
    info = json.dumps(result.info, sort_keys=True, default=str)
    return {"image": h(result.image), "regions": h(result.regions), "depth": h(result.depth),
            "info": hashlib.sha256(info.encode()).hexdigest()[:20]}


def _draw(disaster: str, variant) -> dict:
    _, seed, (w, h), fields = variant
    md = SceneMetadata(disaster=disaster, scene=f"{disaster} scene", **fields)
    return _digest(ProceduralIllustrator().generate(md, width=w, height=h, seed=seed))


def _all() -> dict:
    return {f"{d}/{v[0]}": _draw(d, v) for d in sorted(DISASTERS) for v in VARIANTS}


def test_pictures_are_the_recorded_ones():
    if os.environ.get("CINEALERT_WRITE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps({"machine": machine(), "pictures": _all()}, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    if golden["machine"] != machine():
        pytest.skip(f"digests were recorded on another machine or library version ({golden['machine']})")
    recorded = golden["pictures"]
    now = _all()
    assert set(now) == set(recorded), "disaster types or variants changed: record new digests"
    changed = {k: [part for part in now[k] if now[k][part] != recorded[k][part]] for k in now}
    changed = {k: v for k, v in changed.items() if v}
    assert not changed, f"pictures changed for a fixed seed: {changed}"


@pytest.mark.parametrize("variant", VARIANTS[:1], ids=lambda v: v[0])
def test_the_digest_sees_a_one_pixel_change(variant):
    md = SceneMetadata(disaster="flood", scene="flood scene", **variant[3])
    result = ProceduralIllustrator().generate(md, width=variant[2][0], height=variant[2][1], seed=variant[1])
    before = _digest(result)
    result.image[0, 0, 0] = (result.image[0, 0, 0] + 1) % 256 if result.image.dtype.kind == "u" else \
        result.image[0, 0, 0] + 1e-3
    assert _digest(result)["image"] != before["image"]
