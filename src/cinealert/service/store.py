"""The job store: one interface, two backends — SQLite (embedded, the default) and PostgreSQL (shared by API
replicas and workers on many machines). ``open_store(url)`` picks one from its URL.

A job is one render. Alerts map to jobs (``alerts`` table): the same alert sent again (same sender,
identifier and sent time, or the same serial number of a Korean record) gets the same job, and
near-duplicates from several districts (the same event and level in the same time window) share one
render (coalescing). The alert's input itself is kept in the job (``input``), so a worker on another
machine can render it.

Workers **lease** a job: claiming it sets ``lease_owner``, ``lease_until`` and increments ``attempt``; the
attempt number is the fencing token. A worker heartbeats to extend its lease; it can only complete a job
while it holds the current attempt, so a worker that was presumed dead and comes back cannot overwrite
the newer attempt's result. A sweeper puts jobs with expired leases back in the queue (or fails them
after ``max_attempts``). Priority orders the queue: Extreme or Immediate alerts first.

What each guarantee rests on:
- durability: SQLite in WAL mode with ``synchronous=FULL``; PostgreSQL's commit (WAL flushed);
- one job per alert: the ``alerts`` primary key; on PostgreSQL, intake also takes a transaction-scoped
  advisory lock on the alert key and the coalescing key, so two replicas that get the same alert at the same
  moment serialise, and the second finds the first one's job;
- one worker per job: SQLite's ``BEGIN IMMEDIATE`` (one writer at a time); PostgreSQL's
  ``SELECT … FOR UPDATE SKIP LOCKED`` (concurrent claimers skip each other's rows);
- nothing done twice: every update of a running job names its attempt and owner (fencing).

The schema is versioned (table ``cinealert_schema``) and changed only by :func:`migrate`
(``cinealert store migrate``), never silently; a store of a newer version than this code knows is refused.
"""
from __future__ import annotations

import json
import re
import sqlite3
import sys
import threading
import time
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cinealert.errors import InputError

STATES = ("queued", "running", "done", "failed", "cancelled", "superseded")
ACTIVE = ("queued", "running")

#: Numbered schema changes; ``{blob}`` and ``{real}`` are the backend's types.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "jobs and alerts", """
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
    lease_until {real},
    progress {real} NOT NULL DEFAULT 0,
    result_dir TEXT,
    error TEXT,
    created {real} NOT NULL,
    updated {real} NOT NULL
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
    created {real} NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_job ON alerts(job_id);
CREATE INDEX IF NOT EXISTS alerts_ref ON alerts(sender, identifier);
"""),
    (2, "the alert's input kept in its job (workers on other machines)", """
ALTER TABLE jobs ADD COLUMN input {blob};
ALTER TABLE jobs ADD COLUMN settings TEXT;
"""),
]
VERSION = MIGRATIONS[-1][0]


@dataclass
class Submitted:
    job_id: str
    created: bool            # False: this alert (or a near-duplicate) already had a job
    coalesced: bool = False  # True: joined another alert's render
    state: str = "queued"


class QueueFull(Exception):
    """The queue holds ``max_queue`` active jobs; the caller should answer 429 / 503."""


class SchemaError(InputError):
    """The store's schema is missing, older or newer than this code: run ``cinealert store migrate``."""


