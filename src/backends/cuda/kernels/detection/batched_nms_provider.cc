// kiln.BatchedNMS on batched_nms.cu: one tactic; its workspace holds the sort and kept lists.
#include <climits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/detection/batched_nms.h"
#include "backends/cuda/kernels/detection/providers.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda::detection {

namespace {

Expected<BatchedNmsShape> make_shape(const LayerSpec& spec) {
  const Node& op = *spec.op;
  if (op.domain() != kKilnDomain || op.op_type() != kBatchedNmsOp)
    return unsupported("kiln_batched_nms runs kiln.BatchedNMS, not {}", op.op_type());
  if (spec.channels_last) return unsupported("kiln.BatchedNMS in channels-last layout");
  if (!spec.has_input(0) || !spec.has_input(1) || spec.outputs.size() != 4)
    return invalid_argument("kiln.BatchedNMS needs boxes, scores and four outputs");
  const TensorDesc& boxes = *spec.inputs[0];
  const TensorDesc& scores = *spec.inputs[1];
  KILN_ASSIGN_OR_RETURN(BatchedNmsParams p, read_batched_nms_params(op, Shape::from_dims(boxes.dims), Shape::from_dims(scores.dims)));
  BatchedNmsShape shape;
  shape.batch = p.batch, shape.num_boxes = p.num_boxes, shape.num_classes = p.num_classes;
  shape.shared_boxes = p.shared_boxes, shape.center_boxes = p.center_boxes, shape.class_agnostic = p.class_agnostic;
  shape.score_threshold = p.score_threshold, shape.iou_threshold = p.iou_threshold;
  shape.top_k = p.top_k, shape.keep_top_k = p.keep_top_k;
  const auto box_type = real_type_of(boxes.dtype), score_type = real_type_of(scores.dtype);
  if (!box_type || !score_type)
    return unsupported("kiln.BatchedNMS of {} boxes and {} scores", data_type_name(boxes.dtype), data_type_name(scores.dtype));
  shape.box_type = *box_type;
  shape.score_type = *score_type;
  if (scores.numel() > INT32_MAX) return unsupported("kiln.BatchedNMS of more than 2^31 - 1 scores ({})", scores.numel());
  if (spec.outputs[0].dtype != DataType::kInt32 || spec.outputs[1].dtype != boxes.dtype ||
      spec.outputs[2].dtype != scores.dtype || spec.outputs[3].dtype != DataType::kInt32)
    return invalid_argument("kiln.BatchedNMS's outputs must be int32, the boxes' type, the scores' type and int32");
  return shape;
}

class BatchedNmsKernel final : public LayerKernel {
 public:
  BatchedNmsKernel(BatchedNmsShape shape, NmsSizes sizes) : shape_(shape), sizes_(sizes) {}
  size_t workspace_bytes() const override { return nms_workspace_bytes(sizes_); }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) override {
    BatchedNmsArgs args;
    args.boxes = in[0];
    args.scores = in[1];
    args.num_detections = static_cast<int32_t*>(out[0]);
    args.out_boxes = out[1];
    args.out_scores = out[2];
    args.out_classes = static_cast<int32_t*>(out[3]);
    args.workspace = env.workspace;
    KILN_CUDA_CHECK(launch_batched_nms(shape_, sizes_, args, env.stream));
    return Status::Ok();
  }

 private:
  BatchedNmsShape shape_;
  NmsSizes sizes_;
};

class BatchedNmsProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_batched_nms"; }
  Status supports(const LayerSpec& spec) const override { return make_shape(spec).status(); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_RETURN_IF_ERROR(supports(spec));
    return std::vector<Tactic>{{"kiln_batched_nms", 0}};
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    if (tactic.id != 0) return invalid_argument("kiln_batched_nms has no tactic {}", tactic.id);
    KILN_ASSIGN_OR_RETURN(BatchedNmsShape shape, make_shape(spec));
    NmsSizes sizes = batched_nms_sizes(shape);
    KILN_CUDA_CHECK(prepare_nms_sizes(&sizes));
    return std::unique_ptr<LayerKernel>(std::make_unique<BatchedNmsKernel>(shape, sizes));
  }
};

}  // namespace

const TacticProvider* batched_nms_provider() {
  static const BatchedNmsProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::detection
