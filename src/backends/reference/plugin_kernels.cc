// kiln.Plugin on the CPU: the plugin's own enqueue() with device kCpu and no stream, on a clone
// attached for this run (the reference backend keeps no state between runs).
#include "backends/reference/kernel.h"
#include "ir/ops/fused_ops.h"
#include "plugin/plugin_instance.h"
#include "plugin/plugin_node.h"

namespace kiln {

namespace {

PluginTensorDesc desc_of(const Tensor& t) { return {t.dtype(), TensorFormat::kLinear, t.dims()}; }

Status plugin_kernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plugin> plugin, plugin_of(ctx.node()));
  KILN_ASSIGN_OR_RETURN(auto instance,
                        PluginInstance::create(ctx.node(), {DeviceKind::kCpu, 0}, plugin_tactic_ids(*plugin).front()));
  std::vector<PluginTensorDesc> input_descs, output_descs;
  std::vector<const void*> inputs;
  std::vector<void*> outputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    input_descs.push_back(desc_of(ctx.input(i)));
    inputs.push_back(ctx.input(i).raw());
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    output_descs.push_back(desc_of(ctx.output(i)));
    outputs.push_back(ctx.output(i).raw());
  }
  KILN_RETURN_IF_ERROR(instance->configure(std::move(input_descs), std::move(output_descs)));
  const size_t workspace_bytes = instance->workspace_size();
  Tensor workspace(DataType::kUInt8, {static_cast<int64_t>(workspace_bytes)});
  return instance->enqueue(inputs, outputs, workspace_bytes > 0 ? workspace.raw() : nullptr, nullptr);
}

}  // namespace

void register_plugin_kernels(KernelRegistry& r) { r.add(std::string(kPluginOp), plugin_kernel, std::string(kKilnDomain)); }

}  // namespace kiln
