"""A template metadata generator: the stand-in for the paper's fine-tuned LLM.

It writes the same kind of structured scene description the LLM writes (scene sentence, setting,
foreground and background objects, sky, time of day, season, lighting, mood, motion, camera) from hand-made
pools of phrases. Choices depend only on the alert and the seed: the random generator is seeded with
``seed ^ crc32(disaster key)`` (never Python's salted ``hash()``), so the same alert and seed always give the
same metadata, and different seeds give different scenes.

Object phrases name concrete things the built-in illustrator knows by keyword (houses, hanok, apartment
blocks, road, bridge, cars, trees, pine, forest, rice paddies, fields, river, stream, embankment, mountain,
ridge, hills, utility poles, power lines, greenhouses, fence, sea wall, harbour, boats) and the disaster's
own elements (flood water, flames, smoke plume, debris flow, cracked earth, snowdrifts, waves, rubble).
They never mention people: the prompt always ends with the directive that no people appear.
"""
from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from cinealert.alerts.model import Alert
from cinealert.disasters import DISASTERS, get_disaster, missing_concepts, visual_concepts
from cinealert.prompting.metadata import SEASONS, TIMES_OF_DAY, SceneMetadata
from cinealert.prompting.scenery import (EN_COAST, KO_COAST, LANDSCAPES, LIGHTS, MOODS_MILD, MOODS_SEVERE, NOUNS,
                                         OBJECTS, SKIES, Landscape)

