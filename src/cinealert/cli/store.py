"""``cinealert store``: create or upgrade a job store's schema, or print its version."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("store", help="create or upgrade a job store's schema (explicit, versioned)",
                       description="The job store's schema is versioned (table cinealert_schema). `migrate` "
                                   "creates a new store or applies the missing migrations; `status` prints the "
                                   "version. serve and worker refuse a store of another version.",
                       epilog="example:\n  cinealert store migrate --store postgresql://cinealert@db.example/cinealert",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store_command", choices=("migrate", "status"), help="migrate or status")
    p.add_argument("--store", required=True, metavar="URL", help="postgresql://… or a SQLite path / sqlite:///PATH")


def run(args: argparse.Namespace) -> None:
    from cinealert.service.store import VERSION, open_store
    store = open_store(args.store, check=False)
    if args.store_command == "status":
        v = store.version()
        print(f"{args.store}: schema version {v} (this cinealert: {VERSION})")
        return
    applied = store.migrate()
    print(f"{args.store}: schema version {store.version()}" +
          (f" (applied {', '.join(map(str, applied))})" if applied else " (already current)"))
