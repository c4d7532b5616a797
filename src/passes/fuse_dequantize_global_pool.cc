// Explicit quantization: DequantizeLinear(int8 or uint8 x, per tensor) -> GlobalAveragePool
// becomes one kiln.QGlobalAveragePool (ir/ops/fused_ops.h), whose kernel reads the 8-bit tensor
// and writes the float mean. An INT8 build quantizes a global pool's input when the layer before
// it is quantized (quantization/insert_qdq.h), so that layer writes int8 (fuse_qdq folds the
// QuantizeLinear into it) and the pool reads a quarter of float32's bytes, half of float16's.
// Why a layer of its own rather than the DQ moved after the pool, as propagate_qdq does for
// MaxPool: the mean of 8-bit values is no 8-bit value, so GlobalAveragePool on the int8 tensor
// has no ONNX meaning; the fused op keeps DequantizeLinear's inputs, and its reference kernel runs
// the two ops it replaced, so the fused graph computes exactly what the unfused one did.
// Guards: the DQ is per tensor with constant parameters and a float32 output (and stays for any
// other reader; dead-code elimination takes it otherwise); the pool has spatial axes.
#include "ir/ops/fused_ops.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_global_average_pool(const Node& n) {
  return n.domain().empty() && n.op_type() == "GlobalAveragePool" && n.output(0) != nullptr &&
         n.output(0)->dtype() == DataType::kFloat32 && n.input(0) != nullptr && n.input(0)->shape().rank_known() &&
         n.input(0)->shape().rank() >= 3;
}

class FuseDequantizeGlobalPool final : public Pass {
 public:
  std::string_view name() const override { return "fuse_dequantize_global_pool"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    std::vector<Node*> nodes;
    for (const auto& n : graph.nodes()) nodes.push_back(n.get());
    std::vector<const Node*> erased;
    for (Node* pool : nodes) {
      if (!is_global_average_pool(*pool)) continue;
      const auto dq = dequantize_producer(pool->input(0));
      if (!dq || !dq->integer()) continue;
      std::vector<Value*> inputs{dq->node->input(0), dq->node->input(1), dq->node->input(2)};
      if (inputs.back() == nullptr) inputs.pop_back();
      KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, {dq->node, pool}, std::string(kQGlobalAveragePoolOp),
                                                          std::string(kKilnDomain), 1, inputs, {pool->output(0)},
                                                          {{"output_dtype", Attribute::of_int(1)}}));
      result.events.push_back("fused '" + fused->name() + "' (DequantizeLinear -> GlobalAveragePool, " +
                              std::string(data_type_name(dq->quantized)) + ")");
      erased.push_back(pool);
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_dequantize_global_pool() { return std::make_unique<FuseDequantizeGlobalPool>(); }

}  // namespace kiln
