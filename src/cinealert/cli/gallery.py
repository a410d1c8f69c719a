"""``cinealert gallery``: a static HTML page showing many results side by side."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("gallery", help="a static HTML page showing many results side by side",
                       description="Write OUT/index.html: every result folder (with a report.json from "
                                   "`make` or `animate`) as a card with its looping video, poster, title, "
                                   "description, prompt and quality numbers. Media are linked, not copied.",
                       epilog="examples:\n  cinealert gallery out/flood out/wildfire -o out/gallery\n"
                              "  cinealert gallery out/ -o out/gallery        # every result folder under out/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="result folders, or folders holding them")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="folder for index.html")
    p.add_argument("--title", default="cinealert gallery", help="page title")
    p.add_argument("--no-font", action="store_true",
                   help="do not put the CJK font beside the page (browsers then use their own fonts)")


def run(args: argparse.Namespace) -> None:
    from cinealert.deliver.gallery import build_gallery
    path = build_gallery(args.dirs, args.out, title=args.title, embed_font=not args.no_font)
    print(f"gallery written to {path}")
