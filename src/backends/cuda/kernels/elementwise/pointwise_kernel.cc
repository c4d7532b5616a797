#include "backends/cuda/kernels/elementwise/pointwise_kernel.h"

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/elementwise/pointwise_codegen.h"

namespace kiln::cuda::elementwise {

Expected<std::unique_ptr<PointwiseKernel>> PointwiseKernel::load(std::string source,
                                                                 std::shared_ptr<const std::vector<char>> cubin,
                                                                 ElementwiseLayout layout) {
  std::unique_ptr<PointwiseKernel> kernel(new PointwiseKernel());
  kernel->source_ = std::move(source);
  kernel->cubin_ = std::move(cubin);
  kernel->layout_ = std::move(layout);
  KILN_CUDA_CHECK(cudaLibraryLoadData(&kernel->library_, kernel->cubin_->data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  KILN_CUDA_CHECK(cudaLibraryGetKernel(&kernel->kernel_, kernel->library_, kPointwiseKernelName));
  return kernel;
}

PointwiseKernel::~PointwiseKernel() {
  if (library_ != nullptr) cudaLibraryUnload(library_);
}

Status PointwiseKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                const std::vector<void*>& outputs) {
  if (layout_.params.numel == 0) return Status::Ok();
  kiln_device::ElementwiseParams params = bind(layout_, inputs, outputs[0]);
  void* args[] = {&params};
  // A cudaKernel_t is accepted where the runtime takes a kernel function.
  KILN_CUDA_CHECK(cudaLaunchKernel(reinterpret_cast<const void*>(kernel_), dim3(layout_.blocks),
                                   dim3(kiln_device::kBlockThreads), args, 0, env.stream));
  return Status::Ok();
}

}  // namespace kiln::cuda::elementwise
