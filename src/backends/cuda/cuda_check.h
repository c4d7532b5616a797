// CUDA, cuDNN, cuBLASLt and NVRTC results as Status: every call into a CUDA library goes through
// one of these, so a failure becomes an error naming the call and the library's reason instead of
// a crash or a silently wrong result.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <nvrtc.h>

#include "core/error.h"

namespace kiln::cuda {

inline Status cuda_status(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  return internal_error("{} failed: {} ({})", what, cudaGetErrorString(e), cudaGetErrorName(e));
}
inline Status cudnn_status(cudnnStatus_t s, const char* what) {
  if (s == CUDNN_STATUS_SUCCESS) return Status::Ok();
  // NOT_SUPPORTED is a tactic saying no, which the builder reports and skips.
  if (s == CUDNN_STATUS_NOT_SUPPORTED || s == CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH ||
      s == CUDNN_STATUS_NOT_SUPPORTED_SHAPE || s == CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
    return unsupported("{}: {}", what, cudnnGetErrorString(s));
  return internal_error("{} failed: {}", what, cudnnGetErrorString(s));
}
inline Status cublas_status(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  if (s == CUBLAS_STATUS_NOT_SUPPORTED) return unsupported("{}: not supported", what);
  return internal_error("{} failed: cuBLAS status {}", what, static_cast<int>(s));
}
inline Status nvrtc_status(nvrtcResult r, const char* what) {
  if (r == NVRTC_SUCCESS) return Status::Ok();
  return internal_error("{} failed: {}", what, nvrtcGetErrorString(r));
}

}  // namespace kiln::cuda

#define KILN_CUDA_CHECK(call) KILN_RETURN_IF_ERROR(::kiln::cuda::cuda_status((call), #call))
#define KILN_CUDNN_CHECK(call) KILN_RETURN_IF_ERROR(::kiln::cuda::cudnn_status((call), #call))
#define KILN_CUBLAS_CHECK(call) KILN_RETURN_IF_ERROR(::kiln::cuda::cublas_status((call), #call))
#define KILN_NVRTC_CHECK(call) KILN_RETURN_IF_ERROR(::kiln::cuda::nvrtc_status((call), #call))
