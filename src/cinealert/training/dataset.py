"""Fine-tuning data from folders of real disaster photos (``cinealert dataset build IMAGES -o DATA.jsonl``).

The paper fine-tunes its metadata LLM on BLIP captions of real disaster photos. :func:`build_dataset`
turns a folder of photos into that training data:

1. **Input.** ``IMAGES`` holds one sub-folder per disaster type, named by any name the taxonomy knows
   (``flood``, ``wildfire``, ``Heavy Snow``, ``산불``; see :func:`cinealert.disasters.disaster_for_name`).
   Photos (.jpg .jpeg .png .webp .bmp, any case) are found recursively inside each. Folders of an
   unknown name are skipped with a warning; files directly in ``IMAGES`` and other files are ignored.
   A folder named in Hangul makes Korean alerts (Korean settings in the template, ``country: korea`` in
   the keywords); any other name makes English ones.
2. **Quality filters** (:mod:`cinealert.training.filters`): unreadable, too small, too dark, washed
   out, blurry, near-duplicate (of all the copies the one with the most pixels is kept, then the
   sharpest, then the first by path; across all types, so that no photo is both trained and validated
   on), and the optional person / embedded-text detectors.
3. **Captions** (:class:`~cinealert.training.captioner.BlipCaptioner`) when a captioner folder is given.
4. **Measures**: size, sharpness, exposure, colour mood, dominant colours, and the time of day the
   light suggests (:func:`time_of_day_from_light`).
5. **Records**, one JSON object per line: the template's metadata for the type (seeded by the image
   id) with what the photo tells written over it, the keyword line the LLM will see, and the JSON answer
   it is taught (:func:`cinealert.prompting.llm_format.target_text`).

Each record::

    {"id": "3f9c0a1b2d4e", "image": "flood/street.jpg", "disaster": "flood", "language": "en",
     "split": "train", "caption": "a flooded street with cars" | null, "scene_from": "caption",
     "notes": [], "attributes": {...}, "keywords": "disaster: flood; event: Flood; time: ...",
     "metadata": {...SceneMetadata.to_dict()...}, "target": "{\\"scene\\": ...}"}

The data set is written atomically (``DATA.jsonl.part``, then renamed) together with a report
(``DATA.report.json``, :class:`DatasetReport`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from cinealert.alerts.keyword import KeywordParser, has_hangul
from cinealert.alerts.model import Alert
from cinealert.disasters import (DISASTERS, DisasterType, NoVisualTemplate, disaster_for_name, get_disaster,
                                 missing_concepts, visual_concepts)
from cinealert.errors import InputError
from cinealert.prompting.llm_format import MIN_SCENE_WORDS, alert_keywords, clean_text, target_text
from cinealert.prompting.metadata import SceneMetadata
from cinealert.prompting.template import TemplateGenerator, mentions_people, time_group
from cinealert.training import filters as F
from cinealert.training.captioner import BlipCaptioner, clean_caption

try:        # the parser's own test of a scene description, where this version of llm_format has one
    from cinealert.prompting.llm_format import scene_problem as _scene_problem
except ImportError:     # pragma: no cover
    _scene_problem = None

#: File name endings of photos (compared in lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

#: Longer side, in pixels, of the copy of each photo that is measured, shown to the detectors and
#: captioned (BLIP works at 384 px; the original's size is what the size filter judges).
ANALYSIS_SIDE = 1024

#: Why an image is dropped, in the order the checks run.
REASONS = ("unreadable", "too_small", "too_dark", "washed_out", "blurry", "duplicate", "person", "text")

Detector = Callable[[np.ndarray], bool]


class DatasetWarning(UserWarning):
    """Something in the photo folder was skipped (an unknown folder, stray files)."""


# ------------------------------------------------------------------------------------------ report
@dataclass
class DatasetReport:
    """What :func:`build_dataset` did. ``types`` maps each disaster key to its counts: ``folders``,
    ``found``, ``kept``, ``dropped`` (by reason), ``train``, ``validation``. ``dropped`` lists every
    dropped photo with its reason, the measure, the value measured and the threshold (duplicates name the
    photo kept in their place). ``filters`` says, per optional filter, ``"not applied"`` or
    ``"applied (name)"``."""

    images: str
    out: str
    report: str
    types: dict[str, dict] = field(default_factory=dict)
    unknown_folders: dict[str, str] = field(default_factory=dict)
    ignored_files: int = 0
    dropped: list[dict] = field(default_factory=list)
    train: int = 0
    validation: int = 0
    thresholds: dict = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    captioner: dict | None = None
    captions: int = 0
    scenes_from_captions: int = 0
    val_fraction: float = 0.1
    seed: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(t["found"] for t in self.types.values())

    @property
    def kept(self) -> int:
        return sum(t["kept"] for t in self.types.values())

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.dropped:
            out[d["reason"]] = out.get(d["reason"], 0) + 1
        return {r: out[r] for r in REASONS if r in out}

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data.update(found=self.found, kept=self.kept, dropped_by_reason=self.dropped_by_reason)
        return data

    def summary(self) -> str:
        """A few lines for the command line."""
        lines = [(f"dataset     {self.out}: {self.kept} records (train {self.train}, validation "
                  f"{self.validation}) from {self.found} photos in {len(self.types)} types")]
        for key, t in self.types.items():
            drops = ", ".join(f"{r} {n}" for r, n in t["dropped"].items())
            lines.append(f"  {key:<12} found {t['found']}, kept {t['kept']}"
                         + (f", dropped {sum(t['dropped'].values())} ({drops})" if drops else ""))
        for name, why in self.unknown_folders.items():
            lines.append(f"skipped     folder {name!r}: {why}")
        if self.ignored_files:
            lines.append(f"ignored     {self.ignored_files} files outside type folders or not photos")
        lines.append("filters     " + "; ".join(f"{k}: {v}" for k, v in self.filters.items()))
        if self.captioner:
            lines.append(f"captions    {self.captioner['model']}: {self.captions} captions, "
                         f"{self.scenes_from_captions} scenes from captions")
        else:
            lines.append("captions    none (no captioner given): scenes from the template")
        lines.append(f"report      {self.report} ({self.seconds:.1f} s)")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ input
@dataclass(frozen=True)
class TypeFolder:
    """A sub-folder of the photo folder and the disaster type its name resolves to."""

    path: Path
    disaster: DisasterType
    language: str          # "ko" for a Hangul name, else "en"


def resolve_folder_name(name: str) -> DisasterType | None:
    """The disaster type a folder is named after (``flood``, ``Heavy Snow``, ``heavy-snow``, ``산불``)."""
    found = disaster_for_name(name)
    if found is None:
        found = disaster_for_name(re.sub(r"[\s_\-.]+", " ", name).strip())
    return found


def scan_folder(images: Path) -> tuple[list[TypeFolder], dict[str, str], int, int]:
    """The type folders of ``images``, the unknown folder names (with why), and the counts of photos and
    of other files that lie directly in ``images``. Hidden entries (``.git``) are passed over silently."""
    folders: list[TypeFolder] = []
    unknown: dict[str, str] = {}
    stray_photos = other = 0
    for entry in sorted(images.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            if entry.name.lower().endswith(IMAGE_EXTENSIONS):
                stray_photos += 1
            else:
                other += 1
            continue
        disaster = resolve_folder_name(entry.name)
        if disaster is None:
            try:
                get_disaster(entry.name)
                why = "not a disaster type"
            except NoVisualTemplate:
                why = "a kind of alert without a visual template"
            except InputError:
                why = "not a disaster type"
            unknown[entry.name] = why
            continue
        folders.append(TypeFolder(entry, disaster, "ko" if has_hangul(entry.name) else "en"))
    return folders, unknown, stray_photos, other


def iter_photos(folder: Path) -> Iterator[Path]:
    """Photos under ``folder``, recursively, in sorted order; hidden files and folders left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                yield Path(root) / name


