"""LoRA fine-tuning of the metadata LLM (``cinealert finetune``).

The training pair is the one :mod:`cinealert.prompting.llm_format` defines for generation: the prompt is
the chat template applied to :func:`build_messages` (with the generation prompt) or, for a model without a
chat template, :func:`build_plain`; the answer is the target JSON text followed by the end-of-sequence
token. The loss covers the answer only (prompt and padding labels are ``-100``).

The loop is plain PyTorch: AdamW, a linear warm-up then linear decay, gradient accumulation, gradient
clipping at 1.0, seeded shuffling. Every run writes into its ``out`` folder:

* ``train_log.jsonl``: one JSON object a line, each with an ``event``: ``start`` (parameter counts, data
  statistics), ``resume``, ``train`` (one per optimizer step: step, epoch, loss, lr, grad_norm, seconds),
  ``eval`` (step, val_loss) and ``end``;
* ``checkpoints/step-N/``: the adapter, the optimizer and scheduler state, the RNG states and the position
  in the data order (the last :data:`KEEP_CHECKPOINTS` are kept); a run started again with the same
  settings continues from the latest one and ends with the same weights as a run never interrupted;
* the final adapter in ``out`` itself (``adapter_config.json``, ``adapter_model.safetensors``) with the
  tokenizer files, loadable by ``peft.PeftModel.from_pretrained(base_model, out)``;
* ``finetune.json``: settings, data statistics, results, the base model, versions and times.
"""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cinealert.errors import BackendUnavailable, InputError
from cinealert.hf import model_dir, pick_device, pick_dtype, require
from cinealert.prompting.llm_format import prompt_token_ids, token_ids
from cinealert.training.checkpoints import (CHECKPOINT_DIR, LOG_NAME, SUMMARY_NAME, append_jsonl,
                                            describe_mismatch, list_checkpoints, load_checkpoint, now,
                                            rng_state, save_checkpoint, set_rng_state, sha256_file, trim_log,
                                            versions, write_json)

IGNORE_INDEX = -100
SPLITS = ("train", "validation")
#: Splits a data file may hold besides the two used here (counted, not used).
OTHER_SPLITS = ("test",)
MAX_GRAD_NORM = 1.0
#: Smoothing of the reported training loss (an exponential moving average, bias-corrected).
LOSS_SMOOTHING = 0.9

#: Attention projections by model family, most specific first: the first set found is used.
ATTENTION_MODULES = (
    ("q_proj", "k_proj", "v_proj", "o_proj"),      # Llama, Mistral, Qwen, Gemma, OPT, ...
    ("query_key_value", "dense"),                  # GPT-NeoX, Falcon, Bloom
    ("c_attn", "c_proj"),                          # GPT-2
    ("Wqkv", "out_proj"),                          # MPT
    ("qkv_proj", "o_proj"),                        # Phi-3
    ("query", "key", "value"),                     # BERT-like
)
#: Settings that shape the training trajectory: a checkpoint is resumed only when they all match.
TRAJECTORY_KEYS = ("rank", "alpha", "dropout", "target_modules", "learning_rate", "epochs", "steps",
                   "batch_size", "grad_accum", "max_length", "warmup_ratio", "weight_decay", "seed")


# --------------------------------------------------------------------------------------------- settings

#: Command-line options whose names differ from the settings' (for messages).
_OPTION = {"learning_rate": "lr", "warmup_ratio": "warmup"}

