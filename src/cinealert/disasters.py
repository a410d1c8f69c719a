"""The disaster taxonomy, in one place.

Every disaster type maps to its Korean and English names, the event codes that alerts carry
(Korean TTA codes, US NWS/SAME codes and common CAP event codes), words that reveal it in free
text, the keywords a text-prompted segmenter looks for, the scene family the built-in illustrator
draws, and its motion vocabulary: which region classes move and which whole-frame effects run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cinealert.errors import InputError
from cinealert.regions import Region

#: Scene families that the procedural illustrator can draw.
SCENES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake", "coastal")

#: Whole-frame effects of the motion stage (in addition to moving regions).
EFFECTS = ("rain", "snowfall", "embers", "shake", "heat_haze", "dust_haze", "wind")


@dataclass(frozen=True)
class DisasterType:
    key: str
    name_en: str
    name_ko: str
    scene: str
    codes: tuple[str, ...]
    words_en: tuple[str, ...]
    words_ko: tuple[str, ...]
    segmenter_keywords: tuple[str, ...]
    regions: tuple[Region, ...]
    effects: tuple[str, ...]
    motion: str

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "name_en": self.name_en,
            "name_ko": self.name_ko,
            "scene": self.scene,
            "codes": list(self.codes),
            "segmenter_keywords": list(self.segmenter_keywords),
            "regions": [r.name.lower() for r in self.regions],
            "effects": list(self.effects),
            "motion": self.motion,
        }


W, F, S, C, V, D, H, U = (Region.WATER, Region.FIRE, Region.SMOKE, Region.CLOUD, Region.FOLIAGE,
                          Region.DEBRIS, Region.SHIMMER, Region.DUST)

_TYPES = [
    DisasterType("flood", "Flood", "홍수", "flood",
                 ("FLA", "FLW", "FLS", "FFA", "FFW", "FFS", "FLOOD", "RESERVOIRDIS"),
                 ("flood", "flooding", "flash flood", "inundation", "overflow", "river rising"),
                 ("홍수", "범람", "침수", "하천 범람"),
                 ("water", "river", "flood water", "muddy water"),
                 (W, C), ("rain",), "brown flood water flowing and rising with ripples, rain falling"),
    DisasterType("heavy_rain", "Heavy Rain", "호우", "flood",
                 ("HRA", "HRW", "RAIN", "HVYRAIN"),
                 ("heavy rain", "downpour", "torrential rain", "rainstorm", "rainfall",
                  "thunderstorm", "thunderstorms", "thunder"),
                 ("호우", "집중호우", "폭우", "많은 비"),
                 ("water", "river", "puddle", "rain"),
                 (W, C), ("rain",), "sheets of rain falling, swollen streams flowing fast"),
    DisasterType("landslide", "Landslide", "산사태", "landslide",
                 ("LSW", "LSA", "LANDSLIDE", "DEBRIS"),
                 ("landslide", "mudslide", "debris flow", "rockslide", "slope failure"),
                 ("산사태", "토사", "붕괴", "사면 붕괴"),
                 ("mud", "debris", "landslide", "soil"),
                 (D, W, C), ("rain",), "mud and debris sliding down the slope, rain falling"),
    DisasterType("drought", "Drought", "가뭄", "drought",
                 ("DRW", "DROUGHT"),
                 ("drought", "dry spell", "water shortage", "parched"),
                 ("가뭄", "물 부족", "저수율"),
                 ("cracked earth", "dry ground", "heat haze"),
                 (H, C), ("heat_haze",), "heat shimmering above cracked earth, dust drifting"),
    DisasterType("wildfire", "Wildfire", "산불", "wildfire",
                 ("MFW", "MFA", "FRW", "FWW", "FIRE", "BUSHFIRE"),
                 ("wildfire", "forest fire", "bushfire", "brush fire", "fire"),
                 ("산불", "화재", "들불"),
                 ("fire", "flame", "smoke"),
                 (F, S), ("embers",), "flames rising and flickering, smoke drifting, embers floating up"),
    DisasterType("heavy_snow", "Heavy Snow", "대설", "heavy_snow",
                 ("HSW", "HSA", "WSW", "WSA", "BZW", "SNOW", "BLIZZARD"),
                 ("heavy snow", "snowstorm", "blizzard", "winter storm", "snowfall", "snow"),
                 ("대설", "폭설", "눈", "많은 눈"),
                 ("snow", "snowfall", "sky"),
                 (C,), ("snowfall",), "snow falling at several depths, clouds drifting"),
    DisasterType("typhoon", "Typhoon", "태풍", "typhoon",
                 ("TYA", "TYW", "HUW", "HUA", "TRW", "TRA", "TYPHOON", "HURRICANE", "CYCLONE"),
                 ("typhoon", "hurricane", "tropical storm", "tropical cyclone", "cyclone"),
                 ("태풍",),
                 ("sea", "waves", "trees", "rain", "clouds"),
                 (W, V, C), ("rain", "wind"), "wind-driven rain, trees swaying, rough sea, racing clouds"),
    DisasterType("earthquake", "Earthquake", "지진", "earthquake",
                 ("EQW", "EQA", "EQ", "EARTHQUAKE"),
                 ("earthquake", "quake", "seismic", "tremor", "aftershock"),
                 ("지진", "여진", "진동"),
                 ("dust", "smoke", "rubble"),
                 (U,), ("shake",), "the ground shaking, dust rising from collapsed walls"),
    DisasterType("tsunami", "Tsunami", "지진해일", "coastal",
                 ("TSA", "TSW", "TSUNAMI"),
                 ("tsunami", "tidal wave"),
                 ("지진해일", "쓰나미", "해일"),
                 ("sea", "wave", "water"),
                 (W, C), (), "a surge of sea water rushing ashore"),
    DisasterType("storm_surge", "Storm Surge", "폭풍해일", "coastal",
                 ("SSA", "SSW", "SURGE"),
                 ("storm surge", "coastal flooding"),
                 ("폭풍해일", "해일"),
                 ("sea", "wave", "water"),
                 (W, C, V), ("rain", "wind"), "sea water surging over the sea wall, wind-driven rain"),
    DisasterType("high_seas", "High Seas", "풍랑", "coastal",
                 ("HWA", "HWW", "SEAS", "MWS"),
                 ("high seas", "high waves", "rough sea", "gale at sea"),
                 ("풍랑",),
                 ("sea", "wave", "water"),
                 (W, C), ("wind",), "tall waves rolling toward the shore, spray blowing"),
    DisasterType("strong_wind", "Strong Wind", "강풍", "typhoon",
                 ("WIA", "WIW", "HWW", "WIND", "GALE"),
                 ("strong wind", "high wind", "gale", "windstorm"),
                 ("강풍",),
                 ("trees", "clouds"),
                 (V, C), ("wind",), "trees bending and swaying, clouds racing"),
    DisasterType("cold_wave", "Cold Wave", "한파", "heavy_snow",
                 ("CWA", "CWW", "COLD", "FRZ"),
                 ("cold wave", "extreme cold", "freeze", "frost", "cold snap"),
                 ("한파", "추위", "동파"),
                 ("ice", "snow", "frost"),
                 (C,), ("snowfall",), "fine snow drifting through frozen air"),
    DisasterType("heat_wave", "Heat Wave", "폭염", "drought",
                 ("HTA", "HTW", "EHW", "HEAT", "HEATWAVE"),
                 ("heat wave", "heatwave", "extreme heat", "excessive heat", "canicule", "hot weather"),
                 ("폭염", "무더위", "고온"),
                 ("heat haze", "sun"),
                 (H,), ("heat_haze",), "heat shimmer rising from the ground under a blazing sun"),
    DisasterType("yellow_dust", "Yellow Dust", "황사", "drought",
                 ("YDA", "YDW", "DUST", "DSW"),
                 ("yellow dust", "dust storm", "sandstorm", "fine dust"),
                 ("황사", "미세먼지"),
                 ("dust", "haze"),
                 (U,), ("dust_haze",), "yellow dust haze drifting across the town"),
    DisasterType("dry_weather", "Dry Weather", "건조", "drought",
                 ("DWA", "DWW", "DRY"),
                 ("dry weather", "fire weather", "red flag", "low humidity"),
                 ("건조",),
                 ("dry grass", "dust"),
                 (H, U), ("heat_haze",), "dry grass and dust stirring in a warm wind"),
]

DISASTERS: dict[str, DisasterType] = {d.key: d for d in _TYPES}

#: The seven disaster types of the paper.
PAPER_TYPES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake")

_ALIASES = {"snow": "heavy_snow", "heavy-snow": "heavy_snow", "fire": "wildfire", "rain": "heavy_rain",
            "hurricane": "typhoon", "quake": "earthquake", "heatwave": "heat_wave", "wind": "strong_wind"}


def get_disaster(key: str) -> DisasterType:
    """Return the disaster type called ``key`` (a key, an alias or a Korean/English name)."""
    if not isinstance(key, str):
        raise TypeError(f"disaster type must be a string, got {type(key).__name__}.")
    norm = key.strip().lower().replace(" ", "_")
    norm = _ALIASES.get(norm, norm)
    if norm in DISASTERS:
        return DISASTERS[norm]
    for d in _TYPES:
        if key.strip() in (d.name_ko, d.name_en) or key.strip().lower() == d.name_en.lower():
            return d
    raise InputError(
        f"Unknown disaster type {key!r}. Available types: {', '.join(DISASTERS)}."
    )


def disaster_for_code(code: str) -> DisasterType | None:
    """Return the disaster type whose event codes include ``code`` (case-insensitive), or None."""
    code = code.strip().upper()
    for d in _TYPES:
        if code in d.codes:
            return d
    return None


def detect_disaster(text: str) -> DisasterType | None:
    """Find the disaster type that ``text`` (Korean or English) speaks of, or None.

    Longer, more specific words win over shorter ones ("flash flood" over "flood",
    "지진해일" over "지진"), so mixed phrases pick the most specific type.
    """
    if not text:
        return None
    low = text.lower()
    best: tuple[int, int, DisasterType] | None = None
    for order, d in enumerate(_TYPES):
        for w in d.words_en:
            if re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low):
                cand = (len(w), -order, d)
                best = cand if best is None or cand[:2] > best[:2] else best
        for w in d.words_ko:
            if w in text:
                cand = (len(w) * 2, -order, d)  # a Korean syllable carries about two Latin letters
                best = cand if best is None or cand[:2] > best[:2] else best
    return best[2] if best else None