def count_other_files(folder: Path) -> int:
    n = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        n += sum(1 for f in files if not f.startswith(".") and not f.lower().endswith(IMAGE_EXTENSIONS))
    return n


def load_image(path: Path, max_side: int = ANALYSIS_SIDE) -> tuple[np.ndarray, tuple[int, int]]:
    """``(rgb, (width, height))``: the photo as an RGB ``uint8`` array at most ``max_side`` px on its
    longer side, upright (EXIF orientation applied), and the size of the original, upright.

    Raises ``OSError`` or ``ValueError`` when the file cannot be decoded.
    """
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as img:
            w, h = img.size
            orientation = img.getexif().get(0x0112, 1)
            if orientation in (5, 6, 7, 8):
                w, h = h, w
            scale = max_side / max(w, h)
            if scale < 1 and img.format == "JPEG":   # decode at a reduced scale: much faster
                img.draft("RGB", (max(1, int(img.size[0] * scale)), max(1, int(img.size[1] * scale))))
            img.load()
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        raise OSError(str(err) or type(err).__name__) from None
    return F.shrink(rgb, max_side), (int(w), int(h))


# ------------------------------------------------------------------------------------------ measures
#: Mean luminance (0-255) below which the light is night's.
NIGHT_LUMA = 50.0
#: Mean luminance below which, with warm highlights, the light is dusk's (or dawn's).
LOW_LUMA = 120.0
#: Highlight warmth (red minus blue, 0-255 units) from which low light counts as warm.
WARM_LIGHT = 20.0
#: Mean luminance from which the light is noon's.
NOON_LUMA = 150.0


