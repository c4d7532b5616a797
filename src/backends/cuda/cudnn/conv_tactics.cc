#include "backends/cuda/cudnn/conv_tactics.h"

#include <iterator>
#include <set>

namespace kiln::cuda {

namespace {

constexpr size_t kMaxTactics = 8;
// Below this many candidates, look further: the FALLBACK list after mode A's, the epilogue-kernel
// graph after the fused one.
constexpr size_t kFewTactics = 4;
// Plans tried per heuristic list: finalizing one may compile kernels at run time, which is slow.
constexpr int kMaxPlansTried = 16;

constexpr cudnnBackendHeurMode_t kModes[] = {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK};

// Tactic id layout: engine global index in bits 0-31, list position in 32-47, heuristic mode
// (position in kModes) in 48-51, graph kind in 52-55.
constexpr int kIndexShift = 32, kModeShift = 48, kKindShift = 52;
constexpr int64_t kEngineMask = (int64_t{1} << 32) - 1, kIndexMask = (int64_t{1} << 16) - 1, kNibble = 15;

int64_t mode_code(cudnnBackendHeurMode_t mode) { return mode == CUDNN_HEUR_MODE_A ? 0 : 1; }

std::string_view dtype_slug(DataType t) {
  switch (t) {
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    case DataType::kInt8: return "int8";
    case DataType::kFloat8E4M3: return "fp8";
    default: return "fp32";
  }
}

// Gathers tactics, remembering why cuDNN turned candidates down for when none is left.
class TacticSearch {
 public:
  TacticSearch(cudnnHandle_t handle, const ConvProblem& problem, bool allow_tf32, size_t workspace_limit,
               bool allow_runtime_compiled)
      : handle_(handle),
        problem_(problem),
        allow_tf32_(allow_tf32),
        workspace_limit_(workspace_limit),
        allow_runtime_compiled_(allow_runtime_compiled) {}

  // Adds the usable engine configs of one graph kind, up to kMaxTactics in all. Any cuDNN
  // failure on the way is one candidate (or the whole graph) saying no, not an error.
  void collect(ConvGraphKind kind) {
    auto graph = build_conv_graph(handle_, problem_, kind);
    if (!graph.ok()) {
      last_refusal_ = graph.status();
      return;
    }
    std::set<int64_t> seen_engines;
    size_t found = 0;
    for (cudnnBackendHeurMode_t mode : kModes) {
      if (mode != CUDNN_HEUR_MODE_A && found >= kFewTactics) break;
      auto configs = heuristic_configs(graph->op_graph, mode);
      if (!configs.ok()) {
        last_refusal_ = configs.status();
        continue;
      }
      int tried = 0;
      for (size_t i = 0; i < configs->size() && tried < kMaxPlansTried && tactics_.size() < kMaxTactics; ++i) {
        auto info = engine_info((*configs)[i]);
        if (!info.ok()) {
          last_refusal_ = info.status();
          continue;
        }
        // Several configs of one engine differ only in knobs; the first is the heuristic's pick.
        if (seen_engines.count(info->global_index) != 0 || (info->runtime_compiled && !allow_runtime_compiled_))
          continue;
        if (!numerics_allowed(*info, problem_.dtype, allow_tf32_)) {
          last_refusal_ = unsupported("engine {} computes with less precision than the layer allows ({})",
                                      info->global_index, numerical_notes_string(*info));
          continue;
        }
        ++tried;
        auto plan = make_execution_plan(handle_, (*configs)[i]);
        if (!plan.ok()) {
          last_refusal_ = plan.status();
          continue;
        }
        if (plan->workspace_bytes > workspace_limit_) {
          last_refusal_ = unsupported("engine {} needs {} bytes of workspace, over the limit of {}",
                                      info->global_index, plan->workspace_bytes, workspace_limit_);
          continue;
        }
        seen_engines.insert(info->global_index);
        const ConvTacticKey key{kind, mode, static_cast<int64_t>(i), info->global_index};
        tactics_.push_back({conv_tactic_name(problem_, key), encode_conv_tactic(key)});
        ++found;
      }
    }
  }

  size_t count() const { return tactics_.size(); }

  Expected<std::vector<Tactic>> result() && {
    if (tactics_.empty())
      return unsupported("cuDNN has no usable engine for this convolution: {}",
                         last_refusal_.ok() ? "the heuristics offered none" : last_refusal_.message());
    return std::move(tactics_);
  }

