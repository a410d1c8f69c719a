"""A static HTML gallery of many results side by side: looping videos, posters, prompts, metrics.

``cinealert gallery DIR… -o OUT`` writes ``OUT/index.html``. Every result folder (one that holds a
``report.json`` from ``make`` or ``animate``) becomes a card: its looping video (WebM and MP4 sources,
muted, autoplaying, with the poster), the alert's title, the text alternative as the video's accessible
description, the prompt, and the quality numbers. Media are linked by relative paths, not copied, so
the page works from the file system and from any static web server. A small script marks each video
``data-playing="yes"`` once it has advanced, so a browser test can tell that the videos really play.

Where a result has the spoken alert (``narration.m4a`` and/or ``narration.ogg``, named by the report's
``narration.files`` or found beside it) and its captions (``captions.vtt``), the card shows them: the video
carries the captions as a ``<track kind="captions" default>``, and a labelled button ("Play spoken alert",
a real ``<button>``, so it is reached with Tab and pressed with Enter or Space) plays the narration from an
``<audio>`` element; while it plays, the caption of the moment is written under the picture (from the same
VTT on the audio element), so the words follow the voice even where the looping video is shorter than it.
The static page carries the VTT in the track's ``data:`` URL (browsers load no track from another ``file:``
URL); the live page links it.
A ``braille.brf`` beside the result is linked for download.
"""
from __future__ import annotations

import html
import json
import os
import zlib
from pathlib import Path

from cinealert.errors import InputError

_STYLE = """
body{font-family:"cinealert CJK","Noto Sans CJK KR",system-ui,sans-serif;margin:0;background:#10141c;color:#f2f4f8}
header{padding:16px 24px;border-bottom:1px solid #2a3242}
h1{font-size:1.5rem;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:20px;padding:20px 24px}
article{background:#1a2030;border-radius:10px;overflow:hidden;border-top:6px solid var(--band,#1e5ac8)}
video,img{display:block;width:100%;height:auto;background:#000}
.body{padding:12px 14px}
h2{font-size:1.15rem;margin:0 0 6px}
p{margin:6px 0;line-height:1.4}
.prompt{color:#c4cad6;font-size:.85rem;max-height:6.5em;overflow:auto}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:.85rem;margin:8px 0 0}
dt{color:#9aa3b5}dd{margin:0}
a{color:#8ab4ff}
button.speak{font:inherit;font-weight:600;margin:8px 0 0;padding:8px 14px;border-radius:6px;border:2px solid #8ab4ff;
  background:#0d1a33;color:#f2f4f8;cursor:pointer}
button.speak:hover{background:#15284d}
button.speak:focus-visible,a:focus-visible{outline:3px solid #ffd84a;outline-offset:2px}
.spoken{white-space:pre-line;min-height:1.4em;font-size:1.05rem;background:#000;color:#fff;padding:4px 8px;margin:8px 0 0}
.spoken:empty{display:none}
"""

_SCRIPT = """
for (const v of document.querySelectorAll('video')) {
  v.muted = true;
  const mark = () => { if (v.currentTime > 0 && !v.paused) v.dataset.playing = 'yes'; };
  v.addEventListener('timeupdate', mark);
  const p = v.play(); if (p && p.catch) p.catch(() => {});
}
for (const btn of document.querySelectorAll('button.speak')) {
  const audio = document.getElementById(btn.getAttribute('aria-controls'));
  const shown = document.getElementById(btn.dataset.captions || '');
  const label = (playing) => {
    const words = playing ? 'Pause spoken alert' : 'Play spoken alert';
    btn.setAttribute('aria-label', words); btn.querySelector('span').textContent = words;
  };
  const track = audio.textTracks && audio.textTracks[0];
  if (track && shown) {
    track.mode = 'hidden';
    track.addEventListener('cuechange', () => {
      const cues = track.activeCues ? Array.from(track.activeCues) : [];
      shown.textContent = cues.map((c) => c.text).join('\\n');
    });
  }
  audio.addEventListener('play', () => { label(true); audio.dataset.played = 'yes'; });
  audio.addEventListener('pause', () => label(false));
  audio.addEventListener('ended', () => { label(false); if (shown) shown.textContent = ''; });
  btn.addEventListener('click', () => {
    if (audio.paused) {
      const p = audio.play(); if (p && p.catch) p.catch((e) => { btn.dataset.error = String(e); });
    } else { audio.pause(); }
  });
}
setInterval(() => {
  const n = document.querySelectorAll('video[data-playing="yes"]').length;
  document.body.dataset.playing = String(n);
}, 200);
"""

_BANDS = {"red": "#c81020", "orange": "#eb7814", "yellow": "#f0c814", "blue": "#1e5ac8"}