@dataclass
class FinetuneConfig:
    """Settings of one fine-tuning run (the defaults follow common LoRA practice for 7B chat models).

    ``epochs`` and ``steps`` are alternatives (give at most one); with neither, one epoch is run. One step
    is one optimizer update over ``batch_size * grad_accum`` examples. ``eval_every`` defaults to about a
    tenth of the run (and the end); ``save_every`` (checkpoints) to the same.
    """

    rank: int = 16
    alpha: float = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None      # None: the attention projections, found by name
    learning_rate: float = 2e-4
    epochs: float | None = None
    steps: int | None = None
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 512
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    seed: int = 0
    eval_every: int | None = None
    save_every: int | None = None
    device: str | None = None
    dtype: str | None = None

    def validate(self) -> None:
        """Raise :class:`InputError` (one line) for an unusable setting (named with its command-line option)."""
        def label(name: str) -> str:
            return f"{name} (--{_OPTION.get(name, name.replace('_', '-'))})"

        def whole(name: str, minimum: int, optional: bool = False) -> None:
            value = getattr(self, name)
            if value is None and optional:
                return
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InputError(f"finetune: {label(name)} must be a whole number >= {minimum}, got {value!r}")

        def number(name: str, low: float, high: float | None = None, *, low_open: bool = False,
                   optional: bool = False) -> None:
            value = getattr(self, name)
            if value is None and optional:
                return
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                  and (value > low if low_open else value >= low) and (high is None or value < high))
            if not ok:
                bound = f"{'>' if low_open else '>='} {low:g}" + (f" and < {high:g}" if high is not None else "")
                raise InputError(f"finetune: {label(name)} must be a number {bound}, got {value!r}")

        whole("rank", 1)
        number("alpha", 0, low_open=True)
        number("dropout", 0, 1)
        number("learning_rate", 0, low_open=True)
        number("epochs", 0, low_open=True, optional=True)
        whole("steps", 1, optional=True)
        if self.epochs is not None and self.steps is not None:
            raise InputError("finetune: give --steps or --epochs, not both")
        whole("batch_size", 1)
        whole("grad_accum", 1)
        whole("max_length", 8)
        number("warmup_ratio", 0, 1)
        number("weight_decay", 0)
        whole("seed", 0)
        whole("eval_every", 1, optional=True)
        whole("save_every", 1, optional=True)
        if self.target_modules is not None:
            mods = self.target_modules
            if isinstance(mods, str) or not isinstance(mods, Sequence) or not mods or \
                    not all(isinstance(m, str) and m.strip() for m in mods):
                raise InputError(f"finetune: {label('target_modules')} must be a non-empty list of module names, "
                                 f"got {mods!r}")

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        if data["target_modules"] is not None:
            data["target_modules"] = list(data["target_modules"])
        return data


@dataclass
class FinetuneResult:
    """What :func:`finetune` did."""

    adapter_dir: Path
    steps_done: int
    train_loss: float | None          # the last smoothed training loss (None when no step ran)
    val_loss: float | None            # the last validation loss (None without validation examples)
    log_path: Path
    seconds: float                    # wall time of this call
    trainable_params: int
    total_params: int
    resumed_from: int | None = None   # the checkpoint step this call continued from

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["adapter_dir"] = str(self.adapter_dir)
        data["log_path"] = str(self.log_path)
        return data


# ------------------------------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Example:
    """One keywords → target pair of the data file."""

    keywords: str
    target: str
    split: str
    line: int


def read_examples(path: str | Path) -> list[Example]:
    """The examples of a JSONL data file, checked.

    Each line is a JSON object with the texts ``"keywords"`` and ``"target"`` and ``"split"``
    (``"train"``, ``"validation"`` or ``"test"``); other fields are ignored, blank lines skipped. A missing
    file or malformed lines raise :class:`InputError` naming the line numbers.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"--data: no such file {str(p)!r} (give the JSONL written by `cinealert dataset build`)")
    if not p.is_file():
        raise InputError(f"--data: {str(p)!r} is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"--data: {str(p)!r} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise InputError(f"--data: cannot read {str(p)!r}: {err.strerror or err}") from None
    examples: list[Example] = []
    problems: list[str] = []
    allowed = SPLITS + OTHER_SPLITS
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"line {number}: not valid JSON ({err.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        missing = [k for k in ("keywords", "target") if not isinstance(record.get(k), str) or not record[k].strip()]
        if missing:
            problems.append(f"line {number}: {' and '.join(repr(k) for k in missing)} missing or not text")
            continue
        split = record.get("split")
        if split not in allowed:
            problems.append(f"line {number}: split {split!r} is not one of {', '.join(allowed)}")
            continue
        examples.append(Example(record["keywords"], record["target"], split, number))
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise InputError(f"--data {str(p)!r}: {len(problems)} malformed line{'s' if len(problems) > 1 else ''} "
                         f"({shown})")
    if not any(e.split == "train" for e in examples):
        raise InputError(f"--data {str(p)!r}: no training examples (no line with \"split\": \"train\")")
    return examples


def answer_ids(tokenizer, target: str) -> list[int]:
    """The token ids of the answer: the target text and the end-of-sequence token."""
    ids = token_ids(tokenizer(target, add_special_tokens=False))
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    return ids



def fit_lengths(n_prompt: int, n_answer: int, max_length: int) -> tuple[int, int, int]:
    """How to fit a prompt and an answer into ``max_length`` tokens, keeping the answer's start.

    Returns ``(drop_prompt_head, keep_prompt, keep_answer)``: the answer's tail is cut first; when the prompt
    alone leaves less than half the length for the answer, the prompt's head is dropped too (its end, with
    the keywords and the generation prompt, is kept).
    """
    if n_prompt + n_answer <= max_length:
        return 0, n_prompt, n_answer
    answer_room = min(n_answer, max(max_length - n_prompt, max_length // 2))
    keep_prompt = min(n_prompt, max_length - answer_room)
    return n_prompt - keep_prompt, keep_prompt, answer_room


@dataclass(frozen=True)
class Encoded:
    """One tokenised example: ``labels`` is ``-100`` on the prompt."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    truncated: bool

    @property
    def n_answer(self) -> int:
        """Tokens the loss is computed on."""
        return sum(1 for x in self.labels[1:] if x != IGNORE_INDEX)