# --------------------------------------------------------------------------------------------------
# Recipes: one per disaster type, naming the landscapes (scenery.py) and the phrases of its scenes.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """How to write one disaster type's scene. Element phrases may start with ``tag|`` (``coast|``,
    ``river|``, ``mountain|``, ``farm|``, ``city|``) to be used only in landscapes with that tag."""

    condition: str
    weather: str
    night_weather: str | None
    ko: tuple[str, ...]
    en: tuple[str, ...]
    scenes: tuple[str, ...]
    fg: tuple[str, ...]
    bg: tuple[str, ...]
    feel: tuple[str, ...]
    seasons: tuple[str, ...]
    cameras: tuple[str, ...]


def _r(condition, weather, ko, en, scenes, fg, bg, feel, seasons, cameras="circle swing zoom-in",
       night_weather=None):
    return Recipe(condition, weather, night_weather, tuple(ko.split()), tuple(en.split()), scenes, fg, bg,
                  feel, tuple(seasons.split()), tuple(cameras.split()))


RECIPES: dict[str, Recipe] = {
    "flood": _r(
        "wet", "storm", "ko_valley ko_paddies ko_riverside ko_hanok ko_greenhouse",
        "en_river_town en_farmland en_suburb en_main_street",
        ("Brown flood water has swept into {place}, swallowing roads and yards",
         "{place} lies half-submerged after the river burst its banks",
         "A flash flood surges through {place}, carrying debris past the buildings"),
        ("brown flood water swirling around the walls", "a car half-submerged in flood water",
         "broken branches and debris floating on the flood water",
         "a fence line disappearing under flood water"),
        ("river|a swollen river overflowing its embankment",
         "flood water spreading across the low ground to the foot of the hills",
         "river|a bridge with flood water pouring over its deck"),
        ("with the water still rising", "with the roar of rushing water"),
        "summer", "circle swing zoom-in"),
    "heavy_rain": _r(
        "wet", "storm", "ko_valley ko_paddies ko_riverside ko_hanok ko_city",
        "en_river_town en_suburb en_main_street en_mountain_village",
        ("Torrential rain pours down on {place}",
         "Sheets of heavy rain lash {place}, and the roads begin to flood",
         "A relentless downpour drums on {place}"),
        ("sheets of rain falling across the road", "wide puddles of rainwater spreading across the road",
         "gutters overflowing onto the road", "rain streaming off the roofs of the houses"),
        ("river|a swollen river rising toward its embankment",
         "low rain clouds clinging to the mountain ridges",
         "hills fading behind curtains of rain"),
        ("with the hiss of endless rain", "with water running everywhere"),
        "summer", "circle swing dolly-zoom"),
    "landslide": _r(
        "wet", "storm", "ko_valley ko_hillside ko_hanok ko_paddies",
        "en_forest_hills en_mountain_village en_suburb en_farmland",
        ("A landslide has torn down the slope above {place}",
         "Mud and rock pour down a rain-soaked hillside into {place}",
         "A debris flow has buried the edge of {place} under mud and boulders"),
        ("a debris flow of mud, rocks and uprooted trees", "a road buried under mud and boulders",
         "a house crushed at one corner by the debris flow", "snapped utility poles tangled in the mud"),
        ("a raw brown scar where the mountain slope collapsed", "a steep hill streaked with sliding mud",
         "a forested ridge with a fresh gash of bare earth"),
        ("with the slope still moving", "with the smell of wet earth"),
        "summer", "swing circle zoom-in"),
    "drought": _r(
        "dry", "hot", "ko_paddies ko_greenhouse ko_valley ko_hillside ko_riverside",
        "en_farmland en_river_town en_mountain_village en_main_street",
        ("A long drought has baked {place} dry",
         "{place} lies parched under a relentless sun after months without rain",
         "The land around {place} has cracked open in a severe drought"),
        ("cracked earth split into deep polygons", "a dried-up reservoir ringed with bare mud",
         "withered crops drooping in the field", "a dry irrigation ditch full of dust"),
        ("river|a shrunken river exposing its stony bed", "dusty hills of brown grass",
         "a distant mountain ridge faded by the heat haze"),
        ("with a heavy, motionless heat", "with dust hanging in the air"),
        "summer", "circle dolly-zoom zoom-in", night_weather="clear"),
    "wildfire": _r(
        "dry", "smoke", "ko_valley ko_hanok ko_hillside ko_beach ko_paddies",
        "en_forest_hills en_mountain_village en_suburb en_farmland",
        ("A wildfire races down the forested ridge toward {place}",
         "Flames sweep across the hillside above {place}, sending up a towering smoke plume",
         "A forest fire burns on the slopes around {place}"),
        ("tall orange flames consuming a line of pine trees", "burning shrubs and glowing embers along the road",
         "a scorched fence and blackened grass", "flames leaping from the dry undergrowth beside the road"),
        ("a towering smoke plume rising from the burning ridge", "a mountain ridge lined with flames",
         "a forest on fire along the hill"),
        ("with the air thick with heat and ash", "with embers swirling on the wind"),
        "spring autumn", "circle swing zoom-in"),
    "heavy_snow": _r(
        "snow", "snow", "ko_valley ko_hanok ko_paddies ko_greenhouse ko_riverside",
        "en_mountain_village en_suburb en_farmland en_main_street",
        ("Heavy snow has buried {place} under a deep white blanket",
         "A heavy snowfall blankets {place}, muffling every sound",
         "A snowstorm sweeps over {place}, piling snow against every wall"),
        ("deep snowdrifts piled against the walls", "cars buried to their windows in snow",
         "a greenhouse collapsed under the weight of snow", "a road hidden under untouched fresh snow"),
        ("snow-covered mountain ridges fading into the falling snow", "a pine forest heavy with snow",
         "snowy hills merging with the white sky"),
        ("with a muffled, cold stillness", "with snow still falling thickly"),
        "winter", "circle dolly-zoom zoom-in"),
    "typhoon": _r(
        "wind", "storm", "ko_coast ko_paddies ko_riverside ko_greenhouse ko_island",
        "en_coast en_suburb en_farmland en_river_town",
        ("A typhoon batters {place} with howling wind and driving rain",
         "{place} is caught in the full force of a typhoon",
         "Typhoon winds tear through {place} under a black sky"),
        ("trees bent almost flat by the wind", "torn roof panels and debris scattered across the road",
         "toppled utility poles with snapped power lines", "wind-driven rain slanting across the road",
         "farm|rain water pouring in streams across the flattened fields"),
        ("coast|huge waves breaking over the sea wall", "dark storm clouds spiralling overhead",
         "a forest on the hills thrashing in the gale", "river|a swollen river churning under the storm"),
        ("with the howl of the wind", "with everything loose flying past"),
        "summer autumn", "swing circle dolly-zoom"),
    "earthquake": _r(
        "quake", "clear", "ko_riverside ko_hanok ko_valley ko_city ko_port",
        "en_main_street en_suburb en_mountain_village en_river_town",
        ("A strong earthquake has just shaken {place}",
         "{place} lies damaged after a powerful earthquake",
         "Dust rises over {place} moments after a violent earthquake"),
        ("piles of rubble from collapsed walls", "a road split by a deep crack",
         "fallen roof tiles and broken bricks on the ground", "a collapsed house in a heap of rubble"),
        ("dust rising over damaged buildings", "a hillside with fresh rockfall scars",
         "mountain|a ridge with a raw landslide scar"),
        ("with an eerie stillness after the shaking", "with dust still settling"),
        "spring summer autumn winter", "swing circle zoom-in"),
    "tsunami": _r(
        "surge", "clear", " ".join(KO_COAST), " ".join(EN_COAST),
        ("A tsunami surge pours over the sea wall into {place}",
         "The sea rushes ashore in a churning tsunami wave at {place}",
         "A tsunami wave floods the waterfront of {place}"),
        ("a churning wall of sea water flooding the road", "fishing boats tossed onto the quay",
         "debris-filled sea water swirling around the buildings"),
        ("a huge breaking wave rolling toward the shore", "the sea rising in a dark, fast swell",
         "waves surging past the harbour breakwater"),
        ("with the roar of the incoming sea", "with the water still surging inland"),
        "spring summer autumn winter", "dolly-zoom circle zoom-in"),
    "storm_surge": _r(
        "surge", "storm", " ".join(KO_COAST), " ".join(EN_COAST),
        ("A storm surge drives the sea over the sea wall into {place}",
         "Wind-driven waves flood the waterfront of {place}",
         "The sea rises over the quays of {place} in a violent storm surge"),
        ("sea water surging over the sea wall", "waves flooding the coastal road",
         "boats straining at their moorings in the surge", "palm and pine trees bending hard in the gale"),
        ("tall storm waves breaking against the breakwater", "a dark sea whipped white by the wind",
         "hills half hidden by driving rain", "a line of wind-torn trees along the shore"),
        ("with the pounding of the surf", "with spray flying over everything"),
        "summer autumn", "swing circle dolly-zoom"),
    "high_seas": _r(
        "wind", "wind", " ".join(KO_COAST), " ".join(EN_COAST),
        ("High seas hammer the shore at {place}",
         "Towering waves roll in against {place}",
         "A rough sea throws spray over the waterfront of {place}"),
        ("tall waves crashing against the sea wall in bursts of spray", "fishing boats rocking hard in the harbour",
         "white foam washing across the quay", "flags and ropes snapping in the gale on the quay"),
        ("rows of high waves rolling in from the open sea", "white spray blowing off the wave crests",
         "a grey sea heaving under the wind"),
        ("with the boom of the breaking waves", "with salt spray in the air"),
        "autumn winter", "swing dolly-zoom circle"),
    "strong_wind": _r(
        "wind", "wind", "ko_paddies ko_greenhouse ko_coast ko_hanok ko_valley",
        "en_farmland en_suburb en_coast en_forest_hills",
        ("Strong winds howl across {place}",
         "A gale tears through {place}, bending every tree",
         "Fierce gusts sweep over {place}"),
        ("trees bending hard in the gusts", "leaves and broken branches whirling across the road",
         "power lines swinging between the utility poles", "farm|greenhouse covers torn and flapping"),
        ("clouds racing across the sky", "a forest tossing on the hillside",
         "coast|whitecaps streaking the sea beyond the harbour"),
        ("with the roar of the wind", "with everything straining against the gale"),
        "spring summer autumn winter", "swing circle"),
    "cold_wave": _r(
        "snow", "cold", "ko_riverside ko_valley ko_hanok ko_paddies",
        "en_river_town en_farmland en_main_street en_suburb",
        ("A bitter cold wave grips {place}",
         "{place} lies frozen stiff under an extreme cold snap",
         "Frost and ice lock {place} in a hard freeze"),
        ("frost-covered cars along the road", "icicles hanging from the eaves of the houses",
         "a frozen stream locked in white ice", "a crust of old snow on the frozen ground"),
        ("river|a river frozen over between its embankments", "bare trees rimed with frost",
         "hills white with frost"),
        ("with a brittle, frozen silence", "with breath-stealing cold"),
        "winter", "circle dolly-zoom"),
    "heat_wave": _r(
        "dry", "hot", "ko_riverside ko_city ko_paddies ko_greenhouse ko_hanok",
        "en_main_street en_suburb en_farmland en_river_town",
        ("A scorching heat wave bakes {place}",
         "{place} swelters under an extreme heat wave",
         "Heat shimmers over {place} on a blistering day"),
        ("heat shimmer rising from the asphalt road", "wilted trees and sun-bleached grass",
         "parked cars glaring under the sun", "a dry, dusty field cracked by the heat"),
        ("distant hills faded by the heat haze", "city|apartment blocks wavering in the heat haze",
         "a sun-bleached mountain ridge"),
        ("with an oppressive, airless heat", "with the air trembling in the heat"),
        "summer", "circle dolly-zoom zoom-in", night_weather="clear"),
    "yellow_dust": _r(
        "dry", "haze", "ko_city ko_riverside ko_hanok ko_paddies",
        "en_main_street en_suburb en_farmland en_river_town",
        ("A yellow dust storm smothers {place}",
         "Thick yellow dust hangs over {place}, blotting out the sun",
         "{place} fades into a choking yellow haze of dust"),
        ("a thick yellow dust haze drifting over the road", "fine dust settled on parked cars",
         "dust swirling across the field"),
        ("city|apartment blocks fading into the yellow haze", "hills barely visible through the dust",
         "a mountain ridge lost in the dust haze"),
        ("with a stifling, gritty air", "with the whole world tinted yellow"),
        "spring", "circle dolly-zoom"),
    "thunderstorm": _r(
        "wet", "storm", "ko_valley ko_paddies ko_riverside ko_hanok ko_city",
        "en_farmland en_suburb en_main_street en_river_town",
        ("A towering thunderstorm breaks over {place}",
         "A dark cumulonimbus looms over {place} as lightning strikes the hills",
         "Gusts drive heavy rain across {place} under a thunderstorm"),
        ("trees bending in the storm gusts", "rain slanting across the road in the gusts",
         "leaves and twigs blown across the yard", "puddles whipped by the gusts"),
        ("a towering cumulonimbus cloud with a flat anvil top", "a lightning bolt striking the distant hills",
         "hills fading behind curtains of rain"),
        ("with the rumble of thunder", "with the air charged before the next strike"),
        "summer", "circle swing zoom-in"),
    "dry_weather": _r(
        "dry", "clear", "ko_valley ko_hillside ko_hanok ko_paddies",
        "en_forest_hills en_farmland en_mountain_village en_suburb",
        ("Bone-dry weather has left {place} ready to burn",
         "A long dry spell has turned {place} brown and brittle",
         "Dry wind stirs the parched grass around {place}"),
        ("dry brown grass bending in a warm wind", "dead leaves piled against the fence",
         "a dusty road with small dust devils", "heat haze shimmering over the parched ground"),
        ("pine-covered ridges turned brown and brittle", "a dry forest on the hill",
         "dusty hills under a hard blue sky", "hills wavering in the heat haze"),
        ("with a restless, tinder-dry wind", "with a sense of danger in the dry air"),
        "spring autumn", "circle swing"),
}

#: Camera trajectories the render stage is asked for.
from cinealert.render import CAMERAS  # noqa: E402  (the cameras the renderer knows)

_PEOPLE = re.compile(r"\b(people|person|persons|human|humans|resident|residents|villager|villagers|man|men|"
                     r"woman|women|child|children|kid|kids|crowd|crowds|firefighter|firefighters|worker|"
                     r"workers|driver|drivers|farmer|farmers|fisherman|fishermen|pedestrian|pedestrians|"
                     r"rescuer|rescuers|victim|victims|family|families|figure|figures)\b", re.I)


def mentions_people(text: str) -> bool:
    """True when ``text`` names a person (the prompt forbids people in the image)."""
    return bool(_PEOPLE.search(text))


def time_group(time_of_day: str) -> str:
    return time_of_day if time_of_day in ("dawn", "dusk", "night") else "day"


def time_of_day_for_hour(hour: int) -> str:
    if 5 <= hour < 7:
        return "dawn"
    if 7 <= hour < 11:
        return "morning"
    if 11 <= hour < 14:
        return "noon"
    if 14 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 19:
        return "dusk"
    return "night"


def season_for_month(month: int, southern: bool = False) -> str:
    season = SEASONS[((month % 12) // 3 + 3) % 4]   # Dec-Feb winter, Mar-May spring, ...
    if southern:
        season = SEASONS[(SEASONS.index(season) + 2) % 4]
    return season


_TIME = re.compile(r"^\s*\d{4}-(\d{2})-\d{2}[T ](\d{2}):\d{2}")


def _clock(alert: Alert) -> tuple[int, int] | None:
    """``(month, hour)`` of the alert's local clock time (effective, else sent), or None."""
    for value in (alert.effective, alert.sent):
        m = _TIME.match(value or "")
        if m:
            month, hour = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12 and 0 <= hour <= 23:
                return month, hour
    return None


