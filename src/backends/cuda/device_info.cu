#include <cuda_runtime.h>

#include "backends/cuda/device_info.h"

namespace kiln::cuda {

Expected<std::vector<DeviceInfo>> list_devices() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    return Status(StatusCode::kUnsupported,
                  std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  }
  std::vector<DeviceInfo> out;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back({i, prop.name, prop.major, prop.minor, prop.totalGlobalMem});
  }
  return out;
}

}  // namespace kiln::cuda
