#!/usr/bin/env python3
"""Top-1 accuracy of the built-in digits classifier (models/digits) per build precision.

Each row builds models/digits/digits_cnn.onnx with `kiln build` and its precision's flags, runs
the plan on the 1000 held-out digits with `kiln run`, and scores the logits. INT8 and FP8 rows
calibrate on models/digits/calibration_images.npy (500 TRAINING digits, written as PNGs so the
image path is exercised; never the held-out set).

  /usr/bin/python3 bench/accuracy.py --kiln build/tools/kiln/kiln                   # CPU: fp32, int8, fp8
  /usr/bin/python3 bench/accuracy.py --device cuda --precisions fp32,fp16,bf16,int8,fp8 --json

With --accuracy-budget B the INT8 and FP8 rows keep their most sensitive layers float until the
top-1 disagreement with FP32 on the calibration digits (--eval on the same folder) is within B.

Precisions whose flags the kiln binary does not take report the build error in their row instead
of stopping the run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "models", "digits")

# Build flags per precision. INT8's and FP8's calibration flags are added by calibration_flags().
PRECISION_FLAGS = {
    "fp32": [],
    "fp16": ["--fp16"],
    "bf16": ["--bf16"],
    "int8": ["--int8"],
    "fp8": ["--fp8"],
}


def calibration_flags(work, method):
    """Calibration on the training digits, as PNGs in a folder (pixel / 255 is the default)."""
    folder = os.path.join(work, "calibration")
    if not os.path.isdir(folder):
        os.makedirs(folder)
        for i, img in enumerate(np.load(os.path.join(DIGITS, "calibration_images.npy"))):
            Image.fromarray(img, mode="L").save(os.path.join(folder, f"digit{i:04d}.png"))
    return ["--calib", folder, "--calib-method", method]


def top1(kiln, work, device, precision, method, budget, images):
    """Builds, runs and scores one row; returns (accuracy in percent or None, error text)."""
    flags = list(PRECISION_FLAGS[precision])
    if precision in ("int8", "fp8"):
        flags += calibration_flags(work, method)
        if budget:
            flags += ["--accuracy-budget", budget, "--eval", flags[flags.index("--calib") + 1]]
    if device == "cuda":  # CUDA engines are tuned for known shapes: the held-out set is one batch
        n = len(np.load(images))
        flags += ["--min-shapes", "image=1x1x20x20", "--opt-shapes", f"image={n}x1x20x20",
                  "--max-shapes", f"image={n}x1x20x20"]
    plan = os.path.join(work, f"{device}_{precision}.plan")
    out_dir = os.path.join(work, f"{device}_{precision}_out")
    steps = [
        [kiln, "build", os.path.join(DIGITS, "digits_cnn.onnx"), "-o", plan, "--device", device] + flags,
        [kiln, "run", plan, "--input", f"image={images}", "--output-dir", out_dir],
    ]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return None, (r.stderr or r.stdout).strip().splitlines()[0]
    logits = np.load(os.path.join(out_dir, "logits.npy"))
    labels = np.load(os.path.join(DIGITS, "heldout_labels.npy"))
    return 100.0 * float((logits.argmax(1) == labels).mean()), ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "tools", "kiln", "kiln"))
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--precisions", default="fp32,int8,fp8",
                    help="comma-separated: " + ", ".join(PRECISION_FLAGS))
    ap.add_argument("--calib-method", default="mse", choices=["entropy", "minmax", "percentile", "mse"])
    ap.add_argument("--accuracy-budget", help="INT8: accuracy budget (e.g. 0.5%%), top-1 on the calibration digits")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    precisions = args.precisions.split(",")
    for p in precisions:
        if p not in PRECISION_FLAGS:
            ap.error(f"unknown precision '{p}'")

    rows = []
    with tempfile.TemporaryDirectory(prefix="kiln_accuracy_") as work:
        images = os.path.join(work, "heldout.npy")
        pixels = np.load(os.path.join(DIGITS, "heldout_images.npy"))
        np.save(images, (pixels.astype(np.float32) / 255.0)[:, None, :, :])
        for p in precisions:
            acc, error = top1(args.kiln, work, args.device, p, args.calib_method, args.accuracy_budget, images)
            rows.append({"model": "digits_cnn", "device": args.device, "precision": p,
                         "calibration": args.calib_method if p in ("int8", "fp8") else None,
                         "accuracy_budget": args.accuracy_budget if p in ("int8", "fp8") else None,
                         "top1": acc, "images": int(len(pixels)), "error": error or None})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'device':<7}{'precision':<30}{'top-1':>8}")
        for r in rows:
            label = r["precision"] + (f" ({r['calibration']})" if r["calibration"] else "")
            label += f" budget {r['accuracy_budget']}" if r["accuracy_budget"] else ""
            value = f"{r['top1']:.2f}%" if r["top1"] is not None else "error: " + r["error"]
            print(f"{r['device']:<7}{label:<30}{value:>8}")
    return 0 if all(r["top1"] is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