def encode_example(tokenizer, keywords: str, target: str, max_length: int) -> Encoded:
    """Prompt + answer + EOS as input ids, with labels only on the answer, fitted into ``max_length``."""
    prompt = prompt_token_ids(tokenizer, keywords)
    answer = answer_ids(tokenizer, target)
    drop, keep_prompt, keep_answer = fit_lengths(len(prompt), len(answer), max_length)
    truncated = drop > 0 or keep_answer < len(answer)
    prompt = prompt[drop:drop + keep_prompt]
    answer = answer[:keep_answer]
    return Encoded(tuple(prompt + answer), tuple([IGNORE_INDEX] * len(prompt) + answer), truncated)


def collate(batch: Sequence[Encoded], pad_id: int, device=None) -> dict:
    """Right-padded tensors ``input_ids``, ``attention_mask`` and ``labels`` (``-100`` on padding)."""
    torch = require("torch", "fine-tuning")
    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), int(pad_id), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids, dtype=torch.long)
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(e.labels, dtype=torch.long)
    out = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    return {k: v.to(device) for k, v in out.items()} if device is not None else out


# ----------------------------------------------------------------------------------------------- model

def linear_module_names(model) -> list[str]:
    """Names (last part) of the linear layers of ``model``, the output head excluded, in model order."""
    torch = require("torch", "fine-tuning")
    kinds: tuple[type, ...] = (torch.nn.Linear,)
    try:
        from transformers.pytorch_utils import Conv1D
        kinds += (Conv1D,)
    except ImportError:  # pragma: no cover - transformers always has it
        pass
    head = None
    get_head = getattr(model, "get_output_embeddings", None)
    if callable(get_head):
        try:
            head = get_head()
        except (NotImplementedError, AttributeError):
            head = None
    names: list[str] = []
    for full, module in model.named_modules():
        if isinstance(module, kinds) and module is not head and full.split(".")[-1] not in ("lm_head", "score"):
            name = full.split(".")[-1]
            if name not in names:
                names.append(name)
    return names


def default_target_modules(model) -> tuple[str, ...]:
    """The layers LoRA adapts by default: the attention projections of the first family in
    :data:`ATTENTION_MODULES` the model has, else every linear layer but the output head."""
    present = set(linear_module_names(model))
    for family in ATTENTION_MODULES:
        found = tuple(m for m in family if m in present)
        if len(found) >= min(2, len(family)):
            return found
    if not present:
        raise BackendUnavailable("finetune: the base model has no linear layers LoRA could adapt")
    return tuple(linear_module_names(model))


