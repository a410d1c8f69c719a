"""Structured scene metadata: what the text-to-image stage is asked to draw.

The paper's metadata generator writes a detailed description of one disaster scene (scene, objects in
the foreground and background, sky, time of day, lighting, mood) and always ends with the directive that
no people appear. :class:`SceneMetadata` keeps those parts structured, so the prompt can be rebuilt and
the built-in illustrator can read the same fields the diffusion model reads as text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

TIMES_OF_DAY = ("dawn", "morning", "noon", "afternoon", "dusk", "night")
SEASONS = ("spring", "summer", "autumn", "winter")
NO_PEOPLE = "No people appear in the image."
NEGATIVE_PROMPT = ("people, person, human, face, crowd, text, letters, caption, watermark, logo, "
                   "signature, frame, border, blurry, low quality, distorted")


@dataclass
class SceneMetadata:
    """Scene metadata for one disaster image.

    ``foreground`` and ``background`` are short noun phrases ("a row of red-roofed houses"); the
    built-in illustrator draws the objects they name (houses, trees, road, river, bridge, cars,
    poles, paddies, apartment blocks, hanok, ...). ``motion`` says how things move ("flames rising and
    flickering"); ``regions`` names the region classes that move (``water``, ``fire``, ``smoke`` ...) and
    ``keywords`` the words a text-prompted segmenter looks for to mask them ("flood water", "flame").
    ``camera`` is a suggested camera path.
    """

    disaster: str
    scene: str
    setting: str
    foreground: list[str] = field(default_factory=list)
    background: list[str] = field(default_factory=list)
    sky: str = "overcast sky"
    time_of_day: str = "afternoon"
    season: str = "summer"
    lighting: str = "soft diffuse light"
    mood: str = "tense"
    motion: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    camera: str = "circle"
    language: str = "en"

    def __post_init__(self) -> None:
        if self.time_of_day not in TIMES_OF_DAY:
            raise ValueError(f"time_of_day must be one of {TIMES_OF_DAY}, got {self.time_of_day!r}.")
        if self.season not in SEASONS:
            raise ValueError(f"season must be one of {SEASONS}, got {self.season!r}.")

    def to_prompt(self) -> str:
        """The text-to-image prompt: a few plain sentences ending with the no-people directive."""
        parts = [self.scene.rstrip(".") + "."]
        parts.append(f"The scene is set in {self.setting}, {_WHEN[self.time_of_day]} in {self.season}.")
        if self.foreground:
            parts.append("In the foreground: " + _join(self.foreground) + ".")
        if self.background:
            parts.append("In the background: " + _join(self.background) + ".")
        parts.append(f"The sky is {self.sky}, with {self.lighting}.")
        parts.append(f"The mood is {self.mood}.")
        parts.append(NO_PEOPLE)
        return " ".join(parts)

    def negative_prompt(self) -> str:
        return NEGATIVE_PROMPT

    def text(self) -> str:
        """All the words of the metadata in one lower-case string (for keyword look-ups)."""
        return " ".join([self.scene, self.setting, *self.foreground, *self.background, self.sky]).lower()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SceneMetadata":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


_WHEN = {"dawn": "at dawn", "morning": "in the morning", "noon": "at noon",
         "afternoon": "in the afternoon", "dusk": "at dusk", "night": "at night"}


def _join(items: list[str]) -> str:
    items = [i.strip().rstrip(".") for i in items if i and i.strip()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
