"""The embedded job store: SQLite in WAL mode with ``synchronous=FULL``, so a job is on disk before the
API answers, and survives a crash of any process.

A job is one render. Alerts map to jobs (``alerts`` table): the same alert sent again (same sender,
identifier and sent time, or the same serial number of a Korean record) gets the same job, and
near-duplicates from several districts (the same event and level in the same time window) share one
render (coalescing).

Workers **lease** a job: claiming it sets ``lease_owner``, ``lease_until`` and increments ``attempt``; the
attempt number is the fencing token. A worker heartbeats to extend its lease; it can only complete a job
while it holds the current attempt, so a worker that was presumed dead and comes back cannot overwrite
the newer attempt's result. A sweeper puts jobs with expired leases back in the queue (or fails them
after ``max_attempts``). Priority orders the queue: Extreme or Immediate alerts first.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

STATES = ("queued", "running", "done", "failed", "cancelled", "superseded")
ACTIVE = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    kind TEXT NOT NULL,
    input_path TEXT NOT NULL,
    coalesce_key TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    lease_owner TEXT,
    lease_until REAL,
    progress REAL NOT NULL DEFAULT 0,
    result_dir TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(state, priority, created);
CREATE INDEX IF NOT EXISTS jobs_coalesce ON jobs(coalesce_key, state);
CREATE TABLE IF NOT EXISTS alerts (
    alert_key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    identifier TEXT,
    sender TEXT,
    sent TEXT,
    msg_type TEXT,
    summary TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_job ON alerts(job_id);
CREATE INDEX IF NOT EXISTS alerts_ref ON alerts(sender, identifier);
"""


@dataclass
class Submitted:
    job_id: str
    created: bool            # False: this alert (or a near-duplicate) already had a job
    coalesced: bool = False  # True: joined another alert's render
    state: str = "queued"


class QueueFull(Exception):
    """The queue holds ``max_queue`` active jobs; the caller should answer 429 / 503."""