def time_of_day_from_light(luma: float, warmth: float, template: str = "afternoon") -> str:
    """The time of day the light of a photo suggests, by the first rule that holds:

    1. ``night`` - mean luminance below :data:`NIGHT_LUMA`;
    2. ``dusk`` - mean luminance below :data:`LOW_LUMA` and warm highlights (:data:`WARM_LIGHT`);
       ``dawn`` instead when ``template`` (the template's own choice) is dawn, since the two look alike;
    3. ``noon`` - mean luminance at least :data:`NOON_LUMA`;
    4. ``afternoon`` - ordinary daylight; ``morning`` instead when ``template`` is morning.
    """
    if luma < NIGHT_LUMA:
        return "night"
    if luma < LOW_LUMA and warmth >= WARM_LIGHT:
        return "dawn" if template == "dawn" else "dusk"
    if luma >= NOON_LUMA:
        return "noon"
    return "morning" if template == "morning" else "afternoon"


#: The lighting sentence part written for each colour mood and time group.
LIGHTING: dict[str, dict[str, str]] = {
    "warm": {"dawn": "warm, low golden light from the rising sun", "day": "warm, amber-toned daylight",
             "dusk": "warm orange light low on the horizon", "night": "a warm orange glow against the dark"},
    "cool": {"dawn": "cold, pale blue early light", "day": "cool, bluish daylight",
             "dusk": "fading blue twilight", "night": "cold bluish light in the darkness"},
    "grey": {"dawn": "dim, flat grey early light", "day": "flat, diffuse grey light",
             "dusk": "dull, failing grey light", "night": "faint grey light in the darkness"},
    "saturated": {"dawn": "clear, vivid early light", "day": "bright, vivid light with strong colours",
                  "dusk": "vivid, saturated evening light", "night": "vivid pools of coloured light in the dark"},
}
#: The first words of the mood for each colour mood (the template's "with ..." part is kept).
MOODS = {"warm": "charged and ominous", "cool": "cold and desolate", "grey": "bleak and sombre",
         "saturated": "stark and unsettling"}


@dataclass
class _Photo:
    """One photo that passed the per-image filters (its pixels are not kept)."""

    path: Path
    rel: str
    folder: TypeFolder
    width: int
    height: int
    sharpness: float
    exposure: F.Exposure
    colours: F.ColourStats
    dominant: list[tuple[str, float]]
    phash: int

    @property
    def id(self) -> str:
        return image_id(self.rel)

    def attributes(self, time_of_day: str) -> dict:
        return {
            "width": self.width, "height": self.height,
            "sharpness": round(self.sharpness, 1),
            "brightness": round(self.exposure.mean / 255.0, 3),
            "dark_share": round(self.exposure.dark_share, 3),
            "bright_share": round(self.exposure.bright_share, 3),
            "saturation": round(self.colours.saturation, 3),
            "warm_share": round(self.colours.warm_share, 3),
            "cool_share": round(self.colours.cool_share, 3),
            "warmth": round(self.colours.warmth, 1),
            "colour_mood": self.colours.mood,
            "colours": [{"name": n, "share": s} for n, s in self.dominant],
            "time_of_day": time_of_day,
            "phash": f"{self.phash:016x}",
        }


def image_id(rel: str) -> str:
    """A stable id for a photo: the first 12 hex digits of the SHA-1 of its path relative to IMAGES."""
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()[:12]


