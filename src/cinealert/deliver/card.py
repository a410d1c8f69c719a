"""The alert card: the cinemagraph with the alert's essentials laid over it, legible for everyone.

Inside the broadcast title-safe area (the central 90 %), a panel along the bottom holds:

- a severity colour band (red for a warning or an Extreme/Severe alert, orange for a watch, yellow for
  an advisory, blue otherwise) and a pictogram of the disaster type, drawn here from simple shapes;
- the event and level in the alert's language in large type (``호우주의보``), and optionally in a second
  language (``Heavy Rain Advisory``);
- the area, what to do (the CAP instruction shortened to what fits, or a standard action for the
  disaster type when the alert gives none), and the time the alert was issued.

Text is white on a dark panel. Its contrast is *measured* against what is actually behind each line on
the frames of the clip (WCAG 1.4.3: ``(L1 + 0.05) / (L2 + 0.05) ≥ 4.5``); the panel is made more opaque
until every line passes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from cinealert.deliver.fonts import font_for, load_font, missing_glyphs
from cinealert.evaluate.cinemagraph import relative_luminance

#: Severity colours (sRGB) of the band and the pictogram's plate.
COLOURS = {"red": (200, 16, 32), "orange": (235, 120, 20), "yellow": (240, 200, 20), "blue": (30, 90, 200),
           "green": (0, 128, 60)}
TEXT_RGB = (255, 255, 255)
PANEL_RGB = (10, 14, 24)
MIN_CONTRAST = 4.5

_LEVEL_WORDS = {
    "en": {"advisory": "Advisory", "watch": "Watch", "warning": "Warning"},
    "ko": {"advisory": "주의보", "watch": "예비특보", "warning": "경보"},
    "fr": {"advisory": "avis", "watch": "veille", "warning": "alerte"},
    "es": {"advisory": "aviso", "watch": "vigilancia", "warning": "alerta"},
    "zh": {"advisory": "提示", "watch": "关注", "warning": "预警"},
    "ja": {"advisory": "注意報", "watch": "予報", "warning": "警報"},
}

#: A short standard action per disaster family when the alert carries no instruction.
_ACTIONS = {
    "water": {"en": "Move to higher ground. Keep away from rivers and low roads.",
              "ko": "높은 곳으로 대피하고 하천과 저지대에 가까이 가지 마세요.",
              "fr": "Gagnez les hauteurs. Éloignez-vous des rivières et des routes basses.", "es": "Diríjase a zonas altas. Aléjese de ríos y calles bajas.", "zh": "请转移到高处，远离河道和低洼路段。"},
    "coast": {"en": "Move inland to higher ground now.", "ko": "해안에서 벗어나 높은 곳으로 즉시 대피하세요.",
              "fr": "Quittez la côte et gagnez les hauteurs maintenant.", "es": "Aléjese de la costa hacia zonas altas ahora.", "zh": "请立即离开海岸，转移到高处。"},
    "fire": {"en": "Leave early. Follow evacuation routes away from the fire.",
             "ko": "서둘러 대피하고 불길 반대 방향의 대피로를 이용하세요.",
              "fr": "Partez tôt. Suivez les routes d'évacuation loin du feu.", "es": "Salga pronto. Siga las rutas de evacuación lejos del fuego.", "zh": "请尽早撤离，沿远离火场的疏散路线行进。"},
    "snow": {"en": "Stay indoors. Avoid travel on icy roads.", "ko": "외출을 자제하고 빙판길 운전을 피하세요.",
              "fr": "Restez à l'intérieur. Évitez de circuler sur les routes verglacées.", "es": "Quédese en casa. Evite circular por carreteras heladas.", "zh": "请留在室内，避免在结冰路面行车。"},
    "wind": {"en": "Stay indoors, away from windows. Secure loose objects.",
             "ko": "실내에 머물며 창문에서 떨어지고 날아갈 물건을 고정하세요.",
              "fr": "Restez à l'intérieur, loin des fenêtres. Fixez les objets légers.", "es": "Quédese en casa, lejos de las ventanas. Asegure los objetos sueltos.", "zh": "请留在室内，远离窗户，固定易被吹动的物品。"},
    "quake": {"en": "Drop, cover and hold on. Then move to an open space.",
              "ko": "탁자 아래로 몸을 피한 뒤 흔들림이 멈추면 넓은 곳으로 대피하세요.",
              "fr": "Baissez-vous, abritez-vous, tenez bon. Puis gagnez un espace dégagé.", "es": "Agáchese, cúbrase y sujétese. Después vaya a un lugar abierto.", "zh": "请趴下、掩护、抓牢，震后转移到空旷处。"},
    "slide": {"en": "Leave slopes and valleys. Move away from the debris path.",
              "ko": "경사지와 계곡에서 벗어나 안전한 곳으로 대피하세요.",
              "fr": "Quittez les pentes et les vallées. Éloignez-vous de la coulée.", "es": "Abandone laderas y valles. Aléjese del paso del deslizamiento.", "zh": "请离开山坡和沟谷，远离泥石流路径。"},
    "heat": {"en": "Stay in the shade, drink water, avoid work outdoors.",
             "ko": "그늘에 머물며 물을 자주 마시고 야외 활동을 피하세요.",
              "fr": "Restez à l'ombre, buvez de l'eau, évitez l'effort dehors.", "es": "Permanezca a la sombra, beba agua y evite el esfuerzo al aire libre.", "zh": "请待在阴凉处，多喝水，避免户外劳作。"},
    "cold": {"en": "Stay warm indoors. Protect pipes and check on neighbours.",
             "ko": "실내에서 따뜻하게 지내고 수도관 동파에 대비하세요.",
              "fr": "Restez au chaud à l'intérieur. Protégez les canalisations.", "es": "Manténgase abrigado en casa. Proteja las tuberías.", "zh": "请在室内保暖，做好水管防冻。"},
    "storm": {"en": "Go indoors now: lightning strikes far from the storm. Keep away from trees and water.",
              "ko": "즉시 건물 안으로 대피하고 나무와 물가에서 멀리 떨어지세요.",
              "fr": "Rentrez à l'abri : la foudre frappe loin de l'orage. Évitez arbres et plans d'eau.",
              "es": "Entre en un edificio: los rayos caen lejos de la tormenta. Aléjese de árboles y agua.",
              "zh": "请立即进入室内，雷电可在远处落下，远离树木和水边。"},
    "dust": {"en": "Stay indoors and wear a mask outside.", "ko": "외출을 자제하고 외출 시 마스크를 쓰세요.",
              "fr": "Restez à l'intérieur et portez un masque dehors.", "es": "Quédese en casa y use mascarilla al salir.", "zh": "请减少外出，外出时佩戴口罩。"},
}
_FAMILY = {"flood": "water", "heavy_rain": "water", "tsunami": "coast", "storm_surge": "coast",
           "high_seas": "coast", "wildfire": "fire", "dry_weather": "fire", "heavy_snow": "snow",
           "typhoon": "wind", "strong_wind": "wind", "earthquake": "quake", "landslide": "slide",
           "heat_wave": "heat", "drought": "heat", "cold_wave": "cold", "yellow_dust": "dust",
           "thunderstorm": "storm"}


def _lang(code: str | None) -> str:
    return (code or "en").lower().replace("_", "-").split("-")[0]


def severity_colour(level: str | None, severity: str | None, sender_colour: str | None = None) -> str:
    """The band's colour name: the sender's own colour where it has one (MeteoAlarm, GDACS, ...),
    else from a level (advisory/watch/warning) and a CAP severity."""
    if sender_colour in COLOURS:
        return sender_colour
    if level == "warning" or severity in ("Extreme", "Severe"):
        return "red"
    if level == "watch":
        return "orange"
    if level == "advisory" or severity == "Moderate":
        return "yellow"
    return "blue"


def contrast_ratio(l1: float, l2: float) -> float:
    """WCAG contrast ratio of two relative luminances."""
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def title_for(disaster, level: str | None, lang: str) -> str:
    """``호우주의보`` / ``Heavy Rain Advisory`` / ``暴雨预警`` from the type and level."""
    name = disaster.name(lang)
    word = _LEVEL_WORDS.get(lang, _LEVEL_WORDS["en"]).get(level or "", "")
    if not word:
        return name
    if lang in ("ko", "zh", "ja"):
        return name + word
    if lang in ("fr", "es"):
        return f"{name} — {word}"
    return f"{name} {word}"


def shorten(text: str, limit: int) -> str:
    """The first sentence(s) of ``text`` that fit in ``limit`` characters, cut at a word if needed."""
    text = re.sub(r"\s+", " ", text or "").strip()
    text = re.sub(r"^(recommended actions?|instructions?)\s*:\s*", "", text, flags=re.I)
    if len(text) <= limit:
        return text
    # not at a number's dot (dates: "6. 25.(수)", "25.06."), nor before a number that continues a date
    parts = re.split(r"(?<=[.!?。！？])(?<!\d\.)\s*|(?<=\d\.)\s+(?=[^\d\s(])|(?<=[;；])\s*|(?<!\d\.)\s(?=\d+\.)", text)
    out = ""
    for p in parts:
        if not p:
            continue
        nxt = (out + " " + p).strip() if out and not _cjk(out[-1]) else out + p
        if len(nxt) > limit:
            break
        out = nxt
    if not out:
        cut = text[:limit - 1]
        out = (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut) + "…"
    return out


def _cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def format_time(iso: str | None, lang: str) -> str:
    """When the alert was issued, in the reader's language, with its UTC offset."""
    if not iso:
        return ""
    try:
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    off = t.strftime("%z")
    off = f"UTC{off[:3]}:{off[3:]}" if off else ""
    if lang == "ko":
        return f"{t.year}년 {t.month}월 {t.day}일 {t:%H:%M} 발표 ({off})".replace(" ()", "")
    if lang in ("zh", "ja"):
        return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M} ({off})".replace(" ()", "")
    if lang == "fr":
        return f"Émis le {t:%d/%m/%Y} à {t:%H:%M} ({off})".replace(" ()", "")
    if lang == "es":
        return f"Emitido el {t:%d/%m/%Y} a las {t:%H:%M} ({off})".replace(" ()", "")
    return f"Issued {t.day} {t:%b %Y %H:%M} ({off})".replace(" ()", "")