def _check_targets(model, targets: Sequence[str]) -> tuple[str, ...]:
    present = set(linear_module_names(model))
    names = {full.split(".")[-1] for full, _ in model.named_modules()}
    unknown = [t for t in targets if t not in present and t not in names]
    if unknown:
        raise InputError(f"finetune: target_modules {', '.join(unknown)} not in the base model; its linear "
                         f"layers are {', '.join(sorted(present)) or '(none)'}")
    return tuple(targets)


def _load_base(base: Path, device, dtype, *, quiet: bool = False):
    transformers = require("transformers", "fine-tuning")
    bars = transformers.utils.logging.is_progress_bar_enabled()
    if quiet and bars:
        transformers.utils.logging.disable_progress_bar()
    try:
        return _load_base_quietly(transformers, base, device, dtype)
    finally:
        if quiet and bars:
            transformers.utils.logging.enable_progress_bar()


def _load_base_quietly(transformers, base: Path, device, dtype):
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    except Exception as err:  # noqa: BLE001 - any loader failure is "this folder is not usable"
        raise BackendUnavailable(f"--base {str(base)!r}: cannot load its tokenizer ({_first_line(err)})") from None
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(str(base), local_files_only=True, dtype=dtype)
    except Exception as err:  # noqa: BLE001
        raise BackendUnavailable(f"--base {str(base)!r}: cannot load a causal language model from it "
                                 f"({_first_line(err)})") from None
    model.to(device)
    if getattr(model.config, "use_cache", None):
        model.config.use_cache = False
    return tokenizer, model


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:200]


# ----------------------------------------------------------------------------------------- the schedule

def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Multiplier of the learning rate for optimizer step ``step`` (0-based): a linear warm-up over
    ``warmup`` steps, then a linear decay that reaches zero just after the last step."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total - step) / max(1, total - warmup))


class _Order:
    """The shuffled order of the training examples: epoch ``e`` is a permutation seeded by (seed, e), so any
    position in the stream can be rebuilt without replaying it."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.batches_per_epoch = math.ceil(n / batch_size)
        self._cache: dict[int, list[int]] = {}

    def _perm(self, epoch: int) -> list[int]:
        if epoch not in self._cache:
            torch = require("torch", "fine-tuning")
            g = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % (2 ** 63))
            self._cache = {epoch: torch.randperm(self.n, generator=g).tolist()}
        return self._cache[epoch]

    def batch(self, k: int) -> list[int]:
        """Indices of micro-batch ``k`` (0-based over the whole run)."""
        epoch, b = divmod(k, self.batches_per_epoch)
        return self._perm(epoch)[b * self.batch_size:(b + 1) * self.batch_size]

    def epoch(self, k: int) -> float:
        """Epochs done after ``k`` micro-batches."""
        return k / self.batches_per_epoch


# ---------------------------------------------------------------------------------------------- losses

def _keeps_logits(model) -> bool:
    """Whether the (base) model's forward takes ``logits_to_keep`` as a tensor of positions, so the output
    head runs on the answer positions only (transformers' causal LMs do)."""
    import inspect
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "logits_to_keep" in inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return False


def _loss_sum(model, batch: dict, *, keep_logits: bool = False):
    """Summed cross-entropy over the answer tokens of ``batch`` (float32) and their count.

    With ``keep_logits`` the vocabulary projection is computed only at the positions that predict an answer
    token in some row (the same loss, with less work and memory for the prompt).
    """
    torch = require("torch", "fine-tuning")
    labels = batch["labels"][:, 1:]
    keep = labels != IGNORE_INDEX
    if keep_logits:
        cols = keep.any(dim=0).nonzero().squeeze(1)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       logits_to_keep=cols).logits
        labels, keep = labels[:, cols], keep[:, cols]
    else:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    picked = logits[keep].float()
    loss = torch.nn.functional.cross_entropy(picked, labels[keep], reduction="sum")
    return loss, int(keep.sum())


def evaluate(model, examples: Sequence[Encoded], batch_size: int, pad_id: int, device, *,
             keep_logits: bool | None = None) -> float | None:
    """Mean cross-entropy per answer token over ``examples`` (None when there are none)."""
    if not examples:
        return None
    torch = require("torch", "fine-tuning")
    keep_logits = _keeps_logits(model) if keep_logits is None else keep_logits
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            loss, n = _loss_sum(model, collate(examples[i:i + batch_size], pad_id, device), keep_logits=keep_logits)
            total += float(loss)
            count += n
    if was_training:
        model.train()
    return total / count if count else None


