#include "onnx/onnx_importer.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <google/protobuf/io/coded_stream.h>

#include "core/error.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "ir/shape_inference.h"
#include "onnx/tensor_proto.h"
#include "plugin/lowered_plugin.h"
#include "plugin/plugin_node.h"

namespace kiln {

namespace {

// What the importer knows while converting one (sub)graph.
struct ImportScope {
  std::map<std::string, int> opsets;  // domain -> version
  std::string base_dir;
  // Names visible from enclosing graphs (for subgraph captures).
  std::function<bool(const std::string&)> outer_defines;
  // Every node whose op has no schema, across the whole model.
  std::vector<std::string>* unsupported_nodes;
};

std::string normalize_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

Expected<std::unique_ptr<Graph>> import_graph(const onnx::GraphProto& gp, const ImportScope& scope);

Expected<Shape> shape_from_type(const onnx::TypeProto_Tensor& tt) {
  if (!tt.has_shape()) return Shape::unknown();
  std::vector<Dim> dims;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) return invalid_argument("negative dimension {}", d.dim_value());
      dims.emplace_back(d.dim_value());
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      dims.push_back(Dim::symbolic(d.dim_param()));
    } else {
      dims.emplace_back();
    }
  }
  return Shape(std::move(dims));
}

// Sets a value's declared type from a ValueInfoProto.
Status apply_value_info(const onnx::ValueInfoProto& vi, Value* v, const char* role) {
  const std::string what = std::string(role) + " '" + vi.name() + "'";
  if (!vi.has_type()) return invalid_argument("{} has no type", what);
  if (!vi.type().has_tensor_type())
    return unsupported("{} is not a tensor (sequences, maps and optionals are not supported)", what);
  const auto& tt = vi.type().tensor_type();
  KILN_ASSIGN_OR_RETURN(DataType dt, data_type_from_onnx(tt.elem_type(), what));
  auto shape = shape_from_type(tt);
  if (!shape.ok()) return with_context(shape.status(), what);
  v->set_type(dt, std::move(shape).value());
  return Status::Ok();
}

Expected<Attribute> convert_attribute(const onnx::AttributeProto& ap, const ImportScope& scope,
                                      const std::string& what) {
  using AP = onnx::AttributeProto;
  switch (ap.type()) {
    case AP::INT: return Attribute::of_int(ap.i());
    case AP::FLOAT: return Attribute::of_float(ap.f());
    case AP::STRING: return Attribute::of_string(ap.s());
    case AP::INTS: return Attribute::of_ints({ap.ints().begin(), ap.ints().end()});
    case AP::FLOATS: return Attribute::of_floats({ap.floats().begin(), ap.floats().end()});
    case AP::STRINGS: return Attribute::of_strings({ap.strings().begin(), ap.strings().end()});
    case AP::TENSOR: {
      KILN_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(ap.t(), scope.base_dir, what));
      return Attribute::of_tensor(std::move(t));
    }
    case AP::GRAPH: {
      auto sub = import_graph(ap.g(), scope);
      if (!sub.ok()) return with_context(sub.status(), what);
      return Attribute::of_graph(std::shared_ptr<Graph>(std::move(sub).value()));
    }
    default:
      return unsupported("{}: attribute type {} is not supported", what, static_cast<int>(ap.type()));
  }
}

// A Constant node becomes a constant value directly.
Expected<Tensor> constant_node_value(const onnx::NodeProto& np, const ImportScope& scope,
                                     const std::string& what) {
  if (np.attribute_size() != 1)
    return invalid_argument("{}: a Constant needs exactly one value attribute, got {}", what, np.attribute_size());
  const auto& ap = np.attribute(0);
  const std::string& n = ap.name();
  if (n == "value") return tensor_from_proto(ap.t(), scope.base_dir, what);
  if (n == "value_float") {
    Tensor t(DataType::kFloat32, {});
    *t.data<float>() = ap.f();
    return t;
  }
  if (n == "value_int") {
    Tensor t(DataType::kInt64, {});
    *t.data<int64_t>() = ap.i();
    return t;
  }
  if (n == "value_floats") {
    Tensor t(DataType::kFloat32, {ap.floats_size()});
    for (int i = 0; i < ap.floats_size(); ++i) t.data<float>()[i] = ap.floats(i);
    return t;
  }
  if (n == "value_ints") {
    Tensor t(DataType::kInt64, {ap.ints_size()});
    for (int i = 0; i < ap.ints_size(); ++i) t.data<int64_t>()[i] = ap.ints(i);
    return t;
  }
  return unsupported("{}: Constant attribute '{}' is not supported", what, n);
}

