// Owns the library handles a DeviceContext lends out: one per engine (for building kernels) and
// one per execution context (cuDNN handles are bound to one stream at a time).
#pragma once

#include <memory>

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

// True when a CUDA device can be used (driver present, at least one GPU).
bool gpu_available();

class DeviceHandles {
 public:
  // Makes device `device` current and creates the cuDNN and cuBLASLt handles; an error (not a
  // crash) without a driver or GPU.
  static Expected<std::unique_ptr<DeviceHandles>> create(int device = 0);
  ~DeviceHandles();
  DeviceHandles(const DeviceHandles&) = delete;
  DeviceHandles& operator=(const DeviceHandles&) = delete;
  const DeviceContext& context() const { return ctx_; }

 private:
  DeviceHandles() = default;
  DeviceContext ctx_;
};

// Device memory owned by one object (cudaFree on destruction).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  static Expected<DeviceBuffer> allocate(size_t bytes);
  // `bytes` of host memory copied (synchronously: at create(), never while capturing) to a new buffer.
  static Expected<DeviceBuffer> upload(const void* data, size_t bytes);
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  ~DeviceBuffer();
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace kiln::cuda
