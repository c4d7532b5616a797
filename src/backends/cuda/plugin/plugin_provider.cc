// Plugin layers on CUDA: the plugin's supports_format() decides support, its own tactics (or one
// default) are timed like Kiln's, and its enqueue() runs on the context's stream. Each kernel owns
// a clone of the plugin attached to its context and configured for the layer's shapes, so
// enqueue() only launches and can be captured into a CUDA graph.
#include "backends/cuda/layer_kernel.h"
#include "core/error.h"
#include "plugin/plugin_instance.h"
#include "plugin/plugin_node.h"

namespace kiln::cuda {

namespace {

PluginTensorDesc plugin_desc(const TensorDesc& d) { return {d.dtype, TensorFormat::kLinear, d.dims}; }

std::vector<PluginTensorDesc> input_descs(const LayerSpec& spec) {
  std::vector<PluginTensorDesc> out;
  for (const auto& in : spec.inputs) out.push_back(plugin_desc(*in));
  return out;
}

std::vector<PluginTensorDesc> output_descs(const LayerSpec& spec) {
  std::vector<PluginTensorDesc> out;
  for (const TensorDesc& d : spec.outputs) out.push_back(plugin_desc(d));
  return out;
}

class PluginKernel final : public LayerKernel {
 public:
  PluginKernel(std::unique_ptr<PluginInstance> instance, size_t workspace)
      : instance_(std::move(instance)), workspace_(workspace) {}
  size_t workspace_bytes() const override { return workspace_; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    return instance_->enqueue(inputs, outputs, workspace_ > 0 ? env.workspace : nullptr, env.stream);
  }

 private:
  std::unique_ptr<PluginInstance> instance_;
  size_t workspace_;
};

class PluginProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "plugin"; }

  Status supports(const LayerSpec& spec) const override {
    if (!is_plugin_node(*spec.node)) return unsupported("not a plugin layer");
    for (const auto& in : spec.inputs)
      if (!in) return unsupported("plugins take no absent inputs");
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plugin> plugin, plugin_of(*spec.node));
    const std::vector<PluginTensorDesc> inputs = input_descs(spec), outputs = output_descs(spec);
    std::vector<PluginTensorDesc> io = inputs;
    io.insert(io.end(), outputs.begin(), outputs.end());
    KILN_RETURN_IF_ERROR(check_plugin_formats(*plugin, io, static_cast<int>(inputs.size()), DeviceKind::kCuda));
    const size_t workspace = plugin->workspace_size(inputs, outputs);
    if (workspace > spec.workspace_limit)
      return unsupported("{} needs {} bytes of workspace, over the limit of {}", plugin->identity().describe(),
                         workspace, spec.workspace_limit);
    return Status::Ok();
  }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plugin> plugin, plugin_of(*spec.node));
    const std::string base = "plugin_" + plugin->identity().name;
    const bool own_tactics = !plugin->tactics().empty();
    std::vector<Tactic> out;
    for (int64_t id : plugin_tactic_ids(*plugin))
      out.push_back({own_tactics ? base + "#" + std::to_string(id) : base, id});
    return out;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<PluginInstance> instance,
                          PluginInstance::create(*spec.node, {DeviceKind::kCuda, dev.device}, tactic.id));
    KILN_RETURN_IF_ERROR(instance->configure(input_descs(spec), output_descs(spec)));
    const size_t workspace = instance->workspace_size();
    return std::unique_ptr<LayerKernel>(new PluginKernel(std::move(instance), workspace));
  }
};

}  // namespace

std::vector<const TacticProvider*> plugin_providers() {
  static const PluginProvider provider;
  return {&provider};
}

}  // namespace kiln::cuda
