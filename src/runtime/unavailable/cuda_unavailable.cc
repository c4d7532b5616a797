// The CUDA entry points of a Kiln built without the CUDA backend (no nvcc at build time).
#include "core/error.h"
#include "runtime/cuda_backend.h"

namespace kiln {

namespace {
Status no_cuda() {
  return unsupported("this Kiln was built without the CUDA backend (no CUDA toolkit was found when it was compiled)");
}
}  // namespace

Expected<std::unique_ptr<Engine>> build_cuda_engine(std::shared_ptr<Graph>, const BuilderConfig&, std::string&) {
  return no_cuda();
}
Expected<std::unique_ptr<Engine>> load_cuda_engine(LoadedPlan) { return no_cuda(); }
Expected<PlanTarget> cuda_plan_target(int) { return no_cuda(); }
int cuda_device_count() { return 0; }
Status copy_device_to_host(const void*, void*, size_t) { return no_cuda(); }

}  // namespace kiln
