"""``cinealert serve``: the HTTP API with its job store and, beside it, render worker processes."""
from __future__ import annotations

import argparse
from pathlib import Path

from cinealert.cli.options import job_options, job_settings
from cinealert.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="the alert service: HTTP intake, durable job store, render worker",
                       description="Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) with its job store "
                                   "in DATA/jobs.db and one render worker process. POST /v1/alerts needs a bearer "
                                   "token from the token file.",
                       epilog="example:\n  cinealert serve --port 8080 --data /var/lib/cinealert --token-file tokens.txt\n"
                              "  curl -H 'Authorization: Bearer $TOKEN' --data-binary @alert.xml "
                              "http://127.0.0.1:8080/v1/alerts",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--data", metavar="DIR", help="the embedded set-up: job store DATA/jobs.db (made when new), "
                                                 "inputs and media under DATA")
    p.add_argument("--token-file", required=True, metavar="FILE", help="bearer tokens, one per line")
    p.add_argument("--store", metavar="URL", help="a shared job store: postgresql://USER@HOST/DB (several API "
                                                  "replicas and workers), or a path / sqlite:///PATH; made and "
                                                  "upgraded only by `cinealert store migrate`")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="render worker processes started beside the API (default 1; 0: intake only, "
                        "`cinealert worker` renders)")
    p.add_argument("--library", metavar="DIR", help="a pre-rendered library (cinealert batch): alerts it matches "
                                                    "are answered at once from it while their own render runs")
    p.add_argument("--media", metavar="URL", help="where the jobs' media are published and served from: a folder "
                                                  "(also a shared mount) or s3://BUCKET/PREFIX (endpoint from "
                                                  "AWS_ENDPOINT_URL; default: the --data folder)")
    job_options(p, size_help="clip size (default 1024x576)", seconds_help="loop length (default 3)",
                fps_help="frames per second (default 24)", formats_help="media per job")
    p.add_argument("--max-queue", type=int, default=1000, help="most jobs waiting before 503 (default 1000)")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second per token (default 20)")
    p.add_argument("--burst", type=int, default=40, help="burst per token (default 40)")
    p.add_argument("--lease", type=float, default=30.0, help="worker lease in seconds (default 30)")
    p.add_argument("--no-worker", action="store_true", help="intake only (the same as --workers 0)")
    p.add_argument("--websub-secret", metavar="FILE", help="enable the WebSub subscriber at /websub; the hub's "
                                                          "HMAC secret is the file's first line")


def run(args: argparse.Namespace) -> None:
    import uvicorn

    from cinealert.service.app import create_app, read_tokens
    from cinealert.service.media_store import open_media
    tokens = read_tokens(args.token_file)
    if args.data is None and (args.store is None or args.media is None):
        raise InputError("serve needs --data DIR, or both --store URL and --media URL")
    if not 0 <= args.workers <= 64:
        raise InputError(f"--workers must be between 0 and 64, got {args.workers}")
    settings = job_settings(args)
    if args.store and args.media:                            # a bad store is refused before the media folder is made
        from cinealert.service.store import open_store
        embedded = str(Path(args.data) / "jobs.db") if args.data else None
        open_store(args.store, create=args.store == embedded)
    media = open_media(args.media) if args.media else None
    app = create_app(args.data, tokens=tokens, settings=settings, max_queue=args.max_queue, lease_s=args.lease,
                     rate=args.rate, burst=args.burst, start_worker=not args.no_worker, workers=args.workers,
                     store_url=args.store, library=args.library,
                     websub_secret=_secret(args.websub_secret) if args.websub_secret else None, media=media)
    where = args.data or f"store {args.store}, media {args.media}"
    print(f"cinealert serve: http://{args.host}:{args.port}/ (OpenAPI /openapi.json), data in {where}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def _secret(path: str) -> bytes:
    try:
        line = Path(path).read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, IndexError):
        raise InputError(f"cannot read a WebSub secret from {path!r}") from None
    if len(line) < 16:
        raise InputError("the WebSub secret must be at least 16 characters")
    return line.encode()
