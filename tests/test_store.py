"""The job store, one suite run against both backends: SQLite (embedded) and PostgreSQL (a real server on
loopback, started by the tests)."""
from __future__ import annotations

import threading
import time

import pytest

from cinealert.errors import InputError
from cinealert.service.store import VERSION, QueueFull, SchemaError, open_store
from pg_server import pg_server, pg_url  # noqa: F401 - fixtures


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("pg_url")


def _store(url, **kw):
    open_store(url, check=False).migrate()
    return open_store(url, **kw)


def _submit(st, key, priority=2, coalesce=None, body=b"flood"):
    return st.submit(alert_key=key, kind="keyword", input_path="", priority=priority, coalesce_key=coalesce,
                     identifier=key, sender="s", input_body=body)


def test_priority_fencing_and_sweeper(url):
    st = _store(url, lease_s=0.2)
    low = _submit(st, "a", 2).job_id
    high = _submit(st, "b", 0, body=b"wildfire").job_id
    job = st.claim("w1")
    assert job["id"] == high and job["attempt"] == 1 and job["input"] == b"wildfire"   # Extreme / Immediate first
    assert st.heartbeat(high, 1, "w1", progress=0.5) and st.job(high)["progress"] == 0.5
    time.sleep(0.3)
    assert st.sweep() == 1                                               # w1's lease ran out: back in the queue
    again = st.claim("w2")
    assert again["id"] == high and again["attempt"] == 2
    assert not st.complete(high, 1, "w1", "/stale")                      # the old attempt is fenced out
    assert not st.heartbeat(high, 1, "w1")
    assert st.complete(high, 2, "w2", "jobs/x/attempt-2") and st.job(high)["state"] == "done"
    assert st.job(high)["result_dir"] == "jobs/x/attempt-2"
    assert st.claim("w3")["id"] == low
    assert st.claim("w4") is None


def test_out_of_attempts_fails_and_release_hands_back(url):
    st = _store(url, lease_s=0.05)
    j = _submit(st, "a").job_id
    for _ in range(3):
        assert st.claim("w")["id"] == j
        time.sleep(0.1)
        st.sweep()
    assert st.job(j)["state"] == "failed" and "lease expired" in st.job(j)["error"]
    k = _submit(st, "b").job_id
    claimed = st.claim("w")
    assert st.release(k, claimed["attempt"], "w") and st.job(k)["state"] == "queued" and st.job(k)["attempt"] == 0
    st.fail(k, st.claim("w")["attempt"], "w", "bad input", retry=False)
    assert st.job(k)["state"] == "failed"


def test_dedupe_coalescing_supersede_cancel(url):
    st = _store(url)
    a = _submit(st, "cap:1", coalesce="flood|warning|Actual|1")
    assert a.created
    dup = _submit(st, "cap:1", coalesce="flood|warning|Actual|1")
    assert not dup.created and not dup.coalesced and dup.job_id == a.job_id
    near = _submit(st, "cap:2", coalesce="flood|warning|Actual|1")
    assert near.coalesced and near.job_id == a.job_id
    other = _submit(st, "cap:3", coalesce="flood|warning|Actual|2")
    assert other.created and other.job_id != a.job_id
    assert st.jobs_of_references([("s", "cap:1")]) == [a.job_id]
    assert st.end([a.job_id], "superseded", "by cap:9") == 1 and st.job(a.job_id)["state"] == "superseded"
    assert st.record_alert(alert_key="cancel:1", job_id=other.job_id, identifier="c1", sender="s", sent="",
                           msg_type="Cancel")
    assert not st.record_alert(alert_key="cancel:1", job_id=other.job_id, identifier="c1", sender="s", sent="",
                               msg_type="Cancel")
    st.end([other.job_id], "cancelled", "by c1")
    counts = st.counts()
    assert counts["superseded"] == 1 and counts["cancelled"] == 1 and counts["alerts"] == 4
    assert [a["alert_key"] for a in st.job(a.job_id)["alerts"]] == ["cap:1", "cap:2"]
    assert st.alert_job("c1")["id"] == other.job_id
    with pytest.raises(ValueError):
        st.end([a.job_id], "done", "no")


