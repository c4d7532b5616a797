// Pad (constant, edge, reflect; negative pads crop): each output coordinate maps per axis to an
// input coordinate or, in constant mode, to the fill value. pads and the fill come from the
// attributes (before opset 11) or from constant inputs.
#include <cstring>

#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "core/dispatch.h"
#include "ir/ops/attr_or_input.h"

namespace kiln::cuda::datamove {

namespace {

Expected<PadMode> pad_mode(const LayerSpec& spec) {
  const std::string mode = spec.op->attr_string("mode");
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "edge") return PadMode::kEdge;
  if (mode == "reflect") return PadMode::kReflect;
  return unsupported("Pad mode '{}' is not supported", mode);
}

// The fill value's bytes (as the reference: input 'constant_value' since opset 11, else the float
// attribute 'value' converted to the data's type).
Expected<uint64_t> fill_bits(const LayerSpec& spec) {
  const DataType dtype = spec.inputs[0]->dtype;
  uint64_t bits = 0;
  if (spec.op->opset() >= 11) {
    KILN_ASSIGN_OR_RETURN(const Tensor* value, optional_constant(spec, 2, "constant_value"));
    if (value != nullptr && value->numel() > 0) {
      if (value->dtype() != dtype) return invalid_argument("Pad input 'constant_value' must have the data's type");
      std::memcpy(&bits, value->raw(), data_type_size(dtype));
    }
    return bits;
  }
  const float v = spec.op->attr_float("value");
  KILN_RETURN_IF_ERROR(KILN_DISPATCH_ALL(dtype, [&](auto tag) {
    const auto t = static_cast<decltype(tag)>(v);
    std::memcpy(&bits, &t, sizeof(t));
    return Status::Ok();
  }));
  return bits;
}

Expected<PadMap> pad_map(const LayerSpec& spec) {
  const std::vector<int64_t>& in = spec.inputs[0]->dims;
  const std::vector<int64_t>& out = spec.outputs[0].dims;
  const Tensor* pads_value = nullptr;
  if (spec.op->opset() >= 11) {
    KILN_ASSIGN_OR_RETURN(pads_value, optional_constant(spec, 1, "pads"));
  }
  KILN_ASSIGN_OR_RETURN(IntList pads, int_list_attr_or_input(*spec.op, "pads", 11, spec.has_input(1), pads_value));
  if (pads.values.size() != 2 * in.size())
    return invalid_argument("Pad has {} pads for rank {}", pads.values.size(), in.size());
  PadMap map;
  KILN_ASSIGN_OR_RETURN(map.mode, pad_mode(spec));
  std::vector<int64_t> strides(in.size(), 1);
  for (size_t k = in.size(); k-- > 1;) strides[k - 1] = strides[k] * in[k];
  KILN_ASSIGN_OR_RETURN(map.view, exact_view(out, strides));
  for (size_t k = 0; k < in.size(); ++k) {
    if (out[k] != in[k] + pads.values[k] + pads.values[k + in.size()])
      return invalid_argument("Pad output dim {} is {}, the pads give {}", k, out[k],
                              in[k] + pads.values[k] + pads.values[k + in.size()]);
    if (in[k] == 0 && out[k] > 0 && map.mode != PadMode::kConstant)
      return invalid_argument("{} padding needs a non-empty axis, axis {} is empty", spec.op->attr_string("mode"), k);
    map.in_dims[k] = in[k];
    map.before[k] = pads.values[k];
  }
  return map;
}

// Zeros appended to the last axis only (channels added to a channels-last tensor): rows.
bool zero_pads_last_axis_end(const LayerSpec& spec) {
  auto map = pad_map(spec);
  auto fill = fill_bits(spec);
  if (!map.ok() || !fill.ok() || map->mode != PadMode::kConstant || *fill != 0) return false;
  const auto& in = spec.inputs[0]->dims;
  const auto& out = spec.outputs[0].dims;
  if (in.empty() || in.back() == 0 || out.back() > (int64_t{1} << 30)) return false;
  for (size_t k = 0; k < in.size(); ++k)
    if (map->before[k] != 0 || (k + 1 < in.size() && in[k] != out[k])) return false;
  return out.back() >= in.back();
}

class PadRowsKernel final : public LayerKernel {
 public:
  PadRowsKernel(int64_t rows, int64_t src_cols, int64_t dst_cols, int elem)
      : rows_(rows), src_cols_(src_cols), dst_cols_(dst_cols), elem_(elem) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs, const std::vector<void*>& outputs) override {
    KILN_CUDA_CHECK(launch_pad_rows(inputs[0], outputs[0], rows_, static_cast<int>(src_cols_), static_cast<int>(dst_cols_),
                                    elem_, env.stream));
    return Status::Ok();
  }

 private:
  int64_t rows_, src_cols_, dst_cols_;
  int elem_;
};

class PadProvider final : public DataMovementProvider {
 public:
  PadProvider() : DataMovementProvider("kiln_pad", {"Pad"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    KILN_RETURN_IF_ERROR(fill_bits(spec).status());
    return pad_map(spec).status();
  }
  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    std::vector<std::string> names = {"kiln_pad_" + spec.op->attr_string("mode")};
    if (zero_pads_last_axis_end(spec))
      names.push_back("kiln_pad_rows_" + std::to_string(data_type_size(spec.outputs[0].dtype)) + "B");
    return names;
  }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t tactic) const override {
    if (tactic == 1) {
      const auto& in = spec.inputs[0]->dims;
      const auto& out = spec.outputs[0].dims;
      return make_kernel<PadRowsKernel>(spec.inputs[0]->numel() / in.back(), in.back(), out.back(),
                                        static_cast<int>(data_type_size(spec.outputs[0].dtype)));
    }
    KILN_ASSIGN_OR_RETURN(PadMap map, pad_map(spec));
    KILN_ASSIGN_OR_RETURN(uint64_t fill, fill_bits(spec));
    return make_kernel<MapCopyKernel<PadMap>>(map, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                   spec.outputs[0].numel(), spec.inputs[0]->numel(), fill);
  }
};

}  // namespace

const TacticProvider* pad_provider() {
  static const PadProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
