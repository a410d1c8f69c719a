"""Benchmark: seconds per optimizer step and peak memory of `cinealert finetune` (LoRA on q/k/v/o).

Two random Llamas built from configs (nothing is downloaded): the 2-layer test model (hidden 32) and a
mid-size one (hidden 512, 8 layers, vocabulary 32000, about 58M parameters). Every example fills
--max-length tokens (the byte-level test tokenizer makes long sequences), so a step is batch x max-length
tokens. Each case runs in a fresh process, so its peak memory (RSS on CPU, allocated on CUDA) is its own;
the first step (warm-up) is left out of the timing. On a shared machine the median can swing with other
load: the best step is shown too, and the load average before the run. Prints a Markdown table; --json writes the numbers.

    python bench/bench_finetune.py                          # CPU (and CUDA when available), batch 1 and 4
    python bench/bench_finetune.py --steps 8 --batches 1,4,8 --devices cuda
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))          # fixtures.tiny_models: the tokenizer and the tiny model

MODELS = {
    "tiny": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=None),
    "mid": dict(hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8,
                num_key_value_heads=8, vocab_size=32000),
}


def build_model(name: str, folder: Path) -> Path:
    """A random Llama ``name`` with the test tokenizer, saved in ``folder``."""
    import torch
    from fixtures.tiny_models import build_tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(folder)
    spec = dict(MODELS[name])
    spec["vocab_size"] = spec["vocab_size"] or len(tok)
    config = LlamaConfig(**spec, max_position_embeddings=2048, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def build_data(path: Path, n: int = 32) -> Path:
    from cinealert.alerts.keyword import KeywordParser
    from cinealert.prompting import TemplateGenerator
    from cinealert.prompting.llm_format import alert_keywords, target_text

    gen, parser = TemplateGenerator(), KeywordParser()
    kinds = ("flood", "wildfire", "heavy_snow", "typhoon", "earthquake", "heavy_rain")
    lines = []
    for i in range(n):
        alert = parser.parse(kinds[i % len(kinds)])
        meta = gen.generate(alert, seed=i)
        lines.append(json.dumps({"keywords": alert_keywords(alert, meta), "target": target_text(meta),
                                 "split": "train"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_one(base: str, data: str, device: str, batch: int, max_length: int, steps: int) -> dict:
    """One case in this process: the finetune call's step times and this process's peak memory."""
    import torch

    from cinealert.training.finetune import FinetuneConfig, finetune

    lines: list[dict] = []
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as out:
        result = finetune(base, data, out, FinetuneConfig(steps=steps, batch_size=batch, max_length=max_length,
                                                          save_every=10_000, device=device),
                          progress=False, log=lines.append)
    seconds = [x["seconds"] for x in lines if x["event"] == "train"]
    deltas = [b - a for a, b in itertools.pairwise(seconds)] or seconds
    tokens = [x["tokens"] for x in lines if x["event"] == "train"]
    start = lines[0]
    return {"device": device, "dtype": start["dtype"], "batch": batch, "max_length": max_length, "steps": steps,
            "s_per_step": statistics.median(deltas), "best_s_per_step": min(deltas), "first_step_s": seconds[0],
            "input_tokens_per_step": batch * max_length, "answer_tokens_per_step": statistics.mean(tokens),
            "total_params": result.total_params, "trainable_params": result.trainable_params,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_cuda_mb": torch.cuda.max_memory_allocated() / 2 ** 20 if device == "cuda" else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tiny,mid", help=f"comma-separated, from {', '.join(MODELS)}")
    ap.add_argument("--batches", default="1,4", help="batch sizes (default 1,4)")
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps per case (the first is not timed)")
    ap.add_argument("--devices", default=None, help="cpu,cuda (default: cpu, and cuda when available)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    ap.add_argument("--one", nargs=4, metavar=("BASE", "DATA", "DEVICE", "BATCH"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:
        base, data, device, batch = args.one
        print(json.dumps(run_one(base, data, device, int(batch), args.max_length, args.steps)))
        return 0

    import torch
    devices = ([d.strip() for d in args.devices.split(",")] if args.devices
               else ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    batches = [int(b) for b in args.batches.split(",")]
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = build_data(Path(tmp) / "data.jsonl")
        for name in [m.strip() for m in args.models.split(",")]:
            base = build_model(name, Path(tmp) / name)
            for device in devices:
                for batch in batches:
                    cmd = [sys.executable, __file__, "--one", str(base), str(data), device, str(batch),
                           "--max-length", str(args.max_length), "--steps", str(args.steps)]
                    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env={**_env(), "HF_HUB_OFFLINE": "1"})
                    if done.returncode != 0:
                        print(f"{name} {device} batch {batch}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                        continue
                    row = {"model": name, **json.loads(done.stdout.strip().splitlines()[-1])}
                    rows.append(row)
                    print(f"  {name:5s} {device:4s} batch {batch}: {row['s_per_step']:.3f} s/step", file=sys.stderr)

    print(f"\nLoRA r=16 on q/k/v/o, AdamW, {args.steps} steps per case (first untimed), "
          f"max_length {args.max_length}, torch threads {torch.get_num_threads()}, "
          f"load average {load[0]:.2f} before\n")
    print("| model | params | trainable | device | dtype | batch | s/step (median) | best | tokens/s | first step s "
          "| peak MB |")
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peak = r["peak_cuda_mb"] if r["device"] == "cuda" else r["peak_rss_mb"]
        kind = "CUDA alloc" if r["device"] == "cuda" else "RSS"
        print(f"| {r['model']} | {r['total_params'] / 1e6:.2f}M | {r['trainable_params'] / 1e3:.1f}k | {r['device']} "
              f"| {r['dtype']} | {r['batch']} | {r['s_per_step']:.3f} | {r['best_s_per_step']:.3f} | "
              f"{r['input_tokens_per_step'] / r['s_per_step']:,.0f} | {r['first_step_s']:.2f} | "
              f"{peak:,.0f} ({kind}) |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


def _env() -> dict:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


if __name__ == "__main__":
    raise SystemExit(main())
