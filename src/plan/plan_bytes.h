// The bytes of a plan being read, and what keeps them alive: a read-only mapping of the file, or
// an aligned copy. Constants loaded from the plan point into these bytes and share the owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/status.h"

namespace kiln {

struct PlanBytes {
  std::shared_ptr<void> owner;
  const uint8_t* data = nullptr;  // aligned to at least 64 bytes
  size_t size = 0;
};

// Maps the whole file read-only. The file must not be truncated while the plan is in use (the
// mapping would then fault), as with any memory-mapped engine file.
Expected<PlanBytes> map_plan_file(const std::string& path);

// Copies caller-owned bytes into 64-byte-aligned memory the plan then owns.
PlanBytes copy_plan_bytes(const void* data, size_t size);

}  // namespace kiln