# ------------------------------------------------------------------------------------------ metadata
_PREPOSITIONS = ("in front of", "next to", "on top of", "in", "on", "at", "near", "through", "across", "by",
                 "over", "under", "along", "outside", "inside", "beside", "behind", "around", "into", "onto",
                 "from", "past", "toward", "towards", "down", "up", "beneath", "below", "above", "among")
_PREP_RE = re.compile(r"\b(?:" + "|".join(p.replace(" ", r"\s+") for p in _PREPOSITIONS) + r")\s+", re.I)
_CONJ_RE = re.compile(r"\s+(?:with|and|while|as|where|who|that)\s+", re.I)
_VERB_ING = re.compile(r"^\s*(?:is\s+|are\s+)?\w+ing\s+(?=(?:a|an|the|some|two|three|several)\b)", re.I)
_PEOPLE_WORD = re.compile(r"\b(?:people|person|persons|humans?|residents?|villagers?|man|men|woman|women|"
                          r"child(?:ren)?|kids?|crowds?|firefighters?|workers?|drivers?|farmers?|fisherm[ae]n|"
                          r"pedestrians?|rescuers?|victims?|famil(?:y|ies)|figures?)\b", re.I)


def drop_people(text: str) -> str | None:
    """``text`` with the words about people taken out, or None when no people-free phrase remains.

    A trailing clause about people is cut off ("a flooded street with people walking" -> "a flooded
    street"); a leading subject about people is cut up to the place it is in or the thing it acts on
    ("a man standing in a flooded street" -> "a flooded street", "firefighters spraying a burning house"
    -> "a burning house").
    """
    for _ in range(3):
        if not mentions_people(text):
            return text
        m = _PEOPLE_WORD.search(text)
        if m is None:          # the two word lists disagree: give up rather than guess
            return None
        head = text[:m.start()]
        conj = list(_CONJ_RE.finditer(head))
        candidate = head[:conj[-1].start()].strip() if conj else ""
        if len(candidate.split()) >= 2 and not mentions_people(candidate):
            text = candidate
            continue
        last = list(_PEOPLE_WORD.finditer(text))[-1]
        tail = text[last.end():]
        prep = _PREP_RE.search(tail)
        if prep:
            text = tail[prep.end():].strip()
            continue
        verb = _VERB_ING.match(tail)
        if verb:
            text = tail[verb.end():].strip()
            continue
        return None
    return None if mentions_people(text) else text


def caption_problem(scene: str, disaster: str) -> str | None:
    """Why ``scene`` cannot be taught as the scene of a ``disaster`` picture, or None.

    The metadata parser rejects a scene that is too short or does not show the disaster, so a target
    holding one would teach answers the parser throws away: the same test is applied here (the
    parser's own where it has one; else: at least :data:`MIN_SCENE_WORDS` words, naming the disaster or
    something a viewer must see in it).
    """
    if _scene_problem is not None:
        return _scene_problem(scene, disaster)
    if len(re.findall(r"[^\W\d_]{2,}", scene)) < MIN_SCENE_WORDS:
        return "too short"
    dtype = DISASTERS[disaster]
    low = scene.lower()
    concepts = visual_concepts(dtype)
    if (not any(w.lower() in low for w in dtype.words.get("en", ()))
            and concepts and len(missing_concepts(scene, dtype)) == len(concepts)):
        return f"does not show a {dtype.name_en.lower()}"
    return None


def scene_from_caption(caption: str | None, disaster: str, notes: list[str]) -> str | None:
    """The scene sentence a caption gives ("a flooded street with cars" -> "A flooded street with
    cars."), or None with a note saying why the template's scene is used instead: the caption mentions
    people and cannot be freed of them, or it fails :func:`caption_problem` after cleaning."""
    if not caption:
        return None
    text = clean_caption(caption)
    if mentions_people(text):
        freed = drop_people(text)
        if freed is None:
            notes.append("caption mentions people: the template's scene is used")
            return None
        notes.append("caption: dropped the words about people")
        text = freed
    text = clean_text(text, notes, what="caption").strip(" .,;:")
    if mentions_people(text):      # cleaning never adds words; a last guard all the same
        notes.append("caption mentions people: the template's scene is used")
        return None
    scene = text[:1].upper() + text[1:] + "."
    problem = caption_problem(scene, disaster)
    if problem is not None:
        notes.append(f"caption not used ({problem}): the template's scene is used")
        return None
    return scene


_SEASON_MONTH = {"spring": 4, "summer": 7, "autumn": 10, "winter": 1}
_HOUR = {"dawn": 6, "morning": 9, "noon": 12, "afternoon": 15, "dusk": 18, "night": 22}


