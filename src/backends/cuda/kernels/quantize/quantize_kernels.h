// Launchers of the linear (de)quantization kernels: QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear. The provider (quantize_provider.cc) checks the layer and fills these
// plain values at create(); scales and zero points are read on the device, so they may be
// constants or activations alike. Every launcher is asynchronous on `stream`, allocates nothing
// and returns the launch error. This header stays free of Kiln's heavier headers for nvcc.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kiln/data_type.h"

namespace kiln::cuda::quantize {

// Which scale / zero point element i of the data uses: (i / inner) % size along the
// quantization axis; size 1 is per-tensor (always the first).
struct ParamAxis {
  int64_t inner = 1;
  int64_t size = 1;
};

// y = saturate(round_half_even(x / scale) + zero_point). x and scale: float32, float16 or bfloat16
// (independently); q (y and the zero point): uint8, int8 or float8e4m3 (whose zero point is not
// read: it must be 0). A null zero point means 0.
cudaError_t launch_quantize(DataType x_type, DataType scale_type, DataType q_type, const ParamAxis& axis, int64_t n,
                            const void* x, const void* scale, const void* zero_point, void* y, cudaStream_t stream);

// y = (x - zero_point) * scale, computed in float and stored as the scale's type (float32,
// float16 or bfloat16). q (x and the zero point): uint8, int8 or float8e4m3 (zero point not read,
// as above). A null zero point means 0.
cudaError_t launch_dequantize(DataType q_type, DataType scale_type, const ParamAxis& axis, int64_t n, const void* x,
                              const void* scale, const void* zero_point, void* y, cudaStream_t stream);

// The vectorized (de)quantization: each thread converts kVectorElements consecutive elements with
// 16-byte loads and stores, bit for bit as the kernels above. The caller checks that n is a
// multiple of kVectorElements and that the parameters are per-tensor, or constant over runs of a
// multiple of kVectorElements elements (axis.inner), or along the innermost axis (inner 1) with a
// multiple of kVectorElements values. A pointer that is not 16-byte aligned (a view at an odd
// offset) gets the scalar kernel instead.
inline constexpr int64_t kVectorElements = 16;
cudaError_t launch_quantize_vectorized(DataType x_type, DataType scale_type, DataType q_type, const ParamAxis& axis,
                                       int64_t n, const void* x, const void* scale, const void* zero_point, void* y,
                                       cudaStream_t stream);
cudaError_t launch_dequantize_vectorized(DataType q_type, DataType scale_type, const ParamAxis& axis, int64_t n,
                                         const void* x, const void* scale, const void* zero_point, void* y,
                                         cudaStream_t stream);

// QuantizeLinear with per-tensor parameters (scale[0], zero_point[0]) fused into a transpose of
// `batch` row-major rows x cols matrices: y[b][c][r] = quantize(x[b][r][c]), bit for bit as
// launch_quantize then the transpose. The data-movement transposes' kernels with the quantization
// applied on load (datamove/transpose_kernels.cuh): kTiled, 32x32 tiles (rows up to
// datamove::kMaxTiledRows), or kToMinor, for up to datamove::kMaxMinorRows rows (an RGB image to
// channels-last), whose output is written with 16-byte stores. Types as launch_quantize's.
enum class TransposeKernel { kTiled, kToMinor };
cudaError_t launch_quantize_transpose(DataType x_type, DataType scale_type, DataType q_type, TransposeKernel kernel,
                                      int64_t batch, int64_t rows, int64_t cols, const void* x, const void* scale,
                                      const void* zero_point, void* y, cudaStream_t stream);

// Scratch memory launch_dynamic_quantize needs for n elements (per-block minima and maxima).
size_t dynamic_quantize_workspace_bytes(int64_t n);

// uint8 quantization with the float32 scale and uint8 zero point that map [min(x, 0), max(x, 0)]
// onto [0, 255]; x is float32, float16 or bfloat16. Two kernels: per-block min/max into
// `workspace`, then every block folds those (exact, so deterministic) and quantizes its part.
cudaError_t launch_dynamic_quantize(DataType x_type, int64_t n, const void* x, void* y, float* y_scale,
                                    uint8_t* y_zero_point, void* workspace, cudaStream_t stream);

}  // namespace kiln::cuda::quantize
