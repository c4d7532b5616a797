#include "backends/cuda/device_context.h"

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

bool gpu_available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

Expected<std::unique_ptr<DeviceHandles>> DeviceHandles::create(int device) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    return unsupported("no CUDA device is available ({}): a CUDA engine needs an NVIDIA GPU and its driver",
                       e != cudaSuccess ? cudaGetErrorString(e) : "no GPU found");
  if (device < 0 || device >= count) return invalid_argument("CUDA device {} does not exist ({} visible)", device, count);
  std::unique_ptr<DeviceHandles> h(new DeviceHandles());
  h->ctx_.device = device;
  KILN_CUDA_CHECK(cudaSetDevice(device));
  KILN_CUDA_CHECK(cudaGetDeviceProperties(&h->ctx_.props, device));
  KILN_CUDNN_CHECK(cudnnCreate(&h->ctx_.cudnn));
  KILN_CUBLAS_CHECK(cublasLtCreate(&h->ctx_.cublaslt));
  return h;
}

DeviceHandles::~DeviceHandles() {
  if (ctx_.cudnn != nullptr) cudnnDestroy(ctx_.cudnn);
  if (ctx_.cublaslt != nullptr) cublasLtDestroy(ctx_.cublaslt);
}

Expected<DeviceBuffer> DeviceBuffer::allocate(size_t bytes) {
  DeviceBuffer b;
  if (bytes == 0) return b;
  cudaError_t e = cudaMalloc(&b.ptr_, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls are not blamed
    return out_of_range("could not allocate {} bytes of device memory: {}", bytes, cudaGetErrorString(e));
  }
  b.bytes_ = bytes;
  return b;
}

Expected<DeviceBuffer> DeviceBuffer::upload(const void* data, size_t bytes) {
  KILN_ASSIGN_OR_RETURN(DeviceBuffer b, allocate(bytes));
  if (bytes > 0) KILN_CUDA_CHECK(cudaMemcpy(b.get(), data, bytes, cudaMemcpyHostToDevice));
  return b;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_ != nullptr) cudaFree(ptr_);
    ptr_ = o.ptr_;
    bytes_ = o.bytes_;
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr) cudaFree(ptr_);
}

}  // namespace kiln::cuda