def keyword_alert(folder: TypeFolder) -> Alert:
    """The alert a bare keyword for the folder's type makes (Korean for a Hangul folder name)."""
    word = folder.disaster.name_ko if folder.language == "ko" else folder.disaster.key
    return KeywordParser().parse(word)


def photo_metadata(alert: Alert, photo_id: str, *, colour_mood: str, luma: float, warmth: float,
                   scene: str | None) -> SceneMetadata:
    """The template's metadata for ``alert`` (seeded by the photo id) with what the photo tells written
    over it: the time of day from its light, lighting and mood from its colour mood, and the scene
    sentence from its caption (when given).

    The template is asked twice: once as it is, for its season and its own pick of the time of day, then
    with the alert's clock set to that season and the measured time of day, so that its sky and setting
    fit the light of the photo.
    """
    generator = TemplateGenerator()
    seed = int(photo_id[:8], 16)
    first = generator.generate(alert, seed=seed)
    when = time_of_day_from_light(luma, warmth, first.time_of_day)
    clock = f"2001-{_SEASON_MONTH[first.season]:02d}-15T{_HOUR[when]:02d}:00:00"
    info = dataclasses.replace(alert.info, effective=clock)
    timed = dataclasses.replace(alert, infos=[info], info_index=0)
    meta = generator.generate(timed, seed=seed)
    feel = meta.mood.partition(", ")[2]
    meta.lighting = LIGHTING[colour_mood][time_group(meta.time_of_day)]
    meta.mood = MOODS[colour_mood] + (f", {feel}" if feel else "")
    if scene:
        meta.scene = scene
    return meta


# ------------------------------------------------------------------------------------------ splits
def assign_splits(ids_by_type: dict[str, list[str]], val_fraction: float, seed: int) -> dict[str, str]:
    """``{id: "train" | "validation"}``, stratified per type and deterministic for a seed.

    Per type, the ids are sorted, shuffled by ``random.Random(f"{seed}:{type}")`` and the first
    ``round(n * val_fraction)`` go to validation - at least one when the type has 2 or more photos and
    ``val_fraction`` > 0, and never all of them.
    """
    split: dict[str, str] = {}
    for key, ids in ids_by_type.items():
        order = sorted(ids)
        random.Random(f"{seed}:{key}").shuffle(order)
        n = len(order)
        n_val = 0
        if n >= 2 and val_fraction > 0:
            n_val = min(n - 1, max(1, round(n * val_fraction)))
        for i, pid in enumerate(order):
            split[pid] = "validation" if i < n_val else "train"
    return split


# ------------------------------------------------------------------------------------------ build
def _progress(iterable, total: int, desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, unit="photo", file=sys.stderr, leave=False,
                disable=not (enabled and sys.stderr.isatty()))


def _write_atomic(path: Path, text_lines: Iterator[str] | list[str]) -> None:
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "w", encoding="utf-8", newline="\n") as fh:
            for line in text_lines:
                fh.write(line)
                fh.write("\n")
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def report_path(out: Path) -> Path:
    """``DATA.report.json`` next to ``DATA.jsonl``."""
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(stem + ".report.json")


