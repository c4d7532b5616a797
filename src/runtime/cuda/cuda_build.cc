// build_cuda_engine and load_cuda_engine (runtime/cuda_backend.h): lowering, tactic selection and
// the plan's target for the CUDA backend.
#include <cudnn.h>
#include <fmt/format.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/igemm/igemm_int8_shortcut_provider.h"
#include "backends/cuda/kernels/igemm/igemm_int8_stem_provider.h"
#include "builder/layout_assignment.h"
#include "builder/precision_assignment.h"
#include "builder/shortcut_conv_fusion.h"
#include "builder/stem_pool_fusion.h"
#include "builder/timing_cache.h"
#include "passes/pass_manager.h"
#include "runtime/cuda/cuda_engine.h"
#include "runtime/cuda/tactic_selector.h"
#include "runtime/cuda_backend.h"

namespace kiln {

namespace {

// The shapes tactics are timed at: each input's static dims, or its profile's opt dims.
Expected<std::vector<std::vector<int64_t>>> tuning_dims(const Graph& graph, const BuilderConfig& config) {
  std::vector<std::vector<int64_t>> dims;
  for (const Value* v : graph.inputs()) {
    if (auto fixed = v->shape().static_dims()) {
      dims.push_back(*fixed);
      continue;
    }
    if (!config.profiles.empty()) {
      auto it = config.profiles[0].inputs.find(v->name());
      if (it != config.profiles[0].inputs.end()) {
        dims.push_back(it->second.opt);
        continue;
      }
    }
    // The example keeps the input's static dims and puts 1 for the others, in the flags' syntax.
    std::string example;
    for (const Dim& d : v->shape().dims()) {
      if (!example.empty()) example += 'x';
      example += std::to_string(d.is_static() ? d.value : 1);
    }
    return invalid_argument("input '{}' has shape {}: a CUDA build needs its shapes, e.g. --opt-shapes {}={} "
                            "(with --min-shapes and --max-shapes)",
                            v->name(), v->shape().to_string(), v->name(), example.empty() ? "1" : example);
  }
  return dims;
}

std::string timing_context(const cuda::DeviceContext& dev) {
  return fmt::format("{} sm{}{} cudnn{} cublasLt{} kiln{}", dev.props.name, dev.props.major, dev.props.minor,
                     cudnnGetVersion(), cublasLtGetVersion(), version());
}

}  // namespace

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

Status copy_device_to_host(const void* src, void* dst, size_t bytes) {
  KILN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  return Status::Ok();
}

Expected<PlanTarget> cuda_plan_target(int device) {
  cudaDeviceProp props{};
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return unsupported("no CUDA device is available: a CUDA plan needs an NVIDIA GPU and its driver");
  }
  KILN_CUDA_CHECK(cudaGetDeviceProperties(&props, device));
  PlanTarget t;
  t.backend = "cuda";
  t.gpu_name = props.name;
  t.compute_major = props.major;
  t.compute_minor = props.minor;
  cudaRuntimeGetVersion(&t.cuda_runtime_version);
  t.cudnn_version = static_cast<int>(cudnnGetVersion());
  return t;
}

