"""The scenery the template generator (:mod:`cinealert.prompting.template`) writes scenes from: scenery
objects in each ground condition, landscapes (Korean and English-speaking settings), skies and light by
weather and time of day, and moods. Phrases name concrete things the built-in illustrator knows by keyword
and never mention people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------------
# Scenery objects. "d" is the plain form; the other keys are the form under a ground condition:
# wet (rain, flood), dry (drought, heat, fire weather), snow (snow, frost), wind (storm winds),
# quake (earthquake damage), surge (sea water driven ashore). A missing condition falls back to "d".
# --------------------------------------------------------------------------------------------------
OBJECTS: dict[str, dict[str, str]] = {
    "houses_tin": {
        "d": "a cluster of low houses with blue tin roofs",
        "wet": "low houses with blue tin roofs streaming with rain",
        "snow": "low houses with blue tin roofs under a thick layer of snow",
        "quake": "low houses with blue tin roofs, some with collapsed walls",
        "surge": "low houses with blue tin roofs standing in swirling sea water",
        "wind": "low houses with blue tin roofs rattling in the gusts",
    },
    "houses_tile": {
        "d": "a row of farmhouses with red tile roofs behind a stone fence",
        "snow": "farmhouses with snow-laden red tile roofs behind a stone fence",
        "quake": "farmhouses with red roof tiles sliding off cracked walls",
        "dry": "sun-baked farmhouses with faded red tile roofs",
    },
    "hanok": {
        "d": "traditional hanok houses with curved grey tile roofs and a low stone fence",
        "snow": "traditional hanok houses with snow along their curved tile roofs",
        "quake": "hanok houses with toppled roof tiles and a broken stone fence",
        "wet": "hanok houses with rain pouring from their curved tile eaves",
    },
    "apartments": {
        "d": "rows of tall white apartment blocks",
        "snow": "tall apartment blocks with snow on every ledge",
        "quake": "tall apartment blocks with cracked facades",
        "dry": "tall apartment blocks wavering in the heat haze",
        "wet": "tall apartment blocks blurred by the rain",
    },
    "river_emb": {
        "d": "a wide river between grassy embankments",
        "wet": "a swollen brown river pressing against its embankment",
        "dry": "a shrunken river far below its dry, dusty embankment",
        "snow": "a half-frozen river between snowy embankments",
        "wind": "a choppy grey river whipped by the wind along its embankment",
    },
    "stream": {
        "d": "a shallow rocky stream",
        "wet": "a swollen stream churning white over the rocks",
        "dry": "a dried-up stream bed of bare stones",
        "snow": "a stream edged with ice and snow",
    },
    "bridge": {
        "d": "a small concrete bridge over the stream",
        "wet": "a low concrete bridge with muddy water lapping at its deck",
        "snow": "a small bridge covered in snow",
        "quake": "a small concrete bridge with a buckled deck",
    },
    "bridge_river": {
        "d": "a long road bridge across the river",
        "wet": "a long road bridge over the fast brown river",
        "snow": "a long road bridge over the icy river",
        "quake": "a long road bridge with a fallen span",
    },
    "road": {
        "d": "a narrow asphalt road",
        "wet": "a narrow road running with muddy rainwater",
        "dry": "a dusty narrow road",
        "snow": "a narrow road buried under snowdrifts",
        "quake": "a road split by deep cracks",
        "wind": "a narrow road strewn with leaves and broken branches",
        "surge": "a waterfront road awash with sea water",
    },
    "cars": {
        "d": "a few cars parked along the road",
        "wet": "parked cars with water up to their wheels",
        "dry": "dust-coated cars parked along the road",
        "snow": "parked cars half buried in snow",
        "quake": "cars stranded among fallen bricks",
        "surge": "cars swept against each other by the sea water",
    },
    "poles": {
        "d": "a line of wooden utility poles with power lines",
        "wind": "utility poles leaning in the wind, power lines swinging",
        "snow": "utility poles with ice-coated power lines",
        "quake": "tilted utility poles with sagging power lines",
    },
    "paddies": {
        "d": "green rice paddies divided by earthen banks",
        "wet": "rice paddies brimming with muddy water",
        "dry": "parched rice paddies of cracked earth",
        "snow": "rice paddies buried under smooth snowdrifts",
        "wind": "rice paddies rippling and flattened by the wind",
    },
    "greenhouses": {
        "d": "rows of white plastic greenhouses",
        "wet": "plastic greenhouses standing in pooled water",
        "snow": "plastic greenhouses sagging under heavy snow",
        "wind": "plastic greenhouses with torn, flapping covers",
    },
    "pines": {
        "d": "a stand of Korean red pine trees",
        "dry": "brittle, brown-needled pine trees",
        "snow": "pine trees bowed under heavy snow",
        "wind": "pine trees bending hard in the wind",
    },
    "trees": {
        "d": "a row of leafy trees",
        "dry": "wilted, dusty trees",
        "snow": "bare trees with snow on every branch",
        "wind": "trees thrashing in the wind",
    },
    "mountains": {
        "d": "forested mountain ridges",
        "wet": "forested mountain ridges veiled in rain",
        "dry": "brown, dry mountain ridges",
        "snow": "snow-covered mountain ridges",
    },
    "hills": {
        "d": "low green hills",
        "wet": "low green hills half hidden by rain",
        "dry": "low hills of yellowed grass",
        "snow": "low hills under snow",
    },
    "harbour": {
        "d": "a small harbour with fishing boats moored along the quay",
        "wind": "a small harbour with fishing boats tossing at their moorings",
        "snow": "a small harbour with snow-dusted fishing boats",
        "wet": "a small harbour with fishing boats riding a rising sea",
        "surge": "a harbour with fishing boats torn from their moorings",
    },
    "sea_wall": {
        "d": "a concrete sea wall lined with tetrapods",
        "wind": "a concrete sea wall pounded by spray",
        "wet": "a concrete sea wall with sea water spilling over it",
        "surge": "a concrete sea wall overtopped by foaming sea water",
    },
    "fence": {
        "d": "a wooden fence along a vegetable garden",
        "snow": "a wooden fence half buried in snow",
        "wind": "a wooden fence with broken, leaning boards",
        "dry": "a weathered wooden fence around a dusty garden",
    },
    "field": {
        "d": "open farm fields",
        "wet": "farm fields covered by sheets of water",
        "dry": "parched farm fields of cracked earth",
        "snow": "farm fields under deep snow",
        "wind": "farm fields of crops flattened by the wind",
    },
    "forest": {
        "d": "a dense green forest",
        "dry": "a dry forest of brittle, thirsty trees",
        "snow": "a snowy pine forest",
        "wind": "a forest tossing in the wind",
    },
    "suburb": {
        "d": "suburban houses with pitched roofs and small gardens",
        "snow": "suburban houses with snow-covered roofs and gardens",
        "quake": "suburban houses with cracked walls and fallen chimneys",
        "wind": "suburban houses with missing roof shingles",
    },
    "town_houses": {
        "d": "a row of brick houses with slate roofs",
        "snow": "brick houses with snow-covered slate roofs",
        "quake": "brick houses with shattered walls and fallen slates",
        "dry": "sun-bleached brick houses with dusty slate roofs",
    },
    "barn": {
        "d": "a red barn and a wooden fence",
        "snow": "a red barn and a fence drifted with snow",
        "dry": "a faded red barn and a sagging fence",
    },
    "shops": {
        "d": "two-storey brick buildings along a main street",
        "quake": "two-storey brick buildings with collapsed facades",
        "snow": "two-storey brick buildings with snow on their cornices",
    },
    "cabins": {
        "d": "a few wooden houses scattered on the slope",
        "snow": "a few wooden houses deep in snow on the slope",
    },
    "beach": {
        "d": "a sandy beach backed by a pine windbreak",
        "wind": "a sandy beach scoured by wind-blown sand and spray",
        "surge": "a sandy beach swallowed by the incoming sea",
    },
}


@dataclass(frozen=True)
class Landscape:
    key: str
    place: str                    # short, with article, for the scene sentence
    setting: str                  # the full setting
    foreground: tuple[str, ...]   # OBJECTS keys
    background: tuple[str, ...]
    tags: frozenset[str] = frozenset()


def _ls(key, place, setting, fg, bg, tags=""):
    return Landscape(key, place, setting, tuple(fg.split()), tuple(bg.split()), frozenset(tags.split()))


LANDSCAPES: dict[str, Landscape] = {ls.key: ls for ls in [
    # Korean settings
    _ls("ko_valley", "a mountain valley village",
        "a mountain valley village in Gangwon-do, with a stream winding between steep forested ridges",
        "houses_tin stream road poles", "mountains bridge pines", "river mountain"),
    _ls("ko_paddies", "a rice-farming plain",
        "a plain of rice paddies outside a small farming town in Jeolla-do",
        "paddies road poles greenhouses", "hills houses_tile pines", "farm"),
    _ls("ko_riverside", "a riverside apartment district",
        "a riverside district of apartment blocks along a river embankment in a Korean city",
        "river_emb road cars", "apartments bridge_river hills", "river city"),
    _ls("ko_hanok", "a hanok village",
        "a hanok village at the foot of a pine-covered hill",
        "hanok road trees", "hills pines poles", "mountain"),
    _ls("ko_coast", "a coastal fishing town",
        "a coastal fishing town on the east coast of Korea",
        "sea_wall harbour road", "houses_tin mountains", "coast"),
    _ls("ko_greenhouse", "a greenhouse farming village",
        "a farming village of plastic greenhouses and vegetable fields in Chungcheong-do",
        "greenhouses field fence", "hills houses_tile poles", "farm"),
    _ls("ko_hillside", "a hillside village",
        "a hillside village of terraced fields below a steep mountain slope in Gyeongsang-do",
        "houses_tile road field", "mountains pines poles", "mountain farm"),
    _ls("ko_city", "an old city neighbourhood",
        "an old neighbourhood of low-rise houses and narrow roads in a Korean city",
        "road cars poles houses_tin", "apartments hills", "city"),
    _ls("ko_port", "a harbour city",
        "a harbour city on the southern coast of Korea, with apartment blocks behind a wide port",
        "harbour sea_wall road", "apartments hills", "coast city"),
    _ls("ko_beach", "a seaside village",
        "a seaside village behind a sandy beach and a pine windbreak on the east coast of Korea",
        "beach road houses_tin", "pines mountains poles", "coast"),
    _ls("ko_island", "an island fishing village",
        "a fishing village on a small island off the southwest coast of Korea",
        "harbour houses_tin sea_wall", "hills pines", "coast"),
    # International settings
    _ls("en_river_town", "a small river town",
        "a small river town with a long road bridge and brick houses along the water",
        "river_emb town_houses cars", "bridge_river hills trees", "river"),
    _ls("en_farmland", "open farmland",
        "open farmland with scattered farmsteads and a country road",
        "field barn road", "hills trees poles", "farm"),
    _ls("en_suburb", "a suburban neighbourhood",
        "a quiet suburban neighbourhood on the edge of a city",
        "suburb road cars trees", "hills poles", "city"),
    _ls("en_forest_hills", "a wooded valley",
        "wooded hills above a rural valley road",
        "forest road fence", "mountains cabins", "mountain"),
    _ls("en_mountain_village", "a mountain village",
        "a mountain village in a steep alpine valley",
        "town_houses road pines", "mountains bridge stream", "mountain river"),
    _ls("en_main_street", "a small town main street",
        "a small town main street lined with two-storey brick buildings",
        "road cars poles", "shops hills", "city"),
    _ls("en_coast", "a coastal town",
        "a coastal town with a harbour and a sea wall",
        "sea_wall harbour road", "town_houses hills", "coast"),
    _ls("en_port", "a busy fishing port",
        "a busy fishing port with long quays and warehouses",
        "harbour sea_wall cars", "town_houses hills", "coast city"),
    _ls("en_beach_town", "a low-lying beach town",
        "a low-lying beach town behind a wide sandy beach",
        "beach road suburb", "trees poles", "coast"),
    _ls("en_bay_village", "a village on a sheltered bay",
        "a village of brick houses on a sheltered bay below wooded hills",
        "harbour town_houses road", "hills forest", "coast"),
]}

KO_COAST = ("ko_coast", "ko_port", "ko_beach", "ko_island")
EN_COAST = ("en_coast", "en_port", "en_beach_town", "en_bay_village")

# --------------------------------------------------------------------------------------------------
# Skies and light by weather and time of day ("day" = morning, noon and afternoon).
# --------------------------------------------------------------------------------------------------
SKIES: dict[str, dict[str, tuple[str, ...]]] = {
    "storm": {
        "dawn": ("a dark grey storm sky with a faint pale band on the horizon",),
        "day": ("a low, heavy overcast of dark grey rain clouds", "a churning grey sky of heavy rain clouds"),
        "dusk": ("a leaden storm sky tinged with dull purple",),
        "night": ("a black, rain-filled night sky",),
    },
    "clear": {
        "dawn": ("a clear pale sky turning pink at the horizon",),
        "day": ("a clear, pale blue sky with a few high clouds", "a bright sky of scattered white clouds"),
        "dusk": ("a clear sky glowing orange and violet",),
        "night": ("a clear night sky with a few stars",),
    },
    "snow": {
        "dawn": ("a pale grey sky thick with falling snow",),
        "day": ("a white, snow-laden overcast sky", "a soft grey sky full of drifting snowflakes"),
        "dusk": ("a dim blue-grey sky full of snow",),
        "night": ("a dark night sky with snowflakes caught in the lamplight",),
    },
    "smoke": {
        "dawn": ("a sky smeared with brown smoke",),
        "day": ("a sky choked with brown-grey smoke", "a hazy sky darkened by a huge smoke plume"),
        "dusk": ("a sky of billowing smoke lit red from below",),
        "night": ("a dark night sky lit orange by the fire",),
    },
    "haze": {
        "dawn": ("a dim, dusty sky",),
        "day": ("a dull yellow-grey sky thick with dust", "a murky ochre sky with a pale disc of sun"),
        "dusk": ("a hazy sky with a muddy orange sun",),
        "night": ("a murky brown night sky",),
    },
    "hot": {
        "dawn": ("a cloudless sky already hazy with heat",),
        "day": ("a cloudless, bleached blue sky with a blazing sun", "a white-hot, cloudless sky"),
        "dusk": ("a hazy sky with a swollen orange sun",),
        "night": ("a warm, hazy night sky",),
    },
    "cold": {
        "dawn": ("a clear, icy pale sky",),
        "day": ("a hard, clear winter sky", "a thin, pale winter sky"),
        "dusk": ("a cold sky fading from pink to steel blue",),
        "night": ("a clear, freezing night sky full of stars",),
    },
    "wind": {
        "dawn": ("a ragged sky of fast-moving clouds",),
        "day": ("a sky of torn grey clouds racing past", "a wild sky of fast, low clouds"),
        "dusk": ("a wild sky of racing clouds lit copper by the setting sun",),
        "night": ("a dark sky of racing clouds lit by a hidden moon",),
    },
}

LIGHTS: dict[str, dict[str, tuple[str, ...]]] = {
    "storm": {
        "dawn": ("a cold, weak dawn light under the rain clouds",),
        "day": ("flat, grey storm light", "dim, diffuse light filtered through heavy cloud"),
        "dusk": ("fading grey-violet light",),
        "night": ("the pale glow of street lamps reflected in the wet ground",),
    },
    "clear": {
        "dawn": ("soft pink dawn light",),
        "day": ("clear daylight casting crisp shadows", "bright, even daylight"),
        "dusk": ("warm, low golden light",),
        "night": ("cool moonlight and a few street lamps",),
    },
    "snow": {
        "dawn": ("a cold blue dawn light on the snow",),
        "day": ("soft, shadowless light reflected off the snow",),
        "dusk": ("a blue twilight glow on the snow",),
        "night": ("the cold glow of street lamps on fresh snow",),
    },
    "smoke": {
        "dawn": ("a dim red dawn light filtered through the smoke",),
        "day": ("harsh sunlight dimmed to a brown-orange haze by the smoke",),
        "dusk": ("an eerie red light from the low sun and the flames",),
        "night": ("the orange glow of the fire against a dark sky",),
    },
    "haze": {
        "dawn": ("a faint, diffused dawn light",),
        "day": ("dim, diffused yellow light", "a flat, dusty light with no shadows"),
        "dusk": ("a muddy orange light",),
        "night": ("street lamps blurred by the dust",),
    },
    "hot": {
        "dawn": ("early sunlight that is already harsh",),
        "day": ("glaring, harsh sunlight with short black shadows", "blinding white sunlight"),
        "dusk": ("a heavy orange light from the low sun",),
        "night": ("the warm glow of street lamps in the heavy air",),
    },
    "cold": {
        "dawn": ("a thin, cold pink light",),
        "day": ("cold, clear sunlight glinting on the frost",),
        "dusk": ("a brief rosy glow on the frost",),
        "night": ("icy moonlight glinting on the frost",),
    },
    "wind": {
        "dawn": ("a shifting grey dawn light",),
        "day": ("restless light as clouds race across the sun",),
        "dusk": ("a stormy copper light breaking through the clouds",),
        "night": ("fitful moonlight between racing clouds",),
    },
}

MOODS_SEVERE = ("tense and urgent", "dramatic and dangerous", "grim and foreboding", "chaotic and alarming")
MOODS_MILD = ("uneasy and watchful", "quiet but ominous", "heavy with tension", "subdued and wary")


#: The object each scenery entry names, to avoid naming it twice in one scene.
NOUNS: dict[str, re.Pattern] = {k: re.compile(r"\b(" + v + ")", re.I) for k, v in {
    "houses_tin": "house", "houses_tile": "farmhouse|house", "hanok": "hanok", "apartments": "apartment",
    "river_emb": "river", "stream": "stream", "bridge": "bridge", "bridge_river": "bridge", "road": "road",
    "cars": "car", "poles": "pole|power line", "paddies": "paddies", "greenhouses": "greenhouse",
    "pines": "pine", "trees": "tree", "mountains": "mountain|ridge", "hills": "hill", "harbour": "harbour|boat",
    "sea_wall": "sea wall", "fence": "fence", "field": "field", "forest": "forest", "suburb": "house",
    "town_houses": "house", "barn": "barn", "shops": "building", "cabins": "house", "beach": "beach",
}.items()}
