// Element types Kiln tensors can hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln {

enum class DataType : uint8_t {
  kUndefined = 0,
  kFloat32,
  kFloat16,
  kBFloat16,
  kFloat64,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kBool,
  // FP8 E4M3 (e4m3fn: no infinities, max 448): an internal type of the --fp8 mode, not an ONNX
  // input type. Not is_floating(): the float kernels do not take it; QuantizeLinear and
  // DequantizeLinear convert to and from it (src/core/float8.h).
  kFloat8E4M3,
};

// Bytes per element; 0 for kUndefined.
size_t data_type_size(DataType t);
// "float32", "int64", ...
std::string_view data_type_name(DataType t);
bool is_floating(DataType t);
bool is_integer(DataType t);  // signed or unsigned integer, not bool
bool is_signed_integer(DataType t);

}  // namespace kiln
