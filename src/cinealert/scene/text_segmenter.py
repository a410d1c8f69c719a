"""Text-prompted motion-region segmentation with local models: CLIPSeg, or GroundingDINO + SAM.

The paper finds the moving parts of the generated picture by asking a text-prompted segmenter for the
things the disaster animates ("water", "river", "fire"...). Two backends do that here, both from local
Hugging Face folders (nothing is downloaded):

* :class:`ClipSegSegmenter` (``"clipseg"``): ``CLIPSegForImageSegmentation`` scores every pixel for
  every query in one batched forward pass; the sigmoid of its logits is the score map of the query.
* :class:`LangSamSegmenter` (``"langsam"``): GroundingDINO finds boxes for the queries (one caption,
  ``"water. river. sky."``), SAM turns each box into a mask; a mask scores ``box score × SAM IoU
  score`` inside and 0 outside, and a query's score map is the maximum over its boxes.

What both share (:class:`TextSegmenter`)
----------------------------------------

1. **Queries.** :func:`segmenter_queries`: the disaster's ``segmenter_keywords``, then, for each of its
   moving region classes no keyword names, one plain word for it (:data:`CLASS_WORDS`: CLOUD "sky",
   FOLIAGE "tree"...). So every moving class of the type is asked for.
2. **Query → class.** :func:`query_region` reads the words of a query, last word first (the head noun
   of an English phrase: "muddy water" is water, "heat haze" is haze), and takes the first region class
   *of this disaster* that :data:`cinealert.disasters.REGION_WORDS` says the word names (a word also
   names a class when it starts with one of its words: "waves", "trees", "flames"). When a word names
   several classes of the disaster ("haze" is shimmer and dust in dry weather), the class listed first in
   ``disaster.regions`` wins. A keyword naming smoke in a type that animates only dust (or the reverse)
   goes to the other one (:data:`AKIN`: both are airborne particles drifting in the wind; the
   earthquake's "smoke" animates as dust). Keywords that name no moving class of the type are
   **dropped**: whole-frame effects that the motion stage draws as particles ("rain", "snow",
   "snowfall") and static things ("ice", "frost", "sun"). Dropped keywords are listed in
   :attr:`TextSegmenter.last_report`.
3. **Thresholds per keyword.** A query's pixels count only where its score reaches its threshold: the
   ``thresholds`` argument by query (``{"river": 0.5}``), else by class name (``{"water": 0.5}``, for
   every query of the class without a value of its own), else the backend's table per class
   (:data:`CLIPSEG_THRESHOLDS`, :data:`LANGSAM_THRESHOLDS`).
4. **Merging.** Each class gets a soft score map: the maximum over its queries of the scores that pass
   their thresholds. A pixel takes the class with the highest score (so flood water and flames in one
   picture get WATER and FIRE, the case the paper names as a limit of a single merged mask) and stays
   static where no class passes. Only classes of ``disaster.regions`` can appear.
5. **Clean-up and boundaries.** On a working grid (longer side ``long_side``), each class loses the
   connected components smaller than 0.2 % of the image and gets small holes filled where no other class
   is; then the masks are brought to full size with the guided filter of the built-in segmenter, so
   boundaries follow the image's edges. The result is ``(H, W)`` uint8 :class:`Region` labels.
"""
from __future__ import annotations

import inspect
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from cinealert import hf
from cinealert.disasters import REGION_WORDS, DisasterType
from cinealert.errors import BackendUnavailable
from cinealert.regions import Region
from cinealert.scene.heuristic_depth import working_size
from cinealert.scene.heuristic_segmenter import MAX_HOLE, MIN_COMPONENT, HeuristicSegmenter, _drop_small, _fill_holes
from cinealert.validate import check_image

R = Region

