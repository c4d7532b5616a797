#include "plan/plan_header.h"

#include <xxhash.h>

#include <cstring>

#include "core/error.h"

namespace kiln {

namespace {

// Header fields, as (offset, width) pairs; the layout is the file format.
constexpr size_t kFormatVersionAt = 8;
constexpr size_t kHeaderSizeAt = 12;
constexpr size_t kFlatbufferOffsetAt = 16;
constexpr size_t kFlatbufferSizeAt = 24;
constexpr size_t kWeightsOffsetAt = 32;
constexpr size_t kWeightsSizeAt = 40;
constexpr size_t kReservedAt = 48;  // zero in format version 1

template <class T>
T load_le(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
  return v;
}

template <class T>
void store_le(uint8_t* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

bool has_plan_magic(const void* data, size_t size) {
  return size >= sizeof(kPlanMagic) && std::memcmp(data, kPlanMagic, sizeof(kPlanMagic)) == 0;
}

void encode_plan_header(const PlanHeader& h, uint8_t* out) {
  std::memset(out, 0, kPlanHeaderSize);
  std::memcpy(out, kPlanMagic, sizeof(kPlanMagic));
  store_le(out + kFormatVersionAt, h.format_version);
  store_le(out + kHeaderSizeAt, h.header_size);
  store_le(out + kFlatbufferOffsetAt, h.flatbuffer_offset);
  store_le(out + kFlatbufferSizeAt, h.flatbuffer_size);
  store_le(out + kWeightsOffsetAt, h.weights_offset);
  store_le(out + kWeightsSizeAt, h.weights_size);
  store_le(out + kPlanChecksumOffset, h.checksum);
}

uint64_t plan_checksum(const uint8_t* data, size_t size) {
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) return 0;  // out of memory; the plan then fails its check
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, data, kPlanChecksumOffset);
  XXH3_64bits_update(state, data + kPlanHeaderSize, size - kPlanHeaderSize);
  const uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return sum;
}

Expected<PlanHeader> parse_plan_header(const uint8_t* data, size_t size) {
  if (size < kPlanHeaderSize)
    return invalid_argument("not a Kiln plan: {} bytes is shorter than the {}-byte plan header", size, kPlanHeaderSize);
  if (!has_plan_magic(data, size)) return invalid_argument("not a Kiln plan: the file does not start with 'KILNPLAN'");
  PlanHeader h;
  h.format_version = load_le<uint32_t>(data + kFormatVersionAt);
  if (h.format_version != kPlanFormatVersion)
    return unsupported("plan format version {} differs from this runtime's format version {}; rebuild the plan",
                       h.format_version, kPlanFormatVersion);
  h.header_size = load_le<uint32_t>(data + kHeaderSizeAt);
  if (h.header_size != kPlanHeaderSize)
    return invalid_argument("corrupt plan: header size is {}, expected {}", h.header_size, kPlanHeaderSize);
  if (load_le<uint64_t>(data + kReservedAt) != 0) return invalid_argument("corrupt plan: reserved header bytes are not zero");
  h.flatbuffer_offset = load_le<uint64_t>(data + kFlatbufferOffsetAt);
  h.flatbuffer_size = load_le<uint64_t>(data + kFlatbufferSizeAt);
  h.weights_offset = load_le<uint64_t>(data + kWeightsOffsetAt);
  h.weights_size = load_le<uint64_t>(data + kWeightsSizeAt);
  h.checksum = load_le<uint64_t>(data + kPlanChecksumOffset);
  // The sections tile the file exactly: header, flatbuffer, padding to 64, weights. Each bound is
  // checked against the file size before it is added to anything, so nothing can overflow.
  if (h.flatbuffer_offset != kPlanHeaderSize)
    return invalid_argument("corrupt plan: the flatbuffer starts at {}, expected {}", h.flatbuffer_offset, kPlanHeaderSize);
  if (h.flatbuffer_size == 0 || h.flatbuffer_size > size - kPlanHeaderSize)
    return invalid_argument("corrupt plan: flatbuffer size {} does not fit in a {}-byte file", h.flatbuffer_size, size);
  const uint64_t weights_at = align_up(h.flatbuffer_offset + h.flatbuffer_size, kPlanWeightAlignment);
  if (h.weights_offset != weights_at)
    return invalid_argument("corrupt plan: the weight section starts at {}, expected {}", h.weights_offset, weights_at);
  if (h.weights_offset > size || h.weights_size != size - h.weights_offset)
    return invalid_argument("corrupt plan: the file is {} bytes but its sections say {} (truncated or extended?)", size,
                            h.weights_offset > size ? h.weights_offset : h.weights_offset + h.weights_size);
  const uint64_t actual = plan_checksum(data, size);
  if (actual != h.checksum)
    return invalid_argument("corrupt plan: checksum mismatch (header says {:016x}, contents hash to {:016x})", h.checksum,
                            actual);
  return h;
}

}  // namespace kiln
