"""A real PostgreSQL server on loopback for the tests: Debian's binaries, run as the ``postgres`` user in a
temporary data directory, started once per test session; each test gets its own database."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

import pytest


def _bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@contextlib.contextmanager
def running_postgres(bindir: str | None = None):
    """Start a PostgreSQL server on loopback in a temporary folder; yields ``postgresql://postgres@127.0.0.1:PORT``
    and stops it (and removes the folder) on exit. Used by the tests' fixture and by ``bench/bench_scale.py``."""
    bindir = bindir or _bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not installed (Debian package postgresql)")
    root = tempfile.mkdtemp(prefix="cinealert-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--no-sync"]), check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    try:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-w", "-t", "60", "-l",
                                     os.path.join(root, "log"), "start"]), check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """A new empty database on ``server``; its URL."""
    import psycopg
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def pg_server():
    """``postgresql://postgres@127.0.0.1:PORT`` of a server started for this session."""
    pytest.importorskip("psycopg")
    bindir = _bin()
    if bindir is None:
        if os.environ.get("CINEALERT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (CINEALERT_REQUIRE_POSTGRES=1) but /usr/lib/postgresql/*/bin is missing")
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    with running_postgres(bindir) as url:
        yield url


@pytest.fixture
def pg_url(pg_server):
    """A new empty database on the session's server."""
    return new_database(pg_server)
