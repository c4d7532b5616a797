// Gather and GatherElements with int32 or int64 indices read on the device. Negative indices
// count from the end; out-of-range ones are clamped (index_math.h: wrap_and_clamp) since a
// kernel cannot report them, so a bad index never reads out of bounds.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::datamove {

namespace {

Status check_indices(const LayerSpec& spec, int64_t bound) {
  const DataType t = spec.inputs[1]->dtype;
  if (t != DataType::kInt32 && t != DataType::kInt64)
    return unsupported("{} indices of type {}; int32 and int64 are supported", spec.op->op_type(), data_type_name(t));
  if (bound == 0 && spec.outputs[0].numel() > 0)
    return invalid_argument("{} indexes an empty axis", spec.op->op_type());
  return Status::Ok();
}

class GatherProvider final : public DataMovementProvider {
 public:
  explicit GatherProvider(bool elements)
      : DataMovementProvider(elements ? "kiln_gather_elements" : "kiln_gather", {elements ? "GatherElements" : "Gather"}),
        elements_(elements) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    const std::vector<int64_t>& data = spec.inputs[0]->dims;
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(spec.op->attr_int("axis"), static_cast<int>(data.size())));
    KILN_RETURN_IF_ERROR(check_indices(spec, data[static_cast<size_t>(axis)]));
    if (elements_) {
      const std::vector<int64_t>& indices = spec.inputs[1]->dims;
      if (indices.size() != data.size())
        return invalid_argument("GatherElements indices have rank {}, data {}", indices.size(), data.size());
      for (size_t k = 0; k < data.size(); ++k)
        if (static_cast<int>(k) != axis && indices[k] > data[k])
          return invalid_argument("GatherElements indices {} exceed data {} off the axis", dims_to_string(indices),
                                  dims_to_string(data));
      if (data.size() > static_cast<size_t>(kMaxDims))
        return unsupported("GatherElements of rank {}; the CUDA kernel handles rank <= {}", data.size(), kMaxDims);
    }
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    const auto axis = *normalize_axis(spec.op->attr_int("axis"), static_cast<int>(spec.inputs[0]->dims.size()));
    return {fmt::format("{}_axis{}", name(), axis)};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    const std::vector<int64_t>& data = spec.inputs[0]->dims;
    const auto axis = static_cast<size_t>(*normalize_axis(spec.op->attr_int("axis"), static_cast<int>(data.size())));
    std::vector<int64_t> strides(data.size(), 1);
    for (size_t k = data.size(); k-- > 1;) strides[k - 1] = strides[k] * data[k];
    const int elem = static_cast<int>(data_type_size(spec.outputs[0].dtype));
    const int64_t count = spec.outputs[0].numel(), src_count = spec.inputs[0]->numel();
    if (elements_) {
      return with_index_type<GatherElementsMap>(spec, [&](auto map) -> Expected<std::unique_ptr<LayerKernel>> {
        std::vector<int64_t> view_strides = strides;
        view_strides[axis] = 0;
        KILN_ASSIGN_OR_RETURN(map.view, exact_view(spec.inputs[1]->dims, view_strides));
        map.bound = data[axis];
        map.axis_stride = strides[axis];
        return make_kernel<MapCopyKernel<decltype(map)>>(map, elem, count, src_count);
      });
    }
    return with_index_type<GatherMap>(spec, [&](auto map) -> Expected<std::unique_ptr<LayerKernel>> {
      map.bound = data[axis];
      map.count = spec.inputs[1]->numel();
      map.inner = strides[axis];  // elements after the axis
      return make_kernel<MapCopyKernel<decltype(map)>>(map, elem, count, src_count);
    });
  }

 private:
  bool elements_;
};

}  // namespace

const TacticProvider* gather_provider() {
  static const GatherProvider provider(false);
  return &provider;
}

const TacticProvider* gather_elements_provider() {
  static const GatherProvider provider(true);
  return &provider;
}

}  // namespace kiln::cuda::datamove
