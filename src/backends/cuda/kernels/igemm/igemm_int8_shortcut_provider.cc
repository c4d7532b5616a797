#include "backends/cuda/kernels/igemm/igemm_int8_shortcut_provider.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"

namespace kiln::cuda {

namespace {

// The largest |sum| of each output channel's int8 products: 128 * sum |w| over the channel's
// weights (W is [K, ...] either layout, a channel's weights contiguous).
std::vector<double> sum_bounds(const Tensor& w) {
  const int64_t channels = w.dims().empty() ? 0 : w.dims().front();
  std::vector<double> bounds(static_cast<size_t>(channels), 0.0);
  if (channels == 0) return bounds;
  const int64_t per_channel = w.numel() / channels;
  const int8_t* values = w.data<int8_t>();
  for (int64_t k = 0; k < channels; ++k) {
    int64_t sum = 0;
    for (int64_t i = 0; i < per_channel; ++i) sum += std::abs(static_cast<int>(values[k * per_channel + i]));
    bounds[static_cast<size_t>(k)] = 128.0 * static_cast<double>(sum);
  }
  return bounds;
}

// The bias values of a quantized conv, or zeros.
std::vector<float> bias_of(const LayerSpec& spec, const ConvProblem& p) {
  std::vector<float> bias(static_cast<size_t>(p.out_channels), 0.f);
  if (p.has_bias && spec.inputs[kQBias]->host_constant != nullptr) {
    const float* b = spec.inputs[kQBias]->host_constant->data<float>();
    bias.assign(b, b + p.out_channels);
  }
  return bias;
}

}  // namespace

Expected<ShortcutConvPlan> shortcut_conv_plan(const LayerSpec& conv, const LayerSpec& shortcut) {
  ShortcutConvPlan plan;
  KILN_ASSIGN_OR_RETURN(plan.conv, igemm_int8_conv_problem(conv));
  KILN_ASSIGN_OR_RETURN(plan.shortcut, igemm_int8_conv_problem(shortcut));
  const ConvProblem& a = plan.conv;
  const ConvProblem& b = plan.shortcut;
  const QuantizedParams& qa = *a.quant;
  const QuantizedParams& qb = *b.quant;
  if (!qa.quantized_output() || qa.has_residual)
    return unsupported("the block convolution must have an int8 output and no residual of its own ({})", qa.slug());
  const bool relu = qa.activation.kind == ActivationKind::kRelu && !qa.activation.gated;
  if (!relu && qa.activation.kind != ActivationKind::kNone)
    return unsupported("the fused shortcut layer ends with ReLU or nothing, not {}", qa.slug());
  if (qb.quantized_output() || qb.has_residual || qb.activation.kind != ActivationKind::kNone)
    return unsupported("the shortcut convolution must give its plain float sum ({})", qb.slug());
  if (a.batch != b.batch || a.out_h != b.out_h || a.out_w != b.out_w || a.out_channels != b.out_channels)
    return invalid_argument("the shortcut gives {}x{}x{}x{}, the block convolution {}x{}x{}x{}", b.batch, b.out_h,
                            b.out_w, b.out_channels, a.batch, a.out_h, a.out_w, a.out_channels);
  if (conv.inputs[kQWeights]->host_constant == nullptr || shortcut.inputs[kQWeights]->host_constant == nullptr ||
      (a.has_bias && conv.inputs[kQBias]->host_constant == nullptr) ||
      (b.has_bias && shortcut.inputs[kQBias]->host_constant == nullptr))
    return unsupported("the fused shortcut layer needs constant weights and biases");

  const size_t channels = static_cast<size_t>(a.out_channels);
  const std::vector<double> bound_a = sum_bounds(*conv.inputs[kQWeights]->host_constant);
  const std::vector<double> bound_b = sum_bounds(*shortcut.inputs[kQWeights]->host_constant);
  const std::vector<float> bias_a = bias_of(conv, a), bias_b = bias_of(shortcut, b);
  plan.scale_shift.assign(2 * channels, 0.f);
  plan.rescale.assign(channels, 0.f);
  plan.relu = relu;
  constexpr double kMaxSum = std::numeric_limits<int32_t>::max();
  for (size_t k = 0; k < channels; ++k) {
    const float sa = qa.channel_scale[k], sb = qb.channel_scale[k];
    if (!(sb > 0.f) || !std::isfinite(sa) || sa < 0.f)
      return unsupported("output channel {}: the shortcut's scale {} cannot carry the block convolution's {}", k, sb,
                         sa);
    plan.rescale[k] = sa / sb;
    // The rescaled sum rounds once more and the shortcut's adds to it: both inside int32.
    if (bound_a[k] * plan.rescale[k] + 1.0 + bound_b[k] > kMaxSum)
      return unsupported("output channel {}: sums up to {:.3g} overflow int32 in the shortcut's units", k,
                         bound_a[k] * plan.rescale[k] + bound_b[k]);
    plan.scale_shift[k] = sb / qa.output_scale;
    plan.scale_shift[channels + k] = (bias_a[k] + bias_b[k]) / qa.output_scale;
  }
  return plan;
}

LayerSpec shortcut_spec(const LayerSpec& fused) {
  LayerSpec s;
  s.node = fused.node;
  s.op = fused.shortcut;
  s.channels_last = fused.channels_last;
  s.allow_tf32 = fused.allow_tf32;
  s.workspace_limit = fused.workspace_limit;
  for (size_t i = fused.shortcut_input_begin; i < fused.inputs.size(); ++i) {
    s.inputs.push_back(fused.inputs[i]);
    s.node_input_of_op.push_back(i < fused.node_input_of_op.size() ? fused.node_input_of_op[i] : -1);
    s.input_nhwc.push_back(fused.is_nhwc_input(i));
  }
  if (!fused.outputs.empty()) s.outputs.push_back(TensorDesc{DataType::kFloat32, fused.outputs[0].dims, nullptr});
  return s;
}

namespace {

// The spec of `op` from the values outside its wrapper (channels-last X and W), on static shapes.
std::optional<LayerSpec> spec_of_values(const Node& op, const std::vector<const Value*>& inputs, DataType out_dtype,
                                        const Value& out) {
  LayerSpec spec;
  spec.op = &op;
  spec.channels_last = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* v = inputs[i];
    spec.input_nhwc.push_back(i == kQInput || i == kQWeights);
    if (v == nullptr) {
      spec.inputs.push_back(std::nullopt);
      continue;
    }
    if (v->is_constant()) {
      spec.inputs.push_back(TensorDesc{v->dtype(), v->constant().dims(), &v->constant()});
      continue;
    }
    const auto dims = v->shape().static_dims();
    if (!dims) return std::nullopt;
    spec.inputs.push_back(TensorDesc{v->dtype(), *dims, nullptr});
  }
  const auto out_dims = out.shape().static_dims();
  if (!out_dims) return std::nullopt;
  spec.outputs.push_back(TensorDesc{out_dtype, *out_dims, nullptr});
  return spec;
}

class ShortcutLayerKernel final : public LayerKernel {
 public:
  ShortcutLayerKernel(IgemmInt8Conv conv, IgemmInt8Conv shortcut, IgemmTile tile, size_t shortcut_input_begin,
                      DeviceBuffer pairs, DeviceBuffer rescale, bool relu)
      : conv_(conv),
        shortcut_(shortcut),
        tile_(tile),
        begin_(shortcut_input_begin),
        pairs_(std::move(pairs)),
        rescale_(std::move(rescale)),
        relu_(relu) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    const auto input = [&](size_t i) { return static_cast<const int8_t*>(i < inputs.size() ? inputs[i] : nullptr); };
    const int8_t* tensors[] = {input(kQInput), input(kQWeights), input(begin_ + kQInput), input(begin_ + kQWeights)};
    void* y = outputs.empty() ? nullptr : outputs[0];
    for (const int8_t* t : tensors)
      if (t == nullptr || reinterpret_cast<uintptr_t>(t) % 16 != 0)
        return invalid_argument("the fused shortcut layer needs both convolutions' X and W, 16-byte aligned");
    if (y == nullptr || reinterpret_cast<uintptr_t>(y) % 16 != 0)
      return invalid_argument("the fused shortcut layer needs a 16-byte aligned output");
    IgemmShortcut s;
    s.conv = shortcut_;
    s.x = tensors[2];
    s.w = tensors[3];
    s.rescale = static_cast<const float*>(rescale_.get());
    IgemmFolded f;
    f.channel_pairs = static_cast<const float4*>(pairs_.get());
    f.lower = relu_ ? 0.f : -128.f;
    KILN_CUDA_CHECK(launch_igemm_int8_shortcut_conv(conv_, tile_, tensors[0], tensors[1], s, f, y, env.stream));
    return Status::Ok();
  }

