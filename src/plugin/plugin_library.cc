// Plugin libraries: shared libraries that export kiln_register_plugins (include/kiln/plugin.h).
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "kiln/plugin.h"

namespace kiln {

namespace {

using RegisterFn = int (*)(PluginRegistry*);
constexpr const char* kEntryPoint = "kiln_register_plugins";

// What a library's entry point sees: the global registry, with the first refusal remembered so
// the load can report why, whatever the library's return code says.
class RecordingRegistry final : public PluginRegistry {
 public:
  Status add_creator(std::unique_ptr<PluginCreator> creator) override {
    Status s = global().add_creator(std::move(creator));
    if (!s.ok() && first_error_.ok()) first_error_ = s;
    return s;
  }
  const PluginCreator* find(const PluginIdentity& id) const override { return global().find(id); }
  std::vector<PluginIdentity> list() const override { return global().list(); }
  const Status& first_error() const { return first_error_; }

 private:
  Status first_error_;
};

}  // namespace

Status load_plugin_library(const std::string& path) {
  static std::mutex mutex;
  static std::set<std::string> loaded;
  // A file is known by its canonical path; a bare name ("libfoo.so", found by dlopen's search) by
  // its name.
  std::error_code ec;
  const std::string key = std::filesystem::exists(path, ec) ? std::filesystem::canonical(path, ec).string() : path;
  std::lock_guard lock(mutex);
  if (loaded.count(key)) return Status::Ok();
  // Never dlclosed: the registry keeps the library's creators.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return io_error("cannot load plugin library '{}': {}", path, why ? why : "unknown error");
  }
  auto entry = reinterpret_cast<RegisterFn>(dlsym(handle, kEntryPoint));
  if (entry == nullptr)
    return invalid_argument("'{}' is not a Kiln plugin library: it exports no {} function", path, kEntryPoint);
  RecordingRegistry registry;
  const int rc = entry(&registry);
  loaded.insert(key);
  if (!registry.first_error().ok()) return with_context(registry.first_error(), "plugin library '" + path + "'");
  if (rc != 0) return invalid_argument("plugin library '{}': {} returned {}", path, kEntryPoint, rc);
  return Status::Ok();
}

Status load_plugin_libraries_from_env() {
  const char* list = std::getenv("KILN_PLUGIN_PATH");
  if (list == nullptr) return Status::Ok();
  std::stringstream in(list);
  for (std::string path; std::getline(in, path, ':');) {
    if (path.empty()) continue;
    Status s = load_plugin_library(path);
    if (!s.ok()) return with_context(s, "KILN_PLUGIN_PATH");
  }
  return Status::Ok();
}

}  // namespace kiln
