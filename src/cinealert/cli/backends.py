"""``cinealert backends``: every stage's backends, whether each can run here, and the model folders found."""
from __future__ import annotations

import argparse
import json

from cinealert import registry
from cinealert.cli.options import add_json, add_models


def add_parser(sub) -> None:
    p = sub.add_parser("backends", help="list every stage's backends and whether they can run here",
                       description="List every stage's backends, whether each is usable here, and the "
                                   "model folders found.")
    add_models(p, "a folder with one subfolder per role (default $CINEALERT_MODELS)")
    add_json(p)


def run(args: argparse.Namespace) -> None:
    from cinealert import models
    root = models.models_root(args.models)
    found = models.discover(root)
    rows = []
    for b in registry.BACKENDS:
        ok, reason = b.availability()
        row = {"stage": b.stage, "name": b.name, "builtin": b.builtin, "usable": ok, "reason": reason,
               "summary": b.load().summary if ok else "", "folder": None}
        takes_folder = ok and not b.builtin and hasattr(b.load(), "accepts")
        role = registry.STAGE_ROLES.get(b.stage)
        info = found.get(role) if role and takes_folder else None
        if info is not None:
            why = b.load().accepts(info.path) if ok else reason
            row["folder"] = str(info.path) if why is None else None
            if why is not None and info.known:
                row["folder_note"] = f"{info.path.name}/ is {info.detail}"
        if takes_folder and row["folder"] is None and "folder_note" not in row:
            row["folder_note"] = "no model folder (give one, or --models DIR)"
        rows.append(row)
    folders = {role: {"path": str(f.path), "role": f.role, "kind": f.kind, "detail": f.detail}
               for role, f in found.items()}
    if args.json:
        print(json.dumps({"models_root": str(root) if root else None, "folders": folders, "backends": rows},
                         indent=2, ensure_ascii=False))
        return
    for r in rows:
        mark = "yes" if r["usable"] else "NO "
        where = f" [{r['folder']}]" if r["folder"] else (f" ({r['folder_note']})" if r.get("folder_note") else "")
        print(f"{r['stage']:10s} {r['name']:15s} {mark} {r['summary'] or r['reason']}{where}")
    print()
    if root is None:
        print("model folders: none (give --models DIR or set $CINEALERT_MODELS)")
    else:
        print(f"model folders in {root}:")
        for role, f in found.items():
            state = f"{f.kind} ({f.detail})" if f.known else f"unusable: {f.detail}"
            print(f"  {role:10s} {state}")
        missing = [r for r in models.ROLES if r not in found]
        if missing:
            print(f"  (no {', '.join(missing)})")
