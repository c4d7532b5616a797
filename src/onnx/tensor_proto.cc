#include "onnx/tensor_proto.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/half.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

Expected<DataType> data_type_from_onnx(int32_t elem_type, const std::string& what) {
  auto dtype = data_type_from_onnx_number(elem_type);
  if (!dtype.ok()) return with_context(dtype.status(), what);
  return dtype;
}

namespace {

// Copies `count` typed values from a repeated field into the tensor, converting element-wise.
template <class Dst, class Field>
void copy_field(const Field& field, Tensor& t) {
  Dst* dst = t.data<Dst>();
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

Status check_count(int64_t got, int64_t want, const std::string& what, const char* field) {
  if (got != want)
    return invalid_argument("{}: {} holds {} values but the dims need {}", what, field, got, want);
  return Status::Ok();
}

Status read_external(const onnx::TensorProto& proto, const std::string& base_dir,
                     const std::string& what, Tensor& t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      return invalid_argument("{}: external data field '{}' is not a number: '{}'", what, kv.key(), kv.value());
    }
  }
  if (location.empty()) return invalid_argument("{}: external data has no location", what);
  namespace fs = std::filesystem;
  const fs::path rel(location);
  if (rel.is_absolute()) return invalid_argument("{}: external data location '{}' must be relative", what, location);
  for (const auto& part : rel)
    if (part == "..") return invalid_argument("{}: external data location '{}' leaves the model's folder", what, location);
  const fs::path path = fs::path(base_dir.empty() ? "." : base_dir) / rel;
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("{}: cannot open external data file '{}'", what, path.string());
  in.seekg(0, std::ios::end);
  const int64_t file_size = static_cast<int64_t>(in.tellg());
  const int64_t need = static_cast<int64_t>(t.nbytes());
  if (length >= 0 && length != need)
    return invalid_argument("{}: external data length {} does not match the {} bytes its dims need", what, length, need);
  if (offset < 0 || offset > file_size || file_size - offset < need)
    return invalid_argument("{}: external data [{}, +{}) lies outside '{}' ({} bytes)", what, offset, need,
                            path.string(), file_size);
  in.seekg(offset);
  in.read(static_cast<char*>(t.raw()), need);
  if (!in) return io_error("{}: reading external data from '{}' failed", what, path.string());
  return Status::Ok();
}

}  // namespace

Expected<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                                   const std::string& what) {
  KILN_ASSIGN_OR_RETURN(DataType dtype, data_type_from_onnx(proto.data_type(), what));
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  const int64_t numel = checked_numel(dims);
  if (numel < 0) return invalid_argument("{}: invalid dims {}", what, dims_to_string(dims));
  if (static_cast<uint64_t>(numel) > (uint64_t{1} << 40) / data_type_size(dtype))
    return invalid_argument("{}: dims {} are too large", what, dims_to_string(dims));
  if (proto.has_segment()) return unsupported("{}: segmented tensors are not supported", what);

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    Tensor t(dtype, dims);
    KILN_RETURN_IF_ERROR(read_external(proto, base_dir, what, t));
    return t;
  }
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    Tensor t(dtype, dims);
    if (raw.size() != t.nbytes())
      return invalid_argument("{}: raw_data holds {} bytes but dims {} of {} need {}", what, raw.size(),
                              dims_to_string(dims), data_type_name(dtype), t.nbytes());
    if (!raw.empty()) std::memcpy(t.raw(), raw.data(), raw.size());
    if (dtype == DataType::kBool)  // normalize to 0/1 so bool loads are well-defined
      for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = t.data<uint8_t>()[i] != 0;
    return t;
  }
  Tensor t(dtype, dims);
  switch (dtype) {
    case DataType::kFloat32:
      KILN_RETURN_IF_ERROR(check_count(proto.float_data_size(), numel, what, "float_data"));
      copy_field<float>(proto.float_data(), t);
      break;
    case DataType::kFloat64:
      KILN_RETURN_IF_ERROR(check_count(proto.double_data_size(), numel, what, "double_data"));
      copy_field<double>(proto.double_data(), t);
      break;
    case DataType::kInt64:
      KILN_RETURN_IF_ERROR(check_count(proto.int64_data_size(), numel, what, "int64_data"));
      copy_field<int64_t>(proto.int64_data(), t);
      break;
    case DataType::kUInt32:
      KILN_RETURN_IF_ERROR(check_count(proto.uint64_data_size(), numel, what, "uint64_data"));
      copy_field<uint32_t>(proto.uint64_data(), t);
      break;
    case DataType::kUInt64:
      KILN_RETURN_IF_ERROR(check_count(proto.uint64_data_size(), numel, what, "uint64_data"));
      copy_field<uint64_t>(proto.uint64_data(), t);
      break;
    case DataType::kInt32: KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      copy_field<int32_t>(proto.int32_data(), t);
      break;
    case DataType::kInt16: KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      copy_field<int16_t>(proto.int32_data(), t);
      break;
    case DataType::kUInt16:
    case DataType::kFloat16:
    case DataType::kBFloat16:  // 16-bit types are stored as their bit patterns in int32_data
      KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      copy_field<uint16_t>(proto.int32_data(), t);
      break;
    case DataType::kInt8: KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      copy_field<int8_t>(proto.int32_data(), t);
      break;
    case DataType::kUInt8: KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      copy_field<uint8_t>(proto.int32_data(), t);
      break;
    case DataType::kBool: {
      KILN_RETURN_IF_ERROR(check_count(proto.int32_data_size(), numel, what, "int32_data"));
      for (int i = 0; i < proto.int32_data_size(); ++i) t.data<bool>()[i] = proto.int32_data(i) != 0;
      break;
    }
    case DataType::kUndefined: return invalid_argument("{}: undefined element type", what);
    case DataType::kFloat8E4M3: return unsupported("{}: float8e4m3 is an internal type, not an ONNX one", what);
  }
  return t;
}

}  // namespace kiln