# ---------------------------------------------------------------------------------------------- finetune

def finetune(base: str | Path, data: str | Path, out: str | Path, config: FinetuneConfig | None = None, *,
             resume: bool = True, progress: bool = True,
             log: Callable[[dict], None] | None = None) -> FinetuneResult:
    """Fine-tune a LoRA adapter on the base model in ``base`` with the examples in ``data``.

    Args:
        base: a local Hugging Face causal-LM folder (nothing is downloaded).
        data: the JSONL examples (see :func:`read_examples`).
        out: the output folder (created); see the module notes for what goes in it.
        config: the settings (:class:`FinetuneConfig` defaults when None).
        resume: continue from the latest checkpoint in ``out`` when there is one; its settings, data and base
            must match (else :class:`InputError`). With False, earlier checkpoints and log are discarded.
        progress: print a summary to stderr and, when stderr is a terminal, a progress bar.
        log: called with every line written to ``train_log.jsonl`` (a dict).

    A ``KeyboardInterrupt`` during training saves a checkpoint of the last completed step before it is
    raised again, so the same call continues where it stopped.
    """
    started, started_at = time.perf_counter(), now()
    config = config if config is not None else FinetuneConfig()
    config.validate()

    # 1. Prepare: the base model with LoRA, the tokenised data, the optimizer and its schedule
    run = _prepare(base, data, out, config, progress=progress, log=log)

    # 2. Resume from the latest checkpoint, or start afresh
    _resume_or_start(run, resume=resume)
    _announce(run)

    # 3. Train (evaluating and saving checkpoints on the way)
    _train(run)

    # 4. Evaluate: a finished run resumed has no saved evaluation of its last step
    if run.val and run.last_val is None:
        run.last_val = evaluate(run.model, run.val, config.batch_size, run.pad_id, run.device,
                                keep_logits=run.keep_logits)

    # 5. Save the adapter, the tokenizer and the summary
    return _save(run, started=started, started_at=started_at)


@dataclass
class _Run:
    """One fine-tuning run: what :func:`_prepare` sets up and what the training loop moves on."""

    config: FinetuneConfig
    base: Path
    data: Path
    out: Path
    device: object
    dtype: object
    tokenizer: object
    model: object
    targets: tuple[str, ...]
    trainable: int
    total_params: int
    pad_id: int
    train: list
    val: list
    stats: dict
    order: _Order
    total: int
    eval_every: int
    save_every: int
    warmup: int
    params: list
    keep_logits: bool
    optimizer: object
    scheduler: object
    fingerprint: dict
    progress: bool
    log: Callable[[dict], None] | None
    step: int = 0
    ema: float = 0.0
    ema_n: int = 0
    seconds_before: float = 0.0
    resumed_from: int | None = None
    resumed_path: Path | None = None
    last_val: float | None = None
    t0: float = 0.0

    @property
    def log_path(self) -> Path:
        return self.out / LOG_NAME

    def say(self, message: str) -> None:
        if self.progress:
            sys.stderr.write(f"finetune: {message}\n")

    def emit(self, record: dict) -> None:
        append_jsonl(self.log_path, record)
        if self.log is not None:
            self.log(record)

    def elapsed(self) -> float:
        """Training seconds so far, those of the runs resumed included."""
        return self.seconds_before + time.perf_counter() - self.t0

    def smoothed(self) -> float | None:
        return self.ema / (1 - LOSS_SMOOTHING ** self.ema_n) if self.ema_n else None

    def state_at(self, at_step: int, rng: dict) -> dict:
        config = self.config
        return {"step": at_step, "micro_batch": at_step * config.grad_accum,
                "epoch": self.order.epoch(at_step * config.grad_accum),
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(), "rng": rng,
                "ema": self.ema, "ema_n": self.ema_n, "seconds": self.elapsed(),
                "val_loss": self.last_val, "fingerprint": self.fingerprint}


