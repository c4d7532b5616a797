#!/usr/bin/env python3
"""An explicitly quantized (QDQ) model made by ONNX Runtime's quantization tool, run by Kiln.

ONNX Runtime's `quantize_static` quantizes the built-in digits classifier (models/digits) into
QDQ form, calibrated on the 500 TRAINING digits: per-channel int8 weights, and int8 activations
either symmetric (zero point 0: Kiln fuses them into kiln.QConv/QMatMul layers) or asymmetric
(uint8 with zero points: Kiln keeps the Q/DQ nodes and runs them as they are). Each QDQ model is
scored on the 1000 held-out digits by ONNX Runtime (the expected accuracy) and by Kiln on each
device asked for; the table also gives how often Kiln's and ONNX Runtime's top-1 agree, and how
many quantized layers Kiln's plan has.

Needs onnxruntime (the GPU machine's Python has it; Debian 12 does not package it):
  python3 bench/qdq_ort.py --kiln KILN --devices cpu,cuda [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_static)

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "models", "digits")


class TrainingDigits(CalibrationDataReader):
    """The calibration digits, one batch of 50 at a time, scaled as the model expects."""

    def __init__(self, input_name):
        pixels = np.load(os.path.join(DIGITS, "calibration_images.npy")).astype(np.float32) / 255.0
        self.batches = iter([{input_name: pixels[i:i + 50, None]} for i in range(0, len(pixels), 50)])

    def get_next(self):
        return next(self.batches, None)


def quantize(fp32_path, out_path, symmetric):
    input_name = ort.InferenceSession(fp32_path, providers=["CPUExecutionProvider"]).get_inputs()[0].name
    quantize_static(fp32_path, out_path, TrainingDigits(input_name), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QInt8 if symmetric else QuantType.QUInt8,
                    extra_options={"ActivationSymmetric": symmetric})


def ort_logits(path, images):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: images})[0]


def kiln_logits(kiln, path, images_npy, device, work, n):
    plan = os.path.join(work, os.path.basename(path) + f".{device}.plan")
    out_dir = plan + ".out"
    build = [kiln, "build", path, "-o", plan, "--device", device]
    if device == "cuda":
        build += ["--min-shapes", "image=1x1x20x20", "--opt-shapes", f"image={n}x1x20x20",
                  "--max-shapes", f"image={n}x1x20x20"]
    for cmd in (build, [kiln, "run", plan, "--input", f"image={images_npy}", "--output-dir", out_dir]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return None, 0, (r.stderr or r.stdout).strip().splitlines()[0]
    inspect = subprocess.run([kiln, "inspect", plan], capture_output=True, text=True).stdout
    # "ops: Flattenx1 MaxPoolx1 QConvx2 QMatMulx1 ...": the quantized layers' counts.
    ops = next((line.split()[1:] for line in inspect.splitlines() if line.startswith("ops:")), [])
    quantized = sum(int(op.rsplit("x", 1)[1]) for op in ops if op.startswith(("QConvx", "QMatMulx")))
    return np.load(os.path.join(out_dir, "logits.npy")), quantized, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "tools", "kiln", "kiln"))
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()

    labels = np.load(os.path.join(DIGITS, "heldout_labels.npy"))
    images = (np.load(os.path.join(DIGITS, "heldout_images.npy")).astype(np.float32) / 255.0)[:, None]
    fp32 = os.path.join(DIGITS, "digits_cnn.onnx")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiln_qdq_") as work:
        images_npy = os.path.join(work, "heldout.npy")
        np.save(images_npy, images)
        fp32_top1 = 100.0 * float((ort_logits(fp32, images).argmax(1) == labels).mean())
        for symmetric in (True, False):
            name = "qdq_s8_symmetric" if symmetric else "qdq_u8_asymmetric"
            path = os.path.join(work, name + ".onnx")
            quantize(fp32, path, symmetric)
            expected = ort_logits(path, images)
            row = {"model": name, "ort_fp32_top1": fp32_top1,
                   "ort_top1": 100.0 * float((expected.argmax(1) == labels).mean())}
            for device in args.devices.split(","):
                logits, quantized, error = kiln_logits(args.kiln, path, images_npy, device, work, len(images))
                if logits is None:
                    row[device] = {"error": error}
                    continue
                row[device] = {"top1": 100.0 * float((logits.argmax(1) == labels).mean()),
                               "agree_with_ort": 100.0 * float((logits.argmax(1) == expected.argmax(1)).mean()),
                               "max_abs_logit_diff": float(np.abs(logits - expected).max()),
                               "quantized_layers": quantized}
            rows.append(row)

    print(f"{'model':<20}{'ORT fp32':>9}{'ORT qdq':>9}  " + "  ".join(f"{d:>34}" for d in args.devices.split(",")))
    for r in rows:
        cells = []
        for d in args.devices.split(","):
            c = r[d]
            cells.append(f"error: {c['error']}" if "error" in c else
                         f"top1 {c['top1']:.2f}% agree {c['agree_with_ort']:.1f}% q {c['quantized_layers']}")
        print(f"{r['model']:<20}{r['ort_fp32_top1']:>8.2f}%{r['ort_top1']:>8.2f}%  " + "  ".join(f"{c:>34}" for c in cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0 if all("error" not in r[d] for r in rows for d in args.devices.split(",")) else 1


if __name__ == "__main__":
    sys.exit(main())
