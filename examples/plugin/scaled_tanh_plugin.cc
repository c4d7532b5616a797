// ScaledTanh: y = alpha * tanh(beta * x), elementwise, as a Kiln plugin.
//
// The ONNX node is `ScaledTanh` in the domain `com.example` with float attributes `alpha`
// (default 1.7159) and `beta` (default 2/3): LeCun's scaled tanh. docs/plugins.md walks through
// this file part by part.
#include <cmath>
#include <memory>

#include "kiln/plugin.h"
#include "scaled_tanh_kernel.h"

namespace {

using kiln::DataType;
using kiln::DeviceKind;
using kiln::Status;
using kiln::StatusCode;

kiln::PluginIdentity scaled_tanh_identity() { return {"ScaledTanh", "1", "com.example"}; }

class ScaledTanh final : public kiln::Plugin {
 public:
  ScaledTanh(float alpha, float beta) : alpha_(alpha), beta_(beta) {}

  // --- core: who the plugin is ---
  kiln::PluginIdentity identity() const override { return scaled_tanh_identity(); }
  std::unique_ptr<kiln::Plugin> clone() const override { return std::make_unique<ScaledTanh>(*this); }

  // --- build: what the layer makes, and from what ---
  int num_outputs() const override { return 1; }
  Status output_dtypes(std::span<const DataType> inputs, std::span<DataType> outputs) const override {
    if (inputs.size() != 1) return Status(StatusCode::kInvalidArgument, "takes one input");
    outputs[0] = inputs[0];
    return Status::Ok();
  }
  // Elementwise: the output has the input's shape, dynamic dims included.
  Status output_shapes(std::span<const kiln::ShapeExpr> inputs, std::span<kiln::ShapeExpr> outputs) const override {
    outputs[0] = inputs[0];
    return Status::Ok();
  }
  // float32, linear, wherever there is an implementation.
  bool supports_format(int pos, std::span<const kiln::PluginTensorDesc> io, int, DeviceKind device) const override {
    if (device == DeviceKind::kCuda && !scaled_tanh_has_cuda()) return false;
    const kiln::PluginTensorDesc& d = io[static_cast<size_t>(pos)];
    return d.dtype == DataType::kFloat32 && d.format == kiln::TensorFormat::kLinear;
  }

  // --- runtime: computing it ---
  Status enqueue(std::span<const kiln::PluginTensorDesc> input_descs, std::span<const void* const> inputs,
                 std::span<const kiln::PluginTensorDesc>, std::span<void* const> outputs, void*, DeviceKind device,
                 void* stream) override {
    const int64_t n = input_descs[0].numel();
    const auto* x = static_cast<const float*>(inputs[0]);
    auto* y = static_cast<float*>(outputs[0]);
    if (device == DeviceKind::kCuda) {
      const char* error = scaled_tanh_cuda(x, y, n, alpha_, beta_, stream);
      return error == nullptr ? Status::Ok() : Status(StatusCode::kInternal, error);
    }
    for (int64_t i = 0; i < n; ++i) y[i] = alpha_ * std::tanh(beta_ * x[i]);
    return Status::Ok();
  }
  // The fields are the whole state: the creator recreates the plugin from them.
  std::vector<uint8_t> serialize() const override {
    return kiln::encode_plugin_fields({kiln::PluginField::of_float("alpha", alpha_), kiln::PluginField::of_float("beta", beta_)});
  }

 private:
  float alpha_, beta_;
};

class ScaledTanhCreator final : public kiln::PluginCreator {
 public:
  kiln::PluginIdentity identity() const override { return scaled_tanh_identity(); }
  std::vector<kiln::PluginFieldSpec> field_specs() const override {
    return {{"alpha", kiln::PluginFieldType::kFloat}, {"beta", kiln::PluginFieldType::kFloat}};
  }
  kiln::Expected<std::unique_ptr<kiln::Plugin>> create(const std::vector<kiln::PluginField>& fields) const override {
    const kiln::PluginField* alpha = kiln::find_plugin_field(fields, "alpha");
    const kiln::PluginField* beta = kiln::find_plugin_field(fields, "beta");
    const float a = alpha ? alpha->f : 1.7159f, b = beta ? beta->f : 2.f / 3.f;
    if (!std::isfinite(a) || !std::isfinite(b))
      return Status(StatusCode::kInvalidArgument, "alpha and beta must be finite");
    return std::unique_ptr<kiln::Plugin>(new ScaledTanh(a, b));
  }
  kiln::Expected<std::unique_ptr<kiln::Plugin>> deserialize(const void* data, size_t size) const override {
    auto fields = kiln::decode_plugin_fields(data, size);
    if (!fields.ok()) return fields.status();
    return create(*fields);
  }
};

}  // namespace

// The library's one entry point: Kiln calls it once when it loads the library.
extern "C" int kiln_register_plugins(kiln::PluginRegistry* registry) {
  return registry->add_creator(std::make_unique<ScaledTanhCreator>()).ok() ? 0 : 1;
}
