"""Render workers as Ray actors: ``cinealert worker --engine ray``.

Each actor holds its models (loaded once, in the actor's process) and runs the same claim → render → publish
loop as a worker process, on the shared job store and media store. Actors are created with
``max_restarts=-1`` and ``max_task_retries=-1``: when an actor dies (its node is lost, its process is killed),
Ray starts it again and calls its loop again; the job it held comes back through its lease. Ray places the
actors across the cluster; with ``--gpus-per-actor 1`` each holds one GPU, so there is one actor per GPU.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import time

from cinealert.errors import InputError


def connect(address: str | None) -> None:
    """Join the Ray cluster at ``address`` (or start a local one); an unreachable address is an InputError."""
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs the ray package (pip install ray)") from None
    if ray.is_initialized():
        return
    if address and address != "auto":
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=3).close()
        except (OSError, ValueError):
            raise InputError(f"no Ray cluster answers at {address} (start one with `ray start --head`, or leave "
                             "--ray-address out for a local one)") from None
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": env} if env else None)
    except Exception as err:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, …
        raise InputError(f"cannot join the Ray cluster at {address}: {err}") from None


class RenderActor:
    """One render worker inside a Ray actor (wrapped by :func:`actor_class`)."""

    def __init__(self, store_url: str, media_url: str, settings: dict, lease_s: float) -> None:
        from cinealert.models import offline
        from cinealert.service.media_store import open_media
        from cinealert.service.store import open_store
        offline()
        self.store = open_store(store_url, lease_s=lease_s)
        self.media = open_media(media_url)
        self.settings = settings
        self.state = {"stopping": False, "job": None}
        self.owner = f"ray-{socket.gethostname()}-{os.getpid()}"

    def run(self) -> str:
        from cinealert.service.worker import work_loop
        work_loop(self.store, self.media, owner=self.owner, settings=self.settings, state=self.state)
        return self.owner

    def stop(self) -> None:
        self.state["stopping"] = True

    def where(self) -> dict:
        return {"owner": self.owner, "pid": os.getpid(), "job": (self.state["job"] or {}).get("id")}


def actor_class(*, gpus: float = 0.0, cpus: float = 1.0):
    import ray
    return ray.remote(num_gpus=gpus, num_cpus=cpus, max_restarts=-1, max_task_retries=-1,
                      max_concurrency=2)(RenderActor)


def start_actors(store_url: str, media_url: str, settings: dict, *, actors: int, gpus: float = 0.0,
                 cpus: float = 1.0, lease_s: float = 30.0) -> list:
    """Create ``actors`` render actors and start their loops; the actor handles."""
    if not 1 <= actors <= 1024:
        raise InputError(f"--actors must be between 1 and 1024, got {actors}")
    if gpus < 0 or cpus <= 0:
        raise InputError("--gpus-per-actor must be ≥ 0 and --cpus-per-actor > 0")
    cls = actor_class(gpus=gpus, cpus=cpus)
    handles = [cls.remote(store_url, media_url, settings, lease_s) for _ in range(actors)]
    for h in handles:
        h.run.remote()
    return handles


def run_actors(store_url: str, media_url: str, settings: dict, *, actors: int, address: str | None,
               gpus: float = 0.0, cpus: float = 1.0, lease_s: float = 30.0) -> None:
    """``cinealert worker --engine ray``: place the actors, then keep them until SIGTERM/SIGINT."""
    import ray
    connect(address)
    handles = start_actors(store_url, media_url, settings, actors=actors, gpus=gpus, cpus=cpus, lease_s=lease_s)
    print(f"cinealert worker: {actors} Ray actor(s) on {store_url}, media {media_url}", file=sys.stderr, flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    ray.get([h.stop.remote() for h in handles], timeout=30)      # each finishes its job, then its loop ends
    ray.shutdown()
