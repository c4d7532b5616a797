// The fixed 64-byte header at the start of every plan file (docs/plan-format.md has the table).
// It is read before anything else and says where the flatbuffer and the weight section are;
// its checksum covers the whole file except the checksum field itself, so no corruption of the
// header or the body goes unnoticed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kiln/status.h"

namespace kiln {

inline constexpr char kPlanMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};
// 2: plugin layers (kiln.Plugin nodes holding a plugin's identity and bytes).
inline constexpr uint32_t kPlanFormatVersion = 2;
inline constexpr size_t kPlanHeaderSize = 64;
// Each weight starts on this boundary, so a memory-mapped plan can be used in place.
inline constexpr size_t kPlanWeightAlignment = 64;
// Byte offset of the checksum field inside the header.
inline constexpr size_t kPlanChecksumOffset = 56;

struct PlanHeader {
  uint32_t format_version = kPlanFormatVersion;
  uint32_t header_size = kPlanHeaderSize;
  uint64_t flatbuffer_offset = 0;
  uint64_t flatbuffer_size = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_size = 0;
  uint64_t checksum = 0;
};

inline constexpr uint64_t align_up(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// True when the bytes start with the plan magic ("KILNPLAN"): how tools tell plans from models.
bool has_plan_magic(const void* data, size_t size);

// Writes the header (little-endian) into the first kPlanHeaderSize bytes of `out`.
void encode_plan_header(const PlanHeader& header, uint8_t* out);

// XXH3-64 of the whole plan except the 8-byte checksum field; `size` >= kPlanHeaderSize.
uint64_t plan_checksum(const uint8_t* data, size_t size);

// Decodes and checks the header of a `size`-byte plan: size, magic, format version, header size,
// that the sections tile the file exactly, and the checksum. Errors say which field is wrong.
Expected<PlanHeader> parse_plan_header(const uint8_t* data, size_t size);

}  // namespace kiln