def _detector_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def build_dataset(images: Path, out: Path, *, captioner: str | Path | BlipCaptioner | None = None,
                  val_fraction: float = 0.1, seed: int = 0, min_side: int = F.MIN_SIDE,
                  blur_threshold: float = F.BLUR_THRESHOLD, dark_threshold: float = F.DARK_THRESHOLD,
                  bright_threshold: float = F.BRIGHT_THRESHOLD, dup_distance: int = F.DUP_DISTANCE,
                  clip_share: float = F.CLIP_SHARE, person_detector: Detector | None = None,
                  text_detector: Detector | None = None, device: str | None = None,
                  progress: bool = True) -> DatasetReport:
    """Build the fine-tuning data set of ``images`` into ``out`` (JSON lines) and its report.

    Args:
        images: the photo folder, one sub-folder per disaster type (see the module docstring).
        out: the JSONL file to write; ``<stem>.report.json`` is written next to it.
        captioner: a local BLIP captioning folder (or a loaded :class:`BlipCaptioner`); None: no
            captions, ``"caption": null`` and the template's scene sentence.
        val_fraction: share of each type's photos put in the validation split, in [0, 1).
        seed: seed of the split (the metadata is seeded by each photo's id, not by this).
        min_side, blur_threshold, dark_threshold, bright_threshold, clip_share, dup_distance: the filter
            thresholds (see :mod:`cinealert.training.filters`).
        person_detector, text_detector: callables ``(rgb uint8 array) -> bool``, True to drop the photo
            (a person / embedded text in it); None: not applied (the report says so).
        device: the captioner's device.
        progress: a progress bar on stderr when it is a terminal.

    Raises:
        InputError: ``images`` is missing, is not a folder, or has no folder named by a disaster type
            with photos in it; a value out of range.
        BackendUnavailable: the captioner folder is missing or unusable.
    """
    started = time.perf_counter()
    images, out = Path(images).expanduser(), Path(out).expanduser()
    thresholds = _check_arguments(images, val_fraction, min_side=min_side, blur=blur_threshold,
                                  dark=dark_threshold, bright=bright_threshold, clip_share=clip_share,
                                  dup_distance=dup_distance)

    # 1. Load: the type folders and their photos, the captioner, and the report's frame
    folders, unknown, stray, other = scan_folder(images)
    _check_folders(images, folders, unknown)
    loaded = captioner is None or isinstance(captioner, BlipCaptioner) or hasattr(captioner, "caption")
    cap = captioner if loaded else BlipCaptioner(captioner, device=device)
    report = DatasetReport(images=str(images), out=str(out), report=str(report_path(out)),
                           unknown_folders=unknown, thresholds=thresholds.to_dict(),
                           val_fraction=val_fraction, seed=seed)
    report.filters = {name: ("not applied" if fn is None else f"applied ({_detector_name(fn)})")
                      for name, fn in (("person", person_detector), ("text", text_detector))}
    if cap is not None:
        report.captioner = cap.describe() if hasattr(cap, "describe") else {"model": type(cap).__name__}
    photos_by_folder = _load_photos(images, folders, unknown, stray, other, report)

    # 2. Filter: per-photo measures (size, exposure, blur), then near-duplicates
    candidates = _measure_photos(images, photos_by_folder, thresholds, report, progress=progress)
    unique = _drop_duplicates(candidates, thresholds, report)

    # 3. Caption, after the person and text detectors
    final = _caption_photos(unique, cap, person_detector, text_detector, report, progress=progress)

    # 4. Split each type's photos into train and validation
    ids_by_type: dict[str, list[str]] = {}
    for photo, _ in final:
        ids_by_type.setdefault(photo.folder.disaster.key, []).append(photo.id)
    split = assign_splits(ids_by_type, val_fraction, seed)

    # 5. Write the records and the report
    lines = _records(final, split, folders, report)
    _finish_report(report)
    if not lines:
        _warn(report, "no photo passed the filters: the data set is empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out, lines)
    report.seconds = round(time.perf_counter() - started, 2)
    _write_atomic(Path(report.report), [json.dumps(report.to_dict(), ensure_ascii=False, indent=2)])
    return report


def _warn(report: DatasetReport, message: str, stacklevel: int = 3) -> None:
    """A warning in the report and as a :class:`DatasetWarning` (pointing at :func:`build_dataset`'s caller)."""
    report.warnings.append(message)
    warnings.warn(message, DatasetWarning, stacklevel=stacklevel)


def _drop(report: DatasetReport, rel: str, key: str, reason: str, measure: str, value, threshold=None,
          **extra) -> None:
    """Record a dropped photo: why, what was measured, and the threshold it failed."""
    entry = {"image": rel, "disaster": key, "reason": reason, "measure": measure,
             "value": round(value, 3) if isinstance(value, float) else value}
    if threshold is not None:
        entry["threshold"] = threshold
    entry.update(extra)
    report.dropped.append(entry)
    dropped = report.types[key]["dropped"]
    dropped[reason] = dropped.get(reason, 0) + 1


def _check_arguments(images: Path, val_fraction: float, **thresholds) -> F.Thresholds:
    """The filter thresholds, checked, after the split share and the photo folder."""
    if not 0 <= val_fraction < 1:
        raise InputError(f"--val-fraction must be in [0, 1), got {val_fraction}.")
    try:
        checked = F.Thresholds(**thresholds)
    except ValueError as err:
        raise InputError(str(err)) from None
    if not images.exists():
        raise InputError(f"no such folder {str(images)!r} (give a folder of photos with one sub-folder per "
                         "disaster type)")
    if not images.is_dir():
        raise InputError(f"{str(images)!r} is a file, not a folder of photos")
    return checked


def _check_folders(images: Path, folders: list[TypeFolder], unknown: dict[str, str]) -> None:
    """Refuse a photo folder without a sub-folder named by a disaster type."""
    if folders:
        return
    seen = sorted(unknown)
    what = ("sub-folders " + ", ".join(repr(s) for s in seen[:8]) + (" ..." if len(seen) > 8 else "")
            if seen else "no sub-folders")
    raise InputError(f"{str(images)!r} has no folder named by a disaster type (found {what}); put the "
                     f"photos in sub-folders named by type, e.g. flood/, wildfire/, heavy_snow/ "
                     f"(types: {', '.join(DISASTERS)})")


def _load_photos(images: Path, folders: list[TypeFolder], unknown: dict[str, str], stray: int, other: int,
                 report: DatasetReport) -> list[tuple[TypeFolder, list[Path]]]:
    """Step 1: the photos of each type folder, counted in the report (skipped folders and stray files
    warned about). Raises :class:`InputError` when the type folders hold no photo."""
    for name, why in unknown.items():
        _warn(report, f"skipping folder {name!r}: {why} (types: {', '.join(DISASTERS)})", stacklevel=4)
    report.ignored_files = stray + other + sum(count_other_files(f.path) for f in folders)
    if stray:
        _warn(report, f"{stray} photo{'s' if stray != 1 else ''} directly in {str(images)!r} ignored: photos "
              "belong in a folder named by disaster type", stacklevel=4)
    photos_by_folder = [(f, list(iter_photos(f.path))) for f in folders]
    rank = {key: i for i, key in enumerate(DISASTERS)}
    for f, paths in sorted(photos_by_folder, key=lambda fp: (rank[fp[0].disaster.key], fp[0].path.name)):
        counts = report.types.setdefault(f.disaster.key, {"folders": [], "found": 0, "kept": 0, "dropped": {},
                                                          "train": 0, "validation": 0})
        counts["folders"].append(f.path.name)
        counts["found"] += len(paths)
    if sum(len(p) for _, p in photos_by_folder) == 0:
        raise InputError(f"no photos ({', '.join(IMAGE_EXTENSIONS)}) in the type folders of {str(images)!r} "
                         f"({', '.join(f.path.name for f in folders)})")
    return photos_by_folder


def _measure_photos(images: Path, photos_by_folder, thresholds: F.Thresholds, report: DatasetReport, *,
                    progress: bool) -> list[_Photo]:
    """Step 2: every photo read and measured; the unreadable, too small, too dark, washed out and blurry
    ones dropped."""
    candidates: list[_Photo] = []
    items = [(f, p) for f, paths in photos_by_folder for p in paths]
    for folder, path in _progress(items, len(items), "measuring", progress):
        rel = path.relative_to(images).as_posix()
        key = folder.disaster.key
        try:
            rgb, (w, h) = load_image(path)
        except OSError as err:
            _drop(report, rel, key, "unreadable", "decoder", " ".join(str(err).split())[:120])
            continue
        if F.too_small(w, h, thresholds.min_side):
            _drop(report, rel, key, "too_small", "shorter side (px)", min(w, h), thresholds.min_side)
            continue
        exp = F.exposure(rgb)
        if F.is_too_dark(exp, thresholds.dark, thresholds.clip_share):
            if exp.mean < thresholds.dark:
                _drop(report, rel, key, "too_dark", "mean luminance", exp.mean, thresholds.dark)
            else:
                _drop(report, rel, key, "too_dark", "share of black pixels", exp.dark_share, thresholds.clip_share)
            continue
        if F.is_washed_out(exp, thresholds.bright, thresholds.clip_share):
            if exp.mean > thresholds.bright:
                _drop(report, rel, key, "washed_out", "mean luminance", exp.mean, thresholds.bright)
            else:
                _drop(report, rel, key, "washed_out", "share of white pixels", exp.bright_share,
                      thresholds.clip_share)
            continue
        sharpness = F.blur_score(rgb)
        if F.is_blurry(sharpness, thresholds.blur):
            _drop(report, rel, key, "blurry", "variance of the Laplacian", sharpness, thresholds.blur)
            continue
        candidates.append(_Photo(path, rel, folder, w, h, sharpness, exp, F.colour_stats(rgb),
                                 F.dominant_colours(rgb), F.phash(rgb)))
    return candidates


def _drop_duplicates(candidates: list[_Photo], thresholds: F.Thresholds, report: DatasetReport) -> list[_Photo]:
    """Step 2: of near-duplicates the most pixels, then the sharpest, then the first by path is kept.
    Returns the photos kept, by type and path."""
    order = sorted(candidates, key=lambda c: (-c.width * c.height, -c.sharpness, c.rel))
    verdicts = F.find_duplicates([c.phash for c in order], thresholds.dup_distance)
    unique: list[_Photo] = []
    for photo, verdict in zip(order, verdicts):
        if verdict is None:
            unique.append(photo)
        else:
            kept, distance = verdict
            _drop(report, photo.rel, photo.folder.disaster.key, "duplicate", "pHash distance (bits)", distance,
                  thresholds.dup_distance, of=order[kept].rel)
    unique.sort(key=lambda c: (c.folder.disaster.key, c.rel))
    return unique


def _caption_photos(unique: list[_Photo], cap, person_detector, text_detector, report: DatasetReport, *,
                    progress: bool) -> list[tuple[_Photo, str | None]]:
    """Step 3: the detectors, then the captions, a batch of photos at a time. Returns (photo, raw caption)
    pairs (the caption None without a captioner)."""
    batch = max(1, getattr(cap, "batch_size", 8))
    final: list[tuple[_Photo, str | None]] = []
    bar = _progress(None, len(unique), "captioning" if cap is not None else "checking", progress)
    for start in range(0, len(unique), batch):
        chunk: list[tuple[_Photo, np.ndarray]] = []
        for photo in unique[start:start + batch]:
            bar.update(1)
            key = photo.folder.disaster.key
            try:
                rgb, _ = load_image(photo.path)
            except OSError as err:
                _drop(report, photo.rel, key, "unreadable", "decoder", " ".join(str(err).split())[:120])
                continue
            if person_detector is not None and person_detector(rgb):
                _drop(report, photo.rel, key, "person", "detector", True)
                continue
            if text_detector is not None and text_detector(rgb):
                _drop(report, photo.rel, key, "text", "detector", True)
                continue
            chunk.append((photo, rgb))
        captions = cap.caption([rgb for _, rgb in chunk]) if cap is not None and chunk else [None] * len(chunk)
        final.extend((photo, c) for (photo, _), c in zip(chunk, captions))
    bar.close()
    return final


def _records(final: list[tuple[_Photo, str | None]], split: dict[str, str], folders: list[TypeFolder],
             report: DatasetReport) -> list[str]:
    """Step 5: one JSON line per photo kept: its metadata (the scene from its caption when usable) and the
    training target; the report's counts."""
    alerts = {f.path: keyword_alert(f) for f in folders}
    lines = []
    for photo, caption in final:
        notes: list[str] = []
        caption = clean_caption(caption) if caption is not None else None
        scene = scene_from_caption(caption, photo.folder.disaster.key, notes) if caption else None
        alert = alerts[photo.folder.path]
        meta = photo_metadata(alert, photo.id, colour_mood=photo.colours.mood, luma=photo.exposure.mean,
                              warmth=photo.colours.warmth, scene=scene)
        key = photo.folder.disaster.key
        counts = report.types[key]
        counts["kept"] += 1
        counts[split[photo.id]] += 1
        report.captions += caption is not None
        report.scenes_from_captions += scene is not None
        record = {
            "id": photo.id,
            "image": photo.rel,
            "disaster": key,
            "language": meta.language,
            "split": split[photo.id],
            "caption": caption,
            "scene_from": "caption" if scene else "template",
            "notes": notes,
            "attributes": photo.attributes(meta.time_of_day),
            "keywords": alert_keywords(alert, meta),
            "metadata": meta.to_dict(),
            "target": target_text(meta),
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def _finish_report(report: DatasetReport) -> None:
    """The split totals, each type's drop reasons in :data:`REASONS` order, the dropped list sorted."""
    report.train = sum(t["train"] for t in report.types.values())
    report.validation = sum(t["validation"] for t in report.types.values())
    for counts in report.types.values():
        counts["dropped"] = {r: counts["dropped"][r] for r in REASONS if r in counts["dropped"]}
    report.dropped.sort(key=lambda d: (d["disaster"], d["image"]))
