// One schema per op: how many inputs and outputs it takes, its attributes with their defaults,
// and its type-and-shape inference. Backends implement ops; only the schema defines them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// What shape inference sees of a node: its attributes (through node()), and for each input the
// type, the shape as far as it is known, and the value when it is a known constant.
// At run time every shape is static and every value known, so inference computes exact output
// shapes from the same code.
class InferContext {
 public:
  struct Input {
    bool present = false;
    DataType dtype = DataType::kUndefined;
    Shape shape;
    const Tensor* value = nullptr;
  };

  InferContext(const Node& node, std::vector<Input> inputs, int num_outputs)
      : node_(node), inputs_(std::move(inputs)),
        outputs_(static_cast<size_t>(num_outputs)) {}

  const Node& node() const { return node_; }
  int opset() const { return node_.opset(); }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)].present; }
  DataType input_type(int i) const { return in(i).dtype; }
  const Shape& input_shape(int i) const { return in(i).shape; }
  // The input's value when known (a constant at build time; always at run time), else null.
  const Tensor* input_value(int i) const { return has_input(i) ? in(i).value : nullptr; }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  void set_output(int i, DataType dtype, Shape shape) {
    if (i >= 0 && i < num_outputs()) outputs_[static_cast<size_t>(i)] = {dtype, std::move(shape)};
  }
  const std::pair<DataType, Shape>& output(int i) const { return outputs_[static_cast<size_t>(i)]; }

 private:
  const Input& in(int i) const {
    static const Input kAbsent;
    return has_input(i) ? inputs_[static_cast<size_t>(i)] : kAbsent;
  }
  const Node& node_;
  std::vector<Input> inputs_;
  std::vector<std::pair<DataType, Shape>> outputs_;
};

// Infers output types and shapes. Errors say what is wrong ("axis 5 is out of range for rank 4");
// the caller prefixes the node's name. Inference must accept unknown shapes and values and then
// set what it can (Shape::unknown() at worst).
using InferFn = std::function<Status(InferContext&)>;

struct AttrSpec {
  std::string name;
  AttrType type = AttrType::kUndefined;
  std::optional<Attribute> default_value;
  bool required = false;
};

struct OpSchema {
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  int min_inputs = 0;
  int max_inputs = 0;
  int min_outputs = 1;
  int max_outputs = 1;
  std::vector<AttrSpec> attr_specs;
  InferFn infer_fn;

  explicit OpSchema(std::string op, std::string dom = "") : op_type(std::move(op)), domain(std::move(dom)) {}

  // Fluent declaration, e.g.
  //   OpSchema("Conv").inputs(2, 3).attr("group", Attribute::of_int(1))
  //       .attr("kernel_shape", AttrType::kInts).infer(infer_conv)
  OpSchema& inputs(int min, int max) { min_inputs = min; max_inputs = max; return *this; }
  OpSchema& inputs(int n) { return inputs(n, n); }
  OpSchema& outputs(int min, int max) { min_outputs = min; max_outputs = max; return *this; }
  OpSchema& outputs(int n) { return outputs(n, n); }
  // Optional attribute with a default value.
  OpSchema& attr(std::string name, Attribute default_value);
  // Optional attribute with no default (absent means "not given").
  OpSchema& attr(std::string name, AttrType type);
  OpSchema& required_attr(std::string name, AttrType type);
  OpSchema& infer(InferFn fn) { infer_fn = std::move(fn); return *this; }

  const AttrSpec* find_attr(std::string_view name) const;

  // Checks a node against this schema (input/output counts, attribute names and types, required
  // attributes) and fills in attribute defaults. Errors name the attribute.
  Status check_and_fill_defaults(Node& node) const;
};

class OpRegistry {
 public:
  // The registry with every built-in schema registered.
  static OpRegistry& global();
  void add(OpSchema schema);
  const OpSchema* find(std::string_view op_type, std::string_view domain) const;
  std::vector<const OpSchema*> all() const;

 private:
  std::unordered_map<std::string, std::unique_ptr<OpSchema>> by_key_;
};

// The registry key of an op: "domain::op_type", with "ai.onnx" written as "".
std::string op_key(std::string_view op_type, std::string_view domain);

// Built-in schema families (src/ir/ops/*.cc); all_schemas.cc calls each once.
void register_builtin_schemas(OpRegistry& registry);

// What inference sees of a value: its type, `shape` (default: the value's own), and its data
// when it is a constant. A null value is an absent optional input.
InferContext::Input infer_input_of(const Value* v, const Shape* shape = nullptr);

// Runs inference for one node given its inputs' types/shapes/values; checks and returns the
// outputs. Errors are prefixed with the node's description.
Expected<std::vector<std::pair<DataType, Shape>>> infer_node(const Node& node,
                                                             std::vector<InferContext::Input> inputs);

}  // namespace kiln
