// The timing cache: measured tactic choices kept in a file, so a rebuild of the same layers on
// the same GPU with the same libraries skips the timing. Keys are layer signatures (op,
// attributes, dtypes, shapes; see the CUDA builder) prefixed with the GPU and library versions
// (`context`), so one file can serve several GPUs without mixing them up.
//
// File format: JSON {"format": 1, "entries": {"<key>": {"provider", "tactic", "id", "ms"}}}.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "kiln/status.h"

namespace kiln {

struct TimedTactic {
  std::string provider;
  std::string tactic;
  int64_t id = 0;
  double ms = 0;
};

class TimingCache {
 public:
  explicit TimingCache(std::string context = "") : context_(std::move(context)) {}
  // Reads `path` (a missing file is an empty cache; a malformed one is an error naming it).
  Status load(const std::string& path);
  // Writes every entry, those loaded included, through a temporary file.
  Status save(const std::string& path) const;
  std::optional<TimedTactic> find(const std::string& signature) const;
  void insert(const std::string& signature, TimedTactic t);
  size_t size() const { return entries_.size(); }
  int hits() const { return hits_; }

 private:
  std::string key(const std::string& signature) const { return context_ + "|" + signature; }
  std::string context_;
  std::map<std::string, TimedTactic> entries_;
  mutable int hits_ = 0;
};

}  // namespace kiln
