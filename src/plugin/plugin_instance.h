// Running a plugin layer: what the reference kernel (on the CPU) and the CUDA tactic provider
// share. Each execution context runs its own clone of the node's plugin, attached to it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/plugin.h"

namespace kiln {

// The tactic ids the plugin offers; {0} when it offers none.
std::vector<int64_t> plugin_tactic_ids(const Plugin& plugin);

// Ok when the plugin accepts `io` (inputs, then outputs) on `device` at every position; else an
// unsupported error naming the first position it refuses and the tensor there.
Status check_plugin_formats(const Plugin& plugin, std::span<const PluginTensorDesc> io, int num_inputs,
                            DeviceKind device);

class PluginInstance {
 public:
  // A clone of `node`'s plugin attached to a context on `context.device`, with `tactic` set.
  static Expected<std::unique_ptr<PluginInstance>> create(const Node& node, const PluginContextInfo& context,
                                                          int64_t tactic);

  // Checks the formats and configures the plugin for these tensors; enqueue() then runs with them.
  Status configure(std::vector<PluginTensorDesc> inputs, std::vector<PluginTensorDesc> outputs);
  // Scratch bytes for the configured shapes.
  size_t workspace_size() const;
  Status enqueue(std::span<const void* const> inputs, std::span<void* const> outputs, void* workspace, void* stream);

 private:
  PluginInstance(std::unique_ptr<Plugin> plugin, DeviceKind device)
      : plugin_(std::move(plugin)), device_(device), who_(plugin_->identity().describe()) {}
  std::unique_ptr<Plugin> plugin_;
  DeviceKind device_;
  std::string who_;
  std::vector<PluginTensorDesc> inputs_, outputs_;
};

}  // namespace kiln
