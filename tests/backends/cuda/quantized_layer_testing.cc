#include "quantized_layer_testing.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "ir/op_schema.h"
#include "testing/node_runner.h"

namespace kiln::testing {

namespace {

int onnx_type_number(DataType t) {
  switch (t) {
    case DataType::kFloat16: return 10;
    case DataType::kBFloat16: return 16;
    default: return 1;
  }
}

Tensor scalar(float v) {
  Tensor t(DataType::kFloat32, {});
  t.data<float>()[0] = v;
  return t;
}

// The activation (not gated) by its reference kernel.
Tensor activate(const Activation& act, const Tensor& v) {
  NodeSpec spec;
  spec.op_type = act.op;
  if (act.op == "LeakyRelu" || act.op == "Elu") spec.attrs["alpha"] = Attribute::of_float(act.alpha);
  auto out = run_node(spec, {v});
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

}  // namespace

Tensor random_int8(std::vector<int64_t> dims, unsigned seed) {
  return random_tensor(DataType::kInt8, std::move(dims), -127.f, 127.f, seed);
}

std::vector<Tensor> quantized_layer_inputs(const QuantizedCase& c, const std::vector<int64_t>& y_dims, unsigned seed) {
  std::vector<Tensor> tail(6);
  tail[0] = scalar(c.x_scale);
  Tensor w_scale(DataType::kFloat32, {static_cast<int64_t>(c.w_scale.size())});
  std::copy(c.w_scale.begin(), c.w_scale.end(), w_scale.data<float>());
  tail[1] = w_scale;
  if (c.bias) tail[2] = random_tensor(DataType::kFloat32, {static_cast<int64_t>(c.w_scale.size())}, -2.f, 2.f, seed);
  if (c.residual == DataType::kInt8) {
    tail[3] = random_int8(y_dims, seed + 1);
    tail[4] = scalar(c.z_scale);
  } else if (c.residual != DataType::kUndefined) {
    tail[3] = convert(random_tensor(DataType::kFloat32, y_dims, -3.f, 3.f, seed + 1), c.residual);
  }
  if (c.output == DataType::kInt8) tail[5] = scalar(c.y_scale);
  return tail;
}

Tensor expected_quantized_output(const QuantizedCase& c, const Tensor& acc, int channel_axis,
                                 const std::vector<Tensor>& tail) {
  const std::vector<int64_t>& dims = acc.dims();
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(channel_axis) + 1; d < dims.size(); ++d) inner *= dims[d];
  const int64_t channels = dims[static_cast<size_t>(channel_axis)];
  Tensor v(DataType::kFloat32, dims);
  const Tensor z = tail[3].defined() ? convert(tail[3], DataType::kFloat32) : Tensor();
  for (int64_t i = 0; i < acc.numel(); ++i) {
    const int64_t k = (i / inner) % channels;
    float x = acc.data<float>()[i] * (c.x_scale * c.w_scale[static_cast<size_t>(k)]);
    if (c.bias) x += tail[2].data<float>()[k];
    if (z.defined()) x += c.residual == DataType::kInt8 ? z.data<float>()[i] * c.z_scale : z.data<float>()[i];
    v.data<float>()[i] = x;
  }
  if (!c.activation.none()) {
    const Tensor a = activate(c.activation, v);
    for (int64_t i = 0; i < v.numel(); ++i)
      v.data<float>()[i] = c.activation.gated ? v.data<float>()[i] * a.data<float>()[i] : a.data<float>()[i];
  }
  if (c.output != DataType::kInt8) return convert(v, c.output);
  Tensor y(DataType::kInt8, dims);
  for (int64_t i = 0; i < v.numel(); ++i)
    y.data<int8_t>()[i] =
        static_cast<int8_t>(std::clamp(std::nearbyint(v.data<float>()[i] / c.y_scale), -128.f, 127.f));
  return y;
}

void expect_quantized_match(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.dtype(), expected.dtype()) << what;
  ASSERT_EQ(actual.numel(), expected.numel()) << what;
  if (expected.dtype() != DataType::kInt8) {
    EXPECT_LE(relative_error(actual, expected), 1e-3) << what;
    return;
  }
  int max_diff = 0;
  int64_t exact = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const int diff = std::abs(int{actual.data<int8_t>()[i]} - int{expected.data<int8_t>()[i]});
    max_diff = std::max(max_diff, diff);
    exact += diff == 0;
  }
  EXPECT_LE(max_diff, 1) << what;
  EXPECT_GE(static_cast<double>(exact), 0.99 * static_cast<double>(expected.numel())) << what;
}

