"""``cinealert finetune``: LoRA fine-tuning of a local causal LM on the pairs of `cinealert dataset build`."""
from __future__ import annotations

import argparse

from cinealert.cli.options import add_device, add_quiet, add_seed

EPILOG = """\
examples:
  cinealert finetune --base models/llama-2-7b-chat --data data/meta.jsonl --out out/lora --epochs 3
  cinealert finetune --base models/tiny --data data/meta.jsonl --out out/lora --steps 200 --rank 8
  cinealert prompt flood --llm models/llama-2-7b-chat --adapter out/lora

Progress and losses go to OUT/train_log.jsonl; checkpoints to OUT/checkpoints/ (a stopped run continues
from the latest one when started again with the same settings); the adapter is saved in OUT itself.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("finetune", help="LoRA fine-tune a local causal LM on keywords → metadata pairs",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="LoRA (peft) supervised fine-tuning of a local causal LM on the JSONL "
                                   "of `cinealert dataset build`; the adapter loads with --adapter.")
    p.add_argument("--base", required=True, metavar="DIR", help="the base model folder (Hugging Face)")
    p.add_argument("--data", required=True, metavar="DATA.jsonl", help="training pairs")
    p.add_argument("--out", required=True, metavar="DIR", help="adapter, checkpoints and logs go here")
    g = p.add_argument_group("schedule")
    g.add_argument("--steps", type=int, default=None, help="optimizer steps (default: one epoch)")
    g.add_argument("--epochs", type=float, default=None, help="epochs instead of --steps")
    g.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    g.add_argument("--batch-size", type=int, default=4, help="examples per micro-batch (default 4)")
    g.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step (default 1)")
    g.add_argument("--max-length", type=int, default=512, help="tokens per example (default 512)")
    g.add_argument("--warmup", type=float, default=0.03, help="warm-up share of the steps (default 0.03)")
    g.add_argument("--eval-every", type=int, default=None, help="validation every N steps "
                                                                "(default: about 10 times per run)")
    g.add_argument("--save-every", type=int, default=None, help="checkpoint every N steps")
    add_seed(g)
    g.add_argument("--no-resume", action="store_true", help="start over even if --out holds checkpoints")
    g = p.add_argument_group("LoRA")
    g.add_argument("--rank", type=int, default=16, help="LoRA rank r (default 16)")
    g.add_argument("--alpha", type=float, default=32, help="LoRA alpha (default 32)")
    g.add_argument("--dropout", type=float, default=0.05, help="LoRA dropout (default 0.05)")
    g.add_argument("--target-modules", default=None, metavar="NAMES",
                   help="comma-separated module names (default: the attention projections)")
    add_device(p)
    p.add_argument("--dtype", default=None, help="float32, bfloat16 or float16 (default: float32 on "
                                                 "CPU, bf16 on CUDA)")
    add_quiet(p, "no progress output")


def run(args: argparse.Namespace) -> None:
    from cinealert.training.finetune import FinetuneConfig, finetune
    targets = tuple(t.strip() for t in args.target_modules.split(",") if t.strip()) \
        if args.target_modules else None
    config = FinetuneConfig(rank=args.rank, alpha=args.alpha, dropout=args.dropout,
                            target_modules=targets, learning_rate=args.lr, epochs=args.epochs,
                            steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
                            max_length=args.max_length, warmup_ratio=args.warmup, seed=args.seed,
                            eval_every=args.eval_every, save_every=args.save_every, device=args.device,
                            dtype=args.dtype)
    result = finetune(args.base, args.data, args.out, config, resume=not args.no_resume,
                      progress=not args.quiet)
    val = "n/a" if result.val_loss is None else f"{result.val_loss:.4f}"
    train = "n/a" if result.train_loss is None else f"{result.train_loss:.4f}"
    print(f"adapter written to {result.adapter_dir}/ after {result.steps_done} steps "
          f"({result.seconds:.1f} s): train loss {train}, validation loss {val}")
    print(f"  log     {result.log_path}")
    print(f"  use it  cinealert prompt flood --llm {args.base} --adapter {result.adapter_dir}")