@dataclass
class CardText:
    """What the card says; ``language`` is the alert's (BCP 47 code)."""

    title: str
    subtitle: str = ""
    area: str = ""
    action: str = ""
    time: str = ""
    language: str = "en"
    colour: str = "blue"
    disaster: str = ""

    def lines(self) -> list[tuple[str, str]]:
        """(role, text) of every non-empty line, top to bottom."""
        rows = [("title", self.title), ("subtitle", self.subtitle), ("area", self.area),
                ("action", self.action), ("time", self.time)]
        return [(k, v) for k, v in rows if v]


def card_text(alert, disaster, *, second_language: str | None = "en") -> CardText:
    """The card's text for ``alert`` (None for a photo animated without an alert)."""
    lang = _lang(alert.language if alert is not None else "en")
    level = alert.level if alert is not None else None
    severity = alert.severity if alert is not None else None
    title = (alert.event if alert is not None and alert.event and lang != "en" else "") or title_for(disaster, level, lang)
    if alert is not None and alert.event and lang == "en":
        title = alert.event
    second = _lang(second_language) if second_language else None
    subtitle = title_for(disaster, level, second) if second and second != lang else ""
    areas = alert.area_names() if alert is not None else []
    area = ", ".join(dict.fromkeys(areas))
    instruction = shorten(alert.instruction, 140) if alert is not None else ""
    action = instruction or _ACTIONS[_FAMILY.get(disaster.key, "water")].get(lang) or \
        _ACTIONS[_FAMILY.get(disaster.key, "water")]["en"]
    return CardText(title=title, subtitle=subtitle, area=area, action=action,
                    time=format_time(alert.sent if alert is not None else None, lang),
                    language=lang, colour=severity_colour(level, severity, getattr(alert, "colour", None)),
                    disaster=disaster.key)


