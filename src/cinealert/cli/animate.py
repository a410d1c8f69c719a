"""``cinealert animate``: your own photo → a looping 3D cinemagraph."""
from __future__ import annotations

import argparse

from cinealert.cli.make import print_result
from cinealert.cli.options import render_options, render_settings

EPILOG = """\
examples:
  cinealert animate photo.jpg --disaster flood -o out/photo
  cinealert animate fire.png --disaster wildfire --size 1280x720 --camera static -o out/fire

The photo keeps its own size unless --size is given (then it is scaled to cover and centre-cropped).
Moving regions and depth are estimated from the photo (built-in heuristics, or a model backend).
"""


def add_parser(sub) -> None:
    p = sub.add_parser("animate", help="animate your own photo", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Animate a photo of a disaster as a looping 3D cinemagraph.")
    p.add_argument("image", metavar="IMAGE", help="PNG, JPEG, WebP, BMP or TIFF file")
    p.add_argument("--disaster", required=True, metavar="TYPE",
                   help="disaster type shown in the photo (flood, wildfire, ...)")
    render_options(p)


def run(args: argparse.Namespace) -> None:
    from cinealert.pipeline import animate
    print_result(animate(args.image, args.disaster, args.out, render_settings(args),
                         size_given=args.size is not None))
