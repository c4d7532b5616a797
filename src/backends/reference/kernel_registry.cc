#include "backends/reference/kernel.h"

namespace kiln {

namespace {
std::string key_of(std::string_view op_type, std::string_view domain) {
  std::string k(domain == "ai.onnx" ? "" : domain);
  k += "::";
  k += op_type;
  return k;
}
}  // namespace

KernelRegistry& KernelRegistry::global() {
  static KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    register_builtin_kernels(*r);
    return r;
  }();
  return *registry;
}

void KernelRegistry::add(std::string op_type, KernelFn fn, std::string domain) {
  by_key_[key_of(op_type, domain)] = std::move(fn);
}

const KernelFn* KernelRegistry::find(std::string_view op_type, std::string_view domain) const {
  auto it = by_key_.find(key_of(op_type, domain));
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace kiln
