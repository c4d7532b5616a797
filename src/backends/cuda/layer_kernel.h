// The CUDA backend's tactic interface. A tactic provider knows one family of layers (cuDNN
// convolution, cuBLASLt matmul, Kiln's own elementwise kernels, ...). For a layer with concrete
// shapes it says whether it can run it, offers candidate tactics, and creates a LayerKernel for
// the candidate the builder picked by timing. Kernels run on physical tensors: the lowered graph
// (src/builder/cuda_lowering.h) has already chosen every tensor's dtype and layout.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "kiln/status.h"

typedef struct cudnnContext* cudnnHandle_t;
typedef struct cublasLtContext* cublasLtHandle_t;

namespace kiln::cuda {

// One tensor of a layer as its kernel sees it. `dims` are physical: for a channels-last tensor
// (LayerSpec::is_nhwc) they are [N, H, W, C], else the ONNX dims.
struct TensorDesc {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  // The value on the host when the input is a constant (weights, shapes, axes), else null. Its
  // device copy is what enqueue() receives; kernels read shape-like constants from here at create().
  const Tensor* host_constant = nullptr;
  // An output whose dims depend on the data (NonMaxSuppression's selections): `dims` is empty
  // and only providers that compute_data_dependent_shapes() take the layer; their kernel says
  // how large the output may get and, after each run, how large it got.
  bool data_dependent = false;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
};

// A layer with concrete shapes: what providers judge and kernels are made for.
struct LayerSpec {
  // The graph node, as the plan holds it (a kiln.ChannelsLast wrapper included).
  const Node* node = nullptr;
  // The op computed: `node`, or the op a kiln.ChannelsLast wrapper holds in its body. Its
  // attributes are the op's own (schema defaults filled in).
  const Node* op = nullptr;
  // A MaxPool the wrapper's body runs on op's output (fuse_stem_max_pool), or null: the layer's
  // output is the pooled one. Only providers whose runs_trailing_pool() holds are offered it.
  const Node* pool = nullptr;
  // A kiln.QConv the wrapper's body runs first and whose float output is op's residual
  // (fuse_shortcut_conv: a ResNet block's projection shortcut), or null. Its inputs follow op's in
  // `inputs` and `node_input_of_op`, from shortcut_input_begin on; op's residual slot is then
  // absent. Only providers whose runs_shortcut_conv() holds are offered such a layer.
  const Node* shortcut = nullptr;
  size_t shortcut_input_begin = 0;
  // For a kiln.ChannelsLast layer: which inputs are channels-last (all outputs are). For a conv
  // these are X, W (physically [K, R, S, C/group]) and the residual Z.
  std::vector<bool> input_nhwc;
  bool channels_last = false;
  // In the order of `op`'s inputs; absent optional inputs are nullopt.
  std::vector<std::optional<TensorDesc>> inputs;
  // For each of `op`'s inputs, the index of the `node` input it is (-1: absent). The identity
  // unless `node` wraps `op`.
  std::vector<int> node_input_of_op;
  std::vector<TensorDesc> outputs;
  // Builder settings that change what a tactic may do.
  bool allow_tf32 = true;
  size_t workspace_limit = size_t{1} << 30;

  bool is_nhwc_input(size_t i) const { return i < input_nhwc.size() && input_nhwc[i]; }
  bool has_data_dependent_output() const {
    for (const TensorDesc& o : outputs)
      if (o.data_dependent) return true;
    return false;
  }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i].has_value(); }
};

// The libraries' handles and the device, shared by the kernels of one engine or context.
struct DeviceContext {
  int device = 0;
  cudaDeviceProp props{};
  cudnnHandle_t cudnn = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
};

// What a kernel gets each time it runs.
struct LaunchEnv {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;      // already bound to `stream`
  cublasLtHandle_t cublaslt = nullptr;
  void* workspace = nullptr;          // at least the kernel's workspace_bytes()
  size_t workspace_bytes = 0;
};

// A named implementation: the provider's name and the variant ("cudnn_conv_nhwc_fp16#e12").
// `id` is what the provider needs to recreate the same kernel from a plan.
struct Tactic {
  std::string name;
  int64_t id = 0;
};

// A layer made ready to run for one set of shapes: weights packed, library plans built.
class LayerKernel {
 public:
  virtual ~LayerKernel() = default;
  virtual size_t workspace_bytes() const { return 0; }
  // Launches asynchronously on env.stream; pointers are device memory, inputs in node-input
  // order (null for absent ones, constants included), outputs in node-output order. May be
  // captured into a CUDA graph, so it must not synchronize or allocate.
  virtual Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                         const std::vector<void*>& outputs) = 0;
  // False for kernels that cannot be captured into a CUDA graph (the host fallback).
  virtual bool capturable() const { return true; }
  // For a data-dependent output (TensorDesc::data_dependent): the largest dims it can take for
  // the shapes the kernel was created for; the engine gives the output a buffer that large.
  virtual Expected<std::vector<int64_t>> output_capacity(size_t) const {
    return Status(StatusCode::kUnsupported, "the kernel's outputs have static dims");
  }
  // For a data-dependent output: the dims the last run wrote. The engine calls it once the
  // stream has finished that run (it synchronizes), so it may read device memory.
  virtual Expected<std::vector<int64_t>> output_dims(size_t) const {
    return Status(StatusCode::kUnsupported, "the kernel's outputs have static dims");
  }
};

class TacticProvider {
 public:
  virtual ~TacticProvider() = default;
  virtual std::string_view name() const = 0;
  // Ok when this provider can run the layer; else why not (kUnsupported), which the verbose
  // build log shows.
  virtual Status supports(const LayerSpec& spec) const = 0;
  // Whether its kernels implement output_capacity() and output_dims(): only such providers are
  // offered layers with data-dependent outputs.
  virtual bool computes_data_dependent_shapes() const { return false; }
  // Whether it takes layers with a fused trailing pool (LayerSpec::pool): the others never see them.
  virtual bool runs_trailing_pool() const { return false; }
  // Whether it takes layers with a fused shortcut convolution (LayerSpec::shortcut).
  virtual bool runs_shortcut_conv() const { return false; }
  // supports(), and no for a pooled layer or one with a shortcut convolution where the provider
  // does not run that part: it would compute the layer without it.
  Status takes(const LayerSpec& spec) const {
    if (spec.pool != nullptr && !runs_trailing_pool())
      return unsupported("{} does not run a layer's fused max pool", name());
    if (spec.shortcut != nullptr && !runs_shortcut_conv())
      return unsupported("{} does not run a layer's fused shortcut convolution", name());
    return supports(spec);
  }
  // The candidates the builder times; at least one when supports() is Ok.
  virtual Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const = 0;
  // The kernel for one of tactics()'s candidates (matched by id).
  virtual Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                        const DeviceContext& dev) const = 0;
};

// Every provider, most specialised first; the builder asks each that supports a layer.
const std::vector<const TacticProvider*>& all_providers();

// Per-family lists, defined next to the providers (all_providers.cc joins them).
std::vector<const TacticProvider*> cudnn_providers();
std::vector<const TacticProvider*> cublaslt_providers();
std::vector<const TacticProvider*> elementwise_providers();
std::vector<const TacticProvider*> data_movement_providers();
std::vector<const TacticProvider*> reduction_providers();
std::vector<const TacticProvider*> detection_providers();

}  // namespace kiln::cuda
