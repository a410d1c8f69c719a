"""``cinealert make``: an alert, a disaster type or free text → a looping 3D cinemagraph."""
from __future__ import annotations

import argparse
import sys

from cinealert.cli.options import add_lang, llm_options, render_options, render_settings

EPILOG = """\
examples:
  cinealert make flood -o out/flood
  cinealert make "호우경보 발령" -o out/rain --camera up-down
  cinealert make alert.xml --lang ko -o out/alert --size 1920x1080 --seconds 4
  cinealert make wildfire -o out/fire --seed 7 --camera zoom-in --motion-speed 1.5

INPUT is a CAP file (1.0/1.1/1.2; also an <alerts> list, an ATOM/RSS feed or an EDXL-DE envelope),
a Korean disaster-text record file (JSON with MSG_CN, DST_SE_NM, ...), a disaster type (flood,
landslide, drought, wildfire, heavy_snow, typhoon, earthquake, heavy_rain, tsunami, ...; Korean names
work too) or a sentence of free text. A file with several alerts renders the first one that can be
pictured (see `cinealert inspect FILE --all`).
DIR receives cinemagraph.mp4, cinemagraph.gif, cinemagraph.webp, poster.png, report.json and, for
CAP input, alert.xml (the alert with <resource> entries for the media, checked against the schema).
A Cancel makes no media, only report.json; a Test, Exercise, System or Draft message gets its status
written on every frame.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("make", help="alert → cinemagraph (the main job)", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Make a looping 3D cinemagraph from an alert, a keyword or free text.")
    p.add_argument("input", metavar="INPUT", help="CAP file, disaster type or free text")
    add_lang(p)
    p.add_argument("--t2i", default=None, metavar="DIR",
                   help="a diffusers text-to-image folder (Stable Diffusion 1.x/2.x, SDXL, SD(XL)-Turbo); "
                        "default: the built-in procedural illustrator")
    render_options(p)
    llm_options(p)


def run(args: argparse.Namespace) -> None:
    from cinealert.pipeline import make
    print_result(make(args.input, args.out, render_settings(args)))


def print_result(result) -> None:
    """What `make` and `animate` print: notes on stderr, then the files written and the clip's numbers."""
    r = result.report
    notes = [w for w in r.get("warnings", []) if w.startswith(("status ", "the alert expired", "this message",
                                                               "no info block", "the file holds"))]
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    if "metrics" not in r:
        alert = r["alert"] or {}
        print(f"no media made: {alert.get('identifier') or 'the message'} is a {alert.get('msg_type')}; "
              f"report written to {result.paths['report']}")
        return
    m = r["metrics"]
    print(f"cinemagraph written to {result.out_dir}/")
    for key, path in result.paths.items():
        print(f"  {key:11s} {path}")
    print(f"  {r['disaster']}, {r['video']['width']}x{r['video']['height']}, {r['video']['frames']} frames "
          f"at {r['video']['fps']:g} fps, {r['timings_s']['total']:.1f} s; loop seam {m['loop_seam']:.2f}, "
          f"holes {m['hole_ratio']:.4f}, flashes/s {m['max_flashes_per_s']:g}")