class JobStore:
    """The job store's operations, written once in SQL common to both backends (``?`` placeholders).

    A backend provides ``_conn()`` (this thread's connection), ``_tx()`` (a write transaction yielding a
    connection whose ``execute`` takes ``?`` placeholders), ``_claim_sql`` and its schema types."""

    blob = "BLOB"
    real = "REAL"
    url = ""

    def __init__(self, *, max_queue: int = 1000, lease_s: float = 30.0) -> None:
        self.max_queue = max_queue
        self.lease_s = lease_s
        self._local = threading.local()

    # -- schema --------------------------------------------------------------------------------------
    def version(self) -> int:
        """The schema version of the store (0: none)."""
        raise NotImplementedError

    def check_version(self) -> None:
        v = self.version()
        if v > VERSION:
            raise SchemaError(f"the job store {self.url} has schema version {v}, newer than this cinealert "
                              f"knows ({VERSION}): upgrade cinealert")
        if v < VERSION:
            raise SchemaError(f"the job store {self.url} has schema version {v} (this cinealert needs {VERSION}): "
                              f"run `cinealert store migrate --store {self.url}`")

    def migrate(self) -> list[int]:
        """Apply the missing migrations in order; the versions applied."""
        v = self.version()
        if v > VERSION:
            self.check_version()
        done = []
        for number, about, sql in MIGRATIONS:
            if number <= v:
                continue
            with self._tx() as c:
                self._ensure_schema_table(c)
                for stmt in filter(None, (s.strip() for s in sql.format(blob=self.blob, real=self.real).split(";"))):
                    if not self._skip_statement(c, stmt):
                        c.execute(stmt)
                c.execute("INSERT INTO cinealert_schema (version, description, applied) VALUES (?, ?, ?)",
                          (number, about, time.time()))
            done.append(number)
        return done

    def _ensure_schema_table(self, c) -> None:
        c.execute(f"CREATE TABLE IF NOT EXISTS cinealert_schema (version INTEGER PRIMARY KEY, description TEXT, "
                  f"applied {self.real} NOT NULL)")

    def _skip_statement(self, c, stmt: str) -> bool:
        """True for an ``ADD COLUMN`` already there (a store made before versioning had it from its DDL)."""
        m = re.match(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", stmt)
        return bool(m) and m.group(2) in self._columns(c, m.group(1))

    # -- intake -------------------------------------------------------------------------------------
    def _lock(self, c, *keys: str | None) -> None:
        """Serialise intakes of the same keys (PostgreSQL); SQLite has one writer at a time anyway."""

    def submit(self, *, alert_key: str, kind: str, input_path: str, priority: int, coalesce_key: str | None,
               identifier: str = "", sender: str = "", sent: str = "", msg_type: str = "Alert",
               summary: dict | None = None, input_body: bytes | None = None,
               settings: dict | None = None) -> Submitted:
        """Record an alert and its job in one transaction (durable when this returns).

        The same ``alert_key`` again returns its job. An alert whose ``coalesce_key`` matches an active or
        finished job joins that job instead of making a new render.
        """
        now = time.time()
        with self._tx() as c:
            self._lock(c, alert_key, coalesce_key)
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
                active = c.execute("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')").fetchone()["n"]
                if active >= self.max_queue:
                    raise QueueFull(f"{active} jobs waiting (limit {self.max_queue})")
                job_id = uuid.uuid4().hex
                c.execute("INSERT INTO jobs (id, state, priority, kind, input_path, input, settings, coalesce_key, "
                          "created, updated) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
                          (job_id, priority, kind, input_path, input_body,
                           json.dumps(settings) if settings is not None else None, coalesce_key, now, now))
            c.execute("INSERT INTO alerts (alert_key, job_id, identifier, sender, sent, msg_type, summary, created) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (alert_key, job_id, identifier, sender, sent, msg_type, json.dumps(summary or {}), now))
        return Submitted(job_id, created=not coalesced, coalesced=coalesced, state=state)

    def record_alert(self, *, alert_key: str, job_id: str, identifier: str, sender: str, sent: str,
                     msg_type: str, summary: dict | None = None) -> bool:
        """Record an alert that makes no render of its own (a Cancel) against ``job_id``; False if known."""
        with self._tx() as c:
            self._lock(c, alert_key)
            if c.execute("SELECT 1 AS one FROM alerts WHERE alert_key = ?", (alert_key,)).fetchone():
                return False
            c.execute("INSERT INTO alerts (alert_key, job_id, identifier, sender, sent, msg_type, summary, created) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (alert_key, job_id, identifier, sender, sent, msg_type, json.dumps(summary or {}), time.time()))
        return True

    def jobs_of_references(self, refs: list[tuple[str, str]]) -> list[str]:
        """The jobs of the alerts that ``(sender, identifier)`` pairs name (CAP ``<references>``)."""
        out = []
        for sender, identifier in refs:
            for row in self._read("SELECT job_id FROM alerts WHERE identifier = ? AND (sender = ? OR ? = '')",
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
    _claim_sql = "SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority, created LIMIT 1"

    def claim(self, owner: str) -> dict | None:
        """Lease the most urgent queued job; returns it (with its new ``attempt``) or None."""
        now = time.time()
        with self._tx() as c:
            row = c.execute(self._claim_sql).fetchone()
            if row is None:
                return None
            c.execute("UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?, lease_until = ?, "
                      "progress = 0, updated = ? WHERE id = ?", (owner, now + self.lease_s, now, row["id"]))
            job = dict(row)
            job["attempt"] += 1
            job["state"] = "running"
        if job.get("input") is not None:
            job["input"] = bytes(job["input"])
        job["settings"] = json.loads(job["settings"]) if job.get("settings") else None
        return job

    def release(self, job_id: str, attempt: int, owner: str) -> bool:
        """Hand a claimed job back to the queue at once (a worker shutting down); its attempt is not counted."""
        with self._tx() as c:
            n = c.execute("UPDATE jobs SET state = 'queued', attempt = attempt - 1, lease_owner = NULL, "
                          "lease_until = NULL, progress = 0, updated = ? WHERE id = ? AND attempt = ? AND "
                          "lease_owner = ? AND state = 'running'", (time.time(), job_id, attempt, owner)).rowcount
        return n == 1

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
    _JOB_COLUMNS = ("id, state, priority, kind, input_path, coalesce_key, attempt, max_attempts, lease_owner, "
                    "lease_until, progress, result_dir, error, created, updated")

    def job(self, job_id: str) -> dict | None:
        rows = self._read(f"SELECT {self._JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            return None
        job = dict(rows[0])
        job["alerts"] = [dict(r) | {"summary": json.loads(r["summary"] or "{}")} for r in self._read(
            "SELECT alert_key, identifier, sender, sent, msg_type, summary FROM alerts WHERE job_id = ? "
            "ORDER BY created", (job_id,))]
        return job

    def alert_job(self, identifier: str) -> dict | None:
        rows = self._read("SELECT job_id FROM alerts WHERE identifier = ? OR alert_key = ? "
                          "ORDER BY created DESC LIMIT 1", (identifier, identifier))
        return self.job(rows[0]["job_id"]) if rows else None

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for row in self._read("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state"):
            out[row["state"]] = row["n"]
        out["alerts"] = self._read("SELECT COUNT(*) AS n FROM alerts")[0]["n"]
        return out

    def latest(self, limit: int = 24) -> list[dict]:
        rows = self._read("SELECT id FROM jobs WHERE state = 'done' ORDER BY updated DESC LIMIT ?", (limit,))
        return [self.job(r["id"]) for r in rows]

    def _read(self, sql: str, args: tuple = ()) -> list:
        with self._tx(read=True) as c:
            return c.execute(sql, args).fetchall()


# ------------------------------------------------------------------------------------------------- SQLite
class SQLiteStore(JobStore):
    """One SQLite database file; every method opens its own short transaction (safe across processes)."""

    def __init__(self, path: str | Path, *, max_queue: int = 1000, lease_s: float = 30.0,
                 create: bool = True, check: bool = True) -> None:
        super().__init__(max_queue=max_queue, lease_s=lease_s)
        self.path = Path(path)
        self.url = str(self.path)
        if not self.path.exists() and not create and check:
            raise SchemaError(f"no job store at {self.path}: run `cinealert store migrate --store {self.path}`")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._conn()
        except (OSError, sqlite3.Error) as err:
            raise InputError(f"cannot open the job store {self.path}: {err}") from None
        if new and create:
            self.migrate()
            print(f"cinealert: created job store {self.path} (schema version {VERSION})", file=sys.stderr)
        if check:
            self.check_version()

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

    @contextmanager
    def _tx(self, read: bool = False):
        conn = self._conn()
        if read:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def version(self) -> int:
        c = self._conn()
        tables = {r["name"] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "cinealert_schema" in tables:
            return c.execute("SELECT COALESCE(MAX(version), 0) AS v FROM cinealert_schema").fetchone()["v"]
        return 0

    def _columns(self, c, table: str) -> set[str]:
        return {r["name"] for r in c.execute(f"PRAGMA table_info({table})")}


# ------------------------------------------------------------------------------------------------- PostgreSQL
class PostgresStore(JobStore):
    """A PostgreSQL database (psycopg 3) shared by API replicas and workers on many machines."""

    blob = "BYTEA"
    real = "DOUBLE PRECISION"
    _claim_sql = ("SELECT * FROM jobs WHERE state = 'queued' ORDER BY priority, created LIMIT 1 "
                  "FOR UPDATE SKIP LOCKED")

    def __init__(self, url: str, *, max_queue: int = 1000, lease_s: float = 30.0, check: bool = True) -> None:
        super().__init__(max_queue=max_queue, lease_s=lease_s)
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise InputError("a postgresql:// job store needs psycopg (pip install 'psycopg[binary]')") from None
        self.url = url
        self._dsn = url
        self._conn()                                   # unreachable or refused: InputError now
        if check:
            self.check_version()

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg
            from psycopg.rows import dict_row
            try:
                conn = psycopg.connect(self._dsn, autocommit=True, row_factory=dict_row, connect_timeout=5)
            except psycopg.Error as err:
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                raise InputError(f"cannot reach the job store {_redact(self.url)}: {first}") from None
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self, read: bool = False):
        import psycopg
        conn = self._conn()
        try:
            with conn.transaction():
                yield _Placeholders(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            self._local.conn = None                    # a broken connection: the next call reconnects
            raise

    def _lock(self, c, *keys: str | None) -> None:
        for key in sorted(k for k in keys if k):
            c.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(key.encode()) - 2**31,))

    def version(self) -> int:
        with self._tx(read=True) as c:
            if c.execute("SELECT to_regclass('cinealert_schema') AS t").fetchone()["t"] is None:
                return 0
            return c.execute("SELECT COALESCE(MAX(version), 0) AS v FROM cinealert_schema").fetchone()["v"]

    def _columns(self, c, table: str) -> set[str]:
        return {r["column_name"] for r in c.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", (table,)).fetchall()}

    def migrate(self) -> list[int]:
        with self._tx() as c:                          # one migrator at a time
            c.execute("SELECT pg_advisory_xact_lock(?)", (7_771_001,))
        return super().migrate()


class _Placeholders:
    """A psycopg connection whose ``execute`` takes the ``?`` placeholders the shared SQL uses."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def execute(self, sql: str, args: tuple = ()):
        return self.conn.execute(sql.replace("%", "%%").replace("?", "%s"), args)


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def open_store(url: str | Path, *, max_queue: int = 1000, lease_s: float = 30.0, create: bool = False,
               check: bool = True) -> JobStore:
    """The job store a URL names: a path or ``sqlite:///PATH`` → SQLite; ``postgresql://…`` → PostgreSQL.

    ``create``: make a new SQLite file at the current schema version (the embedded default); PostgreSQL
    schemas are only made by ``cinealert store migrate``. ``check=False`` skips the version check (migrate)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text, max_queue=max_queue, lease_s=lease_s, check=check)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise InputError(f"job store URL {text!r}: use a path, sqlite:///PATH or postgresql://USER@HOST/DB")
    return SQLiteStore(text, max_queue=max_queue, lease_s=lease_s, create=create, check=check)