#: The plain word asked for a moving class that none of the disaster's keywords names (one of the class's
#: :data:`~cinealert.disasters.REGION_WORDS`, and a word no other class claims).
CLASS_WORDS: dict[Region, str] = {
    R.WATER: "water", R.FIRE: "fire", R.SMOKE: "smoke", R.CLOUD: "sky", R.FOLIAGE: "tree",
    R.DEBRIS: "mud", R.SHIMMER: "shimmer", R.DUST: "dust",
}

#: A keyword naming a class the disaster does not animate goes to a kindred class it does animate.
AKIN: dict[Region, tuple[Region, ...]] = {R.SMOKE: (R.DUST,), R.DUST: (R.SMOKE,)}

#: CLIPSeg thresholds per class, on the sigmoid of its logits. Diffuse stuff (smoke, dust, heat haze,
#: mud) scores lower than things with edges (water, fire, sky, trees), so it gets a lower bar.
CLIPSEG_THRESHOLDS: dict[Region, float] = {
    R.WATER: 0.4, R.FIRE: 0.4, R.CLOUD: 0.4, R.FOLIAGE: 0.4, R.DEBRIS: 0.35, R.SMOKE: 0.3,
    R.DUST: 0.25, R.SHIMMER: 0.25,
}

#: GroundingDINO + SAM thresholds per class, on ``box score × SAM IoU score``: boxes already passed
#: ``box_threshold`` (0.3 by default) and good masks have an IoU score of 0.8-1.
LANGSAM_THRESHOLDS: dict[Region, float] = {
    R.WATER: 0.25, R.FIRE: 0.25, R.CLOUD: 0.25, R.FOLIAGE: 0.25, R.DEBRIS: 0.22, R.SMOKE: 0.2,
    R.DUST: 0.2, R.SHIMMER: 0.2,
}

_WORD = re.compile(r"[a-z]+")
_SPECIAL_TOKEN = re.compile(r"\[(?:CLS|SEP|PAD|UNK|MASK)\]|<\|[a-z]+\|>", re.IGNORECASE)


# ----------------------------------------------------------------------------------------
# Queries
# ----------------------------------------------------------------------------------------

def _query_key(text: str) -> str:
    """A query as it is asked: lower case, single spaces."""
    return " ".join(str(text).lower().split())


def _word_names(word: str, region: Region) -> bool:
    """Whether ``word`` names ``region`` (is or starts with one of its REGION_WORDS: "waves", "muddy")."""
    return any(word.startswith(w) for w in REGION_WORDS.get(region, ()))


def query_region(query: str, disaster: DisasterType) -> Region:
    """The moving class of ``disaster`` that ``query`` asks for; ``Region.NONE`` when it names none
    (the query is then dropped). See the module documentation for the rule."""
    words = _WORD.findall(_query_key(query))[::-1]          # the head noun (last word) first
    for word in words:
        for region in disaster.regions:
            if _word_names(word, region):
                return region
    for word in words:
        for region, kin in AKIN.items():
            if _word_names(word, region):
                for other in kin:
                    if other in disaster.regions:
                        return other
    return Region.NONE


def segmenter_queries(disaster: DisasterType) -> list[str]:
    """The queries asked for ``disaster``: its keywords that name one of its moving classes, then one
    plain word (:data:`CLASS_WORDS`) for each moving class no keyword names. Lower case, no repeats."""
    queries: list[str] = []
    for keyword in disaster.segmenter_keywords:
        q = _query_key(keyword)
        if q and q not in queries and query_region(q, disaster) != Region.NONE:
            queries.append(q)
    covered = {query_region(q, disaster) for q in queries}
    for region in disaster.regions:
        if region != Region.NONE and region not in covered and CLASS_WORDS[region] not in queries:
            queries.append(CLASS_WORDS[region])
    return queries


def dropped_keywords(disaster: DisasterType) -> list[str]:
    """The disaster's keywords that name none of its moving classes (not asked for)."""
    return [k for k in disaster.segmenter_keywords if query_region(k, disaster) == Region.NONE]


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------