def find_results(dirs: list[str | Path]) -> list[Path]:
    """Result folders under ``dirs``: each given folder, or its subfolders, that hold a report.json."""
    found: list[Path] = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise InputError(f"gallery: {str(d)!r} is not a folder")
        if (d / "report.json").is_file():
            found.append(d)
        else:
            found += sorted(p.parent for p in d.glob("*/report.json"))
    if not found:
        raise InputError("gallery: no results found (folders with a report.json from `cinealert make`)")
    return list(dict.fromkeys(found))


def _rel(path: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()


def web_font() -> Path | None:
    """The card's CJK font as a file a browser can load (OpenType or TrueType), or None."""
    from cinealert.deliver.fonts import font_candidates

    return next((p for p in font_candidates() if p.suffix.lower() in (".otf", ".ttf")), None)


def _font_css(url: str) -> str:
    return f'@font-face{{font-family:"cinealert CJK";font-weight:100 900;src:url("{html.escape(url)}")}}\n'


def _page(title: str, count: str, cards: list[str], *, font_css: str = "", head: str = "") -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">{head}'
            f"<title>{html.escape(title)}</title><style>{font_css}{_STYLE}</style></head>\n<body>"
            f"<header><h1>{html.escape(title)}</h1><p>{count}</p></header>\n"
            f"<main>\n{''.join(cards)}</main>\n<script>{_SCRIPT}</script>\n</body></html>\n")


def _read_report(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _font_face(out_dir: Path) -> str:
    """Put the card's CJK font beside the page (a hard link where possible) so that Hangul and Han
    text shows on machines without such a font; the CSS that uses it after any installed one."""
    import shutil

    src = web_font()
    if src is None:
        return ""
    dest = out_dir / "fonts" / src.name
    if not dest.exists():
        dest.parent.mkdir(exist_ok=True)
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)
    return _font_css(f"fonts/{src.name}")


def build_gallery(dirs: list[str | Path], out_dir: str | Path, *, title: str = "cinealert gallery",
                  embed_font: bool = True) -> Path:
    """Write ``out_dir/index.html`` for the results in ``dirs``; returns its path.

    ``embed_font`` puts the card's CJK font beside the page (linked, or copied) for browsers that lack one.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cards = []
    for d in find_results(dirs):
        report = _read_report(d)
        if report is None:
            raise InputError(f"gallery: cannot read {d / 'report.json'} (missing or not JSON)")
        names = {p.name for p in d.iterdir() if p.is_file()}
        cards.append(_card(str(d.resolve()), names, report, lambda name, d=d: _rel(d / name, out_dir),
                           captions_url=lambda name, d=d: _data_url(d / name, "text/vtt")))
    page = _page(title, f"{len(cards)} result(s)", cards, font_css=_font_face(out_dir) if embed_font else "")
    from cinealert.deliver.encode import write_atomic
    return write_atomic(out_dir / "index.html", page)


def live_page(results: list[tuple[str, set[str], dict, str]], *, title: str = "cinealert: latest alerts") -> str:
    """The service's live gallery: ``results`` are (result key, names of its files, its report, URL prefix of its
    media), newest first. The page reloads itself every 30 seconds."""
    cards = [_card(key, names, report, lambda name, prefix=prefix: prefix + name)
             for key, names, report, prefix in results]
    font = web_font()
    return _page(title, f"{len(cards)} alert(s)", cards, font_css=_font_css(f"/fonts/{font.name}") if font else "",
                 head='<meta http-equiv="refresh" content="30">')


#: How a caption track is labelled in the player's menu, by language.
_LANGUAGE_NAMES = {"ko": "한국어", "en": "English", "fr": "Français", "es": "Español", "zh": "中文", "ja": "日本語",
                   "de": "Deutsch", "it": "Italiano", "pt": "Português"}


def narration_files(report: dict, names: set[str]) -> dict:
    """The spoken alert of a result: ``{"m4a", "ogg", "vtt", "language"}`` (a file is None when it is not there).
    Files come from the report's ``narration.files`` where they exist among ``names``, else by their usual names."""
    nar = report.get("narration") or {}
    files = nar.get("files") or {}
    usual = {"m4a": "narration.m4a", "ogg": "narration.ogg", "vtt": "captions.vtt"}
    out: dict = {}
    for kind, default in usual.items():
        named = files.get(kind)
        out[kind] = named if named in names else (default if default in names else None)
    lang = nar.get("language") or (report.get("description") or {}).get("language") or "en"
    out["language"] = str(lang).lower().replace("_", "-")
    return out


