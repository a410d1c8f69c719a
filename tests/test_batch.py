"""`cinealert batch`: the pre-rendered library (manifest checks, resumability, kill -9, process pool, Ray) and
the rule that matches alerts to its entries."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cinealert.errors import InputError
from cinealert.library import HOUR_OF, MONTH_OF, Library, alert_keys, entry_alert, load_manifest

TINY = {"size": "128x72", "seconds": 1, "fps": 8, "formats": ["mp4", "poster"]}


def _manifest(tmp_path, doc, name="m.yaml"):
    import yaml
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc) if name.endswith(".yaml") else json.dumps(doc))
    return path


def _batch(*args, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "cinealert", "batch", *map(str, args), "--quiet"],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1"}, **kw)


def _snapshot(lib: Path) -> dict:
    return {str(p.relative_to(lib)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in lib.rglob("*")
            if p.is_file() and p.name != "library.json"}


def test_grid_expands_with_defaults_and_stable_seeds(tmp_path):
    doc = {"defaults": TINY, "grid": {"disaster": ["flood", "wildfire"], "level": ["advisory", "warning"],
                                      "time_of_day": ["noon", "night"]},
           "entries": [{"name": "snow", "disaster": "heavy_snow", "seed": 3}]}
    entries = load_manifest(_manifest(tmp_path, doc))
    assert len(entries) == 9
    assert {e.key for e in entries} >= {"flood-advisory-noon-summer-en-circle", "wildfire-warning-night-summer-en-circle",
                                        "snow"}
    assert all(e.size == "128x72" for e in entries)
    again = load_manifest(_manifest(tmp_path, doc, "m.json"))
    assert [e.resolved_seed() for e in entries] == [e.resolved_seed() for e in again]
    assert entries[-1].resolved_seed() == 3
    assert len({e.resolved_seed() for e in entries}) == 9


@pytest.mark.parametrize("doc, words", [
    ({"entries": [{"disaster": "alien_invasion"}]}, "disaster"),
    ({"entries": [{"disaster": "flood", "level": "extreme"}]}, "level"),
    ({"entries": [{"disaster": "flood", "size": "100x0"}]}, "size"),
    ({"entries": [{"disaster": "flood", "size": "huge"}]}, "size"),
    ({"entries": [{"disaster": "flood", "camera": "drone"}]}, "camera"),
    ({"entries": [{"disaster": "flood", "preset": "cinema"}]}, "preset"),
    ({"entries": [{"disaster": "flood", "colour": "red"}]}, "colour"),
    ({"entries": [{"disaster": "flood", "seconds": 99}]}, "seconds"),
    ({"entries": [{"disaster": "flood"}, {"disaster": "flood"}]}, "two entries"),
    ({"grid": {"disaster": ["flood"], "mood": ["calm"]}}, "mood"),
    ({"entries": []}, "no entries"),
    ({"jobs": []}, "jobs"),
])
def test_bad_manifests_exit_2_and_write_nothing(tmp_path, doc, words):
    lib = tmp_path / "lib"
    r = _batch(_manifest(tmp_path, doc), "-o", lib)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r.stderr
    assert not lib.exists()


def test_unreadable_manifest_and_bad_engine(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries: [unclosed")
    r = _batch(bad, "-o", tmp_path / "lib")
    assert r.returncode == 2 and "not valid YAML" in r.stderr
    good = _manifest(tmp_path, {"defaults": TINY, "entries": [{"disaster": "flood"}]})
    r = _batch(good, "-o", tmp_path / "lib", "--engine", "spark")
    assert r.returncode == 2 and "unknown engine" in r.stderr and not (tmp_path / "lib").exists()
    r = _batch(good, "-o", tmp_path / "lib", "--engine", "ray", "--ray-address", "127.0.0.1:9")
    assert r.returncode == 2 and "no Ray cluster answers" in r.stderr and not (tmp_path / "lib").exists()


def test_library_is_indexed_and_a_second_run_renders_nothing(tmp_path):
    doc = {"defaults": TINY, "grid": {"disaster": ["flood", "wildfire"], "time_of_day": ["noon", "night"]}}
    path, lib = _manifest(tmp_path, doc), tmp_path / "lib"
    r = _batch(path, "-o", lib, "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "done 4, skipped 0, failed 0" in r.stdout
    index = json.loads((lib / "library.json").read_text())
    assert len(index["entries"]) == 4
    for key, rec in index["entries"].items():
        assert rec["state"] == "done" and (lib / rec["folder"] / "cinemagraph.mp4").is_file()
        assert {"cinemagraph.mp4", "poster.png"} <= set(rec["media"]) and rec["prompt"]
        assert all((lib / rec["folder"] / m).is_file() for m in rec["media"])
    night = json.loads((lib / "flood-any-night-summer-en-circle" / "report.json").read_text())
    assert night["metadata"]["time_of_day"] == "night" and night["metadata"]["season"] == "summer"
    before = _snapshot(lib)
    r = _batch(path, "-o", lib)
    assert r.returncode == 0 and "done 0, skipped 4, failed 0" in r.stdout
    assert _snapshot(lib) == before                                      # nothing rendered again
    # One entry changed: only it renders again.
    changed = _manifest(tmp_path, {"defaults": TINY, "entries": [
        {"disaster": "flood", "time_of_day": "noon"}, {"disaster": "flood", "time_of_day": "night", "seconds": 1.5},
        {"disaster": "wildfire", "time_of_day": "noon"}, {"disaster": "wildfire", "time_of_day": "night"}]}, "c.yaml")
    r = _batch(changed, "-o", lib)
    assert r.returncode == 0 and "done 1, skipped 3, failed 0" in r.stdout, r.stdout
    after = _snapshot(lib)
    moved = {k for k in after if after.get(k) != before.get(k)}
    assert moved and all(k.startswith("flood-any-night-summer-en-circle/") for k in moved)
    # A damaged output is noticed and rendered again.
    (lib / "wildfire-any-noon-summer-en-circle" / "poster.png").write_bytes(b"broken")
    r = _batch(changed, "-o", lib)
    assert "done 1, skipped 3" in r.stdout


def test_kill_9_mid_run_then_resume(tmp_path):
    doc = {"defaults": {**TINY, "size": "320x180", "seconds": 2, "fps": 12},
           "grid": {"disaster": ["flood", "wildfire", "typhoon", "landslide", "heavy_snow", "drought"]}}
    path, lib = _manifest(tmp_path, doc), tmp_path / "lib"
    proc = subprocess.Popen([sys.executable, "-m", "cinealert", "batch", str(path), "-o", str(lib), "--workers", "1",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            done = [r for r in json.loads((lib / "library.json").read_text())["entries"].values() if r["state"] == "done"]
        except (OSError, ValueError):
            done = []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    first = json.loads((lib / "library.json").read_text())["entries"]
    finished = {k for k, r in first.items() if r["state"] == "done"}
    assert 2 <= len(finished) < 6
    kept = _snapshot(lib)
    r = _batch(path, "-o", lib)
    assert r.returncode == 0, r.stderr
    summary = r.stdout.strip().splitlines()[-1]
    skipped = int(summary.split("skipped ")[1].split(",")[0])
    assert skipped >= len(finished) and f"done {6 - skipped}" in summary
    index = json.loads((lib / "library.json").read_text())["entries"]
    assert len(index) == 6 and all(r["state"] == "done" for r in index.values())
    assert not list(lib.glob("*.part*"))
    now = _snapshot(lib)
    assert all(now[k] == v for k, v in kept.items() if k.split("/")[0] in finished)   # finished ones untouched
    assert sorted(p.name for p in lib.iterdir() if p.is_dir()) == sorted(index)        # one folder each


def test_match_rule(tmp_path):
    def rec(**s):
        base = {"disaster": "flood", "level": "warning", "language": "en", "time_of_day": "noon", "season": "summer"}
        return {"state": "done", "folder": "x", "settings": {**base, **s}}
    lib = Library(tmp_path, {"entries": {
        "a": rec(), "b": rec(language="ko"), "c": rec(language="ko", time_of_day="night"),
        "d": rec(level="advisory", language="ko", time_of_day="night", season="winter"),
        "e": {**rec(disaster="wildfire"), "state": "failed"}}})
    assert lib.match(disaster="flood", level="warning", language="ko", time_of_day="night")[0] == "c"
    assert lib.match(disaster="flood", level="warning", language="ko-KR", time_of_day="noon")[0] == "b"
    assert lib.match(disaster="flood", level="warning", language="fr", time_of_day="night")[0] == "c"
    assert lib.match(disaster="flood", level="warning", language="en")[0] == "a"
    assert lib.match(disaster="flood", level="advisory", language="en")[0] == "d"
    assert lib.match(disaster="flood", level="watch", language="en") is None       # level must match
    assert lib.match(disaster="wildfire", level="warning", language="en") is None  # failed entries never answer
    assert lib.match(disaster="typhoon", level="warning", language="en") is None
    with pytest.raises(InputError, match="not a library"):
        Library.open(tmp_path / "nowhere")


def test_alert_keys_agree_with_the_entries(tmp_path):
    from cinealert.alerts import read_input
    entries = load_manifest(_manifest(tmp_path, {"grid": {"disaster": ["flood"], "time_of_day": list(HOUR_OF),
                                                          "season": list(MONTH_OF), "language": ["ko", "en"]}}))
    for e in entries:
        keys = alert_keys(entry_alert(e))
        assert keys == {"disaster": e.disaster, "level": e.level, "time_of_day": e.time_of_day, "season": e.season,
                        "language": e.language}
    cap = read_input(str(Path(__file__).parent / "data/cap/kieas_kr_kma_heavy_rain_advisory_HRA.xml"))
    keys = alert_keys(cap)
    assert keys["disaster"] == "heavy_rain" and keys["language"] == "ko" and keys["time_of_day"] == "night"


def test_ray_engine_renders_each_entry_once(tmp_path):
    pytest.importorskip("ray")
    doc = {"defaults": TINY, "grid": {"disaster": ["flood", "wildfire", "typhoon"]}}
    path, lib = _manifest(tmp_path, doc), tmp_path / "lib"
    r = _batch(path, "-o", lib, "--engine", "ray", timeout=400)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "done 3, skipped 0, failed 0" in r.stdout
    index = json.loads((lib / "library.json").read_text())["entries"]
    assert len(index) == 3 and all(rec["state"] == "done" for rec in index.values())
    assert sorted(p.name for p in lib.iterdir() if p.is_dir()) == sorted(index)


def test_ray_node_lost_mid_batch_every_entry_once(tmp_path):
    """Two-node Ray cluster; the worker node is removed while entries run: all finish, each exactly once."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    from cinealert.batch import Batch
    import threading

    doc = {"defaults": {**TINY, "size": "256x144", "seconds": 2}, "grid": {
        "disaster": ["flood", "wildfire", "typhoon", "landslide"], "time_of_day": ["noon", "night"]}}
    entries = load_manifest(_manifest(tmp_path, doc))
    lib = tmp_path / "lib"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        batch = Batch(entries, lib, engine="ray", ray_address=cluster.address, progress=False)
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("summary", batch.run()))
        t.start()
        seen: set[str] = set()

        def parts() -> list[str]:
            names = [p.name for p in lib.glob("*.part-*")] if lib.exists() else []
            seen.update(names)
            return names
        deadline = time.time() + 120
        while time.time() < deadline and len(parts()) < 2:              # one entry on each node
            time.sleep(0.01)
        assert len(parts()) >= 2, "the two nodes never rendered at the same time"
        cluster.remove_node(worker)                                       # the node is lost mid-entry
        while t.is_alive():
            parts()
            time.sleep(0.01)
        t.join(300)
        summary = out["summary"]
        assert not summary["failed"] and len(summary["done"]) == 8, summary
        index = json.loads((lib / "library.json").read_text())["entries"]
        assert len(index) == 8 and all(r["state"] == "done" for r in index.values())
        assert sorted(p.name for p in lib.iterdir() if p.is_dir()) == sorted(index)
        assert not list(lib.glob("*.part*"))
        assert len(seen) > 8                                              # the lost entry was rendered again
    finally:
        ray.shutdown()
        cluster.shutdown()
