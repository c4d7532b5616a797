#include "backends/cuda/host_fallback.h"

#include "backends/cuda/cuda_check.h"
#include "backends/reference/executor.h"

namespace kiln::cuda {

namespace {

class HostKernel final : public LayerKernel {
 public:
  // Runs `spec.node` itself (a kiln.ChannelsLast wrapper included), so inputs are staged in the
  // node's order.
  explicit HostKernel(const LayerSpec& spec) : node_(*spec.node), node_input_of_op_(spec.node_input_of_op) {
    inputs_.resize(spec.node->inputs().size());
    for (size_t j = 0; j < spec.inputs.size(); ++j)
      if (spec.inputs[j] && node_input_of_op_[j] >= 0)
        inputs_[static_cast<size_t>(node_input_of_op_[j])] = Tensor(spec.inputs[j]->dtype, spec.inputs[j]->dims);
    for (const TensorDesc& out : spec.outputs)
      output_bytes_.push_back(static_cast<size_t>(out.numel()) * data_type_size(out.dtype));
  }

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs, const std::vector<void*>& outputs) override {
    KILN_CUDA_CHECK(cudaStreamSynchronize(env.stream));
    std::vector<const Tensor*> ptrs(inputs_.size(), nullptr);
    for (size_t j = 0; j < inputs.size() && j < node_input_of_op_.size(); ++j) {
      const int k = node_input_of_op_[j];
      if (k < 0 || inputs[j] == nullptr) continue;
      Tensor& staged = inputs_[static_cast<size_t>(k)];
      KILN_CUDA_CHECK(cudaMemcpy(staged.raw(), inputs[j], staged.nbytes(), cudaMemcpyDeviceToHost));
      ptrs[static_cast<size_t>(k)] = &staged;
    }
    const SubgraphRunner subgraphs = [](const Graph& body, const std::vector<Tensor>& in) {
      return run_reference(body, in);
    };
    KILN_ASSIGN_OR_RETURN(auto results, run_reference_node(node_, ptrs, &subgraphs));
    if (results.size() < outputs.size()) return internal_error("{} made {} outputs, expected {}", node_.describe(), results.size(), outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i] == nullptr) continue;
      if (results[i].nbytes() != output_bytes_[i])
        return internal_error("{} output {} has {} bytes on the host but {} were planned", node_.describe(), i,
                              results[i].nbytes(), output_bytes_[i]);
      KILN_CUDA_CHECK(cudaMemcpy(outputs[i], results[i].raw(), results[i].nbytes(), cudaMemcpyHostToDevice));
    }
    return Status::Ok();
  }
  bool capturable() const override { return false; }

 private:
  const Node& node_;
  std::vector<int> node_input_of_op_;
  std::vector<Tensor> inputs_;  // host staging, one per node input
  std::vector<size_t> output_bytes_;
};

class HostFallbackProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "host"; }
  // The reference runs the wrapper whole, a pool in its body included.
  bool runs_trailing_pool() const override { return true; }
  Status supports(const LayerSpec& spec) const override { return check_reference_kernels_of(*spec.node); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec&, const DeviceContext&) const override {
    return std::vector<Tactic>{{"host_reference", 0}};
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic&, const DeviceContext&) const override {
    return std::unique_ptr<LayerKernel>(new HostKernel(spec));
  }

 private:
  static Status check_reference_kernels_of(const Node& node) {
    const KernelFn* k = KernelRegistry::global().find(node.op_type(), node.domain());
    return k != nullptr ? Status::Ok() : unsupported("{} has no reference kernel", node.describe());
  }
};

}  // namespace

const TacticProvider& host_fallback_provider() {
  static const HostFallbackProvider provider;
  return provider;
}

}  // namespace kiln::cuda
