"""``cinealert watch``: follow a CAP feed or a folder into the service's job store (or a running service)."""
from __future__ import annotations

import argparse

from cinealert.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("watch", help="follow a CAP feed (ATOM/RSS) or a folder into the service's job store",
                       description="Poll an ATOM/RSS CAP feed or a URL (ETag / If-Modified-Since, entry links "
                                   "followed) or a folder of CAP/JSON files, and put each new alert into "
                                   "DATA/jobs.db, where `cinealert serve --data DATA` renders it.")
    p.add_argument("source", metavar="URL|DIR")
    p.add_argument("--data", required=True, metavar="DIR", help="the service's data folder")
    p.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p.add_argument("--server", metavar="URL", help="POST the alerts to a running service instead of writing its "
                                                   "store (DATA then only keeps the watch state)")
    p.add_argument("--token-file", metavar="FILE", help="with --server: the bearer token (first line)")


def run(args: argparse.Namespace) -> None:
    from cinealert.service.watch import watch
    token = None
    if args.server:
        if not args.token_file:
            raise InputError("watch --server needs --token-file (the service's bearer token)")
        from cinealert.service.app import read_tokens
        token = read_tokens(args.token_file)[0].decode()
    watch(args.source, args.data, interval=args.interval, once=args.once, server=args.server, token=token)
