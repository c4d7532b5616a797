// A kiln.Pointwise layer's kernel: its generated source, compiled by NVRTC into a cubin that is
// loaded with the CUDA runtime's library API (no driver API, so Kiln still starts without a
// driver). The source and cubin stay on the kernel for whoever wants to store them (a plan).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/kernels/elementwise/layout.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::elementwise {

class PointwiseKernel final : public LayerKernel {
 public:
  // Loads `cubin` (compiled from `source`) and finds its kernel.
  static Expected<std::unique_ptr<PointwiseKernel>> load(std::string source,
                                                         std::shared_ptr<const std::vector<char>> cubin,
                                                         ElementwiseLayout layout);
  ~PointwiseKernel() override;
  PointwiseKernel(const PointwiseKernel&) = delete;
  PointwiseKernel& operator=(const PointwiseKernel&) = delete;

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

  const std::string& source() const { return source_; }
  const std::vector<char>& cubin() const { return *cubin_; }

 private:
  PointwiseKernel() = default;
  std::string source_;
  std::shared_ptr<const std::vector<char>> cubin_;
  ElementwiseLayout layout_;
  cudaLibrary_t library_ = nullptr;
  cudaKernel_t kernel_ = nullptr;
};

}  // namespace kiln::cuda::elementwise
