#!/usr/bin/python3
"""Writes a small QDQ convolutional network (explicit quantization, as TensorRT-style exporters
write it) for Kiln's fuse_qdq tests:

  x -> Q/DQ -> conv1 + relu -> Q/DQ (a1) -> conv2 + a1 + relu -> Q/DQ -> maxpool -> Q/DQ
    -> flatten -> Q/DQ -> gemm -> y

Weights are int8 initializers behind a per-output-channel DequantizeLinear; activations have
per-tensor int8 Q/DQ pairs with zero point 0. Every scale is a power of two and every weight
channel reaches |q| = 127, so re-quantizing the dequantized weights (scale = max|w| / 127) gives
back the same int8 values and scales, and all float sums in the fake-quant graph are exact
(so the optimized engine must reproduce the fake-quant one exactly).

usage: make_qdq_net.py OUTPUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(2024)
nodes, inits = [], []


def const(name, array):
    inits.append(numpy_helper.from_array(array, name))
    return name


def fake_quant(x, name, exponent):
    scale = const(name + ".scale", np.array(2.0 ** exponent, dtype=np.float32))
    zero = const(name + ".zero", np.array(0, dtype=np.int8))
    nodes.append(helper.make_node("QuantizeLinear", [x, scale, zero], [name + ".q"], name=name + ".quantize"))
    nodes.append(helper.make_node("DequantizeLinear", [name + ".q", scale, zero], [name + ".dq"], name=name + ".dequantize"))
    return name + ".dq"


def weights(name, shape):
    """int8 weights [K, ...] whose channel k reaches |q| = 127, dequantized with scale 2^-e_k."""
    q = rng.integers(-127, 128, size=shape).astype(np.int8)
    q.reshape(shape[0], -1)[:, 0] = np.where(rng.random(shape[0]) < 0.5, -127, 127)
    scales = (2.0 ** -rng.integers(6, 9, size=shape[0])).astype(np.float32)
    nodes.append(helper.make_node("DequantizeLinear", [const(name + ".int8", q), const(name + ".scales", scales)],
                                  [name], name=name + ".dequantize", axis=0))
    return name


def conv(x, name, out_ch, in_ch):
    bias = const(name + ".bias", rng.uniform(-0.5, 0.5, size=out_ch).astype(np.float32))
    nodes.append(helper.make_node("Conv", [x, weights(name + ".weight", (out_ch, in_ch, 3, 3)), bias], [name],
                                  name=name, pads=[1, 1, 1, 1]))
    return name


x = fake_quant("x", "in", -5)
nodes.append(helper.make_node("Relu", [conv(x, "conv1", 16, 8)], ["relu1"], name="relu1"))
a1 = fake_quant("relu1", "act1", -4)
nodes.append(helper.make_node("Add", [conv(a1, "conv2", 16, 16), a1], ["add"], name="add"))
nodes.append(helper.make_node("Relu", ["add"], ["relu2"], name="relu2"))
a2 = fake_quant("relu2", "act2", -3)
nodes.append(helper.make_node("MaxPool", [a2], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
nodes.append(helper.make_node("Flatten", [fake_quant("pool", "pooled", -3)], ["flat"], name="flatten"))
# The reference Gemm accumulates its products onto C: a bias of few significant bits keeps
# those partial sums exact too (the convolutions add their bias after the sum).
fc_bias = const("fc.bias", (rng.integers(-8, 9, size=10) / 16.0).astype(np.float32))
nodes.append(helper.make_node("Gemm", [fake_quant("flat", "flat", -3), weights("fc.weight", (10, 16 * 8 * 8)), fc_bias],
                              ["y"], name="fc", transB=1))

graph = helper.make_graph(nodes, "qdq_net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-tests")
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
