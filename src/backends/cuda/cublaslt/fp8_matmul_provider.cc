// The cuBLASLt FP8 provider: one tactic per algorithm the heuristic offers for the E4M3 product.
#include "backends/cuda/cublaslt/fp8_matmul_provider.h"

#include <fmt/format.h>

#include "backends/cuda/cublaslt/quantized_matmul_kernel.h"
#include "ir/ops/conv_geometry.h"

namespace kiln::cuda {

namespace {

// cuBLASLt's FP8 kernels read A and B in 16-byte units along K (their leading dimension), and
// Kiln keeps N a multiple of 16 as well (the FP8 calibration quantizes only such layers).
constexpr int64_t kFp8DimensionMultiple = 16;
constexpr DataType kFp8 = DataType::kFloat8E4M3;

// A channels-last 1x1 QConv with stride 1 and no padding: Y [N*H*W, K] = X [N*H*W, C] W^T, with
// the physical W [K, 1, 1, C] being B^T already.
Expected<QuantizedMatMul> pointwise_qconv(const LayerSpec& spec) {
  if (!spec.channels_last) return unsupported("cuBLASLt runs channels-last kiln.QConv only");
  if (!spec.has_input(kQInput) || !spec.has_input(kQWeights) || spec.outputs.size() != 1)
    return invalid_argument("kiln.QConv needs X, W and one output");
  const std::vector<int64_t>& x = spec.inputs[kQInput]->dims;
  const std::vector<int64_t>& w = spec.inputs[kQWeights]->dims;
  if (x.size() != 4 || w.size() != 4) return unsupported("cuBLASLt runs 2-D convolutions only");
  if (w[1] != 1 || w[2] != 1 || spec.op->attr_int("group", 1) != 1 || w[3] != x[3])
    return unsupported("cuBLASLt runs ungrouped 1x1 convolutions, not W {} over X {} with group {}",
                       dims_to_string(w), dims_to_string(x), spec.op->attr_int("group", 1));
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(*spec.op, {x[1], x[2]}, {1, 1}, false));
  for (size_t i = 0; i < 2; ++i)
    if (g.strides[i] != 1 || g.pads_begin[i] != 0 || g.pads_end[i] != 0)
      return unsupported("cuBLASLt runs 1x1 convolutions with stride 1 and no padding");
  if (spec.inputs[kQWeights]->host_constant == nullptr) return unsupported("W must be a constant");
  QuantizedMatMul q;
  q.m = x[0] * x[1] * x[2];
  q.k = x[3];
  q.n = w[0];
  q.b_transposed = true;
  if (spec.outputs[0].dims != std::vector<int64_t>{x[0], x[1], x[2], q.n})
    return invalid_argument("a 1x1 convolution of X {} by W {} cannot give {}", dims_to_string(x), dims_to_string(w),
                            dims_to_string(spec.outputs[0].dims));
  if (q.m == 0 || q.n == 0 || q.k == 0) return unsupported("empty tensors are not supported");
  KILN_ASSIGN_OR_RETURN(q.params, quantized_params(spec, q.n, kFp8));
  return q;
}

Expected<QuantizedMatMul> fp8_layer(const LayerSpec& spec) {
  if (spec.op == nullptr) return invalid_argument("the layer has no op");
  Expected<QuantizedMatMul> q = is_quantized_conv(*spec.op) ? pointwise_qconv(spec) : quantized_matmul(spec, kFp8);
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
