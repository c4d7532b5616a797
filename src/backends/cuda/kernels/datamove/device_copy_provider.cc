// Reshape, Flatten, Squeeze, Unsqueeze and Identity keep the bytes and change only the dims: one
// device-to-device copy. Their shape/axes inputs only shaped the output, so they need not be
// constant here.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"

namespace kiln::cuda::datamove {

namespace {

class DeviceCopyProvider final : public DataMovementProvider {
 public:
  DeviceCopyProvider()
      : DataMovementProvider("kiln_device_copy", {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    const TensorDesc& in = *spec.inputs[0];
    const TensorDesc& out = spec.outputs[0];
    if (in.dtype != out.dtype || in.numel() != out.numel())
      return invalid_argument("{} of {} {} into {} {}", spec.op->op_type(), data_type_name(in.dtype),
                              dims_to_string(in.dims), data_type_name(out.dtype), dims_to_string(out.dims));
    return Status::Ok();
  }
  std::vector<std::string> tactic_names(const LayerSpec&) const override { return {"kiln_device_copy"}; }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    return make_kernel<DeviceCopyKernel>(static_cast<size_t>(spec.outputs[0].numel()) *
                                              data_type_size(spec.outputs[0].dtype));
  }
};

}  // namespace

const TacticProvider* device_copy_provider() {
  static const DeviceCopyProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