def _prepare(base, data, out, config: FinetuneConfig, *, progress: bool, log) -> _Run:
    """Step 1: check the folders, load the base model, add LoRA, tokenise the data, set up the schedule."""
    torch = require("torch", "fine-tuning")
    peft = require("peft", "fine-tuning")
    base = model_dir(base, "--base")
    data = Path(data).expanduser()
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file, not a folder")
    if out.resolve() == base.resolve():
        raise InputError("--out must not be the --base folder (the adapter would overwrite the model's files)")
    examples = read_examples(data)
    device = pick_device(config.device)
    dtype = pick_dtype(device, config.dtype)

    tokenizer, model = _load_base(base, device, dtype, quiet=not progress)
    model, targets = _with_lora(torch, peft, model, config, device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total_params = sum(p.numel() for p in model.parameters())

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    encoded, stats = _tokenise(tokenizer, examples, config.max_length)

    order = _Order(len(encoded["train"]), config.batch_size, config.seed)
    if config.steps is not None:
        total = config.steps
    else:
        total = max(1, math.ceil((config.epochs or 1.0) * order.batches_per_epoch / config.grad_accum))
    eval_every = config.eval_every or max(1, round(total / 10))
    warmup = math.ceil(config.warmup_ratio * total)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _lr_factor(s, warmup, total))

    fingerprint = {k: getattr(config, k) for k in TRAJECTORY_KEYS}
    fingerprint["target_modules"] = list(targets)
    fingerprint["data_sha256"] = sha256_file(data)
    fingerprint["base"] = str(base.resolve())
    return _Run(config=config, base=base, data=data, out=out, device=device, dtype=dtype, tokenizer=tokenizer,
                model=model, targets=targets, trainable=trainable, total_params=total_params, pad_id=pad_id,
                train=encoded["train"], val=encoded["validation"], stats=stats, order=order, total=total,
                eval_every=eval_every, save_every=config.save_every or eval_every, warmup=warmup, params=params,
                keep_logits=_keeps_logits(model), optimizer=optimizer, scheduler=scheduler,
                fingerprint=fingerprint, progress=progress, log=log)


def _with_lora(torch, peft, model, config: FinetuneConfig, device):
    """The model wrapped with LoRA on its target modules, initialised from the seed. Returns (model, targets)."""
    targets = (_check_targets(model, config.target_modules) if config.target_modules is not None
               else default_target_modules(model))
    torch.manual_seed(config.seed)
    if device.type == "cuda":
        torch.cuda.manual_seed_all(config.seed)
    lora = peft.LoraConfig(task_type="CAUSAL_LM", r=config.rank, lora_alpha=config.alpha,
                           lora_dropout=config.dropout, target_modules=list(targets))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            model = peft.get_peft_model(model, lora)
    except ValueError as err:
        raise InputError(f"finetune: LoRA does not fit this model ({_first_line(err)})") from None
    return model, targets


def _tokenise(tokenizer, examples: list[Example], max_length: int) -> tuple[dict[str, list[Encoded]], dict]:
    """The train and validation examples tokenised once, and what the data looks like (for the log)."""
    encoded: dict[str, list[Encoded]] = {s: [] for s in SPLITS}
    for e in examples:
        if e.split in encoded:
            encoded[e.split].append(encode_example(tokenizer, e.keywords, e.target, max_length))
    stats = {
        "examples": {s: sum(1 for e in examples if e.split == s) for s in SPLITS + OTHER_SPLITS},
        "truncated": {s: sum(1 for e in encoded[s] if e.truncated) for s in SPLITS},
        "mean_tokens": {s: (round(sum(len(e.input_ids) for e in encoded[s]) / len(encoded[s]), 1)
                            if encoded[s] else None) for s in SPLITS},
        "mean_answer_tokens": {s: (round(sum(e.n_answer for e in encoded[s]) / len(encoded[s]), 1)
                                   if encoded[s] else None) for s in SPLITS},
        "max_length": max_length,
    }
    return encoded, stats


