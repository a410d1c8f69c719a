"""What ``make`` and ``animate`` put out stays the same for a fixed seed: SHA-256 digests of the report fields
that must not change (the disaster type, the alert summary, the metadata and prompts, the region classes and
shares, the motion plan, the camera, sizes, metrics and safety; not timings, paths, versions or byte counts of
encoded files) and of the decoded pixels of the poster, the region map, the depth map and the moving mask,
recorded in ``tests/data/digests.json``.

A change that alters an output on purpose records new digests with
``CINEALERT_WRITE_DIGESTS=1 pytest tests/test_output_digests.py`` (or ``python tests/test_output_digests.py``)
and says why in its commit. The digests hold on the machine and library versions they were recorded on;
elsewhere the comparison is skipped (floating point results depend on the CPU and the libraries).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fixtures.machine import machine

DIGESTS = Path(__file__).parent / "data" / "digests.json"
ROOT = Path(__file__).resolve().parents[1]
BUNDLED_ALERT = ROOT / "src" / "cinealert" / "examples" / "kr_heavy_rain_advisory.xml"
CANCEL_ALERT = ROOT / "tests" / "data" / "cap" / "capparselib_cancel_no_info_signed.xml"

#: Small and short so that every case takes a fraction of a second; a fixed seed that is not the default.
SMALL = dict(seed=7, width=256, height=144, seconds=1.0, fps=8.0, formats=("poster",), progress=False)

#: The report fields compared, each with the keys inside it left out (timings, paths, byte counts).
REPORT_FIELDS = {
    "alert": (), "action": (), "why": (), "disaster": (), "metadata": (), "prompt": (), "negative_prompt": (),
    "metadata_generator": (), "seed": (), "preset": (), "backends": (), "models": (),
    "video": ("path",), "metrics": ("render_ms_per_frame",), "safety": (), "description": (), "card": (),
    "camera": (), "crop": (), "model_reports": (), "scene": ("image.path", "overrides.mask", "overrides.depth_map"), "motion": (), "status_mark": (),
    "cap_output": ("path",), "aea_media": (), "warnings": (), "cancels": (),
}
#: Decoded pixels compared: the poster and the scene maps written beside it.
PICTURES = ("poster.png", "regions.png", "depth.png", "moving_mask.png")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _report_part(report: dict, key: str, leave_out: tuple[str, ...]):
    value = report.get(key)
    if key == "aea_media" and value:
        value = [{k: v for k, v in m.items() if k != "contentLength"} for m in value]
    return _without(value, leave_out)


def _without(value, leave_out: tuple[str, ...]):
    """``value`` less the keys named in ``leave_out`` (``a.b``: key ``b`` inside key ``a``)."""
    if not isinstance(value, dict) or not leave_out:
        return value
    inner = {}
    for name in leave_out:
        head, _, rest = name.partition(".")
        inner.setdefault(head, []).append(rest)
    return {k: (v if k not in inner else _without(v, tuple(r for r in inner[k] if r)))
            for k, v in value.items() if k not in inner or any(inner[k])}


def digest_output(out_dir: Path) -> dict:
    """The digests of one output folder: one per compared report field, one per picture's decoded pixels,
    and the media kinds written with their sizes."""
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    digests = {f"report.{key}": _sha(json.dumps(_report_part(report, key, skip), sort_keys=True,
                                                ensure_ascii=False).encode())
               for key, skip in REPORT_FIELDS.items()}
    media = {k: {f: v.get(f) for f in ("width", "height", "frames", "codec")}
             for k, v in sorted(report.get("media", {}).items())}
    digests["report.media"] = _sha(json.dumps(media, sort_keys=True).encode())
    for name in PICTURES:
        path = out_dir / name
        if path.is_file():
            arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            digests[f"pixels.{name}"] = _sha(arr.tobytes() + str((arr.dtype, arr.shape)).encode())
    return digests


def _photo(path: Path) -> Path:
    """A small photo-like picture: a sky above a brownish ground, with grain."""
    rng = np.random.default_rng(3)
    img = np.zeros((144, 256, 3), np.uint8)
    img[:60] = (235, 190, 140)                                    # BGR sky
    img[60:] = np.clip((120, 95, 70) + rng.integers(-25, 25, (84, 256, 3)), 0, 255)
    cv2.imwrite(str(path), img)
    return path


def _mask(path: Path) -> Path:
    mask = np.zeros((144, 256), np.uint8)
    mask[90:140, 20:230] = 255
    cv2.imwrite(str(path), mask)
    return path


def run_case(name: str, tmp: Path) -> dict:
    """Make one recorded case in ``tmp`` and return its digests."""
    from cinealert import pipeline

    out = tmp / name.replace("/", "_")
    if name == "alert/bundled":
        pipeline.make(str(BUNDLED_ALERT), out, pipeline.Options(**SMALL))
    elif name == "alert/bundled-portrait":
        pipeline.make(str(BUNDLED_ALERT), out, pipeline.Options(**(SMALL | dict(width=144, height=256))))
    elif name == "alert/cancel":                          # no media: report.json only
        pipeline.make(str(CANCEL_ALERT), out, pipeline.Options(**SMALL))
    elif name == "animate/photo":
        pipeline.animate(_photo(tmp / "photo.png"), "flood", out, pipeline.Options(**SMALL))
    elif name == "animate/photo-mask":
        opts = pipeline.Options(**SMALL, mask=str(_mask(tmp / "mask.png")), camera="static")
        pipeline.animate(_photo(tmp / "photo.png"), "wildfire", out, opts)
    elif name.startswith("type/"):
        pipeline.make(name.split("/", 1)[1], out, pipeline.Options(**SMALL))
    else:
        raise KeyError(name)
    return digest_output(out)


def default_cases() -> list[str]:
    return ["alert/bundled", "alert/bundled-portrait", "alert/cancel", "animate/photo", "animate/photo-mask"]


def type_cases() -> list[str]:
    from cinealert.disasters import DISASTERS
    return [f"type/{key}" for key in DISASTERS]


def _recorded() -> dict:
    golden = json.loads(DIGESTS.read_text(encoding="utf-8"))
    if golden["machine"] != machine():
        pytest.skip(f"digests were recorded on another machine or library version ({golden['machine']})")
    return golden["outputs"]


def _compare(name: str, tmp_path: Path) -> None:
    recorded = _recorded()
    assert name in recorded, f"no digests recorded for {name}: record them (see the module's docstring)"
    now = run_case(name, tmp_path)
    changed = sorted(k for k in set(now) | set(recorded[name]) if now.get(k) != recorded[name].get(k))
    assert not changed, f"{name}: outputs changed for a fixed seed: {changed}"


@pytest.mark.parametrize("name", default_cases())
def test_bundled_alert_and_photo_outputs_are_the_recorded_ones(name, tmp_path):
    _compare(name, tmp_path)


@pytest.mark.parametrize("name", type_cases())
def test_every_disaster_type_output_is_the_recorded_one(name, tmp_path):
    _compare(name, tmp_path)


def test_every_disaster_type_has_digests():
    assert set(type_cases()) <= set(_recorded()), "a disaster type was added: record its digests"


def test_the_digest_sees_a_one_pixel_and_a_one_field_change(tmp_path):
    run_case("alert/bundled", tmp_path)
    out = tmp_path / "alert_bundled"
    before = digest_output(out)
    poster = cv2.imread(str(out / "poster.png"))
    poster[0, 0, 0] ^= 1
    cv2.imwrite(str(out / "poster.png"), poster)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report["motion"]["flow_cycles"] += 1
    report["timings_s"]["total"] += 1.0                  # not compared
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    after = digest_output(out)
    assert sorted(k for k in before if before[k] != after[k]) == ["pixels.poster.png", "report.motion"]


def write_digests(tmp: Path) -> None:
    outputs = {name: run_case(name, tmp) for name in default_cases() + type_cases()}
    DIGESTS.write_text(json.dumps({"machine": machine(), "outputs": outputs}, indent=1, sort_keys=True) + "\n",
                       encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def _write_when_asked(tmp_path_factory):
    if os.environ.get("CINEALERT_WRITE_DIGESTS") == "1":
        write_digests(tmp_path_factory.mktemp("digests"))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_digests(Path(tmp))
    print(f"wrote {DIGESTS}", file=sys.stderr)
