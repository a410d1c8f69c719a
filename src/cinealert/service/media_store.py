"""Where a job's media live: a local folder (also a shared mount) or S3-compatible object storage.

Workers render an attempt into a local working folder, then **publish** it under an attempt-scoped key
(``jobs/<job id>/attempt-<n>``) and only then ask the job store to complete the job with that key. The job
store's commit is the moment the media become visible: readers (the API) find media only through the key the
store recorded, and the store records a key only for the attempt that still holds the lease (the attempt
number is the fencing token). A fenced-out attempt's media are discarded; once a job is done, the other
attempts' media are cleaned up.

Each backend also makes a published key atomic on its own: the local backend writes ``attempt-<n>.part`` and
renames it; the object backend uploads every file, then a ``_published.json`` manifest (names and sizes)
last, and a key without its manifest does not exist for readers.

``open_media(url)``: a path or ``file://PATH`` → :class:`LocalMedia`; ``s3://bucket/prefix`` →
:class:`S3Media` (through s3fs; endpoint from ``AWS_ENDPOINT_URL`` for MinIO, Ceph, moto …, credentials from
the usual ``AWS_*`` variables).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path

from cinealert.errors import InputError

MANIFEST = "_published.json"
_CHUNK = 1 << 20
_MANIFEST_TTL_S = 60.0


def attempt_key(job_id: str, attempt: int) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", job_id) or attempt < 1:
        raise ValueError(f"bad job id {job_id!r} or attempt {attempt}")
    return f"jobs/{job_id}/attempt-{attempt}"


class MediaStore(ABC):
    """The media of finished attempts, addressed by ``(key, name)``."""

    url: str

    # -- writing (workers) --------------------------------------------------------------------------
    def workdir(self, job_id: str, attempt: int) -> Path:
        """A fresh local folder to render an attempt into (publish it when the render is complete)."""
        path = Path(tempfile.mkdtemp(prefix=f"cinealert-{job_id[:12]}-{attempt}-"))
        return path

    @abstractmethod
    def publish(self, job_id: str, attempt: int, local_dir: Path) -> str:
        """Put every file of ``local_dir`` under the attempt's key and return the key (visible once recorded)."""

    @abstractmethod
    def discard(self, job_id: str, attempt: int) -> None:
        """Remove an attempt's media (a fenced-out or failed attempt)."""

    @abstractmethod
    def cleanup(self, job_id: str, keep: str) -> None:
        """Remove every attempt of ``job_id`` but the published one ``keep``."""

    # -- reading (API replicas) ---------------------------------------------------------------------
    @abstractmethod
    def names(self, key: str) -> list[str]:
        """The files published under ``key`` (empty if the key is not published)."""

    @abstractmethod
    def size(self, key: str, name: str) -> int:
        """Bytes of one published file (``FileNotFoundError`` if absent)."""

    @abstractmethod
    def read_range(self, key: str, name: str, start: int, end: int) -> bytes:
        """Bytes ``start`` .. ``end`` (inclusive) of one published file."""

    def exists(self, key: str, name: str) -> bool:
        return name in self.names(key)

    def read_bytes(self, key: str, name: str) -> bytes:
        size = self.size(key, name)
        return self.read_range(key, name, 0, size - 1) if size else b""

    def iter_range(self, key: str, name: str, start: int, end: int):
        """The bytes ``start`` .. ``end`` in chunks (for streaming responses)."""
        pos = start
        while pos <= end:
            stop = min(end, pos + _CHUNK - 1)
            yield self.read_range(key, name, pos, stop)
            pos = stop + 1

    def local_path(self, key: str, name: str) -> Path | None:
        """A local file for ``(key, name)`` when the backend has one (served with sendfile), else None."""
        return None

    def describe(self) -> dict:
        return {"kind": type(self).__name__, "url": self.url}