def _data_url(path: Path, media_type: str) -> str:
    import base64
    return f"data:{media_type};charset=utf-8;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _speech(key: str, nar: dict, link, captions_url=None) -> tuple[str, str]:
    """The caption ``<track>`` for the video and the play button, audio and caption line for the card body.
    ``captions_url(name)``, where given, is the URL of the captions file in a ``<track>`` (the static gallery
    puts the VTT in a ``data:`` URL, since browsers refuse a track from another ``file:`` URL)."""
    esc = html.escape
    vtt_url = (captions_url or link)(nar["vtt"]) if nar["vtt"] else ""
    lang = nar["language"]
    label = _LANGUAGE_NAMES.get(lang.split("-")[0], lang)
    track = ""
    if nar["vtt"]:
        track = (f'<track kind="captions" src="{esc(vtt_url)}" srclang="{esc(lang)}" '
                 f'label="{esc(label)}" default>')
    audio_src = [(nar["m4a"], "audio/mp4"), (nar["ogg"], "audio/ogg")]
    audio_src = [(p, t) for p, t in audio_src if p]
    if not audio_src:
        return track, ""
    ident = f"{zlib.crc32(key.encode()):08x}"
    srcs = "".join(f'<source src="{esc(link(p))}" type="{t}">' for p, t in audio_src)
    audio_track = (f'<track kind="captions" src="{esc(vtt_url)}" srclang="{esc(lang)}" label="{esc(label)}">'
                   if nar["vtt"] else "")
    shown = f'<p class="spoken" id="c{ident}" lang="{esc(lang)}" aria-hidden="true"></p>' if nar["vtt"] else ""
    body = (f'<audio id="a{ident}" preload="auto">{srcs}{audio_track}</audio>'
            f'<button type="button" class="speak" aria-controls="a{ident}" aria-label="Play spoken alert"'
            + (f' data-captions="c{ident}"' if nar["vtt"] else "")
            + f'><span>Play spoken alert</span></button>{shown}')
    return track, body


def _card(key: str, names: set[str], r: dict, link, captions_url=None) -> str:
    """One result as an ``<article>``: ``key`` names the result, ``names`` are its files and ``link(name)``
    gives the URL of one of them (``captions_url(name)`` that of a captions file, where it differs)."""
    esc = html.escape

    def file(name: str) -> str | None:
        return name if name in names else None

    desc = (r.get("description") or {}).get("text", "")
    lang = (r.get("description") or {}).get("language", "en")
    card = r.get("card") or {}
    title = (card.get("lines") or [None])[0] or (r.get("alert") or {}).get("event") or r.get("disaster", "")
    poster = file("card.png") or file("poster.png")
    sources = [(p, t) for p, t in ((file("cinemagraph.webm"), "video/webm"),
                                   (file("cinemagraph.mp4"), "video/mp4"),
                                   (file("card.mp4"), "video/mp4")) if p is not None]
    desc_id = f"d{zlib.crc32(key.encode()):08x}"
    track, speech = _speech(key, narration_files(r, names), link, captions_url)
    if sources:
        srcs = "".join(f'<source src="{esc(link(p))}" type="{t}">' for p, t in sources)
        poster_attr = f' poster="{esc(link(poster))}"' if poster else ""
        visual = (f'<video autoplay muted loop playsinline preload="auto"{poster_attr} '
                  f'aria-describedby="{desc_id}">{srcs}{track}</video>')
    else:
        anim = file("cinemagraph.webp") or file("cinemagraph.gif") or poster
        visual = f'<img src="{esc(link(anim))}" alt="{esc(desc)}">' if anim else ""
    m = r.get("metrics", {})
    rows = [("disaster", r.get("disaster")), ("loop seam", m.get("loop_seam")), ("holes", m.get("hole_ratio")),
            ("flashes/s", m.get("max_flashes_per_s")), ("render ms/frame", m.get("render_ms_per_frame")),
            ("card contrast", card.get("min_contrast")), ("backends", ", ".join(
                f"{k}: {v}" for k, v in (r.get("backends") or {}).items() if k in ("imaging", "segmenter", "depth")))]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in rows if v not in (None, ""))
    band = _BANDS.get(card.get("colour", ""), "#1e5ac8")
    prompt = r.get("prompt") or ""
    return (f'<article style="--band:{band}">{visual}<div class="body">'
            f'<h2 lang="{esc(lang)}">{esc(str(title))}</h2>'
            f'<p id="{desc_id}" lang="{esc(lang)}">{esc(desc)}</p>{speech}'
            + (f'<p class="prompt">{esc(prompt)}</p>' if prompt else "")
            + f'<dl>{dl}</dl><p><a href="{esc(link("report.json"))}">report.json</a>'
            + (f' · <a href="{esc(link("braille.brf"))}" download>braille (BRF)</a>' if file("braille.brf") else "")
            + "</p>"
            f"</div></article>\n")
