#!/usr/bin/env python3
"""Kiln side by side with what users would pick instead, in one run on one GPU.

For each model and batch size: PyTorch eager and torch.compile(mode="max-autotune") in FP16 with
channels_last (CUDA events, warm-up, median over iterations, several input buffers so the L2 cache
does not hold the input), and Kiln through `kiln bench --json` on the same model exported to ONNX
(FP16, no host transfers, so all three time the same thing: GPU compute of one batch).

  python3 bench/peers.py --kiln build/tools/kiln/kiln --models resnet50:128,resnet50:1 --out results.json

Prints one table with the ratios and appends each result to --out as it completes, so a run cut
short keeps what it measured.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from export_torchvision import build, to_onnx_bytes  # noqa: E402

BUFFERS = 4


def cuda_time(fn, inputs, warmup, iters):
    """Median milliseconds of fn(x) over iters, rotating through inputs."""
    for i in range(warmup):
        fn(inputs[i % len(inputs)])
    torch.cuda.synchronize()
    times = []
    for i in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(inputs[i % len(inputs)])
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def model_for(name):
    torch.manual_seed(0)
    m = build(name)
    m.train()
    with torch.no_grad():
        m(torch.randn(8, 3, 224, 224))
    return m.eval()


def export(name, batch, path):
    if os.path.exists(path):
        return
    m = model_for(name)
    x = torch.randn(batch, 3, 224, 224)
    with open(path, "wb") as f:
        f.write(to_onnx_bytes(m, x, name).getvalue())


def run_torch(name, batch, compile_mode, iters):
    m = model_for(name).cuda().half().to(memory_format=torch.channels_last)
    inputs = [torch.randn(batch, 3, 224, 224, device="cuda").half().to(memory_format=torch.channels_last)
              for _ in range(BUFFERS)]
    compile_s = 0.0
    fn = m
    if compile_mode:
        t = time.time()
        fn = torch.compile(m, mode=compile_mode)
        with torch.no_grad():
            fn(inputs[0])
            fn(inputs[1])
        torch.cuda.synchronize()
        compile_s = time.time() - t
    with torch.no_grad():
        ms = cuda_time(fn, inputs, warmup=20, iters=iters)
    return {"ms": ms, "img_s": batch * 1000.0 / ms, "compile_s": compile_s}


def run_kiln(kiln, onnx_path, batch, work, extra):
    out = os.path.join(work, f"kiln_{os.path.basename(onnx_path)}_{'_'.join(extra) or 'default'}.json")
    cmd = [kiln, "bench", onnx_path, "--device", "cuda", "--fp16", "--no-transfers", "--duration", "3",
           "--timing-cache", os.path.join(work, "timing.cache"), "--json", out] + extra
    t = time.time()
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=sys.stdout, stderr=subprocess.STDOUT, text=True)
    total_s = time.time() - t
    if proc.returncode != 0:
        return {"error": f"kiln bench exited with {proc.returncode}"}
    r = json.load(open(out))
    ms = r["gpu_compute_ms"]["median"]
    return {"ms": ms, "img_s": batch * 1000.0 / ms, "qps_img_s": r["throughput_items_per_s"],
            "build_s": r["load_or_build_s"], "total_s": total_s, "cmd": " ".join(cmd)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--models", default="resnet50:128,resnet50:1")
    ap.add_argument("--work", default="/tmp/kiln-peers")
    ap.add_argument("--out", default="peers.json")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--no-compile", action="store_true", help="leave out torch.compile (for quick runs)")
    ap.add_argument("--kiln-extra", default="", help="extra kiln flags, ';'-separated variants per model:batch")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    torch.backends.cudnn.benchmark = True
    results = []
    for item in args.models.split(","):
        name, batch = item.split(":")
        batch = int(batch)
        onnx_path = os.path.join(args.work, f"{name}_b{batch}.onnx")
        export(name, batch, onnx_path)
        row = {"model": name, "batch": batch, "gpu": torch.cuda.get_device_name()}
        results.append(row)
        # Cheapest first, saving after each, so a run cut short keeps what it measured.
        variants = [v.split() for v in args.kiln_extra.split(";")] if args.kiln_extra else [[]]
        row["kiln"] = [dict(run_kiln(args.kiln, onnx_path, batch, args.work, v), flags=" ".join(v)) for v in variants]
        json.dump(results, open(args.out, "w"), indent=1)
        row["eager"] = run_torch(name, batch, None, args.iters)
        json.dump(results, open(args.out, "w"), indent=1)
        if not args.no_compile:
            row["compile"] = run_torch(name, batch, "max-autotune", args.iters)
            json.dump(results, open(args.out, "w"), indent=1)
        print(json.dumps(row), flush=True)
    print(f"\n{'model':<14}{'batch':>6}{'eager img/s':>13}{'compile img/s':>15}{'kiln img/s':>12}"
          f"{'kiln/eager':>11}{'kiln/compile':>13}  kiln flags")
    for r in results:
        e = r["eager"]["img_s"]
        c = r.get("compile", {}).get("img_s")
        for k in r["kiln"]:
            kv = k.get("img_s")
            print(f"{r['model']:<14}{r['batch']:>6}{e:>13.0f}{(c or 0):>15.0f}{(kv or 0):>12.0f}"
                  f"{(kv / e if kv else 0):>11.2f}{(kv / c if kv and c else 0):>13.2f}  {k['flags']}")
    for r in results:
        print(f"{r['model']} b{r['batch']}: median ms eager {r['eager']['ms']:.3f}, "
              f"compile {r.get('compile', {}).get('ms', 0):.3f} (compiled in {r.get('compile', {}).get('compile_s', 0):.0f} s), "
              + ", ".join(f"kiln[{k['flags']}] {k.get('ms', 0):.3f} (build {k.get('build_s', 0):.1f} s)" for k in r["kiln"]))


if __name__ == "__main__":
    main()
