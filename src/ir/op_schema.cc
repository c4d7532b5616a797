#include "ir/op_schema.h"

#include "core/error.h"

namespace kiln {

std::string op_key(std::string_view op_type, std::string_view domain) {
  std::string k(domain == "ai.onnx" ? "" : domain);
  k += "::";
  k += op_type;
  return k;
}

OpSchema& OpSchema::attr(std::string name, Attribute default_value) {
  AttrType t = default_value.type;
  attr_specs.push_back({std::move(name), t, std::move(default_value), false});
  return *this;
}

OpSchema& OpSchema::attr(std::string name, AttrType type) {
  attr_specs.push_back({std::move(name), type, std::nullopt, false});
  return *this;
}

OpSchema& OpSchema::required_attr(std::string name, AttrType type) {
  attr_specs.push_back({std::move(name), type, std::nullopt, true});
  return *this;
}

const AttrSpec* OpSchema::find_attr(std::string_view name) const {
  for (const AttrSpec& a : attr_specs)
    if (a.name == name) return &a;
  return nullptr;
}

Status OpSchema::check_and_fill_defaults(Node& node) const {
  // Trailing absent optional inputs do not count.
  int n_in = static_cast<int>(node.inputs().size());
  while (n_in > 0 && node.inputs()[static_cast<size_t>(n_in - 1)] == nullptr) --n_in;
  if (n_in < min_inputs || n_in > max_inputs) {
    if (min_inputs == max_inputs)
      return invalid_argument("expects {} input(s), got {}", min_inputs, n_in);
    return invalid_argument("expects {} to {} inputs, got {}", min_inputs, max_inputs, n_in);
  }
  for (int i = 0; i < min_inputs; ++i)
    if (node.inputs()[static_cast<size_t>(i)] == nullptr)
      return invalid_argument("required input {} is missing", i);
  const int n_out = static_cast<int>(node.outputs().size());
  if (n_out < min_outputs || n_out > max_outputs)
    return invalid_argument("expects {} to {} outputs, got {}", min_outputs, max_outputs, n_out);
  for (const auto& [name, a] : node.attrs()) {
    const AttrSpec* spec = find_attr(name);
    if (spec == nullptr) return unsupported("attribute '{}' is not supported", name);
    // ONNX writers sometimes store an empty list as a scalar of another kind: accept the list types
    // interchangeably only when empty.
    if (a.type != spec->type)
      return invalid_argument("attribute '{}' should be of type {}, got {}", name,
                              attr_type_name(spec->type), attr_type_name(a.type));
  }
  for (const AttrSpec& spec : attr_specs) {
    if (node.has_attr(spec.name)) continue;
    if (spec.required) return invalid_argument("required attribute '{}' is missing", spec.name);
    if (spec.default_value) node.attrs()[spec.name] = *spec.default_value;
  }
  return Status::Ok();
}

OpRegistry& OpRegistry::global() {
  static OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    register_builtin_schemas(*r);
    return r;
  }();
  return *registry;
}

void OpRegistry::add(OpSchema schema) {
  std::string k = op_key(schema.op_type, schema.domain);
  by_key_[k] = std::make_unique<OpSchema>(std::move(schema));
}

const OpSchema* OpRegistry::find(std::string_view op_type, std::string_view domain) const {
  auto it = by_key_.find(op_key(op_type, domain));
  return it == by_key_.end() ? nullptr : it->second.get();
}

std::vector<const OpSchema*> OpRegistry::all() const {
  std::vector<const OpSchema*> out;
  for (const auto& [k, s] : by_key_) out.push_back(s.get());
  return out;
}

InferContext::Input infer_input_of(const Value* v, const Shape* shape) {
  InferContext::Input in;
  if (v == nullptr) return in;
  in.present = true;
  in.dtype = v->dtype();
  in.shape = shape ? *shape : v->shape();
  in.value = v->is_constant() ? &v->constant() : nullptr;
  return in;
}

Expected<std::vector<std::pair<DataType, Shape>>> infer_node(const Node& node,
                                                             std::vector<InferContext::Input> inputs) {
  const OpSchema* schema = node.schema();
  if (schema == nullptr || !schema->infer_fn)
    return internal_error("{} has no schema with shape inference", node.describe());
  InferContext ctx(node, std::move(inputs), static_cast<int>(node.outputs().size()));
  Status s = schema->infer_fn(ctx);
  if (!s.ok()) return with_context(s, node.describe());
  std::vector<std::pair<DataType, Shape>> out;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const auto& o = ctx.output(i);
    if (node.output(i) != nullptr && o.first == DataType::kUndefined)
      return internal_error("{}: shape inference set no type for output {}", node.describe(), i);
    out.push_back(o);
  }
  return out;
}

}  // namespace kiln