def _resume_or_start(run: _Run, *, resume: bool) -> None:
    """Step 2: load the latest checkpoint in ``out`` (its run must be this one), or clear the folder's
    checkpoints and log."""
    run.out.mkdir(parents=True, exist_ok=True)
    checkpoints = list_checkpoints(run.out)
    if not (resume and checkpoints):
        shutil.rmtree(run.out / CHECKPOINT_DIR, ignore_errors=True)
        run.log_path.write_text("", encoding="utf-8")
        return
    _, path = checkpoints[-1]
    try:
        state = load_checkpoint(path)
    except Exception as err:  # noqa: BLE001
        raise InputError(f"finetune: checkpoint {str(path)!r} is unreadable ({_first_line(err)}); "
                         "delete it or use --no-resume") from None
    if state.get("fingerprint") != run.fingerprint:
        raise InputError(f"finetune: {str(run.out)!r} holds checkpoints of a different run "
                         f"({describe_mismatch(state.get('fingerprint') or {}, run.fingerprint)}); "
                         "use a new --out, or --no-resume to start over there")
    weights = require("safetensors.torch", "fine-tuning").load_file(str(path / "adapter_model.safetensors"),
                                                                   device=str(run.device))
    require("peft", "fine-tuning").set_peft_model_state_dict(run.model, weights)
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    set_rng_state(state["rng"], run.device)
    run.step, run.ema, run.ema_n = int(state["step"]), float(state["ema"]), int(state["ema_n"])
    run.seconds_before, run.last_val = float(state["seconds"]), state.get("val_loss")
    run.resumed_from, run.resumed_path = run.step, path
    trim_log(run.log_path, run.step)


def _announce(run: _Run) -> None:
    """The log's ``start`` (or ``resume``) line and the summary on stderr."""
    config, stats, dtype = run.config, run.stats, str(run.dtype).replace("torch.", "")
    pct = 100.0 * run.trainable / run.total_params if run.total_params else 0.0
    if run.resumed_from is None:
        run.emit({"event": "start", "trainable_params": run.trainable, "total_params": run.total_params,
                  "target_modules": list(run.targets), "total_steps": run.total, "warmup_steps": run.warmup,
                  "device": str(run.device), "dtype": dtype, "data": stats})
    else:
        run.emit({"event": "resume", "step": run.step, "total_steps": run.total})
        run.say(f"resuming from {run.resumed_path} (step {run.step} of {run.total})")
    run.say(f"LoRA r={config.rank} on {', '.join(run.targets)}: {run.trainable:,} trainable of "
            f"{run.total_params:,} parameters ({pct:.3g}%) on {run.device} {dtype}")
    run.say(f"{stats['examples']['train']} train / {stats['examples']['validation']} validation examples, "
            f"mean {stats['mean_tokens']['train']} tokens, "
            f"{stats['truncated']['train'] + stats['truncated']['validation']} "
            f"truncated to {config.max_length}; {run.total} steps")


def _train(run: _Run) -> None:
    """Step 3: optimizer steps until ``total``, evaluating every ``eval_every`` and saving a checkpoint every
    ``save_every`` steps (and at the end); an interrupt saves the last completed step."""
    tqdm = require("tqdm", "fine-tuning").tqdm
    bar = tqdm(total=run.total, initial=run.step, desc="finetune", unit="step", dynamic_ncols=True,
               disable=not (run.progress and sys.stderr.isatty()))
    run.t0 = time.perf_counter()
    saved_step = run.step if run.resumed_from is not None else -1
    rng_after_step = rng_state(run.device)
    updating = False
    run.model.train()
    try:
        while run.step < run.total:
            loss_total, n_tokens = _accumulate_gradients(run)
            updating = True
            grad_norm, lr = _update(run)
            rng_after_step = rng_state(run.device)
            loss_value = loss_total / n_tokens if n_tokens else float("nan")
            if math.isfinite(loss_value):
                run.ema, run.ema_n = LOSS_SMOOTHING * run.ema + (1 - LOSS_SMOOTHING) * loss_value, run.ema_n + 1
            updating = False
            smoothed = run.smoothed()
            run.emit({"event": "train", "step": run.step,
                      "epoch": round(run.order.epoch(run.step * run.config.grad_accum), 4),
                      "loss": loss_value, "smoothed_loss": smoothed, "lr": lr, "grad_norm": grad_norm,
                      "tokens": n_tokens, "seconds": round(run.elapsed(), 3)})
            bar.update(1)
            bar.set_postfix(loss=f"{smoothed:.4f}" if smoothed is not None else "-", lr=f"{lr:.2e}")
            if run.val and (run.step % run.eval_every == 0 or run.step == run.total):
                run.last_val = evaluate(run.model, run.val, run.config.batch_size, run.pad_id, run.device,
                                        keep_logits=run.keep_logits)
                run.emit({"event": "eval", "step": run.step, "val_loss": run.last_val,
                          "seconds": round(run.elapsed(), 3)})
            if run.step % run.save_every == 0 or run.step == run.total:
                save_checkpoint(run.out, run.step, run.model, run.state_at(run.step, rng_after_step))
                saved_step = run.step
    except KeyboardInterrupt:
        if not updating and run.step > saved_step and run.step > 0:
            save_checkpoint(run.out, run.step, run.model, run.state_at(run.step, rng_after_step))
            run.say(f"interrupted; saved a checkpoint at step {run.step} of {run.total}; "
                    "run the same command to continue")
        raise
    finally:
        bar.close()


