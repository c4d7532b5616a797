// The cuBLASLt FP8 provider: one tactic per algorithm the heuristic offers for the E4M3 product.
#include "backends/cuda/cublaslt/fp8_matmul_provider.h"

#include <fmt/format.h>

#include "backends/cuda/cublaslt/quantized_matmul_kernel.h"

namespace kiln::cuda {

namespace {

// cuBLASLt's FP8 kernels read A and B in 16-byte units along K (their leading dimension), and
// Kiln keeps N a multiple of 16 as well (the FP8 calibration quantizes only such layers).
constexpr int64_t kFp8DimensionMultiple = 16;
constexpr DataType kFp8 = DataType::kFloat8E4M3;

Expected<QuantizedMatMul> fp8_layer(const LayerSpec& spec) {
  if (spec.op == nullptr) return invalid_argument("the layer has no op");
  Expected<QuantizedMatMul> q = quantized_matmul(spec, kFp8);
  if (!q.ok()) return q.status();
  if (q->n % kFp8DimensionMultiple != 0 || q->k % kFp8DimensionMultiple != 0)
    return unsupported("cuBLASLt's FP8 kernels need K and N that are multiples of {}, got K {} and N {}",
                       kFp8DimensionMultiple, q->k, q->n);
  return q;
}

// "cublaslt_fp8_qmatmul_bias_relu_to_fp16#a66_t18_s20_h0" ("cublaslt_fp8_qconv1x1..." for a QConv).
std::string tactic_name(const LayerSpec& spec, const QuantizedMatMul& q, const LtAlgorithmKey& key) {
  return fmt::format("cublaslt_fp8_{}{}#a{}_t{}_s{}_h{}", is_quantized_conv(*spec.op) ? "qconv1x1" : "qmatmul",
                     q.params.slug(), key.algo_id, key.tile_id, key.stages_id, key.rank);
}

class CublasLtFp8MatMulProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cublaslt_fp8_matmul"; }

  Status supports(const LayerSpec& spec) const override { return fp8_layer(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    if (dev.cublaslt == nullptr) return internal_error("no cuBLASLt handle");
    KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, fp8_layer(spec));
    KILN_ASSIGN_OR_RETURN(LtMatmulPlan plan, LtMatmulPlan::create_fp8(q.m, q.n, q.k));
    KILN_ASSIGN_OR_RETURN(auto algorithms, plan.algorithms(dev.cublaslt, spec.workspace_limit));
    if (algorithms.empty()) return unsupported("cuBLASLt offers no FP8 algorithm for this layer");
    std::vector<Tactic> tactics;
    for (size_t i = 0; i < algorithms.size(); ++i) {
      KILN_ASSIGN_OR_RETURN(LtAlgorithmKey key, LtAlgorithmKey::of(algorithms[i].algo, static_cast<int>(i)));
      tactics.push_back({tactic_name(spec, q, key), key.encode()});
    }
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    if (dev.cublaslt == nullptr) return internal_error("no cuBLASLt handle");
    KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, fp8_layer(spec));
    KILN_ASSIGN_OR_RETURN(LtMatmulPlan plan, LtMatmulPlan::create_fp8(q.m, q.n, q.k));
    KILN_ASSIGN_OR_RETURN(auto algorithms, plan.algorithms(dev.cublaslt, spec.workspace_limit));
    KILN_ASSIGN_OR_RETURN(auto algorithm, find_algorithm(algorithms, LtAlgorithmKey::decode(tactic.id)));
    return QuantizedMatMulKernel::create(spec, q, /*fused=*/false, std::move(plan), algorithm);
  }
};

}  // namespace

const TacticProvider& cublaslt_fp8_matmul_provider() {
  static const CublasLtFp8MatMulProvider provider;
  return provider;
}

}  // namespace kiln::cuda