size_t igemm_tiles_on_test_device() {
  const cudaDeviceProp& props = test_device().props;
  size_t runnable = 0;
  for (cuda::IgemmTile tile : cuda::kIgemmTiles) runnable += cuda::igemm_tile_runs_on(tile, props.major, props.minor);
  return runnable;
}

std::vector<std::string> expect_provider_tactics_match(const cuda::TacticProvider& provider,
                                                       const QuantizedLayer& layer, std::string_view prefix) {
  std::vector<std::string> ran;
  auto tactics = provider.tactics(layer.spec, test_device());
  EXPECT_TRUE(tactics.ok()) << tactics.status().to_string();
  if (!tactics.ok()) return ran;
  for (const cuda::Tactic& tactic : *tactics) {
    EXPECT_EQ(tactic.name.rfind(prefix, 0), 0u) << tactic.name;
    if (expect_tactic_matches_and_replays(provider, tactic, layer).defined()) ran.push_back(tactic.name);
  }
  return ran;
}

void add_epilogue_attrs(const QuantizedCase& c, std::map<std::string, Attribute>& attrs) {
  attrs["activation"] = Attribute::of_string(c.activation.op);
  attrs["activation_alpha"] = Attribute::of_float(c.activation.alpha);
  attrs["activation_beta"] = Attribute::of_float(c.activation.beta);
  attrs["activation_gated"] = Attribute::of_int(c.activation.gated ? 1 : 0);
  if (c.output != DataType::kInt8) attrs["output_dtype"] = Attribute::of_int(onnx_type_number(c.output));
}

Tensor expect_tactic_matches_and_replays(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                         const QuantizedLayer& layer) {
  auto run = run_direct_and_captured(provider, tactic, layer.spec, layer.inputs);
  if (!run.ok()) {
    ADD_FAILURE() << tactic.name << ": " << run.status().to_string();
    return {};
  }
  expect_quantized_match(run->direct, layer.expected, tactic.name);
  if (run->replayed.nbytes() != run->direct.nbytes()) {
    ADD_FAILURE() << tactic.name << ": the CUDA-graph replay gave " << run->replayed.nbytes() << " bytes, not "
                  << run->direct.nbytes();
  } else {
    EXPECT_EQ(std::memcmp(run->replayed.raw(), run->direct.raw(), run->direct.nbytes()), 0)
        << tactic.name << ": the CUDA-graph replay differs from the direct launch";
  }
  return std::move(run->direct);
}

const cuda::TacticProvider& provider_named(std::string_view name) {
  for (const cuda::TacticProvider* p : cuda::all_providers())
    if (p->name() == name) return *p;
  ADD_FAILURE() << "no provider " << name;
  return *cuda::all_providers().front();
}

namespace {

// Runs every tactic of every provider supporting `spec`, expects each output to match `expected`
// and at least one run; returns how many runs were `library`'s.
int match_every_tactic(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs, const Tensor& expected,
                       std::string_view library) {
  auto runs = run_all_tactics(spec, inputs);
  EXPECT_TRUE(runs.ok()) << runs.status().to_string();
  if (!runs.ok()) return 0;
  int library_runs = 0;
  for (const TacticRun& run : *runs) {
    expect_quantized_match(run.outputs[0], expected, run.provider + " tactic " + run.tactic);
    library_runs += run.provider == library;
  }
  EXPECT_GT(runs->size(), 0u);
  return library_runs;
}

}  // namespace

void expect_every_quantized_tactic_matches(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs,
                                           const Tensor& expected, std::string_view library, bool library_refuses) {
  ASSERT_TRUE(expected.defined());
  const Status direct = provider_named("kiln_direct_quantized").supports(spec);
  ASSERT_TRUE(direct.ok()) << direct.to_string();
  const Status lib = provider_named(library).supports(spec);
  if (library_refuses) {
    ASSERT_FALSE(lib.ok());
    EXPECT_NE(lib.message().find("multiples of 4"), std::string::npos) << lib.to_string();
  } else {
    ASSERT_TRUE(lib.ok()) << lib.to_string();
  }

  KILN_REQUIRE_GPU();
  const int library_runs = match_every_tactic(spec, inputs, expected, library);
  if (!library_refuses) {
    EXPECT_GT(library_runs, 0) << "no " << library << " tactic ran";
  }
}

