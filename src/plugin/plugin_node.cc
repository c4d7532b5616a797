#include "plugin/plugin_node.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

constexpr const char* kLoadHint = "load the library that provides it with --plugin LIB or KILN_PLUGIN_PATH";

Expected<PluginField> field_of(const std::string& name, const Attribute& a) {
  switch (a.type) {
    case AttrType::kInt: return PluginField::of_int(name, a.i);
    case AttrType::kFloat: return PluginField::of_float(name, a.f);
    case AttrType::kString: return PluginField::of_string(name, a.s);
    case AttrType::kInts: return PluginField::of_ints(name, a.ints);
    case AttrType::kFloats: return PluginField::of_floats(name, a.floats);
    case AttrType::kTensor: {
      const auto* p = static_cast<const uint8_t*>(a.t.raw());
      return PluginField::of_bytes(name, std::vector<uint8_t>(p, p + a.t.nbytes()));
    }
    default:
      return unsupported("attribute '{}' is {}, which plugin fields cannot hold", name, attr_type_name(a.type));
  }
}

Tensor bytes_tensor(const std::vector<uint8_t>& bytes) {
  Tensor t(DataType::kUInt8, {static_cast<int64_t>(bytes.size())});
  std::copy(bytes.begin(), bytes.end(), t.data<uint8_t>());
  return t;
}

// Deserialized plugins by identity and bytes. Entries live as long as the process: a model has
// few distinct plugin configurations.
class PluginCache {
 public:
  Expected<std::shared_ptr<const Plugin>> get(const PluginIdentity& id, const Tensor& data) {
    const auto* bytes = static_cast<const char*>(data.raw());
    std::string key = id.plugin_namespace + '\0' + id.name + '\0' + id.version + '\0';
    if (data.nbytes() > 0) key.append(bytes, data.nbytes());
    {
      std::lock_guard lock(mutex_);
      if (auto it = plugins_.find(key); it != plugins_.end()) return it->second;
    }
    const PluginCreator* creator = PluginRegistry::global().find(id);
    if (creator == nullptr) return not_found("{} is not registered; {}", id.describe(), kLoadHint);
    auto made = creator->deserialize(data.raw(), data.nbytes());
    if (!made.ok()) return with_context(made.status(), id.describe() + ": deserialize");
    if (*made == nullptr) return internal_error("{}: deserialize returned no plugin", id.describe());
    if ((*made)->identity() != id)
      return invalid_argument("{}: deserialize made {}", id.describe(), (*made)->identity().describe());
    std::shared_ptr<const Plugin> plugin(std::move(*made));
    std::lock_guard lock(mutex_);
    return plugins_.emplace(std::move(key), std::move(plugin)).first->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Plugin>> plugins_;
};

void collect_plugins(const Graph& graph, std::vector<PluginIdentity>& out) {
  for (const auto& n : graph.nodes()) {
    if (is_plugin_node(*n)) {
      PluginIdentity id = plugin_identity_of(*n);
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
    }
    for (const auto& [name, a] : n->attrs())
      if (a.type == AttrType::kGraph && a.g) collect_plugins(*a.g, out);
  }
}

}  // namespace

bool is_plugin_node(const Node& node) { return node.domain() == kKilnDomain && node.op_type() == kPluginOp; }

PluginIdentity plugin_identity_of(const Node& node) {
  return {node.attr_string(kPluginNameAttr), node.attr_string(kPluginVersionAttr),
          node.attr_string(kPluginNamespaceAttr)};
}

PluginIdentity plugin_identity_for_onnx_node(const std::string& op_type, const std::string& domain,
                                             const std::map<std::string, Attribute>& attrs) {
  PluginIdentity id{op_type, "1", domain};
  if (auto it = attrs.find(kPluginVersionAttr); it != attrs.end()) {
    if (it->second.type == AttrType::kInt) id.version = std::to_string(it->second.i);
    if (it->second.type == AttrType::kString) id.version = it->second.s;
  }
  return id;
}

Expected<std::vector<PluginField>> plugin_fields_for_onnx_node(const PluginCreator& creator,
                                                               const std::map<std::string, Attribute>& onnx_attrs) {
  const PluginIdentity id = creator.identity();
  const std::vector<PluginFieldSpec> specs = creator.field_specs();
  std::vector<PluginField> fields;
  for (const auto& [name, a] : onnx_attrs) {
    if (name == kPluginVersionAttr) continue;
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const PluginFieldSpec& s) { return s.name == name; });
    if (spec == specs.end()) return unsupported("{} has no field '{}'", id.describe(), name);
    auto field = field_of(name, a);
    if (!field.ok()) return with_context(field.status(), id.describe());
    if (field->type != spec->type)
      return invalid_argument("{}: field '{}' must be {}, not {}", id.describe(), name,
                              plugin_field_type_name(spec->type), plugin_field_type_name(field->type));
    fields.push_back(std::move(field).value());
  }
  return fields;
}

Expected<std::map<std::string, Attribute>> make_plugin_node_attrs(const PluginCreator& creator,
                                                                  const std::map<std::string, Attribute>& onnx_attrs,
                                                                  int num_outputs) {
  const PluginIdentity id = creator.identity();
  KILN_ASSIGN_OR_RETURN(const std::vector<PluginField> fields, plugin_fields_for_onnx_node(creator, onnx_attrs));
  auto made = creator.create(fields);
  if (!made.ok()) return with_context(made.status(), id.describe());
  if (*made == nullptr) return internal_error("{}: create returned no plugin", id.describe());
  const Plugin& plugin = **made;
  if (plugin.identity() != id) return invalid_argument("{}: create made {}", id.describe(), plugin.identity().describe());
  if (plugin.num_outputs() != num_outputs)
    return invalid_argument("{} makes {} output(s) but the node has {}", id.describe(), plugin.num_outputs(), num_outputs);
  std::map<std::string, Attribute> attrs;
  attrs[kPluginNameAttr] = Attribute::of_string(id.name);
  attrs[kPluginVersionAttr] = Attribute::of_string(id.version);
  attrs[kPluginNamespaceAttr] = Attribute::of_string(id.plugin_namespace);
  attrs[kPluginDataAttr] = Attribute::of_tensor(bytes_tensor(plugin.serialize()));
  return attrs;
}

Expected<std::shared_ptr<const Plugin>> plugin_of(const Node& node) {
  static PluginCache* const cache = new PluginCache();  // never destroyed, like the registry
  const Attribute* data = node.attr(kPluginDataAttr);
  if (data == nullptr || data->type != AttrType::kTensor || data->t.dtype() != DataType::kUInt8)
    return invalid_argument("{}: attribute '{}' must be a uint8 tensor", node.describe(), kPluginDataAttr);
  auto plugin = cache->get(plugin_identity_of(node), data->t);
  if (!plugin.ok()) return with_context(plugin.status(), node.describe());
  return plugin;
}

std::vector<PluginIdentity> plugins_used(const Graph& graph) {
  std::vector<PluginIdentity> out;
  collect_plugins(graph, out);
  return out;
}

Status check_plugins_registered(const Graph& graph) {
  std::string missing;
  int count = 0;
  for (const PluginIdentity& id : plugins_used(graph)) {
    if (PluginRegistry::global().find(id) != nullptr) continue;
    missing += "\n  " + id.describe();
    ++count;
  }
  if (count == 0) return Status::Ok();
  return not_found("{} plugin(s) the graph uses are not registered ({}):{}", count, kLoadHint, missing);
}

}  // namespace kiln