# ------------------------------------------------------------------------------------------- pictograms
def pictogram(disaster: str, size: int, colour: str) -> np.ndarray:
    """A ``(size, size, 4)`` uint8 RGBA pictogram: a white symbol of the disaster family on a rounded
    plate of the severity colour (drawn at 4× and reduced, so its edges are smooth)."""
    from PIL import Image, ImageDraw

    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 6, fill=COLOURS[colour] + (255,))
    white = (255, 255, 255, 255)
    w = max(4, s // 18)
    fam = _FAMILY.get(disaster, "water")
    c = s / 2

    def waves(y0: float, n: int = 3) -> None:
        for k in range(n):
            y = y0 + k * s * 0.14
            pts = [(s * 0.15 + i * s * 0.7 / 40, y + math.sin(i / 40 * 4 * math.pi) * s * 0.04) for i in range(41)]
            d.line(pts, fill=white, width=w, joint="curve")

    if fam == "water":
        for x in (0.3, 0.5, 0.7):                                     # rain drops over waves
            d.polygon([(s * x, s * 0.16), (s * (x - 0.06), s * 0.34), (s * (x + 0.06), s * 0.34)], fill=white)
            d.ellipse((s * (x - 0.06), s * 0.28, s * (x + 0.06), s * 0.40), fill=white)
        waves(s * 0.55)
    elif fam == "coast":                                              # a breaking wave
        d.arc((s * 0.18, s * 0.2, s * 0.82, s * 0.84), 180, 330, fill=white, width=w * 2)
        d.ellipse((s * 0.52, s * 0.34, s * 0.68, s * 0.5), outline=white, width=w)
        waves(s * 0.72, 2)
    elif fam == "fire":                                               # a flame
        d.polygon([(c, s * 0.12), (s * 0.74, s * 0.5), (s * 0.7, s * 0.76), (c, s * 0.88), (s * 0.3, s * 0.76),
                   (s * 0.26, s * 0.5), (s * 0.4, s * 0.36), (s * 0.44, s * 0.52)], fill=white)
        d.polygon([(c, s * 0.5), (s * 0.6, s * 0.7), (c, s * 0.82), (s * 0.4, s * 0.7)], fill=COLOURS[colour] + (255,))
    elif fam == "snow":                                               # a snowflake
        for k in range(6):
            a = k * math.pi / 3
            x1, y1 = c + math.cos(a) * s * 0.36, c + math.sin(a) * s * 0.36
            d.line((c, c, x1, y1), fill=white, width=w)
            for side in (-1, 1):
                b = a + side * math.pi / 5
                mx, my = c + math.cos(a) * s * 0.24, c + math.sin(a) * s * 0.24
                d.line((mx, my, mx + math.cos(b) * s * 0.1, my + math.sin(b) * s * 0.1), fill=white, width=w)
    elif fam == "wind":                                               # a spiral of wind
        pts = [(c + math.cos(t) * t * s * 0.03, c + math.sin(t) * t * s * 0.03) for t in np.linspace(0.5, 4.2 * math.pi, 80)]
        d.line(pts, fill=white, width=w, joint="curve")
    elif fam == "storm":                                              # a cloud with a lightning bolt
        for x, y, r in ((0.36, 0.4, 0.16), (0.56, 0.32, 0.2), (0.7, 0.44, 0.13)):
            d.ellipse((s * (x - r), s * (y - r), s * (x + r), s * (y + r)), fill=white)
        d.rectangle((s * 0.22, s * 0.42, s * 0.82, s * 0.56), fill=white)
        d.polygon([(s * 0.52, s * 0.5), (s * 0.4, s * 0.72), (s * 0.5, s * 0.72), (s * 0.42, s * 0.9),
                   (s * 0.64, s * 0.64), (s * 0.54, s * 0.64), (s * 0.62, s * 0.5)], fill=COLOURS[colour] + (255,),
                  outline=white, width=max(2, w // 2))
    elif fam == "quake":                                              # a house over a crack
        d.polygon([(s * 0.22, s * 0.45), (c, s * 0.2), (s * 0.78, s * 0.45)], fill=white)
        d.rectangle((s * 0.3, s * 0.45, s * 0.7, s * 0.66), fill=white)
        d.line([(s * 0.12, s * 0.8), (s * 0.35, s * 0.74), (s * 0.45, s * 0.86), (s * 0.62, s * 0.76),
                (s * 0.88, s * 0.82)], fill=white, width=w)
    elif fam == "slide":                                              # a slope with falling rocks
        d.polygon([(s * 0.12, s * 0.85), (s * 0.12, s * 0.2), (s * 0.88, s * 0.85)], fill=white)
        for x, y, r in ((0.62, 0.42, 0.07), (0.76, 0.58, 0.05), (0.52, 0.24, 0.05)):
            d.ellipse((s * (x - r), s * (y - r), s * (x + r), s * (y + r)), fill=white)
    elif fam in ("heat", "cold"):                                     # sun / thermometer
        if fam == "heat":
            d.ellipse((s * 0.34, s * 0.34, s * 0.66, s * 0.66), fill=white)
            for k in range(8):
                a = k * math.pi / 4
                d.line((c + math.cos(a) * s * 0.24, c + math.sin(a) * s * 0.24,
                        c + math.cos(a) * s * 0.38, c + math.sin(a) * s * 0.38), fill=white, width=w)
        else:
            d.rounded_rectangle((s * 0.44, s * 0.14, s * 0.56, s * 0.66), radius=s // 16, outline=white, width=w)
            d.ellipse((s * 0.36, s * 0.6, s * 0.64, s * 0.88), fill=white)
    else:                                                             # dust: drifting dots and lines
        for k, y in enumerate((0.3, 0.5, 0.7)):
            d.line((s * 0.2 + k * s * 0.05, s * y, s * 0.8, s * y), fill=white, width=w)
            d.ellipse((s * 0.12, s * (y - 0.04), s * 0.2, s * (y + 0.04)), fill=white)
    small = img.resize((size, size), Image.LANCZOS)
    return np.asarray(small, np.uint8).copy()


# ----------------------------------------------------------------------------------------------- card
@dataclass
class CardLayout:
    """Where everything sits, in pixels of the frame."""

    panel: tuple[int, int, int, int]                  # x0, y0, x1, y1
    band: tuple[int, int, int, int]
    icon: tuple[int, int, int]                        # x, y, size
    lines: list[dict] = field(default_factory=list)   # role, text, box (x0, y0, x1, y1), size


class AlertCard:
    """The card overlay for frames of ``width × height``; :meth:`apply` lays it over a frame.

    Args:
        text: what the card says.
        width, height: frame size.
        opacity: the panel's starting opacity; :meth:`fit_contrast` raises it as needed.
    """

    def __init__(self, text: CardText, width: int, height: int, *, opacity: float = 0.78) -> None:
        if width < 64 or height < 64:
            raise ValueError(f"the card needs a frame of at least 64x64, got {width}x{height}.")
        if not text.title:
            raise ValueError("the card needs a title.")
        self.text, self.w, self.h = text, width, height
        self.opacity = float(opacity)
        self._layout()
        self._compose()

    # -- layout --------------------------------------------------------------------------------
    def _layout(self) -> None:
        w, h = self.w, self.h
        safe_x0, safe_x1 = int(round(0.05 * w)), int(round(0.95 * w))
        safe_y1 = int(round(0.95 * h))
        # Type scales with the frame: the height of a landscape frame, most of the width of a portrait one.
        unit = min(h, w * 9 / 16) if w >= h else 0.9 * w
        sizes = {"title": 0.085, "subtitle": 0.05, "area": 0.045, "action": 0.045, "time": 0.038}
        pad = int(round(0.025 * unit))
        band_h = max(4, int(round(0.018 * unit)))
        rows = self.text.lines()
        # Fonts: the one that covers every character of the card.
        all_text = "".join(t for _, t in rows)
        max_lines = {"action": 2 if w >= h else 3, "area": 1 if w >= h else 2}
        icon = int(round(0.2 * unit))
        text_x0 = safe_x0 + pad + icon + pad
        text_w = safe_x1 - pad - text_x0
        laid: list[dict] = []
        # The font file is chosen once, for every character of the card; each line loads it at its size.
        _, self.font_path = font_for(all_text, 32)
        for role, value in rows:
            size = max(12, int(round(sizes[role] * unit)))
            font = load_font(str(self.font_path), size)
            for piece in _wrap(value, font, text_w, max_lines.get(role, 1)):
                laid.append({"role": role, "text": piece, "size": size, "font": font})
        heights = [int(round(l["size"] * 1.28)) for l in laid]
        body = sum(heights)
        panel_h = max(icon, body) + 2 * pad + band_h
        y1 = safe_y1
        y0 = max(int(round(0.05 * h)), y1 - panel_h)
        self.layout = CardLayout(panel=(safe_x0, y0, safe_x1, y1), band=(safe_x0, y0, safe_x1, y0 + band_h),
                                 icon=(safe_x0 + pad, y0 + band_h + pad, min(icon, y1 - y0 - band_h - 2 * pad)))
        y = y0 + band_h + pad + max(0, (max(icon, body) - body) // 2)
        for l, lh in zip(laid, heights):
            l["box"] = (text_x0, y, min(safe_x1 - pad, text_x0 + int(l["font"].getlength(l["text"])) + 1), y + lh)
            y += lh
        self.layout.lines = laid

    def _compose(self) -> None:
        """Draw the overlay once: colour (H', W', 3) float32 and alpha (H', W', 1) over the panel box."""
        from PIL import Image, ImageDraw

        x0, y0, x1, y1 = self.layout.panel
        pw, ph = x1 - x0, y1 - y0
        ink = Image.new("L", (pw, ph), 0)
        d = ImageDraw.Draw(ink)
        for l in self.layout.lines:
            bx, by = l["box"][0] - x0, l["box"][1] - y0
            d.text((bx, by), l["text"], font=l["font"], fill=255)
        self._ink = np.asarray(ink, np.float32)[..., None] / 255.0
        colour = np.empty((ph, pw, 3), np.float32)
        colour[:] = PANEL_RGB
        alpha = np.full((ph, pw, 1), self.opacity, np.float32)
        bx0, by0, bx1, by1 = self.layout.band
        colour[by0 - y0:by1 - y0, :] = COLOURS[self.text.colour]
        alpha[by0 - y0:by1 - y0, :] = 1.0
        ix, iy, isz = self.layout.icon
        if isz >= 8:
            pic = pictogram(self.text.disaster, isz, self.text.colour).astype(np.float32)
            a = pic[..., 3:] / 255.0
            sl = (slice(iy - y0, iy - y0 + isz), slice(ix - x0, ix - x0 + isz))
            colour[sl] = colour[sl] * (1 - a) + pic[..., :3] * a
            alpha[sl] = np.maximum(alpha[sl], a)
        # Text on top, fully opaque.
        colour = colour * (1 - self._ink) + np.array(TEXT_RGB, np.float32) * self._ink
        alpha = np.maximum(alpha, self._ink)
        self._colour, self._alpha = colour, alpha

    # -- use -------------------------------------------------------------------------------------
    def apply(self, frame: np.ndarray) -> np.ndarray:
        """A copy of ``frame`` ((H, W, 3) uint8 RGB) with the card laid over it."""
        if frame.shape != (self.h, self.w, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.h}, {self.w}, 3) uint8, got {frame.shape} {frame.dtype}.")
        out = frame.copy()
        x0, y0, x1, y1 = self.layout.panel
        region = out[y0:y1, x0:x1].astype(np.float32)
        mixed = region * (1 - self._alpha) + self._colour * self._alpha
        out[y0:y1, x0:x1] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        return out

    def contrast(self, frames: list[np.ndarray]) -> dict[str, float]:
        """The worst text contrast per line role over ``frames``: white text against the brightest pixel
        behind the line (the panel blended over the frame), as WCAG measures it."""
        x0, y0, x1, y1 = self.layout.panel
        text_l = float(relative_luminance(np.array([[TEXT_RGB]], np.uint8))[0, 0])
        worst: dict[str, float] = {}
        for f in frames:
            region = f[y0:y1, x0:x1].astype(np.float32)
            behind = region * (1 - self.opacity) + np.array(PANEL_RGB, np.float32) * self.opacity
            lum = relative_luminance(np.clip(behind + 0.5, 0, 255).astype(np.uint8))
            for l in self.layout.lines:
                bx0, by0, bx1, by1 = l["box"]
                patch = lum[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0]
                if patch.size == 0:
                    continue
                ratio = contrast_ratio(text_l, float(patch.max()))
                worst[l["role"]] = min(worst.get(l["role"], ratio), ratio)
        return worst

    def fit_contrast(self, frames: list[np.ndarray], *, minimum: float = MIN_CONTRAST) -> dict:
        """Raise the panel's opacity until every line reaches ``minimum`` on every frame; the report."""
        steps = 0
        while True:
            worst = self.contrast(frames)
            # A 5 % margin over the minimum: anti-aliased glyph edges are a little less than white.
            if min(worst.values(), default=minimum) >= 1.05 * minimum or self.opacity >= 1.0:
                break
            self.opacity = min(1.0, self.opacity + 0.04)
            steps += 1
            self._compose()
        return {"min_contrast": round(min(worst.values(), default=float("inf")), 2),
                "contrast_by_line": {k: round(v, 2) for k, v in worst.items()},
                "panel_opacity": round(self.opacity, 3), "opacity_steps": steps,
                "font": self.font_path.name, "missing_glyphs": self.missing(),
                "title_safe": self.inside_title_safe(), "lines": [l["text"] for l in self.layout.lines],
                "colour": self.text.colour, "language": self.text.language}

    def missing(self) -> list[str]:
        out: list[str] = []
        for l in self.layout.lines:
            out += [c for c in missing_glyphs(l["font"], l["text"]) if c not in out]
        return out

    def inside_title_safe(self) -> bool:
        x0, y0, x1, y1 = self.layout.panel
        return (x0 >= 0.05 * self.w - 0.5 and x1 <= 0.95 * self.w + 0.5 and
                y0 >= 0.05 * self.h - 0.5 and y1 <= 0.95 * self.h + 0.5)


def _wrap(text: str, font, width: int, max_lines: int) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines that fit ``width`` pixels; the last one ends in
    an ellipsis if text is left over. Words break at spaces; CJK text breaks between characters."""
    tokens = re.findall(r"\S+\s*", text) if " " in text else list(text)
    lines, cur = [], ""
    for tok in tokens:
        trial = cur + tok
        if font.getlength(trial.rstrip()) <= width or not cur:
            cur = trial
            while font.getlength(cur.rstrip()) > width and len(cur) > 1:     # one token too long: cut it
                cut = len(cur) - 1
                while cut > 1 and font.getlength(cur[:cut]) > width:
                    cut -= 1
                lines.append(cur[:cut])
                cur = cur[cut:]
            continue
        lines.append(cur.rstrip())
        cur = tok
    if cur.strip():
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = lines[:max_lines - 1] + [last.rstrip(" ,;") + "…"]
    return lines