def _short(err: BaseException, limit: int = 180) -> str:
    """An exception as one line of at most ``limit`` characters."""
    words = " ".join(str(err).split()) or type(err).__name__
    return words[: limit - 3] + "..." if len(words) > limit else words


def _check_thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    """``thresholds`` with lower-case keys, each value checked to lie in [0, 1]."""
    found: dict[str, float] = {}
    for key, value in (thresholds or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"threshold keys must be keywords or region class names, got {key!r}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"threshold for {key!r} must be a number between 0 and 1, got {value!r}.")
        found[_query_key(key)] = float(value)
    return found


def _to_pil(image: np.ndarray):
    """An ``(H, W, 3)`` float32 image in [0, 1] as an 8-bit RGB PIL image."""
    from PIL import Image

    return Image.fromarray((np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), "RGB")


def _resize(score: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An ``(h, w)`` score map resized to ``shape`` (area averaging down, bilinear up), in [0, 1]."""
    score = np.nan_to_num(np.asarray(score, np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if score.ndim != 2 or min(score.shape) < 1:
        raise ValueError(f"a score map must be a non-empty (h, w) array, got shape {score.shape}.")
    h, w = shape
    if score.shape != (h, w):
        shrink = score.shape[0] >= h and score.shape[1] >= w
        score = cv2.resize(score, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return np.clip(score, 0.0, 1.0)


def _folder_problem(path: Path, kinds: tuple[str, ...], what: str) -> str | None:
    """None when ``path`` holds a model of one of ``kinds``, else why not (one line)."""
    from cinealert.models import describe_folder

    info = describe_folder(path)
    if info.kind in kinds:
        return None
    if not path.exists():
        return f"no such folder {str(path)!r} (give a local model folder; nothing is downloaded)"
    if info.role is None:
        return f"{str(path)!r} is not a {what} model folder ({info.detail})"
    return f"{str(path)!r} holds a {info.role} model ({info.detail}), not a {what} model"


# ----------------------------------------------------------------------------------------
# The shared part
# ----------------------------------------------------------------------------------------

class TextSegmenter:
    """Segmentation from per-query score maps; subclasses say how a query is scored (:meth:`_scores`).

    Args:
        thresholds: per-keyword (or per-class-name) score thresholds over the backend's table.
        long_side: longer side of the working grid the masks are merged and cleaned on.
        edge_radius: guided-filter radius of the upscaled boundaries, a fraction of the longer side.
        eps: guided-filter regularisation (smaller snaps boundaries to image edges harder).
    """

    name = "text"
    summary = "text-prompted segmentation"
    role = "segmenter"
    #: Threshold per class when the ``thresholds`` argument names neither the query nor its class.
    default_thresholds: Mapping[Region, float] = CLIPSEG_THRESHOLDS

    def __init__(self, *, thresholds: Mapping[str, float] | None = None, long_side: int = 320,
                 edge_radius: float = 0.008, eps: float = 1e-2):
        if int(long_side) < 16:
            raise ValueError(f"long_side must be at least 16 pixels, got {long_side}.")
        self.thresholds = _check_thresholds(thresholds)
        self.long_side = int(long_side)
        self._refine = HeuristicSegmenter(long_side=self.long_side, edge_radius=edge_radius, eps=eps)
        self._details: dict = {}
        self.last_report: dict = {}

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        problem = hf.missing_package(("torch", "transformers", "PIL"))
        if problem is not None:
            return False, problem
        return True, "torch and transformers are installed; needs a local model folder (--segmenter)"

    def threshold(self, query: str, region: Region) -> float:
        """The threshold a pixel's score for ``query`` (of class ``region``) must reach."""
        q = _query_key(query)
        if q in self.thresholds:
            return self.thresholds[q]
        return self.thresholds.get(region.name.lower(), self.default_thresholds[region])

    def segment(self, image: np.ndarray, *, disaster: DisasterType) -> np.ndarray:
        """Label the moving regions of an ``(H, W, 3)`` float32 sRGB image in [0, 1].

        Returns:
            ``(H, W)`` uint8 :class:`Region` labels; only classes in ``disaster.regions`` appear.
        """
        check_image(image)
        start = time.perf_counter()
        H, W = image.shape[:2]
        grid = working_size((H, W), self.long_side)
        plan = {q: query_region(q, disaster) for q in segmenter_queries(disaster)}
        self._details = {}
        raw = self._scores(image, list(plan)) if plan else {}
        scores = {q: _resize(raw[q], grid) for q in plan if q in raw}
        masks = self._merge(scores, plan, grid)
        labels = self._refine._upscale(image, masks, (H, W))
        self.last_report = {
            "backend": self.name,
            "disaster": disaster.key,
            "queries": list(plan),
            "query_regions": {q: r.name.lower() for q, r in plan.items()},
            "dropped_keywords": dropped_keywords(disaster),
            "thresholds": {q: self.threshold(q, r) for q, r in plan.items()},
            "max_score": {q: round(float(s.max()), 4) for q, s in scores.items()},
            "share": {r.name.lower(): round(float(np.mean(labels == r)), 4) for r in disaster.regions},
            **self._details,
            "seconds": round(time.perf_counter() - start, 3),
        }
        return labels

    def _scores(self, image: np.ndarray, queries: list[str]) -> dict[str, np.ndarray]:
        """Score map in [0, 1] of each query, any resolution (it is resized to the image's aspect)."""
        raise NotImplementedError

    def _merge(self, scores: Mapping[str, np.ndarray], plan: Mapping[str, Region],
               grid: tuple[int, int]) -> dict[Region, np.ndarray]:
        """Clean, non-overlapping ``grid``-sized bool mask of each class that has a query."""
        classes: dict[Region, np.ndarray] = {}
        for query, score in scores.items():
            region = plan[query]
            passed = np.where(score >= self.threshold(query, region), score, 0.0).astype(np.float32)
            classes[region] = np.maximum(classes[region], passed) if region in classes else passed
        if not classes:
            return {}
        order = list(classes)
        stack = np.stack([classes[r] for r in order])                           # (k, h, w)
        best = np.argmax(stack, axis=0)
        on = np.take_along_axis(stack, best[None], axis=0)[0] > 0.0
        h, w = grid
        min_area = max(1, int(MIN_COMPONENT * h * w))
        masks = {r: _drop_small(on & (best == i), min_area) for i, r in enumerate(order)}
        free = ~np.any(np.stack(list(masks.values())), axis=0)
        for region, mask in masks.items():                                     # fill holes nobody claims
            masks[region] = mask | (_fill_holes(mask, int(MAX_HOLE * h * w)) & free)
            free &= ~masks[region]
        return masks


# ----------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------

class _Loader:
    """Loads the parts of one backend from local folders; failures become one-line errors."""

    def __init__(self, flag: str, purpose: str, device: str | None, dtype: str | None):
        from cinealert.models import offline

        offline()
        self.flag = flag
        self.torch = hf.require("torch", purpose)
        self.transformers = hf.require("transformers", purpose)
        hf.quiet_transformers()
        self.device = hf.pick_device(device)
        self.dtype = hf.pick_dtype(self.device, dtype)

    def processor(self, folder: Path, what: str):
        try:
            return self.transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
        except Exception as err:  # noqa: BLE001 - any load failure is the folder's fault
            raise BackendUnavailable(f"{self.flag}: cannot load the {what} processor in {str(folder)!r}: "
                                     f"{_short(err)}") from None

    def model(self, cls_name: str, folder: Path, what: str):
        cls = getattr(self.transformers, cls_name)
        try:
            net, info = cls.from_pretrained(folder, local_files_only=True, dtype=self.dtype,
                                            output_loading_info=True)
        except Exception as err:  # noqa: BLE001
            raise BackendUnavailable(f"{self.flag}: cannot load a {what} model from {str(folder)!r}: "
                                     f"{_short(err)}") from None
        missing = sorted(info.get("missing_keys") or ())
        if missing:
            raise BackendUnavailable(f"{self.flag}: the {what} weights in {str(folder)!r} do not fit its "
                                     f"config.json ({len(missing)} parameters missing, e.g. {missing[0]!r})")
        return net.to(self.device).eval()

    def inputs(self, batch) -> dict:
        """A processor's output on the model's device; pixel values in the model's dtype."""
        moved = {}
        for key, value in batch.items():
            if hasattr(value, "to"):
                floating = key.startswith("pixel_values") and value.is_floating_point()
                value = value.to(self.device, self.dtype) if floating else value.to(self.device)
            moved[key] = value
        return moved


# ----------------------------------------------------------------------------------------
# CLIPSeg
# ----------------------------------------------------------------------------------------

class ClipSegSegmenter(TextSegmenter):
    """CLIPSeg from a local folder (``CLIPSegForImageSegmentation`` and its processor).

    Args:
        path: the model folder (config.json with ``model_type`` "clipseg", weights, processor files).
        device: ``"cpu"``, ``"cuda"``...; by default CUDA when available.
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"``; by default bfloat16 on CUDA, float32 on CPU.
        thresholds: per-keyword (or class name) thresholds over :data:`CLIPSEG_THRESHOLDS`.
        flag: the command-line option named in error messages.
        **options: ``long_side``, ``edge_radius``, ``eps`` of :class:`TextSegmenter`.

    Raises:
        BackendUnavailable: the folder is missing, holds another kind of model, or does not load.
    """

    name = "clipseg"
    summary = "CLIPSeg text-prompted segmentation from a local model folder (--segmenter FOLDER)"
    default_thresholds = CLIPSEG_THRESHOLDS

    @classmethod
    def accepts(cls, path: str | Path) -> str | None:
        """None when ``path`` holds a CLIPSeg model, else why not (one line)."""
        return _folder_problem(Path(path).expanduser(), ("clipseg",), "CLIPSeg")

    def __init__(self, path: str | Path, *, device: str | None = None, dtype: str | None = None,
                 thresholds: Mapping[str, float] | None = None, flag: str = "--segmenter", **options):
        super().__init__(thresholds=thresholds, **options)
        folder = Path(path).expanduser()
        problem = self.accepts(folder)
        if problem is not None:
            raise BackendUnavailable(f"{flag}: {problem}")
        load = _Loader(flag, "the CLIPSeg segmenter", device, dtype)
        self.path = folder
        self._load = load
        self.device, self.dtype = load.device, load.dtype
        self.processor = load.processor(folder, "CLIPSeg")
        self.model = load.model("CLIPSegForImageSegmentation", folder, "CLIPSeg")

    def _scores(self, image: np.ndarray, queries: list[str]) -> dict[str, np.ndarray]:
        torch = self._load.torch
        pil = _to_pil(image)
        batch = self.processor(text=list(queries), images=[pil] * len(queries), padding=True,
                               return_tensors="pt")
        with torch.inference_mode():
            logits = self.model(**self._load.inputs(batch)).logits
        # CLIPSeg squeezes the batch axis away for a single query: put it back.
        maps = torch.sigmoid(logits.float()).reshape(len(queries), *logits.shape[-2:]).cpu().numpy()
        self._details = {"model": str(self.path)}
        return dict(zip(queries, maps))


# ----------------------------------------------------------------------------------------
# GroundingDINO + SAM
# ----------------------------------------------------------------------------------------

def dino_caption(queries: Sequence[str]) -> str:
    """The GroundingDINO caption of ``queries``: lower case, each ended by a full stop."""
    return " ".join(f"{_query_key(q).rstrip('.')}." for q in queries)


def label_query(label: str, queries: Sequence[str]) -> str | None:
    """The query a GroundingDINO text label stands for, or None.

    The label holds the caption tokens that passed ``text_threshold``: usually one query ("flood water"),
    sometimes part of one ("flood") or several run together ("water river"). A query the label contains
    whole wins, the longest when several do; else the query sharing the largest part of its words.
    """
    text = " ".join(_SPECIAL_TOKEN.sub(" ", str(label)).lower().split())
    words = set(_WORD.findall(text))
    best, best_key = None, (0, 0.0)
    for q in queries:
        q_words = _WORD.findall(q)
        if not q_words:
            continue
        if re.search(rf"(?<![a-z]){re.escape(q)}(?![a-z])", text):
            key = (2, float(len(q)))
        else:
            key = (1, len(words.intersection(q_words)) / len(q_words))
        if key[1] > 0 and key > best_key:
            best, best_key = q, key
    return best


class LangSamSegmenter(TextSegmenter):
    """GroundingDINO boxes, then SAM masks in those boxes (the "LangSAM" recipe), from local folders.

    Args:
        path: a folder holding a GroundingDINO model and a SAM model in two subfolders
            (:func:`cinealert.models.segmenter_pair`), or ``"DINO_DIR,SAM_DIR"``.
        device, dtype: as for :class:`ClipSegSegmenter`.
        box_threshold: a GroundingDINO box is kept when its best token score passes this.
        text_threshold: caption tokens scoring above this make up a box's text label.
        thresholds: per-keyword (or class name) thresholds over :data:`LANGSAM_THRESHOLDS`, on
            ``box score × SAM IoU score``.
        max_boxes: at most this many boxes (the best scoring) go to SAM.
        flag: the command-line option named in error messages.
        **options: ``long_side``, ``edge_radius``, ``eps`` of :class:`TextSegmenter`.

    Raises:
        BackendUnavailable: a folder is missing, the pair is incomplete, or a model does not load.
    """

    name = "langsam"
    summary = ("GroundingDINO boxes + SAM masks from local folders (--segmenter PAIR_FOLDER or "
               "'DINO_DIR,SAM_DIR')")
    default_thresholds = LANGSAM_THRESHOLDS

    @classmethod
    def folders(cls, path: str | Path) -> tuple[Path, Path]:
        """(GroundingDINO folder, SAM folder) of ``path``; :class:`BackendUnavailable` (without the flag)
        when ``path`` is not a pair."""
        from cinealert.models import describe_folder, segmenter_pair

        text = str(path)
        if "," in text:
            parts = [Path(p.strip()).expanduser() for p in text.split(",")]
            if len(parts) != 2 or not all(str(p) for p in parts):
                raise BackendUnavailable(f"{text!r} must be two folders, 'DINO_DIR,SAM_DIR'")
            for p in parts:
                problem = _folder_problem(p, ("grounding-dino", "sam"), "GroundingDINO or SAM")
                if problem is not None:
                    raise BackendUnavailable(problem)
            by_kind = {describe_folder(p).kind: p for p in parts}
            if set(by_kind) != {"grounding-dino", "sam"}:
                raise BackendUnavailable(f"{text!r} must name one GroundingDINO and one SAM folder "
                                         f"(both are {next(iter(by_kind))})")
            return by_kind["grounding-dino"], by_kind["sam"]
        folder = Path(path).expanduser()
        pair = segmenter_pair(folder)
        if pair is not None:
            return pair
        info = describe_folder(folder)
        if not folder.exists():
            raise BackendUnavailable(f"no such folder {str(folder)!r} (give a local folder holding a "
                                     "GroundingDINO and a SAM model; nothing is downloaded)")
        if info.kind in ("grounding-dino", "sam"):
            other = "SAM" if info.kind == "grounding-dino" else "GroundingDINO"
            raise BackendUnavailable(f"{str(folder)!r} holds only a {info.kind} model; LangSAM also needs a "
                                     f"{other} model (give a folder with both in subfolders, or "
                                     "'DINO_DIR,SAM_DIR')")
        if info.role is not None:
            raise BackendUnavailable(f"{str(folder)!r} holds a {info.role} model ({info.detail}), not a "
                                     "GroundingDINO + SAM pair")
        found = [f"{sub.name} ({describe_folder(sub).kind})" for sub in sorted(folder.iterdir())
                 if sub.is_dir() and describe_folder(sub).kind in ("grounding-dino", "sam")]
        has = f"only {', '.join(found)}" if found else "neither"
        raise BackendUnavailable(f"{str(folder)!r} must hold a GroundingDINO and a SAM model in two "
                                 f"subfolders; it has {has}")

    @classmethod
    def accepts(cls, path: str | Path) -> str | None:
        """None when ``path`` names a GroundingDINO + SAM pair, else why not (one line)."""
        try:
            cls.folders(path)
        except BackendUnavailable as err:
            return str(err)
        return None

    def __init__(self, path: str | Path, *, device: str | None = None, dtype: str | None = None,
                 box_threshold: float = 0.3, text_threshold: float = 0.25,
                 thresholds: Mapping[str, float] | None = None, max_boxes: int = 50,
                 flag: str = "--segmenter", **options):
        super().__init__(thresholds=thresholds, **options)
        for label, value in (("box_threshold", box_threshold), ("text_threshold", text_threshold)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{label} must be between 0 and 1, got {value}.")
        if int(max_boxes) < 1:
            raise ValueError(f"max_boxes must be at least 1, got {max_boxes}.")
        try:
            self.dino_path, self.sam_path = self.folders(path)
        except BackendUnavailable as err:
            raise BackendUnavailable(f"{flag}: {err}") from None
        self.box_threshold = float(box_threshold)
        self.text_threshold = float(text_threshold)
        self.max_boxes = int(max_boxes)
        load = _Loader(flag, "the GroundingDINO + SAM segmenter", device, dtype)
        self._load = load
        self.device, self.dtype = load.device, load.dtype
        self.dino_processor = load.processor(self.dino_path, "GroundingDINO")
        self.dino = load.model("AutoModelForZeroShotObjectDetection", self.dino_path, "GroundingDINO")
        self.sam_processor = load.processor(self.sam_path, "SAM")
        self.sam = load.model("SamModel", self.sam_path, "SAM")
        params = inspect.signature(self.dino_processor.post_process_grounded_object_detection).parameters
        self._box_arg = "threshold" if "threshold" in params else "box_threshold"

    def _boxes(self, pil, queries: list[str]) -> list[dict]:
        """GroundingDINO detections for ``queries``, each with its query (None: none), best scores first.

        The processor's post-processing gives the boxes, their scores and text labels. Each box goes to
        the query whose caption tokens score highest for it (the model's own word on which phrase it
        found), when that score passes ``text_threshold``; when the caption's tokens cannot be split into
        the queries, to the query its text label names (:func:`label_query`).
        """
        torch = self._load.torch
        batch = self.dino_processor(images=pil, text=dino_caption(queries), return_tensors="pt")
        with torch.inference_mode():
            out = self.dino(**self._load.inputs(batch))
        out.logits, out.pred_boxes = out.logits.float(), out.pred_boxes.float()
        input_ids = batch["input_ids"].to(out.logits.device)
        found = self.dino_processor.post_process_grounded_object_detection(
            out, input_ids, text_threshold=self.text_threshold, target_sizes=[(pil.height, pil.width)],
            **{self._box_arg: self.box_threshold})[0]
        labels = found["text_labels"] if "text_labels" in found else found["labels"]
        # The same boxes, in the same order, as the post-processing keeps: best token score > threshold.
        probs = torch.sigmoid(out.logits[0])
        token_scores = probs[probs.max(dim=-1).values > self.box_threshold].cpu().numpy()
        spans = self._query_spans(batch["input_ids"][0].tolist(), len(queries))
        boxes = []
        for i, (score, box, label) in enumerate(zip(found["scores"].tolist(), found["boxes"].tolist(), labels)):
            if spans is not None and i < len(token_scores):
                per_query = [float(token_scores[i, span].max()) for span in spans]
                best = int(np.argmax(per_query))
                query = queries[best] if per_query[best] > self.text_threshold else None
            else:
                query = label_query(label, queries)
            x0, y0 = max(0.0, box[0]), max(0.0, box[1])
            x1, y1 = min(float(pil.width), box[2]), min(float(pil.height), box[3])
            boxes.append({"query": query, "label": str(label).strip(),
                          "box": [round(v, 1) for v in (x0, y0, x1, y1)], "score": round(score, 4),
                          "usable": x1 - x0 >= 1.0 and y1 - y0 >= 1.0})
        boxes.sort(key=lambda b: -b["score"])
        return boxes

    def _query_spans(self, ids: list[int], count: int) -> list[list[int]] | None:
        """Token positions of each of ``count`` queries in a caption's ids (split at the full stops), or
        None when the caption does not split into ``count`` non-empty phrases."""
        tokenizer = self.dino_processor.tokenizer
        stop = tokenizer.convert_tokens_to_ids(".")
        special = set(tokenizer.all_special_ids)
        spans: list[list[int]] = [[]]
        for pos, token in enumerate(ids):
            if token == stop:
                spans.append([])
            elif token not in special:
                spans[-1].append(pos)
        spans = [s for s in spans if s]
        limit = int(getattr(self.dino.config, "max_text_len", 256))
        if len(spans) != count or any(pos >= limit for span in spans for pos in span):
            return None
        return spans

    def _scores(self, image: np.ndarray, queries: list[str]) -> dict[str, np.ndarray]:
        torch = self._load.torch
        pil = _to_pil(image)
        grid = working_size(image.shape[:2], self.long_side)
        boxes = self._boxes(pil, queries)
        kept = [b for b in boxes if b["query"] is not None and b["usable"]][: self.max_boxes]
        self._details = {"model": f"{self.dino_path},{self.sam_path}", "boxes": kept,
                         "boxes_dropped": len(boxes) - len(kept)}
        for b in boxes:
            b.pop("usable")
        scores = {q: np.zeros(grid, np.float32) for q in queries}
        if not kept:
            return scores
        batch = self.sam_processor(images=pil, input_boxes=[[b["box"] for b in kept]], return_tensors="pt")
        moved = self._load.inputs(batch)
        with torch.inference_mode():
            out = self.sam(pixel_values=moved["pixel_values"], input_boxes=moved["input_boxes"],
                           multimask_output=False)
        # Masks straight at the working grid: post-processing resizes to the "original" size it is given.
        masks = self.sam_processor.post_process_masks(out.pred_masks.float().cpu(), [list(grid)],
                                                      batch["reshaped_input_sizes"])[0]   # (n, 1, h, w)
        ious = out.iou_scores[0, :, 0].float().clamp(0.0, 1.0).cpu().tolist()
        for b, mask, iou in zip(kept, masks[:, 0].numpy(), ious):
            b["iou"] = round(iou, 4)
            q = b["query"]
            scores[q] = np.maximum(scores[q], mask.astype(np.float32) * (b["score"] * iou))
        return scores


def backend_for(path: str | Path) -> type[TextSegmenter] | None:
    """The text segmenter that loads ``path`` (a CLIPSeg folder, a GroundingDINO + SAM pair folder or
    ``"DINO_DIR,SAM_DIR"``), or None when neither does."""
    for cls in (ClipSegSegmenter, LangSamSegmenter):
        if cls.accepts(path) is None:
            return cls
    return None
