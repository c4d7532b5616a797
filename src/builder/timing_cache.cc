#include "builder/timing_cache.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace kiln {

Status TimingCache::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Ok();
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", 0) != 1 || !j.contains("entries") ||
      !j["entries"].is_object())
    return invalid_argument("timing cache '{}' is not a Kiln timing cache (format 1); delete it to start afresh", path);
  for (const auto& [k, e] : j["entries"].items()) {
    if (!e.is_object() || !e.contains("provider") || !e["provider"].is_string() || !e.contains("tactic") ||
        !e["tactic"].is_string() || !e.contains("id") || !e["id"].is_number_integer() || !e.contains("ms") ||
        !e["ms"].is_number())
      return invalid_argument("timing cache '{}': entry '{}' is malformed", path, k);
    entries_[k] = {e["provider"].get<std::string>(), e["tactic"].get<std::string>(), e["id"].get<int64_t>(),
                   e["ms"].get<double>()};
  }
  return Status::Ok();
}

Status TimingCache::save(const std::string& path) const {
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [k, t] : entries_)
    entries[k] = {{"provider", t.provider}, {"tactic", t.tactic}, {"id", t.id}, {"ms", t.ms}};
  const nlohmann::json j = {{"format", 1}, {"entries", entries}};
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(1) << "\n";
    if (!out) return io_error("cannot write timing cache '{}'", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot write timing cache '{}'", path);
  return Status::Ok();
}

std::optional<TimedTactic> TimingCache::find(const std::string& signature) const {
  auto it = entries_.find(key(signature));
  if (it == entries_.end()) return std::nullopt;
  ++hits_;
  return it->second;
}

void TimingCache::insert(const std::string& signature, TimedTactic t) { entries_[key(signature)] = std::move(t); }

}  // namespace kiln