def test_bounded_queue(url):
    st = _store(url, max_queue=2)
    _submit(st, "a"), _submit(st, "b")
    with pytest.raises(QueueFull):
        _submit(st, "c")
    assert _submit(st, "a").job_id                                       # a repeat is still answered


def test_concurrent_intake_of_one_alert_makes_one_job(url):
    stores = [_store(url) for _ in range(4)]
    results, start = [], threading.Barrier(8)

    def go(st):
        start.wait()
        results.append(_submit(st, "cap:same", coalesce="k").job_id)
    threads = [threading.Thread(target=go, args=(stores[i % 4],)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(results)) == 1 and stores[0].counts()["queued"] == 1 and stores[0].counts()["alerts"] == 1


def test_concurrent_claims_never_share_a_job(url):
    st = _store(url)
    for i in range(30):
        _submit(st, f"k{i}")
    claimed, lock = [], threading.Lock()

    def worker(name):
        mine = open_store(url)
        while (job := mine.claim(name)) is not None:
            with lock:
                claimed.append(job["id"])
            mine.complete(job["id"], job["attempt"], name, "k")
    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(claimed) == 30 and len(set(claimed)) == 30 and st.counts()["done"] == 30


def test_schema_versions_are_explicit(url):
    fresh = open_store(url, check=False)
    assert fresh.version() == 0
    with pytest.raises(SchemaError, match="store migrate"):
        open_store(url)                                                  # not migrated: refused, never silent
    assert fresh.migrate() == list(range(1, VERSION + 1))
    assert fresh.migrate() == [] and open_store(url).version() == VERSION
    with fresh._tx() as c:
        c.execute("INSERT INTO cinealert_schema (version, description, applied) VALUES (?, ?, ?)",
                  (VERSION + 1, "from the future", 0.0))
    with pytest.raises(SchemaError, match="newer"):
        open_store(url)
    with pytest.raises(SchemaError, match="newer"):
        open_store(url, check=False).migrate()


def test_a_store_made_before_versioning_is_upgraded_by_migrate(tmp_path):
    import sqlite3
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, priority INTEGER NOT NULL, "
                       "kind TEXT NOT NULL, input_path TEXT NOT NULL, coalesce_key TEXT, attempt INTEGER NOT NULL "
                       "DEFAULT 0, max_attempts INTEGER NOT NULL DEFAULT 3, lease_owner TEXT, lease_until REAL, "
                       "progress REAL NOT NULL DEFAULT 0, result_dir TEXT, error TEXT, created REAL NOT NULL, "
                       "updated REAL NOT NULL); INSERT INTO jobs VALUES ('j1', 'done', 2, 'cap', '/in.xml', NULL, 1, "
                       "3, NULL, NULL, 1, '/out', NULL, 0, 0);")
    conn.close()
    with pytest.raises(SchemaError, match="version 0"):
        open_store(db)
    assert open_store(db, check=False).migrate() == [1, 2]
    assert open_store(db).job("j1")["state"] == "done"


def test_sqlite_embedded_store_is_created_and_announced(tmp_path, capfd):
    st = open_store(tmp_path / "d" / "jobs.db", create=True)
    assert st.version() == VERSION and "created job store" in capfd.readouterr().err


def test_bad_store_urls():
    with pytest.raises(InputError, match="use a path"):
        open_store("mysql://x/y")
    with pytest.raises(InputError, match="cannot reach the job store"):
        open_store("postgresql://nobody:secret@127.0.0.1:9/none")
    try:
        open_store("postgresql://nobody:secret@127.0.0.1:9/none")
    except InputError as err:
        assert "secret" not in str(err)
