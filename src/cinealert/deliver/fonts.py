"""Finding a font that draws the alert's script, and proving that it does.

The card must show Hangul, Han and Latin text, never the empty boxes a font draws for characters it
lacks. The project depends on an OFL Noto Sans CJK Bold font packaged for pip (it covers Hangul, Han,
kana and Latin); system fonts and ``$CINEALERT_FONT`` are tried as well. :func:`missing_glyphs` checks a
text against a font by rendering: a character whose bitmap equals the font's "no glyph" box is missing.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cinealert.errors import InputError

ENV_FONT = "CINEALERT_FONT"

#: Places a suitable font may be found, best first (a packaged font, then Debian's packages).
SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def font_candidates() -> list[Path]:
    """Font files to try, in order: ``$CINEALERT_FONT``, the packaged Noto Sans CJK, system fonts."""
    out: list[Path] = []
    if os.environ.get(ENV_FONT):
        out.append(Path(os.environ[ENV_FONT]))
    try:
        import cvttf_NotoSansCJK_Bold as noto
        out.append(Path(noto.get_TTF_path()))
    except (ImportError, FileNotFoundError):
        pass
    out += [Path(p) for p in SYSTEM_FONTS]
    return [p for p in out if p.is_file()]


@lru_cache(maxsize=32)
def load_font(path: str, size: int):
    from PIL import ImageFont
    return ImageFont.truetype(path, size)


def _bitmap(font, ch: str) -> bytes:
    mask = font.getmask(ch)
    return bytes(mask) + bytes(str(mask.size), "ascii")


def missing_glyphs(font, text: str) -> list[str]:
    """The characters of ``text`` that ``font`` draws as its empty "no glyph" box (spaces ignored)."""
    notdef = {_bitmap(font, c) for c in ("\U0010fffd", "\ufffe")}
    seen, missing = set(), []
    for ch in text:
        if ch.isspace() or ch in seen or not ch.isprintable():
            continue
        seen.add(ch)
        if _bitmap(font, ch) in notdef:
            missing.append(ch)
    return missing


def font_for(text: str, size: int):
    """The first candidate font that has every glyph of ``text``; a clear error when none has."""
    tried = []
    for path in font_candidates():
        font = load_font(str(path), size)
        if not missing_glyphs(font, text):
            return font, path
        tried.append(path.name)
    sample = "".join(dict.fromkeys(c for c in text if not c.isascii()))[:12]
    raise InputError(f"no font here draws {sample!r} (tried: {', '.join(tried) or 'none found'}); "
                     f"reinstall cinealert's requirements or set {ENV_FONT} to a font file that covers it")
