#include "builder/tactic_sources.h"

namespace kiln {

Expected<TacticSources> TacticSources::parse(const std::vector<std::string>& rules) {
  TacticSources sources;
  for (const std::string& r : rules) {
    if (r.size() < 2 || (r[0] != '+' && r[0] != '-'))
      return invalid_argument("tactic source '{}' must be +PREFIX or -PREFIX of a provider name, e.g. -cudnn", r);
    sources.rules_.push_back({r[0] == '+', r.substr(1)});
  }
  return sources;
}

bool TacticSources::allows(std::string_view provider) const {
  bool use = true;
  for (const Rule& r : rules_)
    if (provider.substr(0, r.prefix.size()) == r.prefix) use = r.use;
  return use;
}

}  // namespace kiln
