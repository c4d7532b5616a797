#!/usr/bin/env python3
"""Export randomly-initialised torchvision classifiers to ONNX with reference I/O.

Usage: /usr/bin/python3 tests/models/export_torchvision.py OUT_DIR [--models a,b]

Writes OUT_DIR/<model>/{model.onnx,input.npy,output.npy}. No pretrained weights
are available offline, so weights are random (seeded); one train-mode forward
pass gives BatchNorm non-trivial running stats, otherwise eval-mode activations
collapse/explode through deep nets and the reference output is meaningless.
"""
import argparse
import inspect
import io
import os
import time

import numpy as np
import onnx
import torch
import torchvision

ALL_MODELS = ["resnet50", "googlenet", "mobilenet_v2", "mobilenet_v3_small",
              "efficientnet_b0", "squeezenet1_1", "vit_b_16"]
SEED = 0


def build(name):
    kwargs = {"weights": None}
    if name == "googlenet":
        # No aux heads: they are train-only and would add extra outputs.
        kwargs.update(aux_logits=False, init_weights=True)
    model = getattr(torchvision.models, name)(**kwargs)
    # torchvision zero-inits vit's head and N(0, 0.01)-inits most classifier
    # Linears (mobilenet_v3_small's output std is ~2e-5), which makes logits
    # (near-)constant and useless as a numerical reference. PyTorch's default
    # Linear init gives O(1) logits for every model.
    for mod in model.modules():
        if isinstance(mod, torch.nn.Linear):
            mod.reset_parameters()
    return model


def to_onnx_bytes(model, x, name):
    """The model as ONNX bytes: opset 13 with the TorchScript exporter where this torch has one
    (Debian's 1.13; newer ones take dynamo=False), else torch's default."""
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    for kwargs in ({"opset_version": 13, **legacy}, legacy, {}):
        buf = io.BytesIO()
        try:
            torch.onnx.export(model, x, buf, input_names=["input"], output_names=["output"], **kwargs)
            return buf
        except Exception as e:  # noqa: BLE001 - try the next exporter setting
            print(f"{name}: export with {kwargs} failed ({type(e).__name__}: {e}); trying the next setting")
    raise RuntimeError(f"{name}: no export setting worked")


def export_one(name, out_dir):
    files = [os.path.join(out_dir, f) for f in ("model.onnx", "input.npy", "output.npy")]
    if all(os.path.exists(f) for f in files):
        m = onnx.load(files[0])
        print(f"{name}: up to date")
        return m
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    model = build(name)

    # Calibrate BN running stats with one train-mode batch (no grads needed).
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 3, 224, 224))
    model.eval()

    x = torch.from_numpy(
        np.random.RandomState(SEED).standard_normal((1, 3, 224, 224)).astype(np.float32))
    with torch.no_grad():
        y = model(x)
    std = y.std().item()
    if std <= 1e-3:
        raise RuntimeError(f"{name}: degenerate output (std {std:g})")

    # Export with autograd enabled: vit_b_16 fails to export under no_grad in
    # torch 1.13 (its fused attention path), so never wrap export in no_grad.
    # Export to memory first so a failed opset-13 attempt leaves no file.
    t0 = time.time()
    buf = to_onnx_bytes(model, x, name)
    dt = time.time() - t0
    m = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(m)

    # Write model last-but-one and output last: existence of all three files
    # is the idempotency marker, so a crash mid-way is retried next time.
    np.save(files[1], x.numpy())
    with open(files[0], "wb") as f:
        f.write(buf.getvalue())
    np.save(files[2], y.numpy())
    print(f"{name}: export {dt:.1f}s, {len(buf.getvalue()) / 1e6:.1f} MB, "
          f"output std {std:.4f}")
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--models", default=",".join(ALL_MODELS))
    args = ap.parse_args()
    torch.set_num_threads(2)

    union, failures = set(), []
    for name in args.models.split(","):
        try:
            m = export_one(name, os.path.join(args.out_dir, name))
        except Exception as e:
            failures.append(name)
            print(f"{name}: FAILED: {type(e).__name__}: {e}")
            continue
        opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
        ops = sorted({n.op_type for n in m.graph.node})
        union.update(ops)
        print(f"{name}: opset {opset}, {len(m.graph.node)} nodes, ops: {' '.join(ops)}")
    print(f"union of op types ({len(union)}): {' '.join(sorted(union))}")
    if failures:
        raise SystemExit(f"failed: {','.join(failures)}")


if __name__ == "__main__":
    main()
