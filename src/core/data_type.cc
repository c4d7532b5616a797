#include "kiln/data_type.h"

namespace kiln {

size_t data_type_size(DataType t) {
  switch (t) {
    case DataType::kUndefined: return 0;
    case DataType::kFloat32: return 4;
    case DataType::kFloat16: return 2;
    case DataType::kBFloat16: return 2;
    case DataType::kFloat64: return 8;
    case DataType::kInt8: return 1;
    case DataType::kUInt8: return 1;
    case DataType::kInt16: return 2;
    case DataType::kUInt16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kUInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kUInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kFloat8E4M3: return 1;
  }
  return 0;
}

std::string_view data_type_name(DataType t) {
  switch (t) {
    case DataType::kUndefined: return "undefined";
    case DataType::kFloat32: return "float32";
    case DataType::kFloat16: return "float16";
    case DataType::kBFloat16: return "bfloat16";
    case DataType::kFloat64: return "float64";
    case DataType::kInt8: return "int8";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt16: return "int16";
    case DataType::kUInt16: return "uint16";
    case DataType::kInt32: return "int32";
    case DataType::kUInt32: return "uint32";
    case DataType::kInt64: return "int64";
    case DataType::kUInt64: return "uint64";
    case DataType::kBool: return "bool";
    case DataType::kFloat8E4M3: return "float8e4m3";
  }
  return "undefined";
}

bool is_floating(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16 ||
         t == DataType::kFloat64;
}

bool is_signed_integer(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

bool is_integer(DataType t) {
  return is_signed_integer(t) || t == DataType::kUInt8 || t == DataType::kUInt16 ||
         t == DataType::kUInt32 || t == DataType::kUInt64;
}

}  // namespace kiln