class LocalMedia(MediaStore):
    """A folder: ``ROOT/jobs/<id>/attempt-<n>/`` (a shared mount works for several machines)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()
        self.url = str(self.root)
        try:
            (self.root / "jobs").mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"media folder {self.root} cannot be used: {err.strerror or err}") from None

    def _dir(self, key: str) -> Path:
        path = Path(key) if os.path.isabs(key) else self.root / key
        path = path.resolve()
        if self.root.resolve() not in path.parents:
            raise FileNotFoundError(key)
        return path

    def workdir(self, job_id: str, attempt: int) -> Path:
        # Render straight into the media folder (same file system), so publishing is one rename.
        path = self.root / (attempt_key(job_id, attempt) + ".part")
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def publish(self, job_id: str, attempt: int, local_dir: Path) -> str:
        key = attempt_key(job_id, attempt)
        final = self.root / key
        part = final.with_name(final.name + ".part")
        if Path(local_dir).absolute() != part.absolute():
            shutil.rmtree(part, ignore_errors=True)
            shutil.copytree(local_dir, part)
        shutil.rmtree(final, ignore_errors=True)          # a crash after an earlier publish of this attempt
        os.replace(part, final)
        return key

    def discard(self, job_id: str, attempt: int) -> None:
        key = attempt_key(job_id, attempt)
        for path in (self.root / key, self.root / (key + ".part")):
            shutil.rmtree(path, ignore_errors=True)

    def cleanup(self, job_id: str, keep: str) -> None:
        job_dir = self.root / "jobs" / job_id
        keep_path = self._dir(keep)
        for path in job_dir.glob("attempt-*"):
            if path.resolve() != keep_path:
                shutil.rmtree(path, ignore_errors=True)

    def names(self, key: str) -> list[str]:
        try:
            folder = self._dir(key)
        except FileNotFoundError:
            return []
        if folder.name.endswith(".part") or not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file())

    def local_path(self, key: str, name: str) -> Path | None:
        path = self._dir(key) / name
        return path if path.is_file() and not path.parent.name.endswith(".part") else None

    def size(self, key: str, name: str) -> int:
        path = self.local_path(key, name)
        if path is None:
            raise FileNotFoundError(f"{key}/{name}")
        return path.stat().st_size

    def read_range(self, key: str, name: str, start: int, end: int) -> bytes:
        path = self.local_path(key, name)
        if path is None:
            raise FileNotFoundError(f"{key}/{name}")
        with open(path, "rb") as f:
            f.seek(start)
            return f.read(end - start + 1)


class S3Media(MediaStore):
    """S3-compatible object storage: ``s3://BUCKET/PREFIX/jobs/<id>/attempt-<n>/<name>``."""

    def __init__(self, url: str, *, endpoint_url: str | None = None) -> None:
        m = re.fullmatch(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(/.*)?", url)
        if m is None:
            raise InputError(f"media URL {url!r} is not s3://BUCKET[/PREFIX] (bucket names: 3-63 of a-z 0-9 . -)")
        try:
            import s3fs
        except ImportError:
            raise InputError("the S3 media store needs the s3fs package (pip install s3fs)") from None
        self.url = url
        self.bucket = m.group(1)
        self.prefix = (m.group(2) or "").strip("/")
        endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3")
        kwargs = {"client_kwargs": {"endpoint_url": endpoint_url}} if endpoint_url else {}
        self.endpoint = endpoint_url
        self._manifests: dict[str, tuple[float, dict]] = {}
        self.fs = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False,
                                    config_kwargs={"connect_timeout": 5, "read_timeout": 30,
                                                   "retries": {"max_attempts": 2}}, **kwargs)
        try:
            self.fs.ls(self.bucket, refresh=True)
        except FileNotFoundError:
            raise InputError(f"media bucket {self.bucket!r} does not exist at "
                             f"{endpoint_url or 'the default S3 endpoint'}") from None
        except Exception as err:  # noqa: BLE001 - botocore raises many kinds; all mean "cannot use it"
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise InputError(f"media store {url} is not reachable at {endpoint_url or 'the default S3 endpoint'}: "
                             f"{first}") from None

    def _path(self, key: str, name: str | None = None) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise FileNotFoundError(key)
        parts = [self.bucket] + ([self.prefix] if self.prefix else []) + [key] + ([name] if name else [])
        return "/".join(parts)

    def publish(self, job_id: str, attempt: int, local_dir: Path) -> str:
        key = attempt_key(job_id, attempt)
        files = sorted(p for p in Path(local_dir).iterdir() if p.is_file())
        for p in files:
            self.fs.put_file(str(p), self._path(key, p.name))
        manifest = {p.name: p.stat().st_size for p in files}
        with self.fs.open(self._path(key, MANIFEST), "wb") as f:   # written last: the key exists from here on
            f.write(json.dumps(manifest).encode())
        if Path(local_dir).name.startswith("cinealert-"):
            shutil.rmtree(local_dir, ignore_errors=True)           # our own working folder
        return key

    def _remove(self, key: str) -> None:
        path = self._path(key)
        self._manifests.pop(key, None)
        try:
            self.fs.rm(self._path(key, MANIFEST))                  # unpublish first, then the files
        except FileNotFoundError:
            pass
        try:
            self.fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass

    def discard(self, job_id: str, attempt: int) -> None:
        self._remove(attempt_key(job_id, attempt))

    def cleanup(self, job_id: str, keep: str) -> None:
        base = self._path(f"jobs/{job_id}")
        try:
            entries = self.fs.ls(base, detail=False, refresh=True)
        except FileNotFoundError:
            return
        for entry in entries:
            tail = entry.rstrip("/").rsplit("/", 1)[-1]
            if tail.startswith("attempt-") and f"jobs/{job_id}/{tail}" != keep:
                self._remove(f"jobs/{job_id}/{tail}")

    def _manifest(self, key: str) -> dict:
        """Names and sizes published under ``key`` ({} if unpublished). A published key never changes, so
        manifests found are kept (a bounded number, for a short while): one GET less per ranged read."""
        hit = self._manifests.get(key)
        if hit is not None and time.monotonic() - hit[0] < _MANIFEST_TTL_S:
            return hit[1]
        try:
            with self.fs.open(self._path(key, MANIFEST), "rb") as f:
                manifest = json.loads(f.read())
        except FileNotFoundError:
            return {}
        if len(self._manifests) >= 256:
            self._manifests.pop(next(iter(self._manifests)))
        self._manifests[key] = (time.monotonic(), manifest)
        return manifest

    def names(self, key: str) -> list[str]:
        try:
            return sorted(self._manifest(key))
        except FileNotFoundError:
            return []

    def size(self, key: str, name: str) -> int:
        manifest = self._manifest(key)
        if name not in manifest:
            raise FileNotFoundError(f"{key}/{name}")
        return int(manifest[name])

    def read_range(self, key: str, name: str, start: int, end: int) -> bytes:
        if name not in self._manifest(key):
            raise FileNotFoundError(f"{key}/{name}")
        return self.fs.cat_file(self._path(key, name), start=start, end=end + 1)

    def iter_range(self, key: str, name: str, start: int, end: int):
        if name not in self._manifest(key):
            raise FileNotFoundError(f"{key}/{name}")
        with self.fs.open(self._path(key, name), "rb", block_size=_CHUNK) as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(_CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk

    def describe(self) -> dict:
        return {"kind": "S3Media", "url": self.url, "endpoint": self.endpoint}


def open_media(url: str | Path) -> MediaStore:
    """The media store a URL names (see the module docstring); a bad URL is an :class:`InputError`."""
    text = str(url)
    if text.startswith("s3://"):
        return S3Media(text)
    if text.startswith("file://"):
        return LocalMedia(text[len("file://"):])
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise InputError(f"media URL {text!r}: use a folder, file://PATH or s3://BUCKET/PREFIX")
    return LocalMedia(text)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """``(start, end)`` of a ``Range: bytes=…`` header, None without one, ``"unsatisfiable"`` if out of range."""
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if m is None or (not m.group(1) and not m.group(2)):
        return None                                       # not a single byte range: send the whole file
    if m.group(1):
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
    if start >= size or start > end:
        return "unsatisfiable"
    return start, min(end, size - 1)


def media_response(store: MediaStore, key: str, name: str, *, media_type: str, range_header: str | None = None):
    """A Starlette response for one published file: 200, 206 for a byte range, 416 out of range, 404 absent."""
    from starlette.responses import FileResponse, Response, StreamingResponse

    local = store.local_path(key, name)
    if local is not None:
        return FileResponse(local, media_type=media_type, filename=name)
    try:
        size = store.size(key, name)
    except FileNotFoundError:
        return Response(status_code=404)
    rng = parse_range(range_header, size)
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": f'inline; filename="{name}"'}
    if rng == "unsatisfiable":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if rng is None:
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = rng, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    body = store.iter_range(key, name, start, end) if size else iter([b""])
    return StreamingResponse(body, status_code=status, media_type=media_type, headers=headers)
