#!/usr/bin/python3
"""Writes one explicitly quantized convolution layer as ONNX, for timing and profiling Kiln's int8
convolution tactics on a single shape (e.g. a ResNet-50 layer at batch 256):

  x -> Q/DQ -> Conv (per-channel int8 weights, bias) [+ Q/DQ(residual)] -> Relu -> Q/DQ -> y

usage: int8_conv_layer.py OUT.onnx --shape N,H,W,C,K,R[,STRIDE,PAD] [--residual]
then:  kiln build OUT.onnx --device cuda --fp16 --verbose [--tactic-sources=-cudnn,-cublaslt]
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--shape", required=True, help="N,H,W,C,K,R[,STRIDE,PAD] (PAD defaults to R // 2)")
    ap.add_argument("--residual", action="store_true", help="add a quantized residual input before the ReLU")
    a = ap.parse_args()
    f = [int(v) for v in a.shape.split(",")]
    n, h, w, c, k, r = f[:6]
    stride = f[6] if len(f) > 6 else 1
    pad = f[7] if len(f) > 7 else r // 2
    oh, ow = (h + 2 * pad - r) // stride + 1, (w + 2 * pad - r) // stride + 1
    rng = np.random.default_rng(7)
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq(x, name, scale):
        s, z = const(name + ".scale", np.array(scale, np.float32)), const(name + ".zero", np.array(0, np.int8))
        nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [name + ".q"], name=name + ".quantize"))
        nodes.append(helper.make_node("DequantizeLinear", [name + ".q", s, z], [name + ".dq"], name=name + ".dequantize"))
        return name + ".dq"

    wq = rng.integers(-127, 128, size=(k, c, r, r), dtype=np.int8)
    w_scale = (0.5 / np.sqrt(c * r * r) / 64 * (1 + rng.random(k))).astype(np.float32)
    nodes.append(helper.make_node("DequantizeLinear", [const("w.q", wq), const("w.scale", w_scale),
                                                       const("w.zero", np.zeros(k, np.int8))], ["w"], axis=0))
    bias = const("b", (0.1 * rng.standard_normal(k)).astype(np.float32))
    conv = helper.make_node("Conv", [qdq("x", "x", 1 / 32), "w", bias], ["conv"], name="conv",
                            kernel_shape=[r, r], strides=[stride] * 2, pads=[pad] * 4)
    nodes.append(conv)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])]
    pre_act = "conv"
    if a.residual:
        inputs.append(helper.make_tensor_value_info("residual", TensorProto.FLOAT, [n, k, oh, ow]))
        nodes.append(helper.make_node("Add", ["conv", qdq("residual", "residual", 1 / 32)], ["sum"], name="add"))
        pre_act = "sum"
    nodes.append(helper.make_node("Relu", [pre_act], ["act"], name="relu"))
    nodes.append(helper.make_node("Identity", [qdq("act", "y", 1 / 16)], ["y"], name="out"))
    graph = helper.make_graph(nodes, "int8_conv_layer", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, k, oh, ow])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, a.output)


if __name__ == "__main__":
    main()
