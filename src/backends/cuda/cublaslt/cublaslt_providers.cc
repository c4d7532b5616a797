// The cuBLASLt GEMM provider: MatMul, Gemm and kiln.FusedMatMul in float32 (TF32 when allowed),
// float16 and bfloat16, one tactic per algorithm cuBLASLt's heuristic offers.
#include <fmt/format.h>

#include "backends/cuda/cublaslt/cublaslt_gemm_kernel.h"
#include "backends/cuda/cublaslt/fp8_matmul_provider.h"
#include "backends/cuda/cublaslt/quantized_matmul_provider.h"

namespace kiln::cuda {

namespace {

std::string precision_name(const GemmLayer& layer, bool allow_tf32) {
  switch (layer.dtype) {
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    default: return allow_tf32 ? "tf32" : "fp32";
  }
}

// "cublaslt_gemm_fp16_bias_relu#a21_t18_s20_h0": precision, epilogue, then the algorithm, its
// tile and stages and its rank in the heuristic's list (which keeps names unique).
std::string tactic_name(const GemmLayer& layer, bool allow_tf32, const LtAlgorithmKey& key) {
  std::string name = "cublaslt_gemm_" + precision_name(layer, allow_tf32);
  if (!layer.epilogue_name.empty()) name += "_" + layer.epilogue_name;
  return name + fmt::format("#a{}_t{}_s{}_h{}", key.algo_id, key.tile_id, key.stages_id, key.rank);
}

struct Candidates {
  GemmLayer layer;
  LtMatmulPlan plan;
  std::vector<cublasLtMatmulHeuristicResult_t> algorithms;
};

// The layer, its plan and the algorithms the heuristic offers for them (at least one).
Expected<Candidates> candidates(const LayerSpec& spec, const DeviceContext& dev) {
  if (dev.cublaslt == nullptr) return internal_error("no cuBLASLt handle");
  KILN_ASSIGN_OR_RETURN(GemmLayer layer, describe_gemm_layer(spec));
  KILN_ASSIGN_OR_RETURN(LtMatmulPlan plan, LtMatmulPlan::create(layer, spec.allow_tf32));
  KILN_ASSIGN_OR_RETURN(auto algorithms, plan.algorithms(dev.cublaslt, spec.workspace_limit));
  if (algorithms.empty())
    return unsupported("cuBLASLt offers no algorithm within {} bytes of workspace", spec.workspace_limit);
  return Candidates{std::move(layer), std::move(plan), std::move(algorithms)};
}

class CublasLtGemmProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cublaslt_gemm"; }

  Status supports(const LayerSpec& spec) const override { return describe_gemm_layer(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(Candidates c, candidates(spec, dev));
    std::vector<Tactic> tactics;
    for (size_t i = 0; i < c.algorithms.size(); ++i) {
      KILN_ASSIGN_OR_RETURN(LtAlgorithmKey key, LtAlgorithmKey::of(c.algorithms[i].algo, static_cast<int>(i)));
      tactics.push_back({tactic_name(c.layer, spec.allow_tf32, key), key.encode()});
    }
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(Candidates c, candidates(spec, dev));
    KILN_ASSIGN_OR_RETURN(auto algorithm, find_algorithm(c.algorithms, LtAlgorithmKey::decode(tactic.id)));
    std::unique_ptr<LayerKernel> kernel = std::make_unique<CublasLtGemmKernel>(
        std::move(c.layer), std::move(c.plan), algorithm, spec.outputs[0].numel());
    return kernel;
  }
};

}  // namespace

std::vector<const TacticProvider*> cublaslt_providers() {
  static const CublasLtGemmProvider gemm;
  return {&gemm, &cublaslt_quantized_matmul_provider(), &cublaslt_fp8_matmul_provider()};
}

}  // namespace kiln::cuda
