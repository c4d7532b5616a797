// The cuBLASLt provider of kiln.QMatMul and of channels-last 1x1 kiln.QConv: one tactic per algorithm the heuristic offers for each
// form (quantized_matmul_kernel.h) the layer allows.
#include <fmt/format.h>

#include "backends/cuda/cublaslt/quantized_matmul_kernel.h"
#include "backends/cuda/cublaslt/quantized_matmul_provider.h"

namespace kiln::cuda {

namespace {

// The IMMA kernels of the plain (column-major) data order need m and k (here N and K, which are
// also the leading dimensions) to be multiples of 4.
constexpr int64_t kInt8DimensionMultiple = 4;
// Tactic id: the algorithm key (LtAlgorithmKey::encode, bits 0-55), then the form.
constexpr int kFusedShift = 56;

Expected<QuantizedMatMul> cublaslt_layer(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, quantized_matmul(spec));
  if (q.n % kInt8DimensionMultiple != 0 || q.k % kInt8DimensionMultiple != 0)
    return unsupported("cuBLASLt's int8 kernels need K and N that are multiples of {}, got K {} and N {}",
                       kInt8DimensionMultiple, q.k, q.n);
  return q;
}

Int8GemmConfig config(const QuantizedMatMul& q, bool fused) {
  Int8GemmConfig c{q.m, q.n, q.k};
  c.int8_output = fused;
  c.bias = fused && q.params.has_bias;
  c.relu = fused && q.params.activation.kind == ActivationKind::kRelu;
  return c;
}

// "cublaslt_qmatmul_int8_bias_relu_to_int8#a21_t18_s20_h0", "..._kepilogue#..." for the int32 form
// ("cublaslt_qconv1x1_int8..." for a 1x1 QConv).
std::string tactic_name(const LayerSpec& spec, const QuantizedMatMul& q, bool fused, const LtAlgorithmKey& key) {
  return fmt::format("cublaslt_{}_int8{}{}#a{}_t{}_s{}_h{}", is_quantized_conv(*spec.op) ? "qconv1x1" : "qmatmul",
                     q.params.slug(), fused ? "" : "_kepilogue", key.algo_id, key.tile_id, key.stages_id, key.rank);
}

class CublasLtQuantizedMatMulProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cublaslt_qmatmul"; }

  Status supports(const LayerSpec& spec) const override { return cublaslt_layer(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    if (dev.cublaslt == nullptr) return internal_error("no cuBLASLt handle");
    KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, cublaslt_layer(spec));
    std::vector<Tactic> tactics;
    Status last_refusal = Status::Ok();
    for (bool fused : {true, false}) {
      if (fused && !folds_per_channel(spec, q.params)) continue;
      auto plan = LtMatmulPlan::create_int8(config(q, fused));
      auto algorithms = plan.ok() ? plan->algorithms(dev.cublaslt, spec.workspace_limit)
                                  : Expected<std::vector<cublasLtMatmulHeuristicResult_t>>(plan.status());
      if (!algorithms.ok()) {
        last_refusal = algorithms.status();
        continue;
      }
      for (size_t i = 0; i < algorithms->size(); ++i) {
        KILN_ASSIGN_OR_RETURN(LtAlgorithmKey key, LtAlgorithmKey::of((*algorithms)[i].algo, static_cast<int>(i)));
        tactics.push_back({tactic_name(spec, q, fused, key), key.encode() | (int64_t{fused} << kFusedShift)});
      }
    }
    if (tactics.empty())
      return unsupported("cuBLASLt offers no int8 algorithm for this layer{}",
                         last_refusal.ok() ? "" : ": " + last_refusal.message());
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    if (dev.cublaslt == nullptr) return internal_error("no cuBLASLt handle");
    KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, cublaslt_layer(spec));
    const bool fused = ((tactic.id >> kFusedShift) & 1) != 0;
    if (fused && !folds_per_channel(spec, q.params))
      return invalid_argument("tactic {} runs the whole layer in cuBLASLt, which this layer does not allow", tactic.name);
    KILN_ASSIGN_OR_RETURN(LtMatmulPlan plan, LtMatmulPlan::create_int8(config(q, fused)));
    KILN_ASSIGN_OR_RETURN(auto algorithms, plan.algorithms(dev.cublaslt, spec.workspace_limit));
    const int64_t key_bits = tactic.id & ((int64_t{1} << kFusedShift) - 1);
    KILN_ASSIGN_OR_RETURN(auto algorithm, find_algorithm(algorithms, LtAlgorithmKey::decode(key_bits)));
    return QuantizedMatMulKernel::create(spec, q, fused, std::move(plan), algorithm);
  }
};

}  // namespace

const TacticProvider& cublaslt_quantized_matmul_provider() {
  static const CublasLtQuantizedMatMulProvider provider;
  return provider;
}

}  // namespace kiln::cuda