def _accumulate_gradients(run: _Run) -> tuple[float, int]:
    """The gradients of one optimizer step: ``grad_accum`` micro-batches, the loss averaged over their answer
    tokens. Returns (the summed loss, the number of answer tokens)."""
    config = run.config
    groups = [[run.train[i] for i in run.order.batch(run.step * config.grad_accum + j)]
              for j in range(config.grad_accum)]
    n_tokens = sum(e.n_answer for g in groups for e in g)
    run.optimizer.zero_grad(set_to_none=True)
    loss_total = 0.0
    for group in groups:
        loss, _ = _loss_sum(run.model, collate(group, run.pad_id, run.device), keep_logits=run.keep_logits)
        if n_tokens:
            (loss / n_tokens).backward()
        loss_total += float(loss.detach())
    return loss_total, n_tokens


def _update(run: _Run) -> tuple[float, float]:
    """Clip the gradients, step the optimizer and the schedule. Returns (the gradient norm, the step's rate)."""
    torch = require("torch", "fine-tuning")
    grad_norm = float(torch.nn.utils.clip_grad_norm_(run.params, MAX_GRAD_NORM))
    lr = run.optimizer.param_groups[0]["lr"]
    run.optimizer.step()
    run.scheduler.step()
    run.step += 1
    return grad_norm, lr


def _save(run: _Run, *, started: float, started_at: str) -> FinetuneResult:
    """Step 5: the final adapter and tokenizer in ``out``, the log's ``end`` line and ``finetune.json``."""
    config, out, smoothed = run.config, run.out, run.smoothed()
    run.model.save_pretrained(str(out))
    run.tokenizer.save_pretrained(str(out))
    seconds = time.perf_counter() - started
    result = FinetuneResult(adapter_dir=out, steps_done=run.step, train_loss=smoothed, val_loss=run.last_val,
                            log_path=run.log_path, seconds=seconds, trainable_params=run.trainable,
                            total_params=run.total_params, resumed_from=run.resumed_from)
    run.emit({"event": "end", "step": run.step, "train_loss": smoothed, "val_loss": run.last_val,
              "seconds": round(run.elapsed(), 3)})
    write_json(out / SUMMARY_NAME, {
        "base": str(run.base.resolve()),
        "data": str(run.data.resolve()),
        "data_sha256": run.fingerprint["data_sha256"],
        "config": config.to_dict(),
        "resolved": {"target_modules": list(run.targets), "total_steps": run.total, "warmup_steps": run.warmup,
                     "eval_every": run.eval_every, "save_every": run.save_every, "device": str(run.device),
                     "dtype": str(run.dtype).replace("torch.", ""), "prompt_format": "chat" if getattr(
                         run.tokenizer, "chat_template", None) else "plain"},
        "data_stats": run.stats,
        "result": result.to_dict(),
        "training_seconds": round(run.elapsed(), 3),
        "started": started_at,
        "finished": now(),
        "versions": versions(),
    })
    run.say(f"done: {run.step} steps, train loss {_fmt(smoothed)}, validation loss {_fmt(run.last_val)}; "
            f"adapter in {out}")
    return result


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
