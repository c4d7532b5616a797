// Where INT8 (or FP8) quantization goes, and putting it there: QuantizeLinear -> DequantizeLinear
// pairs (int8 or float8e4m3, zero point 0, one per-tensor scale) in front of the activation inputs of the layers the
// quantized ops replace (docs/qops contract: Conv, kiln.FusedConv, MatMul, Gemm, kiln.FusedMatMul
// with constant weights), and for int8 in front of a GlobalAveragePool that such a layer feeds.
// The fusion passes then turn DQ -> layer [-> Q] into kiln.QConv / kiln.QMatMul and DQ ->
// GlobalAveragePool into kiln.QGlobalAveragePool; until they do, the pairs run as they are (fake
// quantization), which is correct.
#pragma once

#include <utility>
#include <vector>

#include "ir/graph.h"
#include "passes/rewrite_util.h"

namespace kiln {

// The input slots of `node` that quantization to `type` takes: the activation (X or A, input 0)
// and, for int8, a fused layer's residual Z (input 3), when float32 and not constant, of a layer
// whose weights (input 1) are a constant. FP8 layers keep a float residual: their output is float
// (the quantized ops take an int8 residual only), so an FP8 round trip would only lose precision.
// For int8 also the input of a GlobalAveragePool that is the only reader of a layer whose X is
// quantized (see quantized_for_pool below). Empty for every other node. `uses` are the graph's.
std::vector<int> quantized_input_slots(const Node& node, const Uses& uses, DataType type = DataType::kInt8);

// The values those slots read, each once, in node order: what calibration observes.
std::vector<const Value*> quantized_activations(const Graph& graph, DataType type = DataType::kInt8);

// Whether `value` is quantized only for a GlobalAveragePool: the output of a quantized layer
// (conv, matmul) that the pool alone reads. Quantizing it hands that layer an int8 output
// (fuse_qdq) and the pool an 8-bit input (kiln.QGlobalAveragePool): half the bytes of float16
// written and read, and the layer's int8 kernels. Nothing else needs it: insert_qdq leaves it
// float when the layer before stays float, and a calibration cache without its scale (one made
// before Kiln quantized these) leaves it float too.
bool quantized_for_pool(const Graph& graph, const Value* value, DataType type = DataType::kInt8);

// For each (value, scale): one Q -> DQ pair after the value; the slots above that read it read
// the pair's output instead (other readers and graph outputs keep the float value). A pool's
// input (quantized_for_pool) gets its pair only when the X of the layer writing it is among the
// scales too. Re-sorts the graph and infers its shapes. Returns the number of pairs.
// The pairs quantize to `type` (int8 or float8e4m3).
Expected<int> insert_qdq(Graph& graph, const std::vector<std::pair<const Value*, float>>& scales,
                         DataType type = DataType::kInt8);

}  // namespace kiln
