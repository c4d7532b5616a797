#include "backends/cuda/kernels/depthwise/depthwise_conv_provider.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/conv_problem.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/kernels/depthwise/depthwise_conv.h"
#include "core/tensor.h"

namespace kiln::cuda {

namespace {

constexpr int64_t kMaxKernel = 7;

// The layer as a depthwise convolution, or unsupported(reason).
Expected<ConvProblem> depthwise_problem(const LayerSpec& spec) {
  // Read in place: moving the problem out of its Expected trips GCC 12's maybe-uninitialized
  // analysis of the optional inside.
  const Expected<ConvProblem> problem = conv_problem(spec);
  if (!problem.ok()) return problem.status();
  const ConvProblem& p = *problem;
  if (p.quant) return unsupported("the depthwise convolution runs float layers, not kiln.QConv");
  if (p.transposed || !p.channels_last) return unsupported("the depthwise convolution runs channels-last Conv only");
  if (p.group != p.in_channels || p.out_channels != p.in_channels)
    return unsupported("not a depthwise convolution: group {}, {} input and {} output channels (needs all equal)",
                       p.group, p.in_channels, p.out_channels);
  if (p.kernel_h > kMaxKernel || p.kernel_w > kMaxKernel)
    return unsupported("the depthwise convolution takes kernels up to {}x{}, not {}x{}", kMaxKernel, kMaxKernel,
                       p.kernel_h, p.kernel_w);
  if (spec.inputs[1]->host_constant == nullptr)
    return unsupported("the depthwise convolution repacks constant weights; W is computed");
  constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();
  if (spec.inputs[0]->numel() > kMaxIndex || spec.outputs[0].numel() > kMaxIndex)
    return unsupported("the depthwise convolution indexes tensors with 32 bits; X {} or Y {} is too large",
                       dims_to_string(spec.inputs[0]->dims), dims_to_string(spec.outputs[0].dims));
  return p;
}

// W [C, R, S, 1] as [R, S, C]: a thread's channels of one tap become one contiguous vector.
Expected<DeviceBuffer> repacked_weights(const ConvProblem& p, const Tensor& w) {
  const size_t element = data_type_size(p.dtype);
  const int64_t taps = p.kernel_h * p.kernel_w, channels = p.out_channels;
  if (w.dtype() != p.dtype || w.nbytes() != static_cast<size_t>(channels * taps) * element)
    return invalid_argument("the depthwise weights are {} {}, not the layer's", data_type_name(w.dtype()),
                            dims_to_string(w.dims()));
  const auto* src = static_cast<const uint8_t*>(w.raw());
  std::vector<uint8_t> packed(w.nbytes());
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t tap = 0; tap < taps; ++tap)
      std::memcpy(&packed[static_cast<size_t>(tap * channels + c) * element],
                  &src[static_cast<size_t>(c * taps + tap) * element], element);
  KILN_ASSIGN_OR_RETURN(DeviceBuffer device, DeviceBuffer::allocate(packed.size()));
  KILN_CUDA_CHECK(cudaMemcpy(device.get(), packed.data(), packed.size(), cudaMemcpyHostToDevice));
  return device;
}

DepthwiseConvArgs launch_shape(const ConvProblem& p, DepthwiseTiling tiling) {
  DepthwiseConvArgs a;
  static_cast<ConvGeometry32&>(a) = conv_geometry32(p);
  a.dtype = p.dtype;
  a.activation = p.activation;
  a.tiling = tiling;
  return a;
}

// The tilings offered for a layer: the general ones, and the 3x3 kernel's where the window allows.
std::vector<DepthwiseTiling> tilings(const ConvProblem& p) {
  std::vector<DepthwiseTiling> out(std::begin(kDepthwiseGeneralTilings), std::end(kDepthwiseGeneralTilings));
  const bool window_3x3 = p.kernel_h == 3 && p.kernel_w == 3 && p.dilation[0] == 1 && p.dilation[1] == 1 &&
                          p.stride[0] == p.stride[1] && (p.stride[0] == 1 || p.stride[0] == 2);
  if (window_3x3) out.insert(out.end(), std::begin(kDepthwise3x3Tilings), std::end(kDepthwise3x3Tilings));
  return out;
}

// A tiling as a tactic id (the timing cache and plan record it).
int64_t tactic_id(const DepthwiseTiling& t) { return t.pixels + 8 * (t.rows - 1) + (t.fixed_3x3 ? 64 : 0); }

class DepthwiseConvKernel final : public LayerKernel {
 public:
  DepthwiseConvKernel(const ConvProblem& p, DeviceBuffer weights, DepthwiseTiling tiling)
      : problem_(p), weights_(std::move(weights)), shape_(launch_shape(p, tiling)) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    auto input = [&inputs](int i) -> const void* {
      return i >= 0 && static_cast<size_t>(i) < inputs.size() ? inputs[static_cast<size_t>(i)] : nullptr;
    };
    DepthwiseConvArgs a = shape_;
    a.x = input(0);
    a.weights = weights_.get();
    a.bias = problem_.has_bias ? input(problem_.bias_input) : nullptr;
    a.residual = problem_.has_residual ? input(problem_.residual_input) : nullptr;
    a.y = outputs.empty() ? nullptr : outputs[0];
    if (a.x == nullptr || a.y == nullptr || (problem_.has_bias && a.bias == nullptr) ||
        (problem_.has_residual && a.residual == nullptr))
      return invalid_argument("the depthwise convolution is missing a tensor's device pointer");
    KILN_CUDA_CHECK(launch_depthwise_conv(a, env.stream));
    return Status::Ok();
  }

 private:
  ConvProblem problem_;
  DeviceBuffer weights_;
  DepthwiseConvArgs shape_;
};

class DepthwiseConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_depthwise_conv"; }

  Status supports(const LayerSpec& spec) const override { return depthwise_problem(spec).status(); }

  // "kiln_depthwise_conv_float16_px2" (general) or "kiln_depthwise_conv3x3s1_float16_px4_r2".
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    const Expected<ConvProblem> problem = depthwise_problem(spec);
    if (!problem.ok()) return problem.status();
    std::vector<Tactic> tactics;
    for (const DepthwiseTiling& t : tilings(*problem)) {
      const std::string kind = t.fixed_3x3 ? fmt::format("conv3x3s{}", problem->stride[0]) : "conv";
      tactics.push_back({fmt::format("kiln_depthwise_{}_{}_px{}{}", kind, data_type_name(problem->dtype), t.pixels,
                                     t.fixed_3x3 ? fmt::format("_r{}", t.rows) : ""),
                         tactic_id(t)});
    }
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    const Expected<ConvProblem> problem = depthwise_problem(spec);
    if (!problem.ok()) return problem.status();
    const std::vector<DepthwiseTiling> offered = tilings(*problem);
    const auto chosen = std::find_if(offered.begin(), offered.end(),
                                     [&](const DepthwiseTiling& t) { return tactic_id(t) == tactic.id; });
    if (chosen == offered.end())
      return invalid_argument("{} is not a depthwise convolution tactic of this layer (id {})", tactic.name, tactic.id);
    KILN_ASSIGN_OR_RETURN(DeviceBuffer weights, repacked_weights(*problem, *spec.inputs[1]->host_constant));
    return std::unique_ptr<LayerKernel>(
        std::make_unique<DepthwiseConvKernel>(*problem, std::move(weights), *chosen));
  }
};

}  // namespace

const TacticProvider& depthwise_conv_provider() {
  static const DepthwiseConvProvider provider;
  return provider;
}

}  // namespace kiln::cuda
