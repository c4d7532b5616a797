#include "backends/cuda/cudnn/direct_quantized_provider.h"

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/conv_problem.h"

namespace kiln::cuda {

namespace {

// The layer as a direct convolution: QConv's own geometry, or QMatMul as a 1x1 convolution
// over [1, 1, M, K] reading B [K, N] in place.
struct DirectLayer {
  DirectQuantizedConv conv;
  QuantizedParams params;
  std::string name;
};

Expected<DirectLayer> direct_layer(const LayerSpec& spec) {
  if (spec.op == nullptr) return invalid_argument("the layer has no op");
  DirectLayer d;
  DirectQuantizedConv& c = d.conv;
  if (is_quantized_conv(*spec.op)) {
    // Read in place: moving the problem out of its Expected trips GCC 12's maybe-uninitialized
    // analysis of the optional inside.
    const Expected<ConvProblem> problem = conv_problem(spec);
    if (!problem.ok()) return problem.status();
    const ConvProblem& p = *problem;
    c.batch = p.batch;
    c.in_h = p.in_h;
    c.in_w = p.in_w;
    c.in_channels = p.in_channels;
    c.out_h = p.out_h;
    c.out_w = p.out_w;
    c.out_channels = p.out_channels;
    c.kernel_h = p.kernel_h;
    c.kernel_w = p.kernel_w;
    c.group = p.group;
    c.stride = p.stride;
    c.dilation = p.dilation;
    c.pad_begin = p.pad_begin;
    // W is [K, R, S, C/g].
    c.w_in_stride = 1;
    c.w_tap_stride = p.in_channels / p.group;
    c.w_out_stride = p.kernel_h * p.kernel_w * c.w_tap_stride;
    d.params = *p.quant;
    d.name = "kiln_direct_qconv_int8";
  } else if (is_quantized_matmul(*spec.op)) {
    KILN_ASSIGN_OR_RETURN(QuantizedMatMul q, quantized_matmul(spec));
    c.batch = 1;
    c.in_h = c.out_h = 1;
    c.in_w = c.out_w = q.m;
    c.in_channels = q.k;
    c.out_channels = q.n;
    // B is [K, N]: output channel n of input channel c is B[c, n].
    c.w_in_stride = q.n;
    c.w_out_stride = 1;
    c.w_tap_stride = 0;
    d.params = std::move(q.params);
    d.name = "kiln_direct_qmatmul_int8";
  } else {
    return unsupported("the direct quantized kernel runs kiln.QConv and kiln.QMatMul, not {}", spec.op->op_type());
  }
  d.name += d.params.slug();
  return d;
}

class DirectQuantizedKernel final : public LayerKernel {
 public:
  DirectQuantizedKernel(DirectLayer layer, QuantizedScales scales)
      : layer_(std::move(layer)), scales_(std::move(scales)) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    if (inputs.size() <= kQWeights || inputs[kQInput] == nullptr || inputs[kQWeights] == nullptr ||
        outputs.empty() || outputs[0] == nullptr)
      return invalid_argument("the direct quantized kernel is missing a tensor's device pointer");
    KILN_CUDA_CHECK(launch_direct_quantized_conv(layer_.conv, static_cast<const int8_t*>(inputs[kQInput]),
                                                 static_cast<const int8_t*>(inputs[kQWeights]),
                                                 scales_.epilogue(layer_.params, inputs), outputs[0], env.stream));
    return Status::Ok();
  }

 private:
  DirectLayer layer_;
  QuantizedScales scales_;
};

class DirectQuantizedProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_direct_quantized"; }

  Status supports(const LayerSpec& spec) const override { return direct_layer(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(DirectLayer layer, direct_layer(spec));
    return std::vector<Tactic>{{layer.name, 0}};
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    if (tactic.id != 0) return invalid_argument("{} is not a direct quantized tactic id", tactic.id);
    KILN_ASSIGN_OR_RETURN(DirectLayer layer, direct_layer(spec));
    KILN_ASSIGN_OR_RETURN(QuantizedScales scales, QuantizedScales::upload(layer.params));
    return std::unique_ptr<LayerKernel>(std::make_unique<DirectQuantizedKernel>(std::move(layer), std::move(scales)));
  }
};

}  // namespace

const TacticProvider& direct_quantized_provider() {
  static const DirectQuantizedProvider provider;
  return provider;
}

}  // namespace kiln::cuda
