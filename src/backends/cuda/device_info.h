// What the CUDA backend knows about the GPUs of this machine.
#pragma once

#include <string>
#include <vector>

#include "kiln/status.h"

namespace kiln::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  size_t total_memory = 0;
};

// The visible CUDA devices; an error (not a crash) when there is no driver or no GPU.
Expected<std::vector<DeviceInfo>> list_devices();

}  // namespace kiln::cuda
