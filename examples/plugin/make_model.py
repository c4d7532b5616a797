#!/usr/bin/python3
"""Writes the tutorial's model, an input and the expected output; or checks Kiln's output.

    make_model.py DIR           -> DIR/scaled_tanh.onnx, DIR/x.npy, DIR/expected.npy
    make_model.py --check DIR   compares DIR/out/y.npy with DIR/expected.npy

The model is y = ScaledTanh(x * 2) + bias, where ScaledTanh (domain com.example) is the
plugin's op: Kiln has no schema for it, so it asks its plugin registry.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ALPHA, BETA = 1.7159, 0.6667


def make(out_dir):
    rng = np.random.default_rng(7)
    bias = rng.uniform(-0.5, 0.5, size=16).astype(np.float32)
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["scaled"], name="double"),
        helper.make_node("ScaledTanh", ["scaled"], ["squashed"], name="squash", domain="com.example",
                         alpha=ALPHA, beta=BETA),
        helper.make_node("Add", ["squashed", "bias"], ["y"], name="shift"),
    ]
    graph = helper.make_graph(
        nodes, "scaled_tanh_demo",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 16])],
        initializer=[numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two"),
                     numpy_helper.from_array(bias, "bias")])
    # The custom domain is imported like any opset; ONNX tooling then accepts the node.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.example", 1)])
    onnx.save(model, os.path.join(out_dir, "scaled_tanh.onnx"))

    x = rng.standard_normal((3, 16)).astype(np.float32)
    expected = ALPHA * np.tanh(BETA * (x * 2)) + bias
    np.save(os.path.join(out_dir, "x.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), expected.astype(np.float32))


def check(out_dir):
    got = np.load(os.path.join(out_dir, "out", "y.npy"))
    want = np.load(os.path.join(out_dir, "expected.npy"))
    error = float(np.max(np.abs(got - want)))
    print(f"max |kiln - numpy| = {error:.3g}")
    return 0 if got.shape == want.shape and error < 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    make(sys.argv[1])
