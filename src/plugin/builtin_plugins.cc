// Kiln's own plugins: layers that ship with Kiln but are written against the public plugin
// interface (include/kiln/plugin.h), like a user's would be. Each adds its creator here, e.g.
//   KILN_RETURN_IF_ERROR(registry.add_creator(std::make_unique<YoloDecodeCreator>()));
// (none yet).
#include "plugin/plugin_registry.h"

namespace kiln {

void register_builtin_plugins(PluginRegistry& /*registry*/) {}

}  // namespace kiln
