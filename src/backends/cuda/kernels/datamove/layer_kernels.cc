#include "backends/cuda/kernels/datamove/layer_kernels.h"

#include <algorithm>

namespace kiln::cuda::datamove {

Status DeviceCopyKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                 const std::vector<void*>& outputs) {
  if (bytes_ > 0 && outputs[0] != inputs[0])
    KILN_CUDA_CHECK(cudaMemcpyAsync(outputs[0], inputs[0], bytes_, cudaMemcpyDeviceToDevice, env.stream));
  return Status::Ok();
}

Status ConstantOutputKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>&,
                                     const std::vector<void*>& outputs) {
  if (data_.bytes() > 0)
    KILN_CUDA_CHECK(cudaMemcpyAsync(outputs[0], data_.get(), data_.bytes(), cudaMemcpyDeviceToDevice, env.stream));
  return Status::Ok();
}

Status BatchedTransposeKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                       const std::vector<void*>& outputs) {
  KILN_CUDA_CHECK(launch_batched_transpose(inputs[0], outputs[0], batch_, rows_, cols_, elem_bytes_, env.stream));
  return Status::Ok();
}

Status PitchedPartsKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                   const std::vector<void*>& outputs) {
  struct Resolved {
    const uint8_t* src;
    uint8_t* dst;
    const PartPlan* plan;
  };
  const auto es = static_cast<uint64_t>(elem_bytes_);
  std::vector<Resolved> parts;
  std::vector<uint64_t> byte_values;
  for (const PartPlan& p : parts_) {
    if (outputs[static_cast<size_t>(p.dst)] == nullptr) continue;  // a Split output nobody reads
    const auto* src = static_cast<const uint8_t*>(inputs[static_cast<size_t>(p.src)]) + static_cast<uint64_t>(p.src_offset) * es;
    auto* dst = static_cast<uint8_t*>(outputs[static_cast<size_t>(p.dst)]) + static_cast<uint64_t>(p.dst_offset) * es;
    parts.push_back({src, dst, &p});
    byte_values.insert(byte_values.end(), {reinterpret_cast<uintptr_t>(src), reinterpret_cast<uintptr_t>(dst),
                                           static_cast<uint64_t>(p.src_pitch) * es, static_cast<uint64_t>(p.dst_pitch) * es,
                                           static_cast<uint64_t>(p.cols) * es});
  }
  const int word = widest_word(elem_bytes_, byte_values);
  const auto f = static_cast<int64_t>(word / elem_bytes_);
  for (size_t first = 0; first < parts.size(); first += kMaxParts) {
    PitchedParts batch;
    batch.rows = rows_;
    for (size_t i = first; i < std::min(parts.size(), first + kMaxParts); ++i) {
      const PartPlan& p = *parts[i].plan;
      batch.part[batch.count++] = {parts[i].src, parts[i].dst, p.src_pitch / f, p.dst_pitch / f, p.cols / f};
    }
    KILN_CUDA_CHECK(launch_pitched_parts(batch, word, env.stream));
  }
  return Status::Ok();
}

Status ResizeInterpolationKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                          const std::vector<void*>& outputs) {
  KILN_CUDA_CHECK(launch_resize_interpolation(r_, inputs[0], outputs[0], type_, env.stream));
  return Status::Ok();
}

}  // namespace kiln::cuda::datamove
