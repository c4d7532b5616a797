// Slice: a strided view of the input (start offset, step-scaled strides), clamped exactly as the
// reference (ir/ops/slice_window.h). starts/ends/axes/steps come from the opset-1 attributes or
// from constant inputs.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "ir/ops/slice_window.h"

namespace kiln::cuda::datamove {

namespace {

constexpr const char* kArgNames[] = {"starts", "ends", "axes", "steps"};

Expected<StridedView> slice_view(const LayerSpec& spec) {
  const std::vector<int64_t>& in = spec.inputs[0]->dims;
  std::vector<const Tensor*> args;
  if (spec.op->opset() >= 10)
    for (size_t i = 1; i <= 4; ++i) {
      KILN_ASSIGN_OR_RETURN(const Tensor* t, optional_constant(spec, i, kArgNames[i - 1]));
      args.push_back(t);
    }
  KILN_ASSIGN_OR_RETURN(SliceArgs a, read_slice_args(*spec.op, args, static_cast<int>(in.size())));
  std::vector<int64_t> dims = in, strides(in.size(), 1);
  for (size_t k = in.size(); k-- > 1;) strides[k - 1] = strides[k] * in[k];
  int64_t offset = 0;
  for (size_t i = 0; i < a.axes.size(); ++i) {
    const auto ax = static_cast<size_t>(a.axes[i]);
    const SliceWindow w = clamp_slice(a.starts[i], a.ends[i], a.steps[i], in[ax]);
    dims[ax] = w.count;
    if (w.count > 0) offset += w.start * strides[ax];
    strides[ax] *= w.step;
  }
  if (dims != spec.outputs[0].dims)
    return invalid_argument("Slice of {} gives {} but the output is {}", dims_to_string(in), dims_to_string(dims),
                            dims_to_string(spec.outputs[0].dims));
  return merged_view(dims, strides, offset);
}

class SliceProvider final : public DataMovementProvider {
 public:
  SliceProvider() : DataMovementProvider("kiln_slice", {"Slice"}) {}

 protected:
  Status check(const LayerSpec& spec) const override { return slice_view(spec).status(); }
  std::vector<std::string> tactic_names(const LayerSpec&) const override { return {"kiln_slice"}; }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(StridedView view, slice_view(spec));
    return make_kernel<MapCopyKernel<StridedMap>>(StridedMap{view}, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                       spec.outputs[0].numel(), spec.inputs[0]->numel());
  }
};

}  // namespace

const TacticProvider* slice_provider() {
  static const SliceProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
