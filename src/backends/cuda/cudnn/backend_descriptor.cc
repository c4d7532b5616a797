#include "backends/cuda/cudnn/backend_descriptor.h"

#include <algorithm>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

Expected<BackendDescriptor> BackendDescriptor::create(cudnnBackendDescriptorType_t type) {
  cudnnBackendDescriptor_t d = nullptr;
  KILN_RETURN_IF_ERROR(cudnn_status(cudnnBackendCreateDescriptor(type, &d),
                                    fmt::format("cudnnBackendCreateDescriptor({})", static_cast<int>(type)).c_str()));
  return BackendDescriptor(d);
}

BackendDescriptor& BackendDescriptor::operator=(BackendDescriptor&& o) noexcept {
  if (this != &o) {
    if (desc_ != nullptr) cudnnBackendDestroyDescriptor(desc_);
    desc_ = o.desc_;
    o.desc_ = nullptr;
  }
  return *this;
}

BackendDescriptor::~BackendDescriptor() {
  if (desc_ != nullptr) cudnnBackendDestroyDescriptor(desc_);
}

Status BackendDescriptor::set_raw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
                                  const void* values) {
  // The C API takes a non-const pointer but only reads it.
  return cudnn_status(cudnnBackendSetAttribute(desc_, name, type, count, const_cast<void*>(values)),
                      fmt::format("cudnnBackendSetAttribute(attribute {})", static_cast<int>(name)).c_str());
}

Expected<int64_t> BackendDescriptor::get_raw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                                             int64_t count, void* values) const {
  int64_t returned = 0;
  KILN_RETURN_IF_ERROR(
      cudnn_status(cudnnBackendGetAttribute(desc_, name, type, count, &returned, values),
                   fmt::format("cudnnBackendGetAttribute(attribute {})", static_cast<int>(name)).c_str()));
  return returned;
}

Status BackendDescriptor::finalize() { return cudnn_status(cudnnBackendFinalize(desc_), "cudnnBackendFinalize"); }

Expected<std::vector<BackendDescriptor>> BackendDescriptor::get_descriptors(cudnnBackendAttributeName_t name,
                                                                            cudnnBackendDescriptorType_t type,
                                                                            int64_t max_count) const {
  int64_t count = max_count;
  if (count < 0) {
    KILN_ASSIGN_OR_RETURN(count, get_raw(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, nullptr));
  }
  std::vector<BackendDescriptor> out;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < count; ++i) {
    KILN_ASSIGN_OR_RETURN(BackendDescriptor d, create(type));
    raw.push_back(d.get());
    out.push_back(std::move(d));
  }
  if (count == 0) return out;
  KILN_ASSIGN_OR_RETURN(int64_t returned, get_raw(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, count, raw.data()));
  out.resize(static_cast<size_t>(std::min(returned, count)));
  return out;
}

}  // namespace kiln::cuda
