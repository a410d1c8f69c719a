"""``cinealert motion``: real videos as motion (``extract`` one clip's field, ``train`` the image-to-flow
network on a folder of clips)."""
from __future__ import annotations

import argparse

from cinealert.cli.options import Parser, add_device, add_quiet
from cinealert.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("motion", help="motion from real videos: extract a field, train the image-to-flow network",
                       description="Real videos as motion: `motion extract` averages a clip's optical flow into "
                                   "one Eulerian field (camera shake removed); `motion train` trains the "
                                   "image-to-flow network on a folder of clips (VIDEOS/<class>/*.mp4).",
                       epilog="examples:\n  cinealert motion extract river.mp4 -o river.npz\n"
                              "  cinealert animate photo.jpg --disaster flood --motion-from river.mp4 -o out/photo\n"
                              "  cinealert motion train clips/ -o models/motion --steps 500\n"
                              "  cinealert make flood --motion-model models/motion -o out/learned",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    msub = p.add_subparsers(dest="motion_command", metavar="ACTION", parser_class=Parser)
    m = msub.add_parser("extract", help="a video's motion as one Eulerian field (FLOW.npz)")
    m.add_argument("video", metavar="VIDEO")
    m.add_argument("-o", "--out", required=True, metavar="FLOW.npz", help="output file (.npz: flow, confidence, mask)")
    m.add_argument("--max-side", type=int, default=512, help="reduce frames to this many pixels on the longer side")
    m.add_argument("--max-frames", type=int, default=240, help="use at most this many frames (default 240)")
    m.add_argument("--no-stabilise", action="store_true", help="keep the camera's own motion in the field")
    m.add_argument("--preview", metavar="PNG", help="also write a colour picture of the field")
    add_quiet(m)
    m = msub.add_parser("train", help="train the image-to-flow network on a folder of videos")
    m.add_argument("videos", metavar="VIDEOS", help="VIDEOS/<motion class>/*.mp4 (water, fire, smoke, ...)")
    m.add_argument("-o", "--out", required=True, metavar="DIR", help="model folder (resumes from its checkpoints)")
    m.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    m.add_argument("--batch-size", type=int, default=8, help="crops per step (default 8)")
    m.add_argument("--lr", type=float, default=2e-3, help="learning rate (default 2e-3)")
    m.add_argument("--size", type=int, default=128, help="working size, longer side (default 128)")
    m.add_argument("--crop", type=int, default=64, help="training crop side, a multiple of 8 (default 64)")
    m.add_argument("--val", type=float, default=0.25, help="share of videos held out (default 0.25)")
    m.add_argument("--eval-every", type=int, default=None, help="validation every N steps")
    m.add_argument("--save-every", type=int, default=None, help="checkpoint every N steps")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--no-resume", action="store_true", help="start over even if OUT holds checkpoints")
    add_device(m)
    add_quiet(m)


def run(args: argparse.Namespace) -> None:
    if args.motion_command == "extract":
        _extract(args)
    elif args.motion_command == "train":
        _train(args)
    else:
        raise InputError("cinealert motion needs an action: extract or train (see cinealert motion --help)")


def _extract(args: argparse.Namespace) -> None:
    from cinealert.motion.extract import extract_file
    if not str(args.out).endswith(".npz"):
        raise InputError(f"{args.out}: the motion file must end in .npz")
    m = extract_file(args.video, max_side=args.max_side, max_frames=args.max_frames,
                     stabilise=not args.no_stabilise, progress=not args.quiet)
    path = m.save(args.out)
    print(f"motion written to {path}: {m.flow.shape[1]}x{m.flow.shape[0]}, {m.info['pairs']} frame pairs at "
          f"{m.fps:g} fps; moving {100 * m.info['moving_share']:.1f} % of the frame at a median "
          f"{m.info['median_speed_px_per_frame']:.2f} px/frame (camera motion removed: "
          f"{m.info['mean_camera_motion_px']:.2f} px/frame)")
    if args.preview:
        import cv2
        import numpy as np
        mag, ang = cv2.cartToPolar(m.flow[..., 0], m.flow[..., 1])
        hsv = np.zeros(m.flow.shape[:2] + (3,), np.uint8)
        hsv[..., 0] = (ang * 90 / np.pi).astype(np.uint8)
        hsv[..., 1] = 255
        hsv[..., 2] = np.clip(mag / max(float(mag.max()), 1e-6) * 255, 0, 255).astype(np.uint8)
        cv2.imwrite(str(args.preview), cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR))
        print(f"  preview {args.preview}")


def _train(args: argparse.Namespace) -> None:
    from cinealert.motion.train import train
    r = train(args.videos, args.out, steps=args.steps, batch=args.batch_size, lr=args.lr, size=args.size,
              crop=args.crop, val=args.val, seed=args.seed, eval_every=args.eval_every,
              save_every=args.save_every, resume=not args.no_resume, device=args.device,
              progress=not args.quiet)
    print(f"motion model written to {args.out} ({r['parameters']} parameters, {r['train_videos']} training / "
          f"{r['val_videos']} validation videos)")
    print(f"  loss {r['first_loss']} → {r['last_loss']:.4f}; validation end-point error "
          f"{r['val_epe_first_px']} → {r['val_epe_px']} px/frame ({r['val_epe_hinted_px']} with 3 direction "
          f"hints); {r['seconds_per_epoch']:.2f} s per epoch")
    print(f"  use it  cinealert make flood --motion-model {args.out}")