def _southern(alert: Alert) -> bool:
    lats = [p[0] for a in alert.areas for poly in a.polygons for p in poly[:1]]
    lats += [c[0] for a in alert.areas for c in a.circles]
    return bool(lats) and sum(lats) / len(lats) < 0


#: Words of an alert's area names that tell what kind of place it is (Korean, English), by landscape tag.
AREA_WORDS: dict[str, tuple[str, ...]] = {
    "coast": ("해안", "해변", "연안", "앞바다", "항구", "항만", "섬", "도서", "coast", "shore", "beach", "bay",
              "harbo", "port", "island", "seaside", "marine", "waters"),
    "mountain": ("산간", "산지", "산악", "산림", "계곡", "고개", "mountain", "highland", "valley", "ridge",
                 "alpine", "forest"),
    "river": ("강변", "강가", "하천", "천변", "유역", "river", "creek", "basin", "stream"),
    "city": ("도심", "시내", "특별시", "광역시", "구청", "city", "metro", "urban", "downtown"),
    "farm": ("평야", "농촌", "들녘", "plain", "rural", "farm", "county", "prairie"),
}


def area_tags(alert: Alert) -> set[str]:
    """Landscape tags the alert's area names suggest ("강원 산간" → mountain, "Chaves County Plains" →
    farm); empty when they say nothing of the terrain."""
    text = " ".join(alert.area_names()).lower()
    tags = {tag for tag, words in AREA_WORDS.items() if any(w in text for w in words)}
    if any(len(t) >= 2 and t.endswith("강") for t in text.split()):     # 한강, 낙동강 (not 강원)
        tags.add("river")
    return tags


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_HAIL = re.compile(r"\bhail|grêle|granizo|hagel|grandine|град|우박|冰雹|雹|ひょう", re.I)


