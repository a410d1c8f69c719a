"""LoRA fine-tuning of the metadata LLM on the tiny random Llama: masking, logging, checkpoints, resume."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from cinealert.alerts.keyword import KeywordParser
from cinealert.errors import InputError
from cinealert.prompting import TemplateGenerator
from cinealert.prompting.llm_format import alert_keywords, build_plain, target_text
from cinealert.prompting.llm_format import prompt_token_ids as prompt_ids
from cinealert.training.finetune import (
    IGNORE_INDEX,
    FinetuneConfig,
    answer_ids,
    collate,
    default_target_modules,
    encode_example,
    finetune,
    fit_lengths,
    read_examples,
)

DISASTERS = ("flood", "wildfire", "heavy_snow", "typhoon")
# Short sequences keep the runs fast (the tiny byte-level tokenizer makes ~300-token prompts); the CPU keeps
# them deterministic on a machine with a GPU too.
FAST = {"max_length": 160, "batch_size": 2, "device": "cpu"}


def records(n_train: int = 12, n_val: int = 4, disasters=DISASTERS) -> list[dict]:
    gen, parser = TemplateGenerator(), KeywordParser()
    rows = []
    for i in range(n_train + n_val):
        alert = parser.parse(disasters[i % len(disasters)])
        meta = gen.generate(alert, seed=i)
        rows.append({"id": f"ex{i}", "disaster": alert.disaster, "keywords": alert_keywords(alert, meta),
                     "target": target_text(meta), "split": "train" if i < n_train else "validation"})
    return rows


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("ftdata") / "data.jsonl", records())


@pytest.fixture(scope="module")
def tokenizer(tiny_llama):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(tiny_llama, local_files_only=True)


@pytest.fixture(scope="module")
def trained(tiny_llama, data_file, tmp_path_factory):
    """One short run: (result, out folder, log lines handed to the callback)."""
    out = tmp_path_factory.mktemp("ft") / "adapter"
    lines: list[dict] = []
    result = finetune(tiny_llama, data_file, out, FinetuneConfig(steps=4, **FAST), progress=False,
                      log=lines.append)
    return result, out, lines


def adapter_tensors(folder: Path) -> dict:
    from safetensors.torch import load_file
    return load_file(str(folder / "adapter_model.safetensors"))


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


# ------------------------------------------------------------------------------------------ encoding

def test_fit_lengths_keeps_the_answer_start():
    assert fit_lengths(10, 5, 20) == (0, 10, 5)                  # fits
    assert fit_lengths(10, 30, 20) == (0, 10, 10)                # answer tail cut
    drop, keep_p, keep_a = fit_lengths(50, 30, 20)               # prompt too long: its head goes too
    assert keep_p + keep_a == 20 and keep_a == 10 and drop == 40
    assert fit_lengths(50, 4, 20) == (34, 16, 4)                 # short answer kept whole


def test_labels_mask_the_prompt(tokenizer):
    rec = records(1, 0)[0]
    prompt = prompt_ids(tokenizer, rec["keywords"])
    answer = answer_ids(tokenizer, rec["target"])
    enc = encode_example(tokenizer, rec["keywords"], rec["target"], max_length=4096)
    assert not enc.truncated
    assert list(enc.input_ids) == prompt + answer
    assert list(enc.labels[:len(prompt)]) == [IGNORE_INDEX] * len(prompt)
    assert list(enc.labels[len(prompt):]) == answer
    assert enc.labels[-1] == tokenizer.eos_token_id
    assert enc.n_answer == len(answer)
    # The prompt is what generation uses: the chat template with the generation prompt.
    text = tokenizer.decode(prompt)
    assert text.endswith("<|assistant|>\n") and rec["keywords"] in text
    assert tokenizer.decode(answer, skip_special_tokens=True) == rec["target"]


def test_truncation_keeps_prompt_end_and_answer_start(tokenizer):
    rec = records(1, 0)[0]
    prompt = prompt_ids(tokenizer, rec["keywords"])
    answer = answer_ids(tokenizer, rec["target"])
    enc = encode_example(tokenizer, rec["keywords"], rec["target"], max_length=64)
    assert enc.truncated and len(enc.input_ids) == 64
    n_prompt = sum(1 for x in enc.labels if x == IGNORE_INDEX)
    assert list(enc.input_ids[:n_prompt]) == prompt[-n_prompt:]
    assert list(enc.input_ids[n_prompt:]) == answer[:64 - n_prompt]


def test_plain_prompt_without_chat_template(tiny_llama):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tiny_llama, local_files_only=True)
    tok.chat_template = None
    rec = records(1, 0)[0]
    enc = encode_example(tok, rec["keywords"], rec["target"], max_length=4096)
    n_prompt = sum(1 for x in enc.labels if x == IGNORE_INDEX)
    assert tok.decode(enc.input_ids[:n_prompt]) == build_plain(rec["keywords"])


def test_chat_template_without_system_role(tiny_llama):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tiny_llama, local_files_only=True)
    tok.chat_template = ("{% for m in messages %}{% if m['role'] == 'system' %}"
                         "{{ raise_exception('System role not supported') }}{% endif %}"
                         "<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    text = tok.decode(prompt_ids(tok, "disaster: flood"))
    assert text.startswith("<|user|>\nYou describe one photograph")
    assert text.endswith("Alert keywords: disaster: flood</s>\n<|assistant|>\n")


def test_collate_pads_and_masks(tokenizer):
    rows = records(2, 0)
    encs = [encode_example(tokenizer, r["keywords"], r["target"], max_length=m) for r, m in zip(rows, (40, 60))]
    batch = collate(encs, pad_id=tokenizer.pad_token_id)
    assert batch["input_ids"].shape == (2, 60)
    assert batch["attention_mask"][0].tolist() == [1] * 40 + [0] * 20
    assert batch["labels"][0, 40:].tolist() == [IGNORE_INDEX] * 20
    assert batch["input_ids"][0, 40:].tolist() == [tokenizer.pad_token_id] * 20


def test_loss_on_answer_positions_only_matches_full_logits(tiny_llama, tokenizer):
    from transformers import AutoModelForCausalLM

    from cinealert.training.finetune import _keeps_logits, _loss_sum
    model = AutoModelForCausalLM.from_pretrained(tiny_llama, local_files_only=True).eval()
    assert _keeps_logits(model)
    encs = [encode_example(tokenizer, r["keywords"], r["target"], max_length=m)
            for r, m in zip(records(3, 0), (90, 120, 70))]
    batch = collate(encs, pad_id=tokenizer.pad_token_id)
    with torch.no_grad():
        full, n_full = _loss_sum(model, batch)
        kept, n_kept = _loss_sum(model, batch, keep_logits=True)
    assert n_full == n_kept == sum(e.n_answer for e in encs)
    assert float(kept) == pytest.approx(float(full), rel=1e-5)


def test_default_target_modules():
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, names):
            super().__init__()
            for n in names:
                setattr(self, n, nn.Linear(4, 4))

    class Toy(nn.Module):
        def __init__(self, names):
            super().__init__()
            self.layers = nn.ModuleList([Block(names), Block(names)])
            self.lm_head = nn.Linear(4, 10)

    assert default_target_modules(Toy(["q_proj", "k_proj", "v_proj", "o_proj", "up_proj"])) == \
        ("q_proj", "k_proj", "v_proj", "o_proj")
    assert default_target_modules(Toy(["query_key_value", "dense", "dense_h_to_4h"])) == ("query_key_value", "dense")
    assert default_target_modules(Toy(["fc_in", "fc_out"])) == ("fc_in", "fc_out")     # all linear but the head


# -------------------------------------------------------------------------------------------- errors

def test_data_errors_are_one_line(tmp_path):
    with pytest.raises(InputError) as err:
        read_examples(tmp_path / "none.jsonl")
    assert "no such file" in one_line(err)
    good = records(2, 1)
    bad = write_jsonl(tmp_path / "bad.jsonl", [good[0], "{not json", good[1], {"keywords": "x", "split": "train"},
                                               {**good[2], "split": "dev"}, "[1, 2]"])
    with pytest.raises(InputError) as err:
        read_examples(bad)
    msg = one_line(err)
    assert "4 malformed lines" in msg and "line 2" in msg and "line 4" in msg and "'target'" in msg
    assert "line 5" in msg and "and 1 more" in msg
    only_val = write_jsonl(tmp_path / "val.jsonl", [{**r, "split": "validation"} for r in good])
    with pytest.raises(InputError) as err:
        read_examples(only_val)
    assert "no training examples" in one_line(err)
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(InputError):
        read_examples(empty)


@pytest.mark.parametrize("change, words", [
    ({"steps": 0}, "steps"), ({"rank": -1}, "rank"), ({"rank": 2.5}, "rank"),
    ({"steps": 3, "epochs": 1.0}, "not both"), ({"epochs": 0}, "epochs"), ({"dropout": 1.0}, "dropout"),
    ({"learning_rate": float("nan")}, "learning_rate"), ({"batch_size": 0}, "batch_size"),
    ({"max_length": 2}, "max_length"), ({"warmup_ratio": 1.5}, "warmup_ratio"),
    ({"target_modules": ()}, "target_modules"), ({"target_modules": "q_proj"}, "target_modules"),
])
def test_bad_settings(change, words, tiny_llama, data_file, tmp_path):
    with pytest.raises(InputError) as err:
        finetune(tiny_llama, data_file, tmp_path / "out", FinetuneConfig(**change), progress=False)
    assert words in one_line(err)
    assert not (tmp_path / "out").exists()


def test_missing_or_bad_base(tiny_llama, data_file, tmp_path):
    with pytest.raises(InputError) as err:                  # BackendUnavailable is an InputError
        finetune(tmp_path / "nowhere", data_file, tmp_path / "out", progress=False)
    assert "--base" in one_line(err) and "no such folder" in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as err:
        finetune(tmp_path / "empty", data_file, tmp_path / "out", progress=False)
    assert "not a model folder" in one_line(err)
    with pytest.raises(InputError) as err:
        finetune(tiny_llama, data_file, tiny_llama, progress=False)
    assert "--out" in one_line(err)
    with pytest.raises(InputError) as err:
        finetune(tiny_llama, tmp_path / "none.jsonl", tmp_path / "out", progress=False)
    assert "--data" in one_line(err)
    with pytest.raises(InputError) as err:
        finetune(tiny_llama, data_file, tmp_path / "out", FinetuneConfig(steps=1, target_modules=("nope",), **FAST),
                 progress=False)
    assert "nope" in one_line(err) and "q_proj" in str(err.value)


# ----------------------------------------------------------------------------------------- training

def test_run_logs_and_saves(trained, tiny_llama):
    result, out, lines = trained
    assert result.steps_done == 4 and result.adapter_dir == out
    assert 0 < result.trainable_params < result.total_params
    assert math.isfinite(result.train_loss) and result.val_loss is not None and math.isfinite(result.val_loss)
    logged = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert logged == lines
    assert logged[0]["event"] == "start" and logged[0]["trainable_params"] == result.trainable_params
    assert logged[0]["target_modules"] == ["q_proj", "k_proj", "v_proj", "o_proj"]
    steps = [x for x in logged if x["event"] == "train"]
    assert [x["step"] for x in steps] == [1, 2, 3, 4]
    for x in steps:
        assert math.isfinite(x["loss"]) and x["lr"] > 0 and x["seconds"] >= 0 and x["epoch"] > 0
    evals = [x for x in logged if x["event"] == "eval"]
    assert evals and evals[-1]["step"] == 4 and evals[-1]["val_loss"] == pytest.approx(result.val_loss)
    assert logged[-1]["event"] == "end"

    summary = json.loads((out / "finetune.json").read_text())
    assert summary["base"] == str(Path(tiny_llama).resolve())
    assert summary["data_stats"]["examples"] == {"train": 12, "validation": 4, "test": 0}
    assert summary["data_stats"]["truncated"]["train"] == 12           # max_length 160 cuts every example
    assert summary["result"]["steps_done"] == 4 and summary["config"]["steps"] == 4
    assert summary["resolved"]["prompt_format"] == "chat"
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer_config.json"):
        assert (out / name).is_file()
    assert len(list((out / "checkpoints").iterdir())) <= 2


@pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing:FutureWarning")
def test_adapter_loads_and_changes_logits(trained, tiny_llama, tokenizer):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    _, out, _ = trained
    ids = torch.tensor([prompt_ids(tokenizer, records(1, 0)[0]["keywords"])])
    base = AutoModelForCausalLM.from_pretrained(tiny_llama, local_files_only=True)
    with torch.no_grad():
        before = base(input_ids=ids).logits
    tuned = PeftModel.from_pretrained(base, str(out))
    tuned.eval()
    with torch.no_grad():
        after = tuned(input_ids=ids).logits
    assert after.shape == before.shape
    assert not torch.allclose(before, after, atol=1e-6)


def test_epochs_and_accumulation_set_the_step_count(tiny_llama, data_file, tmp_path):
    lines: list[dict] = []
    result = finetune(tiny_llama, data_file, tmp_path / "out",
                      FinetuneConfig(epochs=1.0, grad_accum=2, eval_every=100, **FAST), progress=False,
                      log=lines.append)
    assert lines[0]["total_steps"] == 3 == result.steps_done          # ceil(6 batches / 2)
    steps = [x for x in lines if x["event"] == "train"]
    assert steps[-1]["epoch"] == 1.0
    assert [x["step"] for x in lines if x["event"] == "eval"] == [3]   # the end is always evaluated


def test_resume_gives_the_same_weights(tiny_llama, data_file, tmp_path):
    config = FinetuneConfig(steps=6, dropout=0.2, learning_rate=1e-3, save_every=2, **FAST)
    straight = finetune(tiny_llama, data_file, tmp_path / "a", config, progress=False)

    def stop_after_3(line):
        if line.get("event") == "train" and line["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(tiny_llama, data_file, tmp_path / "b", config, progress=False, log=stop_after_3)
    assert (tmp_path / "b/checkpoints/step-3").is_dir()              # saved on the interrupt
    resumed = finetune(tiny_llama, data_file, tmp_path / "b", config, progress=False)
    assert resumed.resumed_from == 3 and resumed.steps_done == 6

    a, b = adapter_tensors(tmp_path / "a"), adapter_tensors(tmp_path / "b")
    assert a.keys() == b.keys() and a
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key
    assert resumed.train_loss == pytest.approx(straight.train_loss, rel=1e-5)
    assert resumed.val_loss == pytest.approx(straight.val_loss, rel=1e-5)
    logged = [json.loads(x) for x in (tmp_path / "b/train_log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in logged if x["event"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [x["event"] for x in logged].count("resume") == 1
    assert sorted(p.name for p in (tmp_path / "b/checkpoints").iterdir()) == ["step-4", "step-6"]

    # A finished run started again does nothing more.
    again = finetune(tiny_llama, data_file, tmp_path / "b", config, progress=False)
    assert again.steps_done == 6 and again.resumed_from == 6

    # Other settings over the same checkpoints: refused, unless told not to resume.
    other = FinetuneConfig(steps=6, dropout=0.2, learning_rate=1e-3, save_every=2, rank=4, **FAST)
    with pytest.raises(InputError) as err:
        finetune(tiny_llama, data_file, tmp_path / "b", other, progress=False)
    assert "--no-resume" in one_line(err) and "rank 16 -> 4" in str(err.value)
    fresh = finetune(tiny_llama, data_file, tmp_path / "b", FinetuneConfig(steps=1, rank=4, **FAST),
                     resume=False, progress=False)
    assert fresh.resumed_from is None and fresh.steps_done == 1
    assert sorted(p.name for p in (tmp_path / "b/checkpoints").iterdir()) == ["step-1"]


def test_loss_goes_down(tiny_llama, tmp_path):
    # The tiny model's output head is random and small (logits near zero, loss near ln(vocab) = 6), so
    # even a perfect fit moves the loss by well under 1: expect a clear, steady decrease, not a low loss.
    rows = records(2, 0, disasters=("flood", "wildfire")) * 4
    data = write_jsonl(tmp_path / "repeat.jsonl", rows)
    t0 = time.perf_counter()
    lines: list[dict] = []
    every_linear = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    result = finetune(tiny_llama, data, tmp_path / "out",
                      FinetuneConfig(steps=30, learning_rate=1e-2, rank=16, target_modules=every_linear,
                                     dropout=0.0, warmup_ratio=0.0, max_length=96, batch_size=4, save_every=100,
                                     device="cpu"),
                      progress=False, log=lines.append)
    losses = [x["loss"] for x in lines if x["event"] == "train"]
    assert len(losses) == 30 and result.val_loss is None
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 0.2, (first, last)
    assert result.train_loss < losses[0]
    assert time.perf_counter() - t0 < 30
