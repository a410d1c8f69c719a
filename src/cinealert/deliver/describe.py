"""A text alternative for screen readers: one paragraph saying what the cinemagraph shows.

Written in the alert's language where a template exists (Korean, English, French, Spanish and Chinese; other
languages get English, and the report says so), from facts the pipeline knows: the alert's title and area, the scene,
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


#: Motion and effect phrases, camera sentences and fixed sentences of the other languages.
_OTHER = {
    "fr": {
        "motion": {Region.WATER: "l'eau s'écoule et ondule", Region.FIRE: "les flammes vacillent et s'élèvent",
                   Region.SMOKE: "la fumée monte", Region.CLOUD: "les nuages dérivent dans le ciel",
                   Region.FOLIAGE: "les arbres ploient sous le vent",
                   Region.DEBRIS: "la boue et les débris glissent le long de la pente",
                   Region.SHIMMER: "l'air tremble sous la chaleur", Region.DUST: "la poussière vole"},
        "effects": {"rain": "la pluie tombe", "snowfall": "la neige tombe", "embers": "des braises volent",
                    "dust_haze": "une brume jaune flotte dans l'air", "shake": "le sol tremble"},
        "camera": {"static": "L'image reste fixe.", "circle": "La vue décrit lentement un petit cercle.",
                   "up-down": "La vue monte et descend doucement.",
                   "swing": "La vue oscille doucement de gauche à droite.",
                   "zoom-in": "La vue s'approche lentement puis recule.",
                   "dolly-zoom": "La vue avance tandis que l'arrière-plan semble s'étirer."},
        "head": "{title} pour {area}.", "head_only": "{title}.", "scene": "Une image animée en boucle : {name}.",
        "moves": "On y voit : {moves}.", "and": " et ", "sep": ", ", "people": "Aucune personne n'apparaît.",
    },
    "es": {
        "motion": {Region.WATER: "el agua fluye y se ondula", Region.FIRE: "las llamas parpadean y se elevan",
                   Region.SMOKE: "el humo sube", Region.CLOUD: "las nubes se desplazan por el cielo",
                   Region.FOLIAGE: "los árboles se mecen con el viento",
                   Region.DEBRIS: "el barro y los escombros se deslizan por la ladera",
                   Region.SHIMMER: "el aire tiembla por el calor", Region.DUST: "el polvo vuela por el aire"},
        "effects": {"rain": "cae la lluvia", "snowfall": "cae la nieve", "embers": "vuelan brasas",
                    "dust_haze": "una neblina amarilla flota en el aire", "shake": "el suelo tiembla"},
        "camera": {"static": "La imagen permanece fija.", "circle": "La vista describe lentamente un pequeño círculo.",
                   "up-down": "La vista sube y baja suavemente.",
                   "swing": "La vista oscila suavemente de un lado a otro.",
                   "zoom-in": "La vista se acerca lentamente y vuelve atrás.",
                   "dolly-zoom": "La vista avanza mientras el fondo parece estirarse."},
        "head": "{title} para {area}.", "head_only": "{title}.", "scene": "Una imagen animada en bucle: {name}.",
        "moves": "En ella, {moves}.", "and": " y ", "sep": ", ", "people": "No aparece ninguna persona.",
    },
    "zh": {
        "motion": {Region.WATER: "水流涌动", Region.FIRE: "火焰跳动上升", Region.SMOKE: "烟雾升腾",
                   Region.CLOUD: "云层在天空飘移", Region.FOLIAGE: "树木在风中摇摆", Region.DEBRIS: "泥石沿山坡滑下",
                   Region.SHIMMER: "热气使空气晃动", Region.DUST: "尘土随风飞扬"},
        "effects": {"rain": "雨水落下", "snowfall": "雪花飘落", "embers": "火星飞溅", "dust_haze": "黄色沙尘弥漫",
                    "shake": "地面晃动"},
        "camera": {"static": "画面保持静止。", "circle": "镜头缓缓地画小圆移动。", "up-down": "镜头缓缓上下移动。",
                   "swing": "镜头缓缓左右摆动。", "zoom-in": "镜头缓缓推近再拉远。", "dolly-zoom": "镜头推近，背景仿佛被拉伸。"},
        "head": "{area}发布{title}。", "head_only": "{title}。", "scene": "循环动画展示{name}现场。",
        "moves": "画面中{moves}。", "and": "，", "sep": "，", "people": "画面中没有人物。",
    },
}


def describe(*, title: str, area: str, disaster, metadata, regions: list[Region], effects: list[str],
             camera: str, language: str) -> tuple[str, str, str | None]:
    """The paragraph, its language code ("ko" or "en") and a note when the alert's language had no
    template (None otherwise)."""
    lang = (language or "en").lower().split("-")[0]
    note = None
    if lang in _OTHER:
        t = _OTHER[lang]
        parts = [t["motion"][r] for r in regions if r in t["motion"]] + [t["effects"][e] for e in effects
                                                                          if e in t["effects"]]
        head = (t["head"] if area else t["head_only"]).format(title=title, area=area)
        body = t["scene"].format(name=disaster.name(lang).lower() if lang != "zh" else disaster.name(lang))
        if parts:
            moves = parts[0] if len(parts) == 1 else t["sep"].join(parts[:-1]) + t["and"] + parts[-1]
            body += (" " if lang != "zh" else "") + t["moves"].format(moves=moves)
        joiner = "" if lang == "zh" else " "
        return joiner.join([head, body, t["camera"].get(camera, t["camera"]["static"]), t["people"]]), lang, None
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