 private:
  IgemmInt8Conv conv_, shortcut_;
  IgemmTile tile_;
  size_t begin_;
  DeviceBuffer pairs_, rescale_;
  bool relu_;
};

class IgemmInt8ShortcutProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_igemm_int8_shortcut"; }
  bool runs_shortcut_conv() const override { return true; }

  Status supports(const LayerSpec& spec) const override {
    if (spec.shortcut == nullptr) return unsupported("runs only layers with a fused shortcut convolution");
    return shortcut_conv_plan(spec, shortcut_spec(spec)).status();
  }

  // "kiln_igemm_int8_shortcut_128x128x64_wgmma_bias_relu_to_int8": the wgmma tiles, on sm_90a devices.
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& device) const override {
    KILN_ASSIGN_OR_RETURN(ShortcutConvPlan plan, shortcut_conv_plan(spec, shortcut_spec(spec)));
    std::vector<Tactic> tactics;
    for (const Tactic& t : igemm_int8_tactics("kiln_igemm_int8_shortcut_", *plan.conv.quant, device))
      if (igemm_tile_is_wgmma(static_cast<IgemmTile>(t.id))) tactics.push_back(t);
    if (tactics.empty())
      return unsupported("the fused shortcut layer runs on compute capability 9.0 GPUs (sm_90a), not {}.{}",
                         device.props.major, device.props.minor);
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& device) const override {
    KILN_ASSIGN_OR_RETURN(IgemmTile tile, igemm_int8_tile(tactic, device));
    if (!igemm_tile_is_wgmma(tile)) return invalid_argument("{} is not a wgmma tile", tactic.name);
    KILN_ASSIGN_OR_RETURN(ShortcutConvPlan plan, shortcut_conv_plan(spec, shortcut_spec(spec)));
    KILN_CUDA_CHECK(prepare_igemm_int8_shortcut_conv(tile));
    const std::vector<float> pairs = igemm_channel_pairs(plan.scale_shift);
    std::vector<float> rescale = plan.rescale;
    rescale.resize(pairs.size() / 2, 0.f);  // the same zero-padded channels as the pairs (2 floats each)
    KILN_ASSIGN_OR_RETURN(DeviceBuffer pairs_buffer, DeviceBuffer::upload(pairs.data(), pairs.size() * sizeof(float)));
    KILN_ASSIGN_OR_RETURN(DeviceBuffer rescale_buffer,
                          DeviceBuffer::upload(rescale.data(), rescale.size() * sizeof(float)));
    return std::unique_ptr<LayerKernel>(std::make_unique<ShortcutLayerKernel>(
        conv_geometry32(plan.conv), conv_geometry32(plan.shortcut), tile, spec.shortcut_input_begin,
        std::move(pairs_buffer), std::move(rescale_buffer), plan.relu));
  }
};

}  // namespace

bool shortcut_conv_fusable(const Node& conv, const std::vector<const Value*>& conv_inputs, const Node& shortcut,
                           const std::vector<const Value*>& shortcut_inputs, const Value& out) {
  const std::optional<LayerSpec> a = spec_of_values(conv, conv_inputs, out.dtype(), out);
  const std::optional<LayerSpec> b = spec_of_values(shortcut, shortcut_inputs, DataType::kFloat32, out);
  return a && b && shortcut_conv_plan(*a, *b).ok();
}

const TacticProvider& igemm_int8_shortcut_provider() {
  static const IgemmInt8ShortcutProvider provider;
  return provider;
}

}  // namespace kiln::cuda
