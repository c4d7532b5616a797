// An owning handle to one cuDNN backend (graph API) descriptor, with typed attribute setters and
// getters. The backend API is C: every descriptor is created, filled attribute by attribute,
// finalized and destroyed by hand; this wrapper makes that exception-free RAII and turns every
// cuDNN status into a Status naming the attribute.
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"

namespace kiln::cuda {

// The cudnnBackendAttributeType_t that describes a C++ value type.
template <class T>
struct BackendAttributeType;
template <> struct BackendAttributeType<int64_t> { static constexpr auto value = CUDNN_TYPE_INT64; };
template <> struct BackendAttributeType<float> { static constexpr auto value = CUDNN_TYPE_FLOAT; };
template <> struct BackendAttributeType<double> { static constexpr auto value = CUDNN_TYPE_DOUBLE; };
template <> struct BackendAttributeType<bool> { static constexpr auto value = CUDNN_TYPE_BOOLEAN; };
template <> struct BackendAttributeType<cudnnHandle_t> { static constexpr auto value = CUDNN_TYPE_HANDLE; };
template <> struct BackendAttributeType<cudnnDataType_t> { static constexpr auto value = CUDNN_TYPE_DATA_TYPE; };
template <> struct BackendAttributeType<cudnnConvolutionMode_t> { static constexpr auto value = CUDNN_TYPE_CONVOLUTION_MODE; };
template <> struct BackendAttributeType<cudnnPointwiseMode_t> { static constexpr auto value = CUDNN_TYPE_POINTWISE_MODE; };
template <> struct BackendAttributeType<cudnnBackendHeurMode_t> { static constexpr auto value = CUDNN_TYPE_HEUR_MODE; };
template <> struct BackendAttributeType<cudnnBackendNumericalNote_t> { static constexpr auto value = CUDNN_TYPE_NUMERICAL_NOTE; };
template <> struct BackendAttributeType<cudnnBackendBehaviorNote_t> { static constexpr auto value = CUDNN_TYPE_BEHAVIOR_NOTE; };
// cudnnBackendDescriptor_t is void*: plain pointers go through set_pointers().
template <> struct BackendAttributeType<cudnnBackendDescriptor_t> { static constexpr auto value = CUDNN_TYPE_BACKEND_DESCRIPTOR; };

class BackendDescriptor {
 public:
  // An empty handle (owns nothing).
  BackendDescriptor() = default;
  static Expected<BackendDescriptor> create(cudnnBackendDescriptorType_t type);
  BackendDescriptor(BackendDescriptor&& o) noexcept : desc_(o.desc_) { o.desc_ = nullptr; }
  BackendDescriptor& operator=(BackendDescriptor&& o) noexcept;
  BackendDescriptor(const BackendDescriptor&) = delete;
  BackendDescriptor& operator=(const BackendDescriptor&) = delete;
  ~BackendDescriptor();

  cudnnBackendDescriptor_t get() const { return desc_; }

  template <class T>
  Status set(cudnnBackendAttributeName_t name, std::span<const T> values) {
    return set_raw(name, BackendAttributeType<T>::value, static_cast<int64_t>(values.size()), values.data());
  }
  template <class T>
  Status set(cudnnBackendAttributeName_t name, const T& value) {
    return set(name, std::span<const T>(&value, 1));
  }
  template <class T>
  Status set(cudnnBackendAttributeName_t name, const std::vector<T>& values) {
    return set(name, std::span<const T>(values));
  }
  Status set(cudnnBackendAttributeName_t name, const BackendDescriptor& value) { return set(name, value.get()); }
  // Device (or host) addresses: CUDNN_TYPE_VOID_PTR values.
  Status set_pointers(cudnnBackendAttributeName_t name, std::span<void* const> pointers) {
    return set_raw(name, CUDNN_TYPE_VOID_PTR, static_cast<int64_t>(pointers.size()), pointers.data());
  }

  Status finalize();

  // Reads up to values.size() elements; returns how many the attribute holds (at most values.size()).
  template <class T>
  Expected<int64_t> get(cudnnBackendAttributeName_t name, std::span<T> values) const {
    return get_raw(name, BackendAttributeType<T>::value, static_cast<int64_t>(values.size()), values.data());
  }
  template <class T>
  Expected<T> get_one(cudnnBackendAttributeName_t name) const {
    T value{};
    KILN_ASSIGN_OR_RETURN(int64_t n, get(name, std::span<T>(&value, 1)));
    if (n != 1) return internal_error("cuDNN backend attribute {} holds no value", static_cast<int>(name));
    return value;
  }
  // Reads a descriptor-valued attribute into freshly created descriptors of `type` (the backend
  // API copies into descriptors the caller made). `max_count` < 0 asks cuDNN how many there are.
  Expected<std::vector<BackendDescriptor>> get_descriptors(cudnnBackendAttributeName_t name,
                                                           cudnnBackendDescriptorType_t type,
                                                           int64_t max_count = -1) const;

 private:
  explicit BackendDescriptor(cudnnBackendDescriptor_t d) : desc_(d) {}
  Status set_raw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
                 const void* values);
  Expected<int64_t> get_raw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
                            void* values) const;

  cudnnBackendDescriptor_t desc_ = nullptr;
};

}  // namespace kiln::cuda
