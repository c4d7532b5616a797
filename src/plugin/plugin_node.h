// Plugin layers in the graph: a node of Kiln's op kiln.Plugin whose attributes are the plugin's
// identity and its serialized bytes, so the graph stays an ordinary graph that passes clone,
// dump and plans store like any other; the live plugin object is recreated from the attributes
// through the registry (and cached) wherever it is needed.
//
//   kiln.Plugin  attributes: plugin_name, plugin_version, plugin_namespace (strings) and
//                plugin_data (a uint8 tensor: what Plugin::serialize() returned).
//                Inputs and outputs: the plugin's, in order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "kiln/plugin.h"

namespace kiln {

inline constexpr std::string_view kPluginOp = "Plugin";
inline constexpr const char* kPluginNameAttr = "plugin_name";
inline constexpr const char* kPluginVersionAttr = "plugin_version";
inline constexpr const char* kPluginNamespaceAttr = "plugin_namespace";
inline constexpr const char* kPluginDataAttr = "plugin_data";

bool is_plugin_node(const Node& node);
PluginIdentity plugin_identity_of(const Node& node);

// The identity an ONNX node asks for: its op type and domain, and the version in its
// `plugin_version` attribute (an int or a string; "1" when absent).
PluginIdentity plugin_identity_for_onnx_node(const std::string& op_type, const std::string& domain,
                                             const std::map<std::string, Attribute>& attrs);

// An ONNX node's attributes as `creator`'s fields: all but `plugin_version`, each checked against
// the creator's field specs (an undeclared field or one of another type is an error naming it).
Expected<std::vector<PluginField>> plugin_fields_for_onnx_node(const PluginCreator& creator,
                                                               const std::map<std::string, Attribute>& onnx_attrs);

// The kiln.Plugin attributes for a plugin `creator` makes from an ONNX node's attributes (made
// fields by plugin_fields_for_onnx_node). `num_outputs` is the node's; the plugin must agree.
Expected<std::map<std::string, Attribute>> make_plugin_node_attrs(const PluginCreator& creator,
                                                                  const std::map<std::string, Attribute>& onnx_attrs,
                                                                  int num_outputs);

// The plugin of a kiln.Plugin node, deserialized once per distinct (identity, bytes) in the
// process and shared: for build-time questions only (they are const). Runs use clones
// (src/plugin/plugin_instance.h). Errors name the plugin and, when it is not registered, say how
// to load it.
Expected<std::shared_ptr<const Plugin>> plugin_of(const Node& node);

// Every plugin the graph's kiln.Plugin nodes (subgraphs included) need, each once.
std::vector<PluginIdentity> plugins_used(const Graph& graph);
// Ok when each of them is registered; else one error naming every missing plugin.
Status check_plugins_registered(const Graph& graph);

}  // namespace kiln
