// ONNX NonMaxSuppression on onnx_nms.cu. Its output's row count depends on the data: the kernel
// writes into a buffer for the most rows there can be (output_capacity) and counts the rows on
// the device; the engine reads the count after the layer has run (output_dims).
#include <fmt/ranges.h>

#include <algorithm>
#include <climits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/kernels/detection/onnx_nms.h"
#include "backends/cuda/kernels/detection/providers.h"

namespace kiln::cuda::detection {

namespace {

Expected<RealType> real_input(const LayerSpec& spec, size_t i, const char* name) {
  const auto t = real_type_of(spec.inputs[i]->dtype);
  if (!t) return unsupported("NonMaxSuppression with a {} '{}'", data_type_name(spec.inputs[i]->dtype), name);
  return *t;
}

Status check_scalar(const LayerSpec& spec, size_t i, const char* name) {
  if (spec.has_input(i) && spec.inputs[i]->numel() != 1)
    return invalid_argument("input '{}' must hold one value, got {}", name, spec.inputs[i]->numel());
  return Status::Ok();
}

Expected<OnnxNmsShape> make_shape(const LayerSpec& spec) {
  const Node& op = *spec.op;
  if (!op.domain().empty() || op.op_type() != "NonMaxSuppression")
    return unsupported("kiln_nms runs NonMaxSuppression, not {}", op.op_type());
  if (spec.channels_last) return unsupported("NonMaxSuppression in channels-last layout");
  if (!spec.has_input(0) || !spec.has_input(1) || spec.outputs.size() != 1)
    return invalid_argument("NonMaxSuppression needs boxes, scores and one output");
  if (!spec.outputs[0].data_dependent || spec.outputs[0].dtype != DataType::kInt64)
    return unsupported("NonMaxSuppression's output must be int64 with its row count left to the kernel");
  const std::vector<int64_t>& boxes = spec.inputs[0]->dims;
  const std::vector<int64_t>& scores = spec.inputs[1]->dims;
  if (boxes.size() != 3 || scores.size() != 3 || boxes[2] != 4 || boxes[0] != scores[0] || boxes[1] != scores[2])
    return invalid_argument("NonMaxSuppression needs boxes [N, B, 4] and scores [N, C, B], got [{}] and [{}]",
                            fmt::join(boxes, ", "), fmt::join(scores, ", "));
  OnnxNmsShape shape;
  shape.batches = scores[0];
  shape.classes = scores[1];
  shape.spatial = scores[2];
  if (spec.inputs[1]->numel() > INT32_MAX)
    return unsupported("NonMaxSuppression of more than 2^31 - 1 scores ({})", spec.inputs[1]->numel());
  shape.center_point_box = op.attr_int("center_point_box") != 0;
  KILN_ASSIGN_OR_RETURN(shape.box_type, real_input(spec, 0, "boxes"));
  KILN_ASSIGN_OR_RETURN(shape.score_type, real_input(spec, 1, "scores"));
  KILN_RETURN_IF_ERROR(check_scalar(spec, 2, "max_output_boxes_per_class"));
  KILN_RETURN_IF_ERROR(check_scalar(spec, 3, "iou_threshold"));
  KILN_RETURN_IF_ERROR(check_scalar(spec, 4, "score_threshold"));
  if (spec.has_input(2) && spec.inputs[2]->dtype != DataType::kInt64)
    return unsupported("NonMaxSuppression with a {} max_output_boxes_per_class", data_type_name(spec.inputs[2]->dtype));
  if (spec.has_input(3)) {
    KILN_ASSIGN_OR_RETURN(shape.iou_type, real_input(spec, 3, "iou_threshold"));
  }
  if (spec.has_input(4)) {
    KILN_ASSIGN_OR_RETURN(shape.score_threshold_type, real_input(spec, 4, "score_threshold"));
  }
  // The kept slots per (batch, class): max_output_boxes_per_class when it is known now.
  shape.capacity = spec.has_input(2) ? shape.spatial : 0;
  if (spec.has_input(2) && spec.inputs[2]->host_constant != nullptr)
    shape.capacity = std::clamp<int64_t>(spec.inputs[2]->host_constant->data<int64_t>()[0], 0, shape.spatial);
  return shape;
}

class OnnxNmsKernel final : public LayerKernel {
 public:
  OnnxNmsKernel(OnnxNmsShape shape, NmsSizes sizes, DeviceBuffer count)
      : shape_(shape), sizes_(sizes), count_(std::move(count)) {}
  size_t workspace_bytes() const override { return nms_workspace_bytes(sizes_); }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) override {
    OnnxNmsArgs args;
    args.boxes = in[0];
    args.scores = in[1];
    args.max_output_boxes_per_class = in.size() > 2 ? static_cast<const int64_t*>(in[2]) : nullptr;
    args.iou_threshold = in.size() > 3 ? in[3] : nullptr;
    args.score_threshold = in.size() > 4 ? in[4] : nullptr;
    args.selected = static_cast<int64_t*>(out[0]);
    args.count = static_cast<int64_t*>(count_.get());
    args.workspace = env.workspace;
    KILN_CUDA_CHECK(launch_onnx_nms(shape_, sizes_, args, env.stream));
    return Status::Ok();
  }
  Expected<std::vector<int64_t>> output_capacity(size_t) const override {
    return std::vector<int64_t>{shape_.batches * shape_.classes * shape_.capacity, 3};
  }
  Expected<std::vector<int64_t>> output_dims(size_t) const override {
    int64_t count = 0;
    KILN_CUDA_CHECK(cudaMemcpy(&count, count_.get(), sizeof count, cudaMemcpyDeviceToHost));
    if (count < 0) return invalid_argument("iou_threshold is outside [0, 1]");
    return std::vector<int64_t>{count, 3};
  }

 private:
  OnnxNmsShape shape_;
  NmsSizes sizes_;
  DeviceBuffer count_;  // rows the last run selected
};

class OnnxNmsProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_nms"; }
  Status supports(const LayerSpec& spec) const override { return make_shape(spec).status(); }
  bool computes_data_dependent_shapes() const override { return true; }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_RETURN_IF_ERROR(supports(spec));
    return std::vector<Tactic>{{"kiln_nms_greedy", 0}};
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    if (tactic.id != 0) return invalid_argument("kiln_nms has no tactic {}", tactic.id);
    KILN_ASSIGN_OR_RETURN(OnnxNmsShape shape, make_shape(spec));
    NmsSizes sizes = onnx_nms_sizes(shape);
    KILN_CUDA_CHECK(prepare_nms_sizes(&sizes));
    KILN_ASSIGN_OR_RETURN(DeviceBuffer count, DeviceBuffer::allocate(sizeof(int64_t)));
    return std::unique_ptr<LayerKernel>(std::make_unique<OnnxNmsKernel>(shape, sizes, std::move(count)));
  }
};

}  // namespace

const TacticProvider* onnx_nms_provider() {
  static const OnnxNmsProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::detection