Expected<std::unique_ptr<Graph>> import_graph(const onnx::GraphProto& gp, const ImportScope& scope) {
  auto g = std::make_unique<Graph>();
  g->name = gp.name();

  // Initializers are constants. A graph input of the same name is a default that Kiln treats as
  // fixed weights (as inference engines do).
  for (const auto& init : gp.initializer()) {
    const std::string what = "initializer '" + init.name() + "'";
    if (init.name().empty()) return invalid_argument("an initializer has no name");
    KILN_ASSIGN_OR_RETURN(Value * v, g->add_value(init.name()));
    KILN_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(init, scope.base_dir, what));
    v->set_constant(std::move(t));
  }
  if (gp.sparse_initializer_size() > 0) return unsupported("sparse initializers are not supported");
  for (const auto& vi : gp.input()) {
    if (Value* existing = g->find_value(vi.name())) {
      if (existing->is_constant()) continue;
      return invalid_argument("graph input '{}' is listed twice", vi.name());
    }
    if (vi.name().empty()) return invalid_argument("a graph input has no name");
    KILN_ASSIGN_OR_RETURN(Value * v, g->add_value(vi.name()));
    // A subgraph's inputs may be untyped: the enclosing op (Loop, Scan) knows their types.
    const bool is_subgraph = static_cast<bool>(scope.outer_defines);
    if (!(is_subgraph && !vi.has_type())) KILN_RETURN_IF_ERROR(apply_value_info(vi, v, "graph input"));
    g->inputs().push_back(v);
  }

  // Names this graph defines, for telling captures from dangling names in subgraphs.
  std::set<std::string> defined;
  for (const auto& v : g->values()) defined.insert(v->name());
  for (const auto& np : gp.node())
    for (const auto& o : np.output())
      if (!o.empty()) defined.insert(o);

  ImportScope inner = scope;
  inner.outer_defines = [&](const std::string& name) {
    return defined.count(name) || (scope.outer_defines && scope.outer_defines(name));
  };

  int index = 0;
  for (const auto& np : gp.node()) {
    const std::string name = np.name().empty() ? np.op_type() + "_" + std::to_string(index) : np.name();
    ++index;
    const std::string domain = normalize_domain(np.domain());
    const std::string what = "node '" + name + "' (" + np.op_type() + ")";

    if (np.op_type() == "Constant" && domain.empty()) {
      if (np.output_size() != 1) return invalid_argument("{}: a Constant has exactly one output", what);
      KILN_ASSIGN_OR_RETURN(Tensor t, constant_node_value(np, scope, what));
      Value* v = g->find_value(np.output(0));
      if (v == nullptr) {
        KILN_ASSIGN_OR_RETURN(v, g->add_value(np.output(0)));
      } else if (v->producer() || v->is_constant() || std::count(g->inputs().begin(), g->inputs().end(), v)) {
        return invalid_argument("tensor '{}' is defined more than once", np.output(0));
      }
      v->set_constant(std::move(t));
      continue;
    }

    auto it = scope.opsets.find(domain);
    const int opset = it == scope.opsets.end() ? 0 : it->second;
    std::map<std::string, Attribute> attrs;
    for (const auto& ap : np.attribute()) {
      if (ap.name().empty()) return invalid_argument("{}: an attribute has no name", what);
      if (attrs.count(ap.name())) return invalid_argument("{}: attribute '{}' is given twice", what, ap.name());
      KILN_ASSIGN_OR_RETURN(Attribute a, convert_attribute(ap, inner, what + " attribute '" + ap.name() + "'"));
      attrs[ap.name()] = std::move(a);
    }
    // An op Kiln has no schema for may be a registered plugin's (src/plugin/plugin_node.h).
    const OpSchema* schema = OpRegistry::global().find(np.op_type(), domain);
    const PluginCreator* plugin =
        schema ? nullptr : PluginRegistry::global().find(plugin_identity_for_onnx_node(np.op_type(), domain, attrs));
    // Built-in plugins that Kiln implements with its own ops become those ops (plugin/lowered_plugin.h).
    const LoweredPluginCreator* lowered = plugin ? as_lowered(*plugin) : nullptr;
    Node* node = lowered  ? g->add_node(name, std::string(lowered->kiln_op()), std::string(kKilnDomain), 1)
                 : plugin ? g->add_node(name, std::string(kPluginOp), std::string(kKilnDomain), 1)
                          : g->add_node(name, np.op_type(), domain, opset);

    for (const auto& in : np.input()) {
      if (in.empty()) {
        node->inputs().push_back(nullptr);
        continue;
      }
      Value* v = g->find_value(in);
      if (v == nullptr) {
        if (!defined.count(in) && scope.outer_defines && scope.outer_defines(in)) {
          KILN_ASSIGN_OR_RETURN(v, g->add_value(in));
          g->captures().push_back(v);
        } else {
          v = g->get_or_add_value(in);  // defined later, or dangling (caught by the sort)
        }
      }
      node->inputs().push_back(v);
    }
    for (const auto& out : np.output()) {
      if (out.empty()) {
        node->outputs().push_back(nullptr);
        continue;
      }
      Value* v = g->find_value(out);
      if (v == nullptr) {
        KILN_ASSIGN_OR_RETURN(v, g->add_value(out));
      } else if (v->producer() || v->is_constant() ||
                 std::count(g->inputs().begin(), g->inputs().end(), v) ||
                 std::count(g->captures().begin(), g->captures().end(), v)) {
        return invalid_argument("{}: output tensor '{}' is already defined elsewhere", what, out);
      }
      v->set_producer(node);
      node->outputs().push_back(v);
    }
    if (lowered != nullptr) {
      auto fields = plugin_fields_for_onnx_node(*lowered, attrs);
      Status s = fields.ok() ? lowered->lower(*fields, *g, *node) : fields.status();
      if (!s.ok()) return with_context(s, what);
      schema = OpRegistry::global().find(node->op_type(), kKilnDomain);
    } else if (plugin != nullptr) {
      auto plugin_attrs = make_plugin_node_attrs(*plugin, attrs, static_cast<int>(node->outputs().size()));
      if (!plugin_attrs.ok()) return with_context(plugin_attrs.status(), what);
      node->attrs() = std::move(plugin_attrs).value();
      schema = OpRegistry::global().find(kPluginOp, kKilnDomain);
    } else {
      node->attrs() = std::move(attrs);
    }
    if (schema == nullptr) {
      scope.unsupported_nodes->push_back("'" + name + "' (op " + np.op_type() + ", domain '" +
                                         (domain.empty() ? "ai.onnx" : domain) + "')");
      continue;
    }
    if (node->opset() == 0) return invalid_argument("{}: the model imports no opset for domain '{}'", what, domain);
    node->set_schema(schema);
    Status s = schema->check_and_fill_defaults(*node);
    if (!s.ok()) return with_context(s, what);
  }

  for (const auto& vi : gp.output()) {
    Value* v = g->find_value(vi.name());
    if (v == nullptr) {
      if (scope.outer_defines && scope.outer_defines(vi.name())) {
        KILN_ASSIGN_OR_RETURN(v, g->add_value(vi.name()));
        g->captures().push_back(v);
      } else {
        return invalid_argument("graph output '{}' is not produced by any node", vi.name());
      }
    }
    if (v->dtype() == DataType::kUndefined && vi.has_type()) {
      Status s = apply_value_info(vi, v, "graph output");
      if (!s.ok() && s.code() != StatusCode::kInvalidArgument) return s;
    }
    g->outputs().push_back(v);
  }
  // Subgraphs are ordered here; the top graph after the unsupported-op check.
  if (scope.outer_defines && scope.unsupported_nodes->empty()) KILN_RETURN_IF_ERROR(g->topological_sort());
  return g;
}

}  // namespace

