#include "backends/reference/kernel.h"
#include "ir/op_schema.h"

namespace kiln {

KernelRegistry& KernelRegistry::global() {
  static KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    register_builtin_kernels(*r);
    return r;
  }();
  return *registry;
}

void KernelRegistry::add(std::string op_type, KernelFn fn, std::string domain) {
  by_key_[op_key(op_type, domain)] = std::move(fn);
}

const KernelFn* KernelRegistry::find(std::string_view op_type, std::string_view domain) const {
  auto it = by_key_.find(op_key(op_type, domain));
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace kiln
