// Kiln's side of the plugin registry (the interface is include/kiln/plugin.h).
#pragma once

#include <memory>

#include "kiln/plugin.h"

namespace kiln {

// An empty, thread-safe registry. PluginRegistry::global() is one of these with Kiln's own
// plugins added; tests make their own.
std::unique_ptr<PluginRegistry> make_plugin_registry();

// Kiln's own plugins (plugins/builtin_plugins.cc), added to the global registry when it is made.
void register_builtin_plugins(PluginRegistry& registry);

}  // namespace kiln
