#include "plugin/plugin_registry.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <tuple>

#include "core/error.h"

namespace kiln {

namespace {

class Registry final : public PluginRegistry {
 public:
  Status add_creator(std::unique_ptr<PluginCreator> creator) override {
    if (creator == nullptr) return invalid_argument("a null plugin creator was registered");
    if (creator->api_version() != kPluginApiVersion)
      return unsupported("{} was built against Kiln's plugin API version {}, but this Kiln has version {}; "
                         "rebuild the plugin library with this Kiln's headers",
                         creator->identity().describe(), creator->api_version(), kPluginApiVersion);
    const PluginIdentity id = creator->identity();
    if (id.name.empty() || id.version.empty()) return invalid_argument("{} needs a name and a version", id.describe());
    std::unique_lock lock(mutex_);
    if (!creators_.emplace(key(id), std::move(creator)).second)
      return invalid_argument("{} is already registered", id.describe());
    return Status::Ok();
  }

  const PluginCreator* find(const PluginIdentity& id) const override {
    std::shared_lock lock(mutex_);
    auto it = creators_.find(key(id));
    return it == creators_.end() ? nullptr : it->second.get();
  }

  std::vector<PluginIdentity> list() const override {
    std::shared_lock lock(mutex_);
    std::vector<PluginIdentity> out;
    for (const auto& [k, creator] : creators_) out.push_back({std::get<1>(k), std::get<2>(k), std::get<0>(k)});
    return out;
  }

 private:
  // (namespace, name, version): the map's order is list()'s.
  using Key = std::tuple<std::string, std::string, std::string>;
  static Key key(const PluginIdentity& id) { return {id.plugin_namespace, id.name, id.version}; }

  mutable std::shared_mutex mutex_;
  // Creators are never removed, so pointers find() hands out stay valid.
  std::map<Key, std::unique_ptr<PluginCreator>> creators_;
};

}  // namespace

std::unique_ptr<PluginRegistry> make_plugin_registry() { return std::make_unique<Registry>(); }

PluginRegistry& PluginRegistry::global() {
  static PluginRegistry* const registry = [] {
    // Never destroyed: a creator from a plugin library would otherwise run its destructor at exit,
    // after that library's own static objects may be gone.
    PluginRegistry* r = make_plugin_registry().release();
    register_builtin_plugins(*r);
    return r;
  }();
  return *registry;
}

}  // namespace kiln