class JobStore:
    """One SQLite database file; every method opens its own short transaction (safe across processes)."""

    def __init__(self, path: str | Path, *, max_queue: int = 1000, lease_s: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_queue = max_queue
        self.lease_s = lease_s
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)           # executescript commits on its own

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    class _Tx:
        def __init__(self, conn):
            self.conn = conn

        def __enter__(self):
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type, exc, tb):
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

    def _tx(self):
        return self._Tx(self._conn())

    # -- intake -------------------------------------------------------------------------------------
    def submit(self, *, alert_key: str, kind: str, input_path: str, priority: int, coalesce_key: str | None,
               identifier: str = "", sender: str = "", sent: str = "", msg_type: str = "Alert",
               summary: dict | None = None) -> Submitted:
        """Record an alert and its job in one transaction (durable when this returns).

        The same ``alert_key`` again returns its job. An alert whose ``coalesce_key`` matches an active or
        finished job joins that job instead of making a new render.
        """
        now = time.time()
        with self._tx() as c:
            row = c.execute("SELECT a.job_id, j.state FROM alerts a JOIN jobs j ON j.id = a.job_id "
                            "WHERE a.alert_key = ?", (alert_key,)).fetchone()
            if row is not None:
                return Submitted(row["job_id"], created=False, state=row["state"])
            job_id, coalesced, state = None, False, "queued"
            if coalesce_key:
                hit = c.execute("SELECT id, state FROM jobs WHERE coalesce_key = ? AND state IN "
                                "('queued', 'running', 'done') ORDER BY created LIMIT 1", (coalesce_key,)).fetchone()
                if hit is not None:
                    job_id, coalesced, state = hit["id"], True, hit["state"]
            if job_id is None:
                active = c.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]
                if active >= self.max_queue:
                    raise QueueFull(f"{active} jobs waiting (limit {self.max_queue})")
                job_id = uuid.uuid4().hex
                c.execute("INSERT INTO jobs (id, state, priority, kind, input_path, coalesce_key, created, updated) "
                          "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                          (job_id, priority, kind, input_path, coalesce_key, now, now))
            c.execute("INSERT INTO alerts (alert_key, job_id, identifier, sender, sent, msg_type, summary, created) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (alert_key, job_id, identifier, sender, sent, msg_type, json.dumps(summary or {}), now))
        return Submitted(job_id, created=not coalesced, coalesced=coalesced, state=state)

    def record_alert(self, *, alert_key: str, job_id: str, identifier: str, sender: str, sent: str,
                     msg_type: str, summary: dict | None = None) -> bool:
        """Record an alert that makes no render of its own (a Cancel) against ``job_id``; False if known."""
        with self._tx() as c:
            if c.execute("SELECT 1 FROM alerts WHERE alert_key = ?", (alert_key,)).fetchone():
                return False
            c.execute("INSERT INTO alerts (alert_key, job_id, identifier, sender, sent, msg_type, summary, created) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (alert_key, job_id, identifier, sender, sent, msg_type, json.dumps(summary or {}), time.time()))
        return True

    def jobs_of_references(self, refs: list[tuple[str, str]]) -> list[str]:
        """The jobs of the alerts that ``(sender, identifier)`` pairs name (CAP ``<references>``)."""
        out = []
        c = self._conn()
        for sender, identifier in refs:
            for row in c.execute("SELECT job_id FROM alerts WHERE identifier = ? AND (sender = ? OR ? = '')",
                                 (identifier, sender, sender)):
                out.append(row["job_id"])
        return list(dict.fromkeys(out))

    def end(self, job_ids: list[str], state: str, reason: str) -> int:
        """Mark jobs ``cancelled`` or ``superseded`` (a running one stops at its next heartbeat)."""
        if state not in ("cancelled", "superseded"):
            raise ValueError(f"cannot end jobs as {state!r}")
        n = 0
        with self._tx() as c:
            for j in job_ids:
                n += c.execute("UPDATE jobs SET state = ?, error = ?, updated = ? WHERE id = ? AND state IN "
                               "('queued', 'running', 'done')", (state, reason, time.time(), j)).rowcount
        return n

    # -- workers -----------------------------------------------------------------------------------
    def claim(self, owner: str) -> dict | None:
        """Lease the most urgent queued job; returns it (with its new ``attempt``) or None."""
        now = time.time()
        with self._tx() as c:
            row = c.execute("SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority, created LIMIT 1").fetchone()
            if row is None:
                return None
            c.execute("UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?, lease_until = ?, "
                      "progress = 0, updated = ? WHERE id = ?", (owner, now + self.lease_s, now, row["id"]))
            job = dict(row)
            job["attempt"] += 1
            job["state"] = "running"
        return job

    def heartbeat(self, job_id: str, attempt: int, owner: str, progress: float | None = None) -> bool:
        """Extend the lease; False when this worker no longer holds the job (stop working on it)."""
        now = time.time()
        with self._tx() as c:
            sets = "lease_until = ?, updated = ?" + (", progress = ?" if progress is not None else "")
            args = [now + self.lease_s, now] + ([progress] if progress is not None else [])
            n = c.execute(f"UPDATE jobs SET {sets} WHERE id = ? AND attempt = ? AND lease_owner = ? AND "
                          "state = 'running'", (*args, job_id, attempt, owner)).rowcount
        return n == 1

    def complete(self, job_id: str, attempt: int, owner: str, result_dir: str) -> bool:
        """Finish the job if this worker still holds this attempt (the fencing check)."""
        with self._tx() as c:
            n = c.execute("UPDATE jobs SET state = 'done', result_dir = ?, progress = 1, lease_owner = NULL, "
                          "lease_until = NULL, updated = ? WHERE id = ? AND attempt = ? AND lease_owner = ? AND "
                          "state = 'running'", (result_dir, time.time(), job_id, attempt, owner)).rowcount
        return n == 1

    def fail(self, job_id: str, attempt: int, owner: str, error: str, *, retry: bool) -> None:
        with self._tx() as c:
            row = c.execute("SELECT attempt, max_attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
            again = retry and row is not None and row["attempt"] < row["max_attempts"]
            c.execute("UPDATE jobs SET state = ?, error = ?, lease_owner = NULL, lease_until = NULL, updated = ? "
                      "WHERE id = ? AND attempt = ? AND lease_owner = ? AND state = 'running'",
                      ("queued" if again else "failed", error[:2000], time.time(), job_id, attempt, owner))

    def sweep(self, *, now: float | None = None) -> int:
        """Requeue running jobs whose lease expired (their worker died), or fail those out of attempts."""
        now = time.time() if now is None else now
        with self._tx() as c:
            n = c.execute("UPDATE jobs SET state = CASE WHEN attempt < max_attempts THEN 'queued' ELSE 'failed' END, "
                          "error = CASE WHEN attempt < max_attempts THEN error ELSE 'worker lost (lease expired)' END, "
                          "lease_owner = NULL, lease_until = NULL, updated = ? "
                          "WHERE state = 'running' AND lease_until < ?", (now, now)).rowcount
        return n

    # -- reading ------------------------------------------------------------------------------------
    def job(self, job_id: str) -> dict | None:
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = dict(row)
        job["alerts"] = [dict(r) | {"summary": json.loads(r["summary"] or "{}")} for r in self._conn().execute(
            "SELECT alert_key, identifier, sender, sent, msg_type, summary FROM alerts WHERE job_id = ? "
            "ORDER BY created", (job_id,))]
        return job

    def alert_job(self, identifier: str) -> dict | None:
        row = self._conn().execute("SELECT job_id FROM alerts WHERE identifier = ? OR alert_key = ? "
                                   "ORDER BY created DESC LIMIT 1", (identifier, identifier)).fetchone()
        return self.job(row["job_id"]) if row else None

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for row in self._conn().execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state"):
            out[row["state"]] = row["n"]
        out["alerts"] = self._conn().execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        return out

    def latest(self, limit: int = 24) -> list[dict]:
        rows = self._conn().execute("SELECT id FROM jobs WHERE state = 'done' ORDER BY updated DESC LIMIT ?", (limit,))
        return [self.job(r["id"]) for r in rows.fetchall()]