void expect_every_fp8_tactic_matches(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs,
                                     const Tensor& expected, std::string_view library) {
  ASSERT_TRUE(expected.defined());
  const Status lib = provider_named(library).supports(spec);
  ASSERT_TRUE(lib.ok()) << lib.to_string();
  const Status direct = provider_named("kiln_direct_quantized").supports(spec);
  EXPECT_FALSE(direct.ok()) << "the int8 kernel must not take an FP8 layer";

  KILN_REQUIRE_GPU();
  EXPECT_GT(match_every_tactic(spec, inputs, expected, library), 0) << "no " << library << " tactic ran";
}

Tensor random_e4m3(std::vector<int64_t> dims, unsigned seed) {
  const Tensor codes = random_tensor(DataType::kUInt8, std::move(dims), 0.f, 255.f, seed);
  Tensor out(DataType::kFloat8E4M3, codes.dims());
  for (int64_t i = 0; i < codes.numel(); ++i) {
    const uint8_t c = codes.data<uint8_t>()[i];
    out.data<uint8_t>()[i] = (c & 0x7F) == 0x7F ? c ^ 0x01 : c;  // NaN -> +-448
  }
  return out;
}

QuantizedCase fp8_case(int64_t channels, DataType output) {
  QuantizedCase q;
  for (int64_t i = 0; i < channels; ++i) q.w_scale.push_back(0.0005f + 0.0001f * static_cast<float>(i % 7));
  q.output = output;
  return q;
}

namespace {

// The layer of `s` over X and W (physical NHWC / [K, R, S, C/g] forms).
QuantizedLayer qconv_layer(const QConvShape& s, const QuantizedCase& q, const Tensor& x, const Tensor& w) {
  QuantizedLayer layer;
  std::map<std::string, Attribute> attrs = {{"strides", Attribute::of_ints({s.stride, s.stride})},
                                            {"pads", Attribute::of_ints({s.pad, s.pad, s.pad, s.pad})},
                                            {"dilations", Attribute::of_ints({s.dilation, s.dilation})},
                                            {"group", Attribute::of_int(s.group)}};
  add_epilogue_attrs(q, attrs);
  const int64_t window = s.dilation * (s.r - 1) + 1;
  const int64_t out_h = (s.h + 2 * s.pad - window) / s.stride + 1, out_w = (s.w + 2 * s.pad - window) / s.stride + 1;
  const std::vector<Tensor> tail = quantized_layer_inputs(q, {s.n, s.k, out_h, out_w}, 6);
  // The reference kernel runs the NCHW form: X [n, c, h, w], W [k, c/g, r, r], Z [n, k, out_h, out_w].
  std::vector<Tensor> reference_inputs = {from_channels_last(x), from_channels_last(w)};
  reference_inputs.insert(reference_inputs.end(), tail.begin(), tail.end());
  const NodeSpec reference{"QConv", attrs, 1, 1, std::string(kKilnDomain)};
  auto expected = run_node(reference, reference_inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  if (expected.ok()) layer.expected = to_channels_last((*expected)[0]);

  layer.inputs = {x, w};
  for (size_t i = 0; i < tail.size(); ++i)
    layer.inputs.push_back(i == 3 && tail[i].defined() ? to_channels_last(tail[i]) : tail[i]);
  layer.node = node_in_graph("QConv", std::string(kKilnDomain), 1, attrs, layer.inputs);
  layer.spec = make_spec(*layer.node->node, layer.inputs, {{s.n, out_h, out_w, s.k}}, {q.output}, {1, 2, 3, 4, 6, 7});
  layer.spec.channels_last = true;
  layer.spec.input_nhwc = {true, true, false, false, false, true, false, false};
  return layer;
}

}  // namespace

QuantizedLayer fp8_qconv(const QConvShape& s, const QuantizedCase& q) {
  return qconv_layer(s, q, random_e4m3({s.n, s.h, s.w, s.c}, 4), random_e4m3({s.k, s.r, s.r, s.c / s.group}, 5));
}

QuantizedLayer int8_qconv(const QConvShape& s, const QuantizedCase& q) {
  return qconv_layer(s, q, random_int8({s.n, s.h, s.w, s.c}, 4), random_int8({s.k, s.r, s.r, s.c / s.group}, 5));
}

}  // namespace kiln::testing
