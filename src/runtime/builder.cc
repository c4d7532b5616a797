#include <set>

#include "builder/memory_planner.h"
#include "builder/tactic_sources.h"
#include "core/error.h"
#include "core/quantized_type.h"
#include "ir/graph.h"
#include "ir/ops/fused_ops.h"
#include "kiln/kiln.h"
#include "passes/pass_manager.h"
#include "quantization/accuracy_budget.h"
#include "quantization/calibrate.h"
#include "quantization/calibration_image_size.h"
#include "quantization/insert_qdq.h"
#include "runtime/cpu_engine.h"
#include "runtime/cuda_backend.h"

namespace kiln {

namespace {

// The activation plan at the declared input shapes, dynamic dims taken as 1 (`dynamic` then
// says so): what the report shows, and what a plan file records for static shapes.
Expected<ActivationPlan> plan_at_declared_shapes(const Graph& graph, bool& dynamic) {
  std::vector<std::vector<int64_t>> input_dims;
  dynamic = false;
  for (const Value* v : graph.inputs()) {
    std::vector<int64_t> dims;
    for (const Dim& d : v->shape().dims()) {
      dynamic = dynamic || !d.is_static();
      dims.push_back(d.is_static() ? d.value : 1);
    }
    input_dims.push_back(std::move(dims));
  }
  KILN_ASSIGN_OR_RETURN(ConcreteDims dims, infer_concrete_dims(graph, input_dims));
  return plan_memory(graph, dims);
}

// The plan file's record of it: each planned value by its index in graph.values().
MemoryPlan placements_of(const Graph& graph, const ActivationPlan& plan) {
  MemoryPlan out;
  out.arena_bytes = plan.arena_bytes;
  for (size_t i = 0; i < graph.values().size(); ++i) {
    auto it = plan.values.find(graph.values()[i].get());
    if (it != plan.values.end()) out.placements.push_back({static_cast<int>(i), it->second.offset, it->second.bytes});
  }
  return out;
}

// What the INT8/FP8 build does to a graph, for the accuracy budget to measure: Q/DQ pairs of
// `type`, then the pipeline's Q/DQ fusion (without IR dumps).
QuantizeStep quantize_for_measuring(PassOptions options, DataType type) {
  options.dump_ir_dir.clear();
  return [options, type](Graph& graph, const ActivationScales& scales) -> Status {
    KILN_RETURN_IF_ERROR(insert_qdq(graph, scales, type).status());
    return optimize_graph(graph, options).status();
  };
}

}  // namespace

Expected<std::unique_ptr<Engine>> Builder::build(const Network& network) {
  if (config_.optimization_level < 0 || config_.optimization_level > 3)
    return invalid_argument("optimization level must be 0 to 3, got {}", config_.optimization_level);
  // Malformed tactic sources are refused for any device, before the (long) build.
  KILN_RETURN_IF_ERROR(TacticSources::parse(config_.tactic_sources).status());
  // Optimize a copy: the Network stays as imported, and can be built again with other settings.
  std::shared_ptr<Graph> graph = network.graph().clone();
  PassOptions options;
  options.level = config_.optimization_level;
  options.disabled = std::set<std::string>(config_.disabled_passes.begin(), config_.disabled_passes.end());
  options.dump_ir_dir = config_.dump_ir_dir;
  if (config_.int8 && config_.fp8) return invalid_argument("int8 and fp8 exclude each other");
  const bool quantized = config_.int8 || config_.fp8;
  const DataType quantized_type = config_.fp8 ? DataType::kFloat8E4M3 : DataType::kInt8;
  // INT8/FP8: sibling convolutions stay apart, as one quantized layer each (the Q/DQ fusion takes
  // single-output layers).
  if (quantized) options.disabled.insert("fuse_sibling_convs");
  KILN_ASSIGN_OR_RETURN(OptimizationReport report, optimize_graph(*graph, options));
  // INT8/FP8 calibrates the optimized FP32 graph (the tensors it observes are the ones the fused
  // layers read) and leaves Q/DQ pairs for lowering.
  std::string int8_report;
  if (config_.accuracy_budget.budget >= 0 && !quantized)
    return invalid_argument("an accuracy budget applies to quantized builds (--int8 or --fp8)");
  if (quantized) {
    const CalibrationConfig calibration = with_profile_image_size(config_.calibration, *graph, config_.profiles);
    ScaleSelection select;
    if (config_.accuracy_budget.budget >= 0)
      select = [&](const ActivationScales& calibrated, std::string& report) {
        return fit_accuracy_budget(*graph, calibrated, quantize_for_measuring(options, quantized_type),
                                   config_.accuracy_budget, calibration, config_.log, report);
      };
    KILN_ASSIGN_OR_RETURN(int8_report,
                          quantize_calibrated(*graph, quantized_type, calibration, config_.log, select));
    // The pipeline again: its Q/DQ passes fuse the inserted pairs into kiln.QConv/QMatMul layers
    // (the float passes find nothing new to do).
    KILN_ASSIGN_OR_RETURN(OptimizationReport fused, optimize_graph(*graph, options));
    int layers = 0, pools = 0;
    for (const auto& n : graph->nodes()) {
      layers += n->domain() == kKilnDomain && (n->op_type() == kQConvOp || n->op_type() == kQMatMulOp);
      pools += n->domain() == kKilnDomain && n->op_type() == kQGlobalAveragePoolOp;
    }
    int8_report += fmt::format("{}: {} quantized layers (kiln.QConv/QMatMul){}; {} layers after Q/DQ fusion\n",
                               quantized_type_tag(quantized_type), layers,
                               pools > 0 ? fmt::format(", {} dequantizing pools (kiln.QGlobalAveragePool)", pools) : "",
                               fused.layers_after);
  }
  bool dynamic = false;
  auto memory = plan_at_declared_shapes(*graph, dynamic);
  report_ = report.to_string() + int8_report +
            (memory.ok() ? memory->summary() + (dynamic ? " (dynamic dims taken as 1)\n" : "\n")
                         : "memory: not planned: " + memory.status().to_string() + "\n");
  switch (config_.device) {
    case DeviceKind::kCpu: {
      PlanInfo info;
      info.build.optimization_level = config_.optimization_level;
      info.build.int8 = config_.int8;
      info.build.fp8 = config_.fp8;
      info.profiles = config_.profiles;
      if (memory.ok() && !dynamic) info.memory_plan = placements_of(*graph, *memory);
      return build_cpu_engine(std::move(graph), std::move(info));
    }
    case DeviceKind::kCuda: return build_cuda_engine(std::move(graph), config_, report_);
  }
  return invalid_argument("unknown device kind");
}

}  // namespace kiln
