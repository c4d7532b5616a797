// Test helper for CUDA tactics: runs one layer on the GPU through every tactic of every provider
// that supports it, so each test compares all of them with the reference kernel.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/device_context.h"
#include "backends/cuda/layer_kernel.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln::testing {

// Skips the calling test when there is no GPU (CTest then reports it as skipped).
#define KILN_REQUIRE_GPU()                                        \
  do {                                                            \
    if (!::kiln::cuda::gpu_available()) GTEST_SKIP() << "no GPU"; \
  } while (0)

// A node in a graph of its own, as the builder hands layers to providers: schema set, attribute
// defaults filled, absent inputs (undefined tensors) left null. The graph owns the node.
struct OwnedNode {
  Graph graph;
  Node* node = nullptr;
};
std::unique_ptr<OwnedNode> node_in_graph(const std::string& op_type, const std::string& domain, int opset,
                                         const std::map<std::string, Attribute>& attrs,
                                         const std::vector<Tensor>& inputs, int num_outputs = 1);

struct TacticRun {
  std::string provider;
  std::string tactic;
  std::vector<Tensor> outputs;  // on the host, physical dims as in the spec
};

// The shared handles of the test process.
const cuda::DeviceContext& test_device();

// A LayerSpec for `node` (schema set, defaults filled) on `inputs` (host tensors, physical dims;
// undefined for absent inputs). Inputs listed in `constant_inputs` are passed as host constants
// too. Output dims/dtypes come from `output_dims`/`output_dtypes`.
cuda::LayerSpec make_spec(const Node& node, const std::vector<Tensor>& inputs,
                          const std::vector<std::vector<int64_t>>& output_dims,
                          const std::vector<DataType>& output_dtypes, const std::vector<int>& constant_inputs = {});

// Runs the spec with every supporting provider and each of its tactics. Fails (returns an
// error) if a tactic fails to create or run; returns no runs when no provider supports it.
Expected<std::vector<TacticRun>> run_all_tactics(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs);

// ||a - b|| / ||b|| over all elements, both read as float (any float/int dtype).
double relative_error(const Tensor& a, const Tensor& b);
// The tensor converted to `dtype` (float types and ints), on the host.
Tensor convert(const Tensor& t, DataType dtype);
// [N, C, ...spatial] <-> [N, ...spatial, C], on the host.
Tensor to_channels_last(const Tensor& t);
Tensor from_channels_last(const Tensor& t);
// Uniform random values in [lo, hi) (rounded for integer dtypes).
Tensor random_tensor(DataType dtype, std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f, unsigned seed = 1);

// Runs `tactic` once directly and then captured into a CUDA graph and replayed (the direct launch
// first: libraries load their kernels on first use, which capture forbids); outputs on the host.
struct CaptureRun {
  Tensor direct;
  Tensor replayed;
};
Expected<CaptureRun> run_direct_and_captured(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                             const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs);
// Runs `tactic` once directly and once captured into a CUDA graph and replayed; the two outputs
// (host) must be bit-identical.
void expect_capture_matches_enqueue(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                    const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs);

}  // namespace kiln::testing