 private:
  cudnnHandle_t handle_;
  const ConvProblem& problem_;
  bool allow_tf32_;
  size_t workspace_limit_;
  bool allow_runtime_compiled_;
  std::vector<Tactic> tactics_;
  Status last_refusal_;
};

}  // namespace

int64_t encode_conv_tactic(const ConvTacticKey& key) {
  return (key.engine & kEngineMask) | ((key.index & kIndexMask) << kIndexShift) | (mode_code(key.mode) << kModeShift) |
         (static_cast<int64_t>(key.kind) << kKindShift);
}

Expected<ConvTacticKey> decode_conv_tactic(int64_t id) {
  ConvTacticKey key;
  key.engine = id & kEngineMask;
  key.index = (id >> kIndexShift) & kIndexMask;
  const int64_t mode = (id >> kModeShift) & kNibble;
  const int64_t kind = (id >> kKindShift) & kNibble;
  if (id < 0 || mode >= static_cast<int64_t>(std::size(kModes)) ||
      kind > static_cast<int64_t>(ConvGraphKind::kConvOnlyFloatAccumulators) ||
      (id >> (kKindShift + 4)) != 0)
    return invalid_argument("{} is not a cuDNN convolution tactic id", id);
  key.mode = kModes[mode];
  key.kind = static_cast<ConvGraphKind>(kind);
  return key;
}

std::string conv_tactic_name(const ConvProblem& p, const ConvTacticKey& key) {
  std::string name = p.transposed ? "cudnn_convtranspose_" : "cudnn_conv_";
  name += p.channels_last ? "nhwc_" : "nchw_";
  name += dtype_slug(p.dtype);
  if (p.quant) {
    name += p.quant->slug();
  } else {
    if (p.has_bias) name += "_bias";
    if (p.has_residual) name += "_add";
    if (p.activation.kind != ActivationKind::kNone) {
      name += '_';
      name += activation_slug(p.activation);
    }
  }
  if (key.kind == ConvGraphKind::kConvOnlyFloatAccumulators) name += "_f32acc";
  if (key.kind != ConvGraphKind::kFused) name += "_kepilogue";
  return name + "#e" + std::to_string(key.engine);
}

Expected<std::vector<Tactic>> conv_tactics(cudnnHandle_t handle, const ConvProblem& problem, bool allow_tf32,
                                           size_t workspace_limit, bool allow_runtime_compiled) {
  TacticSearch search(handle, problem, allow_tf32, workspace_limit, allow_runtime_compiled);
  search.collect(ConvGraphKind::kFused);
  // Without an epilogue the fused graph is the convolution alone: nothing else to try. An int8
  // convolution's INT32-accumulator engines returned wrong sums on an H200 with cuDNN 9.19
  // (every element off, both engines offered), so int8 layers use the FP32-accumulator form.
  if (problem.has_epilogue() && !problem.quant && search.count() < kFewTactics)
    search.collect(ConvGraphKind::kConvOnly);
  // An int8 convolution's engines may write FP32 rather than INT32 (an exact image of the sums);
  // FP32 is an FP8 convolution's only accumulator type.
  if (problem.quant && search.count() < kFewTactics) search.collect(ConvGraphKind::kConvOnlyFloatAccumulators);
  return std::move(search).result();
}

Expected<PlannedConv> plan_conv_tactic(cudnnHandle_t handle, const ConvProblem& problem, const ConvTacticKey& key,
                                       bool allow_tf32) {
  if (key.kind != ConvGraphKind::kFused && !problem.has_epilogue())
    return invalid_argument("tactic {} runs an epilogue kernel but the layer has no epilogue",
                            conv_tactic_name(problem, key));
  PlannedConv out;
  out.kind = key.kind;
  KILN_ASSIGN_OR_RETURN(out.graph, build_conv_graph(handle, problem, key.kind));
  KILN_ASSIGN_OR_RETURN(auto configs, heuristic_configs(out.graph.op_graph, key.mode));
  if (key.index >= static_cast<int64_t>(configs.size()))
    return internal_error("cuDNN's heuristics now give {} engine configs; tactic {} is number {}", configs.size(),
                          conv_tactic_name(problem, key), key.index);
  BackendDescriptor& config = configs[static_cast<size_t>(key.index)];
  KILN_ASSIGN_OR_RETURN(EngineInfo info, engine_info(config));
  if (info.global_index != key.engine)
    return internal_error("cuDNN's heuristics changed: config {} is now engine {}, tactic {} was chosen for engine {}",
                          key.index, info.global_index, conv_tactic_name(problem, key), key.engine);
  if (!numerics_allowed(info, problem.dtype, allow_tf32))
    return invalid_argument("tactic {} uses TF32 or reduced-precision math, which this layer does not allow",
                            conv_tactic_name(problem, key));
  KILN_ASSIGN_OR_RETURN(out.plan, make_execution_plan(handle, config));
  out.config = std::move(config);
  return out;
}

}  // namespace kiln::cuda
