// The LayerKernels the data-movement providers create. Everything shape-dependent is decided in
// create(); enqueue() only resolves the device pointers and launches.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/view_utils.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::datamove {

// A new kernel, as the Expected<unique_ptr<LayerKernel>> providers return.
template <class K, class... Args>
Expected<std::unique_ptr<LayerKernel>> make_kernel(Args&&... args) {
  return std::unique_ptr<LayerKernel>(std::make_unique<K>(std::forward<Args>(args)...));
}

// Calls make(Map<Index>{}) with Index the type of the indices (input 1, int32 or int64).
template <template <class> class Map, class Fn>
Expected<std::unique_ptr<LayerKernel>> with_index_type(const LayerSpec& spec, Fn&& make) {
  if (spec.inputs[1]->dtype == DataType::kInt32) return make(Map<int32_t>{});
  return make(Map<int64_t>{});
}

// Output 0 = the bytes of input 0 (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
class DeviceCopyKernel final : public LayerKernel {
 public:
  explicit DeviceCopyKernel(size_t bytes) : bytes_(bytes) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  size_t bytes_;
};

// Output 0 = bytes computed at create() and kept in device memory the kernel owns (Shape, Size,
// Range): a device-to-device copy, capturable, never from pageable host memory.
class ConstantOutputKernel final : public LayerKernel {
 public:
  explicit ConstantOutputKernel(DeviceBuffer data) : data_(std::move(data)) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  DeviceBuffer data_;
};

// Output 0 = map applied to a source: input 0, or device memory the kernel owns. A map with an
// `indices` member (Gather, GatherElements) reads them from input 1.
template <class Map>
class MapCopyKernel final : public LayerKernel {
 public:
  MapCopyKernel(Map map, int elem_bytes, int64_t count, int64_t src_count, uint64_t fill = 0)
      : map_(map), elem_bytes_(elem_bytes), count_(count), src_count_(src_count), fill_(fill) {}
  // The source is this buffer instead of input 0 (EyeLike's one).
  void set_owned_source(DeviceBuffer src) { owned_source_ = std::move(src); }
  // Device memory the map points to (Resize's taps), freed with the kernel.
  void keep(DeviceBuffer buffer) { kept_.push_back(std::move(buffer)); }

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    Map map = map_;
    const void* src = owned_source_.get() != nullptr ? owned_source_.get() : inputs[0];
    if constexpr (requires { map.indices; }) map.indices = static_cast<decltype(map.indices)>(inputs[1]);
    int elem_bytes = elem_bytes_;
    int64_t count = count_, src_count = src_count_;
    if constexpr (std::is_same_v<Map, StridedMap>) {
      const int64_t f = widen(map.view, elem_bytes, src, outputs[0]);
      elem_bytes *= static_cast<int>(f);
      count /= f;
      src_count = (src_count + f - 1) / f;
    }
    KILN_CUDA_CHECK(launch_map_copy(map, src, src_count, outputs[0], count, elem_bytes, fill_, env.stream));
    return Status::Ok();
  }

 private:
  Map map_;
  int elem_bytes_;
  int64_t count_, src_count_;
  uint64_t fill_;
  DeviceBuffer owned_source_;
  std::vector<DeviceBuffer> kept_;
};

// Output 0 = input 0 as `batch` rows x cols matrices, each transposed.
class BatchedTransposeKernel final : public LayerKernel {
 public:
  BatchedTransposeKernel(int64_t batch, int64_t rows, int64_t cols, int elem_bytes)
      : batch_(batch), rows_(rows), cols_(cols), elem_bytes_(elem_bytes) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  int64_t batch_, rows_, cols_;
  int elem_bytes_;
};

// One block of Concat or Split: `rows` rows of `cols` elements from input `src` (at src_offset,
// src_pitch apart) to output `dst` (at dst_offset, dst_pitch apart). In elements.
struct PartPlan {
  int src = 0, dst = 0;
  int64_t src_offset = 0, dst_offset = 0, src_pitch = 0, dst_pitch = 0, cols = 0;
};

// Concat and Split: all parts in one launch per kMaxParts, as wide words as the parts allow.
class PitchedPartsKernel final : public LayerKernel {
 public:
  PitchedPartsKernel(std::vector<PartPlan> parts, int64_t rows, int elem_bytes)
      : parts_(std::move(parts)), rows_(rows), elem_bytes_(elem_bytes) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  std::vector<PartPlan> parts_;
  int64_t rows_;
  int elem_bytes_;
};

// Linear or cubic Resize through per-axis tap tables the kernel owns.
class ResizeInterpolationKernel final : public LayerKernel {
 public:
  ResizeInterpolationKernel(ResizeInterpolation r, FloatType type, DeviceBuffer rows, DeviceBuffer cols)
      : r_(r), type_(type), rows_(std::move(rows)), cols_(std::move(cols)) {
    r_.rows = static_cast<const ResizeTaps*>(rows_.get());
    r_.cols = static_cast<const ResizeTaps*>(cols_.get());
  }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  ResizeInterpolation r_;
  FloatType type_;
  DeviceBuffer rows_, cols_;
};

}  // namespace kiln::cuda::datamove
