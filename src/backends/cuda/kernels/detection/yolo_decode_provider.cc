// kiln.YoloDecode on yolo_decode.cu: one tactic, the heads' float type in and out.
#include <fmt/format.h>

#include <algorithm>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/detection/providers.h"
#include "backends/cuda/kernels/detection/yolo_decode.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/yolo_decode_params.h"

namespace kiln::cuda::detection {

namespace {

Expected<YoloDecodeShape> make_shape(const LayerSpec& spec) {
  const Node& op = *spec.op;
  if (op.domain() != kKilnDomain || op.op_type() != kYoloDecodeOp)
    return unsupported("kiln_yolo_decode runs kiln.YoloDecode, not {}", op.op_type());
  if (spec.channels_last) return unsupported("kiln.YoloDecode in channels-last layout");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (!spec.has_input(i)) return invalid_argument("input {} is missing", i);
    if (spec.inputs[i]->dtype != spec.inputs[0]->dtype) return invalid_argument("the heads must share one dtype");
    shapes.push_back(Shape::from_dims(spec.inputs[i]->dims));
  }
  const auto type = real_type_of(spec.inputs[0]->dtype);
  if (!type) return unsupported("kiln.YoloDecode of {} heads", data_type_name(spec.inputs[0]->dtype));
  KILN_ASSIGN_OR_RETURN(YoloDecodeParams p, read_yolo_decode_params(op, shapes));
  if (p.levels.size() > static_cast<size_t>(kMaxYoloLevels) || p.num_anchors > kMaxYoloAnchors)
    return unsupported("kiln.YoloDecode with more than {} heads or {} anchors per head", kMaxYoloLevels, kMaxYoloAnchors);
  if (spec.outputs.size() != 2 || spec.outputs[0].dtype != spec.inputs[0]->dtype || spec.outputs[1].dtype != spec.inputs[0]->dtype)
    return invalid_argument("kiln.YoloDecode's outputs must have the heads' dtype");
  YoloDecodeShape shape;
  shape.num_levels = static_cast<int>(p.levels.size());
  shape.formula = p.variant == YoloVariant::kV3 ? YoloFormula::kV3 : p.variant == YoloVariant::kV5 ? YoloFormula::kV5 : YoloFormula::kV8;
  shape.num_anchors = p.num_anchors;
  shape.num_classes = p.num_classes;
  shape.num_boxes = p.num_boxes;
  shape.batch = spec.inputs[0]->dims[0];
  shape.center = p.center_boxes;
  shape.type = *type;
  for (size_t l = 0; l < p.levels.size(); ++l) {
    YoloLevelShape& level = shape.levels[l];
    level.height = p.levels[l].height;
    level.width = p.levels[l].width;
    level.first_box = p.levels[l].first_box;
    level.stride = p.levels[l].stride;
    std::copy(p.levels[l].anchors.begin(), p.levels[l].anchors.end(), level.anchors);
  }
  return shape;
}

class YoloDecodeKernel final : public LayerKernel {
 public:
  explicit YoloDecodeKernel(const YoloDecodeShape& shape) : shape_(shape) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) override {
    YoloDecodeArgs args;
    for (size_t l = 0; l < in.size() && l < static_cast<size_t>(kMaxYoloLevels); ++l) args.heads[l] = in[l];
    args.boxes = out[0];
    args.scores = out[1];
    KILN_CUDA_CHECK(launch_yolo_decode(shape_, args, env.stream));
    return Status::Ok();
  }

 private:
  YoloDecodeShape shape_;
};

std::string_view formula_name(YoloFormula f) {
  return f == YoloFormula::kV3 ? "yolov3" : f == YoloFormula::kV5 ? "yolov5" : "yolov8";
}

class YoloDecodeProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_yolo_decode"; }
  Status supports(const LayerSpec& spec) const override { return make_shape(spec).status(); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(YoloDecodeShape shape, make_shape(spec));
    return std::vector<Tactic>{{fmt::format("kiln_yolo_decode_{}", formula_name(shape.formula)), 0}};
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    if (tactic.id != 0) return invalid_argument("kiln_yolo_decode has no tactic {}", tactic.id);
    KILN_ASSIGN_OR_RETURN(YoloDecodeShape shape, make_shape(spec));
    return std::unique_ptr<LayerKernel>(std::make_unique<YoloDecodeKernel>(shape));
  }
};

}  // namespace

const TacticProvider* yolo_decode_provider() {
  static const YoloDecodeProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::detection
