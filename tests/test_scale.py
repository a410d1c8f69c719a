"""Scale-out faults with real processes on loopback: `cinealert worker` processes and `cinealert serve` replicas
on one PostgreSQL store started by the tests (kill -9 of one of two workers mid-job, SIGTERM once and twice, two
replicas taking in the same alert at the same moment), the refusals of a store that is unreachable, not migrated
or newer, and Ray render actors killed mid-job and restarted by Ray."""
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from pg_server import pg_server, pg_url  # noqa: F401 - fixtures
from test_service import CAP, TOKEN, Server, _port, cap

# Renders long enough (several seconds) to be interrupted while running.
SLOW = ["--size", "512x288", "--seconds", "4", "--fps", "24", "--formats", "mp4,poster"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cinealert", *args], capture_output=True, text=True,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=120)


def migrated(url):
    r = cli("store", "migrate", "--store", url)
    assert r.returncode == 0, r.stderr
    from cinealert.service.store import open_store
    return open_store(url, lease_s=2)


def start_worker(store_url, media, *settings):
    return subprocess.Popen([sys.executable, "-m", "cinealert", "worker", "--store", store_url, "--media", str(media),
                             "--lease", "2", *(settings or SLOW)], env=dict(os.environ, HF_HUB_OFFLINE="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def submit(store, body=None):
    from cinealert.service.app import intake
    return intake(store, None, body or CAP.read_bytes())["job_id"]


def wait_for(store, job_id, states, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        job = store.job(job_id)
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']}")


def stop(*procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def attempts(media, job_id):
    return sorted(p.name for p in (media / "jobs" / job_id).iterdir()) if (media / "jobs" / job_id).exists() else []


def test_kill_9_one_of_two_workers_mid_job(pg_url, tmp_path):
    store = migrated(pg_url)
    media = tmp_path / "media"
    workers = [start_worker(pg_url, media), start_worker(pg_url, media)]
    try:
        job_id = submit(store)
        running = wait_for(store, job_id, ("running",))
        victim = next(w for w in workers if running["lease_owner"].endswith(f"-{w.pid}"))
        time.sleep(0.5)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        done = wait_for(store, job_id, ("done", "failed"))
        survivor = next(w for w in workers if w is not victim)
        assert done["state"] == "done" and done["attempt"] == 2, done
        assert done["result_dir"] == f"jobs/{job_id}/attempt-2"
        assert survivor.poll() is None
        assert attempts(media, job_id) == ["attempt-2"]                   # the killed attempt's folder is gone
        assert (media / done["result_dir"] / "cinemagraph.mp4").stat().st_size > 1000
        assert store.counts()["done"] == 1
    finally:
        stop(*workers)


def test_sigterm_finishes_the_job_and_a_second_sigterm_hands_it_back(pg_url, tmp_path):
    store = migrated(pg_url)
    media = tmp_path / "media"
    first = start_worker(pg_url, media)
    procs = [first]
    try:
        job_id = submit(store)
        wait_for(store, job_id, ("running",))
        first.send_signal(signal.SIGTERM)                                  # finish this job, then exit
        assert first.wait(120) == 0
        job = store.job(job_id)
        assert job["state"] == "done" and job["attempt"] == 1

        second = submit(store, cap("T-2", event="대설경보", sent="2026-07-15T20:00:00+09:00"))
        w = start_worker(pg_url, media)
        procs.append(w)
        wait_for(store, second, ("running",))
        time.sleep(0.3)
        w.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        w.send_signal(signal.SIGTERM)                                      # now: hand the lease back at once
        assert w.wait(30) == 0
        back = store.job(second)
        assert back["state"] == "queued" and back["attempt"] == 0 and back["lease_owner"] is None, back
        assert attempts(media, second) == []                               # nothing half-written stays
        w2 = start_worker(pg_url, media)
        procs.append(w2)
        handed = time.time()
        done = wait_for(store, second, ("done",))
        assert done["attempt"] == 1 and done["error"] is None
        assert time.time() - handed < 60
    finally:
        stop(*procs)


def _replica(tmp_path, k, pg_url):
    r = Server(tmp_path / f"r{k}" / "data", "--store", pg_url, "--media", str(tmp_path / "media"), "--workers", "0")
    i = r.cmd.index("--data")
    del r.cmd[i:i + 2]                                                     # replicas keep nothing on their own disk
    return r


def test_two_api_replicas_take_in_the_same_alert_at_the_same_moment(pg_url, tmp_path):
    migrated(pg_url)
    for k in range(2):
        (tmp_path / f"r{k}").mkdir()
    replicas = [_replica(tmp_path, k, pg_url).start() for k in range(2)]
    try:
        for round_ in range(5):
            body = cap(f"R-{round_}", sent=f"2026-07-1{round_}T14:00:00+09:00")
            go = threading.Barrier(2)
            answers = []

            def send(r, body=body, go=go, answers=answers):
                go.wait()
                answers.append(r.post(body))
            threads = [threading.Thread(target=send, args=(r,)) for r in replicas]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(a.status_code for a in answers) == [200, 202], [a.text for a in answers]
            assert answers[0].json()["job_id"] == answers[1].json()["job_id"]
        health = httpx.get(replicas[0].url + "/healthz").json()
        assert health["jobs"]["queued"] == 5, health
        from cinealert.service.store import open_store
        assert open_store(pg_url).counts()["queued"] == 5
    finally:
        for r in replicas:
            r.stop()


def test_serve_replica_and_a_worker_on_postgres_render_and_serve(pg_url, tmp_path):
    """`serve --store postgresql://… --media DIR --workers 0` plus a `cinealert worker` elsewhere."""
    migrated(pg_url)
    (tmp_path / "r0").mkdir()
    api = _replica(tmp_path, 0, pg_url).start()
    w = start_worker(pg_url, tmp_path / "media", "--size", "128x72", "--seconds", "0.5", "--fps", "8",
                     "--formats", "mp4,poster")
    try:
        job_id = api.post(CAP.read_bytes()).json()["job_id"]
        job = api.wait(job_id, timeout=120)
        assert job["state"] == "done" and job["report"]["disaster"] == "heavy_rain", job
        poster = httpx.get(api.url + job["media"]["poster.png"])
        assert poster.status_code == 200 and poster.content[:4] == b"\x89PNG"
    finally:
        stop(w)
        api.stop()


def test_bad_store_urls_and_schema_versions_are_refused(pg_url, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(TOKEN + "\n")
    serve = ["serve", "--store", pg_url, "--media", str(tmp_path / "media"), "--token-file", str(tokens),
             "--port", str(_port())]
    worker = ["worker", "--store", pg_url, "--media", str(tmp_path / "media")]
    for argv in (serve, worker):                                           # never migrated: refused, not created
        r = cli(*argv)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "store migrate" in r.stderr and "Traceback" not in r.stderr
    store = migrated(pg_url)
    from cinealert.service.store import VERSION as newest
    with store._tx() as c:
        c.execute("INSERT INTO cinealert_schema (version, applied) VALUES (?, ?)", (newest + 7, time.time()))
    for argv in (serve, worker):
        r = cli(*argv)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert f"version {newest + 7}" in r.stderr
    r = cli("worker", "--store", "postgresql://nobody@127.0.0.1:1/x", "--media", str(tmp_path / "m2"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and not (tmp_path / "m2").exists(), r.stderr
    r = cli("worker", "--store", "mysql://h/db", "--media", str(tmp_path / "m3"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and not (tmp_path / "m3").exists(), r.stderr
    r = cli("worker", "--store", pg_url, "--media", str(tmp_path / "m4"), "--engine", "spark")
    assert r.returncode == 2 and "spark" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "media").exists()


# -- Ray render actors -----------------------------------------------------------------------------------
def test_ray_actor_killed_mid_job_is_restarted_and_its_job_done_once(tmp_path):
    ray = pytest.importorskip("ray")
    from cinealert.service.ray_engine import start_actors
    from cinealert.service.store import open_store
    url = str(tmp_path / "jobs.db")
    store = open_store(url, create=True, lease_s=2)
    jobs = [submit(store), submit(store, cap("RAY-2", event="대설경보", sent="2026-07-15T20:00:00+09:00"))]
    media = tmp_path / "media"
    settings = {"width": 512, "height": 288, "seconds": 4.0, "fps": 24.0, "formats": ["mp4", "poster"]}
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "HF_HUB_OFFLINE": "1"}})
    try:
        actors = start_actors(url, str(media), settings, actors=2, lease_s=2.0)
        running = wait_for(store, jobs[0], ("running",), timeout=180)
        places = {a: ray.get(a.where.remote(), timeout=60) for a in actors}
        victim = next(a for a, w in places.items() if w["owner"] == running["lease_owner"])
        time.sleep(0.5)
        os.kill(places[victim]["pid"], signal.SIGKILL)                   # the actor's process dies mid-render
        done = [wait_for(store, j, ("done", "failed"), timeout=240) for j in jobs]
        assert [d["state"] for d in done] == ["done", "done"], done
        assert done[0]["attempt"] == 2                                     # the killed attempt was fenced out
        for d in done:
            assert attempts(media, d["id"]) == [f"attempt-{d['attempt']}"]
        again = ray.get(victim.where.remote(), timeout=120)                # Ray restarted the actor
        assert again["pid"] != places[victim]["pid"]
        assert store.counts()["done"] == 2
        ray.get([a.stop.remote() for a in actors], timeout=60)
    finally:
        ray.shutdown()


def test_worker_engine_ray_with_an_unreachable_address(tmp_path):
    migrated(str(tmp_path / "j.db"))
    r = cli("worker", "--store", str(tmp_path / "j.db"), "--media", str(tmp_path / "m"), "--engine", "ray",
            "--ray-address", "127.0.0.1:1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "127.0.0.1:1" in r.stderr, r.stderr
    assert not (tmp_path / "m").exists()