def says_hail(alert: Alert) -> bool:
    """True when the alert's own text (event, headline, description, any block) speaks of hail."""
    return any(_HAIL.search(" ".join((i.event, i.headline, i.description))) for i in alert.infos) or \
        bool(_HAIL.search(" ".join((alert.event or "", alert.headline or ""))))


class TemplateGenerator:
    """Writes scene metadata from hand-made pools of phrases, varied by seed."""

    name = "template"
    summary = "built-in template metadata writer (the stand-in for the paper's fine-tuned LLM)"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def generate(self, alert: Alert, *, seed: int = 0) -> SceneMetadata:
        disaster = get_disaster(alert.disaster)
        recipe = RECIPES[disaster.key]
        rng = random.Random(int(seed) ^ _stable_hash(disaster.key))
        korean = (alert.language or "").lower().startswith("ko")

        options = recipe.ko if korean else recipe.en
        hinted = [k for k in options if LANDSCAPES[k].tags & area_tags(alert)]
        landscape = LANDSCAPES[rng.choice(hinted or options)]

        clock = _clock(alert)
        if clock is not None:
            month, hour = clock
            time_of_day = time_of_day_for_hour(hour)
            season = season_for_month(month, _southern(alert))
        else:
            time_of_day = rng.choice(TIMES_OF_DAY)
            season = rng.choice(recipe.seasons)
        group = time_group(time_of_day)

        scene = _cap(rng.choice(recipe.scenes).format(place=landscape.place))
        used: list[str] = []
        fg = self._objects(rng, recipe, landscape, recipe.fg, landscape.foreground,
                           n_dis=rng.choice((1, 2)), total=rng.randint(2, 4), used=used)
        bg = self._objects(rng, recipe, landscape, recipe.bg, landscape.background,
                           n_dis=1, total=rng.randint(2, 3), used=used)

        weather = recipe.weather
        if group == "night" and recipe.night_weather:
            weather = recipe.night_weather
        sky = rng.choice(SKIES[weather][group])
        lighting = rng.choice(LIGHTS[weather][group])
        self._cover(rng, disaster, recipe, landscape, f"{scene} {sky}", fg, bg)
        if disaster.key == "thunderstorm" and says_hail(alert):
            fg.append("hailstones bouncing on the ground")      # hail only where the alert says hail

        severe = alert.level == "warning" or alert.severity in ("Extreme", "Severe")
        mood = f"{rng.choice(MOODS_SEVERE if severe else MOODS_MILD)}, {rng.choice(recipe.feel)}"
        motion = [p.strip() for p in disaster.motion.split(",") if p.strip()]

        return SceneMetadata(
            disaster=disaster.key,
            scene=scene,
            setting=landscape.setting,
            foreground=fg,
            background=bg,
            sky=sky,
            time_of_day=time_of_day,
            season=season,
            lighting=lighting,
            mood=mood,
            motion=motion,
            regions=[r.name.lower() for r in disaster.regions],
            keywords=list(disaster.segmenter_keywords),
            camera=rng.choice(recipe.cameras),
            language="ko" if korean else "en",
        )

    @staticmethod
    def _cover(rng: random.Random, disaster, recipe: Recipe, landscape: Landscape, scene: str,
               fg: list[str], bg: list[str]) -> None:
        """Make the objects name what the picture must show (the disaster's moving regions and effects,
        :func:`visual_concepts`) where the recipe has a fitting phrase for this landscape: a missing
        concept's phrase is added, or takes the place of the last piece of scenery."""
        concepts = visual_concepts(disaster)
        for concept in missing_concepts(" ".join([scene, *fg, *bg]), disaster):
            words = concepts[concept]
            for pool, target, most in ((recipe.fg, fg, 4), (recipe.bg, bg, 3)):
                options = []
                for e in pool:
                    tag, _, phrase = e.rpartition("|")
                    if (not tag or tag in landscape.tags) and phrase not in fg + bg \
                            and any(w in phrase.lower() for w in words):
                        options.append(phrase)
                if options:
                    pick = rng.choice(options)
                    if len(target) < most:
                        target.append(pick)
                    else:
                        target[-1] = pick
                    break

    @staticmethod
    def _objects(rng: random.Random, recipe: Recipe, landscape: Landscape, elements: tuple[str, ...],
                 scenery: tuple[str, ...], *, n_dis: int, total: int, used: list[str]) -> list[str]:
        """Pick ``n_dis`` disaster elements and fill up to ``total`` with scenery objects, skipping
        scenery whose object is already named (in ``used``: the phrases picked so far, both lists)."""
        usable = []
        for e in elements:
            tag, _, phrase = e.rpartition("|")
            if not tag or tag in landscape.tags:
                usable.append(phrase)
        fresh = [u for u in usable if not _shares_object(u, used)]
        if len(fresh) >= min(n_dis, total - 1):
            usable = fresh
        n_dis = min(n_dis, total - 1, len(usable))      # always at least one piece of scenery
        picked = rng.sample(usable, n_dis)
        keys = list(scenery)
        rng.shuffle(keys)
        skipped = []
        for key in keys:
            if len(picked) >= total:
                break
            phrase = OBJECTS[key].get(recipe.condition, OBJECTS[key]["d"])
            if phrase in picked or phrase in used:
                continue
            if NOUNS[key].search(" ".join(used + picked)):
                skipped.append(phrase)
                continue
            picked.append(phrase)
        while len(picked) < min(2, total) and skipped:   # rather a repeated object than too few
            picked.append(skipped.pop(0))
        used.extend(picked)
        return picked


def _shares_object(phrase: str, used: list[str]) -> bool:
    if not used:
        return False
    text = " ".join(used)
    return any(n.search(phrase) and n.search(text) for n in NOUNS.values())


def _check_tables() -> None:
    """Import-time sanity: every disaster has a recipe with at least 4 settings per language."""
    problems = []
    for key in DISASTERS:
        r = RECIPES.get(key)
        if r is None:
            problems.append(f"no recipe for {key}")
            continue
        if len(r.ko) < 4 or len(r.en) < 4:
            problems.append(f"{key}: fewer than 4 settings in a language")
        if not all(k in LANDSCAPES for k in r.ko + r.en):
            problems.append(f"{key}: unknown landscape")
        if not set(r.seasons) <= set(SEASONS) or not set(r.cameras) <= set(CAMERAS):
            problems.append(f"{key}: bad season or camera")
    if set(NOUNS) != set(OBJECTS):
        problems.append("NOUNS and OBJECTS differ")
    for ls in LANDSCAPES.values():
        if not all(k in OBJECTS for k in ls.foreground + ls.background):
            problems.append(f"{ls.key}: unknown object")
    if problems:
        raise RuntimeError("template tables are inconsistent: " + "; ".join(problems))


_check_tables()
