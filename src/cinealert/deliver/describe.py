"""A text alternative for screen readers: one paragraph saying what the cinemagraph shows.

Written in the alert's language where a template exists (Korean and English today; other languages get
English, and the report says so), from facts the pipeline knows: the alert's title and area, the scene,
which regions move and how, the whole-frame effects, and the camera path.
"""
from __future__ import annotations

from cinealert.regions import Region

# (English, Korean joining form, Korean final form)
_MOTION = {
    Region.WATER: ("water flows and ripples", "물이 흐르며 일렁이고", "물이 흐르며 일렁입니다"),
    Region.FIRE: ("flames flicker and rise", "불길이 일렁이며 치솟고", "불길이 일렁이며 치솟습니다"),
    Region.SMOKE: ("smoke drifts upward", "연기가 피어오르고", "연기가 피어오릅니다"),
    Region.CLOUD: ("clouds drift across the sky", "구름이 하늘을 흘러가고", "구름이 하늘을 흘러갑니다"),
    Region.FOLIAGE: ("trees sway in the wind", "나무가 바람에 흔들리고", "나무가 바람에 흔들립니다"),
    Region.DEBRIS: ("mud and debris slide down the slope", "흙과 토사가 비탈을 따라 흘러내리고",
                    "흙과 토사가 비탈을 따라 흘러내립니다"),
    Region.SHIMMER: ("the air shimmers with heat", "뜨거운 공기가 아른거리고", "뜨거운 공기가 아른거립니다"),
    Region.DUST: ("dust blows through the air", "먼지가 바람에 날리고", "먼지가 바람에 날립니다"),
}
_EFFECTS = {
    "rain": ("rain falls", "비가 내리고", "비가 내립니다"),
    "snowfall": ("snow falls", "눈이 내리고", "눈이 내립니다"),
    "embers": ("embers fly", "불티가 날리고", "불티가 날립니다"),
    "dust_haze": ("a yellow haze hangs in the air", "누런 먼지가 자욱하고", "누런 먼지가 자욱합니다"),
    "shake": ("the ground shakes", "땅이 흔들리고", "땅이 흔들립니다"),
}
_CAMERA = {
    "static": ("The view stays still.", "화면은 고정되어 있습니다."),
    "circle": ("The view moves in a slow, small circle.", "화면이 천천히 작은 원을 그리며 움직입니다."),
    "up-down": ("The view rises and sinks gently.", "화면이 천천히 위아래로 움직입니다."),
    "swing": ("The view swings gently from side to side.", "화면이 천천히 좌우로 흔들립니다."),
    "zoom-in": ("The view moves slowly closer and back.", "화면이 천천히 다가갔다가 물러납니다."),
    "dolly-zoom": ("The view pushes in while the background seems to stretch.",
                   "화면이 다가가며 배경이 늘어나 보입니다."),
}


def describe(*, title: str, area: str, disaster, metadata, regions: list[Region], effects: list[str],
             camera: str, language: str) -> tuple[str, str, str | None]:
    """The paragraph, its language code ("ko" or "en") and a note when the alert's language had no
    template (None otherwise)."""
    lang = (language or "en").lower().split("-")[0]
    note = None
    if lang not in ("ko", "en"):
        note = f"the description is in English: there is no description template for language {language!r}"
        lang = "en"
    phrases = [_MOTION[r] for r in regions if r in _MOTION] + [_EFFECTS[e] for e in effects if e in _EFFECTS]
    if lang == "ko":
        head = f"{area}에 내려진 {title} 안내 영상입니다." if area else f"{title} 안내 영상입니다."
        if phrases:
            body = (f"{disaster.name_ko} 현장을 그린 그림에서 "
                    + " ".join([p[1] for p in phrases[:-1]] + [phrases[-1][2]]) + ".")
        else:
            body = f"{disaster.name_ko} 현장을 그린 그림입니다."
        text = " ".join([head, body, _CAMERA.get(camera, _CAMERA["static"])[1], "사람은 나오지 않습니다."])
    else:
        head = f"{title} for {area}." if area else f"{title}."
        what = (metadata.scene.rstrip(".") if metadata is not None and getattr(metadata, "scene", "")
                else f"a {disaster.name_en.lower()} scene")
        body = f"A looping picture of {what[0].lower() + what[1:]}."
        parts = [p[0] for p in phrases]
        if parts:
            joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            body += f" In it, {joined}."
        text = " ".join([head, body, _CAMERA.get(camera, _CAMERA["static"])[0], "No people are shown."])
    return text, lang, note
