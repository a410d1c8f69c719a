"""``cinealert worker``: render workers (local processes or Ray actors) pulling jobs from a shared job store."""
from __future__ import annotations

import argparse

from cinealert.cli.options import job_options, job_settings
from cinealert.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("worker", help="render workers pulling from a shared job store (processes or Ray actors)",
                       description="Claim jobs from the job store, render them and publish their media, until "
                                   "stopped. SIGTERM: finish the job at hand, then exit (a second SIGTERM, or "
                                   "--drain-timeout, hands it back to the queue at once). A worker killed outright "
                                   "loses nothing: its lease runs out and another worker renders the job again. "
                                   "With --engine ray, N render actors are placed across a Ray cluster (one GPU "
                                   "each with --gpus-per-actor 1); Ray restarts an actor whose node is lost.",
                       epilog="examples:\n  cinealert store migrate --store postgresql://cinealert@db/cinealert\n"
                              "  cinealert worker --store postgresql://cinealert@db/cinealert --media s3://media/alerts\n"
                              "  ray start --head --port 6379            # on the head node\n"
                              "  ray start --address HEAD:6379           # on every other node\n"
                              "  cinealert worker --store postgresql://cinealert@db/cinealert --media s3://media/alerts "
                              "--engine ray --ray-address HEAD:6379 --actors 8 --gpus-per-actor 1",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", required=True, metavar="URL", help="the job store (postgresql://… or a SQLite path)")
    p.add_argument("--media", metavar="URL", help="the media store: a folder every API replica sees, or "
                                                  "s3://BUCKET/PREFIX (default: the SQLite store's folder)")
    p.add_argument("--engine", default="local", help="local (worker processes, default) or ray (actors)")
    p.add_argument("--processes", type=int, default=1, metavar="N", help="local engine: worker processes (default 1)")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: the cluster (host:port of `ray start "
                                                         "--head`); default: a local Ray")
    p.add_argument("--actors", type=int, default=1, metavar="N", help="with --engine ray: render actors (default 1)")
    p.add_argument("--gpus-per-actor", type=float, default=0.0, metavar="G", help="GPUs each actor holds (default 0)")
    p.add_argument("--cpus-per-actor", type=float, default=1.0, metavar="C", help="CPUs each actor holds (default 1)")
    p.add_argument("--lease", type=float, default=30.0, help="lease in seconds (default 30)")
    p.add_argument("--drain-timeout", type=float, metavar="S", help="after SIGTERM, hand the job at hand back "
                                                                    "after S seconds instead of finishing it")
    job_options(p, size_help="clip size for jobs that carry no settings of their own (default 1024x576)",
                seconds_help="loop length for such jobs (default 3)",
                fps_help="frames per second for such jobs (default 24)", formats_help="media for such jobs")


def run(args: argparse.Namespace) -> None:
    from cinealert.service.media_store import open_media
    from cinealert.service.store import open_store
    if args.engine not in ("local", "ray"):
        raise InputError(f"unknown engine {args.engine!r}; choose local or ray")
    settings = job_settings(args)
    store = open_store(args.store, lease_s=args.lease)            # unreachable, unmigrated, newer: exit 2 now
    if args.media is None and not hasattr(store, "path"):
        raise InputError("a postgresql:// store needs --media (a shared folder or s3://BUCKET/PREFIX)")
    media_url = args.media or str(store.path.parent)
    if args.engine == "ray":
        from cinealert.service.ray_engine import connect, run_actors
        connect(args.ray_address)                                  # an unreachable cluster: exit 2, nothing made
        open_media(media_url)
        run_actors(args.store, media_url, settings, actors=args.actors, address=args.ray_address,
                   gpus=args.gpus_per_actor, cpus=args.cpus_per_actor, lease_s=args.lease)
        return
    from cinealert.service.worker import run_processes
    open_media(media_url)
    run_processes(args.store, media_url, settings, n=args.processes, lease_s=args.lease,
                  drain_timeout=args.drain_timeout)