Expected<std::unique_ptr<Engine>> build_cuda_engine(std::shared_ptr<Graph> graph, const BuilderConfig& config,
                                                    std::string& report) {
  if (config.fp16 && config.bf16) return invalid_argument("choose FP16 or BF16, not both");
  KILN_ASSIGN_OR_RETURN(PlanTarget target, cuda_plan_target(config.device_index));
  KILN_ASSIGN_OR_RETURN(auto handles, cuda::DeviceHandles::create(config.device_index));
  const DataType storage = config.fp16 ? DataType::kFloat16 : config.bf16 ? DataType::kBFloat16 : DataType::kFloat32;
  KILN_RETURN_IF_ERROR(assign_precision(*graph, storage));
  KILN_RETURN_IF_ERROR(split_multi_output_layers(*graph));
  KILN_ASSIGN_OR_RETURN(LayoutReport layout, assign_channels_last(*graph));
  report += fmt::format("layout: {} layers channels-last, {} more kept channels-last between them, {} reformats\n",
                        layout.channels_last_layers, layout.region_layers, layout.reformats);
  // Fusions over the lowered graph (the reformats layout assignment made), listed with the others.
  PassOptions lowering;
  lowering.level = config.optimization_level;
  lowering.disabled = std::set<std::string>(config.disabled_passes.begin(), config.disabled_passes.end());
  lowering.dump_ir_dir = config.dump_ir_dir;
  KILN_ASSIGN_OR_RETURN(OptimizationReport lowered, lower_graph(*graph, lowering));
  for (const PassStats& pass : lowered.passes) report += pass.to_string();
  // The pooled int8 stem and the fused shortcut convolutions are sm_90a code: elsewhere their
  // parts stay separate layers. Each can be disabled by name, as the passes can.
  if (target.compute_major == 9 && target.compute_minor == 0) {
    std::vector<std::string> fused;
    if (!lowering.disabled.count("fuse_stem_max_pool")) {
      KILN_ASSIGN_OR_RETURN(fused, fuse_stem_max_pool(*graph, cuda::stem_pool_fusable));
    }
    for (const std::string& line : fused) report += line + "\n";
    fused.clear();
    if (!lowering.disabled.count("fuse_shortcut_conv")) {
      KILN_ASSIGN_OR_RETURN(fused, fuse_shortcut_conv(*graph, cuda::shortcut_conv_fusable));
    }
    for (const std::string& line : fused) report += line + "\n";
  }

  KILN_ASSIGN_OR_RETURN(auto input_dims, tuning_dims(*graph, config));
  KILN_ASSIGN_OR_RETURN(ConcreteDims dims, infer_concrete_dims(*graph, input_dims));
  for (size_t i = 0; i < input_dims.size(); ++i) dims[graph->inputs()[i]] = input_dims[i];

  PlanInfo info;
  info.target = target;
  info.build.optimization_level = config.optimization_level;
  info.build.tf32 = config.tf32;
  info.build.fp16 = config.fp16;
  info.build.bf16 = config.bf16;
  info.build.int8 = config.int8;
  info.build.fp8 = config.fp8;
  info.build.workspace_limit = config.workspace_limit;
  info.build.aux_streams = config.aux_streams;
  info.build.host_fallback = config.allow_host_fallback;
  info.profiles = config.profiles;
  // Placeholder tactics until selection: the engine uploads the weights the timing runs read.
  info.annotations.resize(graph->nodes().size());
  KILN_ASSIGN_OR_RETURN(auto engine, CudaEngine::create(graph, info, config.device_index));

  TimingCache cache(timing_context(handles->context()));
  if (!config.timing_cache_path.empty()) KILN_RETURN_IF_ERROR(cache.load(config.timing_cache_path));
  TacticSelectionOptions options;
  options.allow_tf32 = config.tf32;
  options.workspace_limit = config.workspace_limit;
  options.allow_host_fallback = config.allow_host_fallback;
  options.verbose = config.verbose;
  KILN_ASSIGN_OR_RETURN(options.sources, TacticSources::parse(config.tactic_sources));
  options.log = config.log;
  if (config.log)
    options.progress = [&](size_t done, size_t total) { config.log(fmt::format("\rtuning layers {}/{}", done, total)); };
  KILN_ASSIGN_OR_RETURN(TacticSelection selection,
                        select_tactics(*graph, dims, [&](const Value* v) { return engine->device_constant(v); },
                                       handles->context(), cache, options));
  if (!config.timing_cache_path.empty()) KILN_RETURN_IF_ERROR(cache.save(config.timing_cache_path));
  report += fmt::format(
      "tactics: {} layers timed ({} candidates), {} from the timing cache, in {:.1f} s ({:.1f} s creating candidates)\n",
      selection.timed_layers, selection.candidates_timed, selection.cached_layers, selection.seconds,
      selection.setup_seconds);
  if (selection.deferred_layers > 0)
    report += fmt::format("{} layer(s) have shapes set by shape-tensor inputs or by the data: their tactics are chosen when "
                          "the engine runs\n",
                          selection.deferred_layers);
  if (!selection.host_layers.empty()) {
    report += fmt::format("host fallback: {} layer(s) run on the CPU:", selection.host_layers.size());
    for (const auto& l : selection.host_layers) report += " '" + l + "'";
    report += "\n";
  }
  info.annotations = std::move(selection.annotations);
  engine.reset();  // its weights leave the device before the final engine's arrive
  KILN_ASSIGN_OR_RETURN(auto built, CudaEngine::create(std::move(graph), std::move(info), config.device_index));
  return std::unique_ptr<Engine>(std::move(built));
}

Expected<std::unique_ptr<Engine>> load_cuda_engine(LoadedPlan plan) {
  KILN_ASSIGN_OR_RETURN(PlanTarget here, cuda_plan_target(0));
  KILN_RETURN_IF_ERROR(check_plan_target(plan.info.target, here));
  KILN_ASSIGN_OR_RETURN(auto engine, CudaEngine::create(std::move(plan.graph), std::move(plan.info), 0));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace kiln
