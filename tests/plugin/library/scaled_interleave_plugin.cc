// A plugin library for the tests, built as its own shared library against include/kiln only (as
// a user's would be) and loaded at run time.
//
// kiln.test.ScaledInterleave (version 1): inputs A and B, both [N, K] float32;
//   out0 [N, 2K]: out0[n, 2k] = scale * A[n, k], out0[n, 2k + 1] = scale * B[n, k]
//   out1 [N]:     the sum of row n of out0
// Fields: `scale` (float, default 1) and `fail_message` (string): when set, enqueue() fails with
// it, for testing how Kiln reports plugin errors. The row sums go through the workspace, and on
// CUDA two tactics (a block per row, or a thread per element) are offered, so the builder times
// plugin tactics and hands plugins workspace memory.
#include <cstring>
#include <memory>

#include "kiln/plugin.h"
#include "scaled_interleave_kernel.h"

namespace {

using kiln::DataType;
using kiln::DeviceKind;
using kiln::Status;
using kiln::StatusCode;

kiln::PluginIdentity identity() { return {"ScaledInterleave", "1", "kiln.test"}; }

class ScaledInterleave final : public kiln::Plugin {
 public:
  ScaledInterleave(float scale, std::string fail_message) : scale_(scale), fail_message_(std::move(fail_message)) {}

  kiln::PluginIdentity identity() const override { return ::identity(); }
  std::unique_ptr<kiln::Plugin> clone() const override { return std::make_unique<ScaledInterleave>(*this); }

  int num_outputs() const override { return 2; }
  Status output_dtypes(std::span<const DataType> inputs, std::span<DataType> outputs) const override {
    if (inputs.size() != 2) return Status(StatusCode::kInvalidArgument, "takes 2 inputs");
    outputs[0] = outputs[1] = inputs[0];
    return Status::Ok();
  }
  Status output_shapes(std::span<const kiln::ShapeExpr> in, std::span<kiln::ShapeExpr> out) const override {
    if (in[0].dims.size() != 2 || in[1].dims.size() != 2)
      return Status(StatusCode::kInvalidArgument, "inputs must be [N, K] matrices");
    out[0].dims = {in[0].dims[0], in[0].dims[1] * 2};
    out[1].dims = {in[0].dims[0]};
    return Status::Ok();
  }
  bool supports_format(int pos, std::span<const kiln::PluginTensorDesc> io, int, DeviceKind device) const override {
    if (device == DeviceKind::kCuda && !scaled_interleave_cuda_available()) return false;
    const kiln::PluginTensorDesc& d = io[static_cast<size_t>(pos)];
    return d.dtype == DataType::kFloat32 && d.format == kiln::TensorFormat::kLinear;
  }
  size_t workspace_size(std::span<const kiln::PluginTensorDesc> inputs,
                        std::span<const kiln::PluginTensorDesc>) const override {
    return static_cast<size_t>(inputs[0].dims[0]) * sizeof(float);
  }
  std::vector<int64_t> tactics() const override { return {kBlockPerRow, kThreadPerElement}; }

  Status set_tactic(int64_t tactic) override {
    if (tactic != kBlockPerRow && tactic != kThreadPerElement)
      return Status(StatusCode::kInvalidArgument, "unknown tactic " + std::to_string(tactic));
    tactic_ = tactic;
    return Status::Ok();
  }
  Status configure(std::span<const kiln::PluginTensorDesc> inputs, std::span<const kiln::PluginTensorDesc>) override {
    if (inputs[0].dims != inputs[1].dims) return Status(StatusCode::kInvalidArgument, "A and B differ in shape");
    return Status::Ok();
  }
  Status enqueue(std::span<const kiln::PluginTensorDesc> descs, std::span<const void* const> inputs,
                 std::span<const kiln::PluginTensorDesc>, std::span<void* const> outputs, void* workspace,
                 DeviceKind device, void* stream) override {
    if (!fail_message_.empty()) return Status(StatusCode::kInvalidArgument, fail_message_);
    const int64_t n = descs[0].dims[0], k = descs[0].dims[1];
    if (n > 0 && workspace == nullptr) return Status(StatusCode::kInternal, "no workspace");
    const auto* a = static_cast<const float*>(inputs[0]);
    const auto* b = static_cast<const float*>(inputs[1]);
    auto* out = static_cast<float*>(outputs[0]);
    auto* sums = static_cast<float*>(outputs[1]);
    auto* partial = static_cast<float*>(workspace);
    if (device == DeviceKind::kCuda) {
      const char* error = scaled_interleave_cuda(tactic_, a, b, out, sums, partial, n, k, scale_, stream);
      return error == nullptr ? Status::Ok() : Status(StatusCode::kInternal, error);
    }
    for (int64_t r = 0; r < n; ++r) {
      partial[r] = 0.f;
      for (int64_t c = 0; c < k; ++c) {
        out[r * 2 * k + 2 * c] = scale_ * a[r * k + c];
        out[r * 2 * k + 2 * c + 1] = scale_ * b[r * k + c];
        partial[r] += out[r * 2 * k + 2 * c] + out[r * 2 * k + 2 * c + 1];
      }
    }
    std::memcpy(sums, partial, static_cast<size_t>(n) * sizeof(float));
    return Status::Ok();
  }

  std::vector<kiln::PluginField> fields() const {
    return {kiln::PluginField::of_float("scale", scale_), kiln::PluginField::of_string("fail_message", fail_message_)};
  }
  std::vector<uint8_t> serialize() const override { return kiln::encode_plugin_fields(fields()); }

 private:
  float scale_;
  std::string fail_message_;
  int64_t tactic_ = kBlockPerRow;
};

class ScaledInterleaveCreator final : public kiln::PluginCreator {
 public:
  kiln::PluginIdentity identity() const override { return ::identity(); }
  std::vector<kiln::PluginFieldSpec> field_specs() const override {
    return {{"scale", kiln::PluginFieldType::kFloat}, {"fail_message", kiln::PluginFieldType::kString}};
  }
  kiln::Expected<std::unique_ptr<kiln::Plugin>> create(const std::vector<kiln::PluginField>& fields) const override {
    const kiln::PluginField* scale = kiln::find_plugin_field(fields, "scale");
    const kiln::PluginField* fail = kiln::find_plugin_field(fields, "fail_message");
    return std::unique_ptr<kiln::Plugin>(new ScaledInterleave(scale ? scale->f : 1.f, fail ? fail->s : ""));
  }
  kiln::Expected<std::unique_ptr<kiln::Plugin>> deserialize(const void* data, size_t size) const override {
    auto fields = kiln::decode_plugin_fields(data, size);
    if (!fields.ok()) return fields.status();
    return create(*fields);
  }
};

}  // namespace

extern "C" int kiln_register_plugins(kiln::PluginRegistry* registry) {
  return registry->add_creator(std::make_unique<ScaledInterleaveCreator>()).ok() ? 0 : 1;
}