Expected<std::unique_ptr<Graph>> import_onnx_bytes(const void* data, size_t size, const std::string& base_dir) {
  onnx::ModelProto model;
  if (size > static_cast<size_t>(INT32_MAX))
    return unsupported("models over 2 GiB must keep their weights in external data files");
  google::protobuf::io::CodedInputStream stream(static_cast<const uint8_t*>(data), static_cast<int>(size));
  stream.SetRecursionLimit(100);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return invalid_argument("not a valid ONNX model: the protobuf could not be parsed (truncated or not an ONNX file)");
  if (!model.has_graph()) return invalid_argument("not a valid ONNX model: it has no graph");

  ImportScope scope;
  for (const auto& op : model.opset_import()) scope.opsets[normalize_domain(op.domain())] = static_cast<int>(op.version());
  if (model.opset_import_size() == 0) {
    if (model.ir_version() >= 3) return invalid_argument("not a valid ONNX model: it imports no opset");
    scope.opsets[""] = 1;  // IR version 1 and 2 models had an implied opset 1
  }
  scope.base_dir = base_dir;
  std::vector<std::string> unsupported_nodes;
  scope.unsupported_nodes = &unsupported_nodes;

  KILN_ASSIGN_OR_RETURN(auto g, import_graph(model.graph(), scope));
  if (g->outputs().empty()) return invalid_argument("not a valid ONNX model: the graph has no outputs");
  if (!unsupported_nodes.empty()) {
    std::string list;
    for (const auto& n : unsupported_nodes) list += "\n  " + n;
    return unsupported("{} node(s) use operators Kiln does not support:{}\nNo registered plugin provides them "
                       "either; load plugin libraries with --plugin LIB or KILN_PLUGIN_PATH (docs/plugins.md).",
                       unsupported_nodes.size(), list);
  }
  KILN_RETURN_IF_ERROR(g->topological_sort());
  KILN_RETURN_IF_ERROR(infer_graph_shapes(*g));
  return g;
}

Expected<std::unique_ptr<Graph>> import_onnx_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  auto g = import_onnx_bytes(bytes.data(), bytes.size(), base_dir);
  if (!g.ok()) return with_context(g.status(), path);
  return g;
}

Expected<Tensor> read_tensor_proto_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return invalid_argument("'{}' is not a valid onnx.TensorProto file", path);
  return tensor_from_proto(proto, std::filesystem::path(path).parent_path().string(),
                           "tensor '" + proto.name() + "' in " + path);
}

}  // namespace kiln
