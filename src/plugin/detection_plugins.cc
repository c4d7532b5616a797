#include "plugin/detection_plugins.h"

#include <optional>

#include "core/error.h"
#include "ir/op_schema.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

std::optional<PluginFieldType> field_type_of(AttrType t) {
  switch (t) {
    case AttrType::kInt: return PluginFieldType::kInt;
    case AttrType::kFloat: return PluginFieldType::kFloat;
    case AttrType::kString: return PluginFieldType::kString;
    case AttrType::kInts: return PluginFieldType::kInts;
    case AttrType::kFloats: return PluginFieldType::kFloats;
    default: return std::nullopt;
  }
}

Attribute attribute_of(const PluginField& f) {
  switch (f.type) {
    case PluginFieldType::kInt: return Attribute::of_int(f.i);
    case PluginFieldType::kFloat: return Attribute::of_float(f.f);
    case PluginFieldType::kString: return Attribute::of_string(f.s);
    case PluginFieldType::kInts: return Attribute::of_ints(f.ints);
    case PluginFieldType::kFloats: return Attribute::of_floats(f.floats);
    case PluginFieldType::kBytes: break;  // no kiln op attribute is bytes; field_specs() never offers it
  }
  return Attribute();
}

class KilnOpPluginCreator final : public LoweredPluginCreator {
 public:
  KilnOpPluginCreator(std::string_view op, std::string plugin_namespace)
      : op_(op), namespace_(std::move(plugin_namespace)) {}

  PluginIdentity identity() const override { return {op_, "1", namespace_}; }
  std::string_view kiln_op() const override { return op_; }

  std::vector<PluginFieldSpec> field_specs() const override {
    std::vector<PluginFieldSpec> specs;
    if (const OpSchema* schema = OpRegistry::global().find(op_, kKilnDomain))
      for (const AttrSpec& a : schema->attr_specs)
        if (auto type = field_type_of(a.type)) specs.push_back({a.name, *type});
    return specs;
  }

  Status lower(const std::vector<PluginField>& fields, Graph& /*graph*/, Node& node) const override {
    for (const PluginField& f : fields) node.attrs()[f.name] = attribute_of(f);
    return Status::Ok();
  }

 private:
  std::string op_;
  std::string namespace_;
};

class EfficientNmsPluginCreator final : public LoweredPluginCreator {
 public:
  explicit EfficientNmsPluginCreator(std::string plugin_namespace) : namespace_(std::move(plugin_namespace)) {}

  PluginIdentity identity() const override { return {"EfficientNMS_TRT", "1", namespace_}; }
  std::string_view kiln_op() const override { return kBatchedNmsOp; }

  std::vector<PluginFieldSpec> field_specs() const override {
    return {{"score_threshold", PluginFieldType::kFloat},  {"iou_threshold", PluginFieldType::kFloat},
            {"max_output_boxes", PluginFieldType::kInt},   {"background_class", PluginFieldType::kInt},
            {"score_activation", PluginFieldType::kInt},   {"class_agnostic", PluginFieldType::kInt},
            {"box_coding", PluginFieldType::kInt}};
  }

  Status lower(const std::vector<PluginField>& fields, Graph& graph, Node& node) const override {
    auto int_field = [&](std::string_view name, int64_t fallback) {
      const PluginField* f = find_plugin_field(fields, name);
      return f ? f->i : fallback;
    };
    auto float_field = [&](std::string_view name, float fallback) {
      const PluginField* f = find_plugin_field(fields, name);
      return f ? f->f : fallback;
    };
    if (node.inputs().size() != 2)
      return unsupported("{} input(s): only boxes and scores are supported (no anchors input, the fused box decoder)",
                         node.inputs().size());
    if (node.outputs().size() != 4 || node.output(0) == nullptr)
      return invalid_argument("needs 4 outputs (num_detections, detection_boxes, detection_scores, detection_classes)");
    if (const int64_t background = int_field("background_class", -1); background != -1)
      return unsupported("background_class {}: only -1 (no background class) is supported", background);
    if (const int64_t coding = int_field("box_coding", 0); coding != 0)
      return unsupported("box_coding {}: only 0 (corners x1, y1, x2, y2) is supported", coding);

    std::map<std::string, Attribute>& a = node.attrs();
    a["score_threshold"] = Attribute::of_float(float_field("score_threshold", 0.f));
    a["iou_threshold"] = Attribute::of_float(float_field("iou_threshold", 0.5f));
    a["keep_top_k"] = Attribute::of_int(int_field("max_output_boxes", 100));
    a["class_agnostic"] = Attribute::of_int(int_field("class_agnostic", 0) != 0);

    // score_activation: the scores are logits; thresholds and outputs apply to their sigmoid.
    if (int_field("score_activation", 0) != 0) {
      KILN_ASSIGN_OR_RETURN(Value * probabilities, graph.add_value(node.name() + "/sigmoid_scores"));
      KILN_RETURN_IF_ERROR(add_lowering_node(graph, node.name() + "/score_activation", "Sigmoid", 13,
                                             {node.inputs()[1]}, {probabilities})
                               .status());
      node.inputs()[1] = probabilities;
    }
    // num_detections is [N] from kiln.BatchedNMS and [N, 1] from EfficientNMS_TRT.
    Value* num_detections = node.outputs()[0];
    KILN_ASSIGN_OR_RETURN(Value * per_image, graph.add_value(node.name() + "/num_detections_per_image"));
    KILN_ASSIGN_OR_RETURN(Value * axis, graph.add_value(node.name() + "/num_detections_axis"));
    Tensor one(DataType::kInt64, {1});
    one.data<int64_t>()[0] = 1;
    axis->set_constant(std::move(one));
    per_image->set_producer(&node);
    node.outputs()[0] = per_image;
    return add_lowering_node(graph, node.name() + "/num_detections", "Unsqueeze", 13, {per_image, axis},
                             {num_detections})
        .status();
  }

 private:
  std::string namespace_;
};

}  // namespace

std::unique_ptr<LoweredPluginCreator> make_kiln_op_plugin_creator(std::string_view op, std::string plugin_namespace) {
  return std::make_unique<KilnOpPluginCreator>(op, std::move(plugin_namespace));
}

std::unique_ptr<LoweredPluginCreator> make_efficient_nms_plugin_creator(std::string plugin_namespace) {
  return std::make_unique<EfficientNmsPluginCreator>(std::move(plugin_namespace));
}

}  // namespace kiln
