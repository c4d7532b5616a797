#include "plugin/plugin_instance.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/tensor.h"
#include "plugin/plugin_node.h"

namespace kiln {

namespace {

const char* format_name(TensorFormat f) { return f == TensorFormat::kLinear ? "linear" : "channels-last"; }
const char* device_name(DeviceKind d) { return d == DeviceKind::kCpu ? "the CPU" : "CUDA"; }

}  // namespace

std::vector<int64_t> plugin_tactic_ids(const Plugin& plugin) {
  std::vector<int64_t> ids = plugin.tactics();
  if (ids.empty()) ids.push_back(0);
  return ids;
}

Status check_plugin_formats(const Plugin& plugin, std::span<const PluginTensorDesc> io, int num_inputs,
                            DeviceKind device) {
  for (int pos = 0; pos < static_cast<int>(io.size()); ++pos) {
    if (plugin.supports_format(pos, io, num_inputs, device)) continue;
    const PluginTensorDesc& d = io[static_cast<size_t>(pos)];
    const std::string tensor = pos < num_inputs ? fmt::format("input {}", pos) : fmt::format("output {}", pos - num_inputs);
    return unsupported("{} does not support {} as {} {} {} on {}", plugin.identity().describe(), tensor,
                       data_type_name(d.dtype), format_name(d.format), dims_to_string(d.dims), device_name(device));
  }
  return Status::Ok();
}

Expected<std::unique_ptr<PluginInstance>> PluginInstance::create(const Node& node, const PluginContextInfo& context,
                                                                 int64_t tactic) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plugin> shared, plugin_of(node));
  const std::string who = shared->identity().describe();
  std::unique_ptr<Plugin> copy = shared->clone();
  if (copy == nullptr) return internal_error("{}: clone returned no plugin", who);
  Status s = copy->attach_to_context(context);
  if (!s.ok()) return with_context(s, who + ": attach_to_context");
  s = copy->set_tactic(tactic);
  if (!s.ok()) return with_context(s, who + ": set_tactic(" + std::to_string(tactic) + ")");
  return std::unique_ptr<PluginInstance>(new PluginInstance(std::move(copy), context.device));
}

Status PluginInstance::configure(std::vector<PluginTensorDesc> inputs, std::vector<PluginTensorDesc> outputs) {
  std::vector<PluginTensorDesc> io = inputs;
  io.insert(io.end(), outputs.begin(), outputs.end());
  KILN_RETURN_IF_ERROR(check_plugin_formats(*plugin_, io, static_cast<int>(inputs.size()), device_));
  Status s = plugin_->configure(inputs, outputs);
  if (!s.ok()) return with_context(s, who_ + ": configure");
  inputs_ = std::move(inputs);
  outputs_ = std::move(outputs);
  return Status::Ok();
}

size_t PluginInstance::workspace_size() const { return plugin_->workspace_size(inputs_, outputs_); }

Status PluginInstance::enqueue(std::span<const void* const> inputs, std::span<void* const> outputs, void* workspace,
                               void* stream) {
  if (inputs.size() != inputs_.size() || outputs.size() != outputs_.size())
    return internal_error("{}: enqueue with {} inputs and {} outputs, configured for {} and {}", who_, inputs.size(),
                          outputs.size(), inputs_.size(), outputs_.size());
  Status s = plugin_->enqueue(inputs_, inputs, outputs_, outputs, workspace, device_, stream);
  return with_context(s, who_);
}

}  // namespace kiln
