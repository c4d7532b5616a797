#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "core/error.h"

namespace kiln {

namespace {

struct NpyType {
  const char* descr;
  DataType dtype;
};
constexpr NpyType kTypes[] = {
    {"<f4", DataType::kFloat32}, {"<f8", DataType::kFloat64}, {"<f2", DataType::kFloat16},
    {"|i1", DataType::kInt8},    {"|u1", DataType::kUInt8},   {"<i2", DataType::kInt16},
    {"<u2", DataType::kUInt16},  {"<i4", DataType::kInt32},   {"<u4", DataType::kUInt32},
    {"<i8", DataType::kInt64},   {"<u8", DataType::kUInt64},  {"|b1", DataType::kBool},
};

}  // namespace

Expected<Tensor> parse_npy(const std::string& bytes, const std::string& what) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    return invalid_argument("{}: not a .npy file (bad magic)", what);
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return invalid_argument("{}: truncated .npy header", what);
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return unsupported("{}: .npy format version {} is not supported", what, major);
  }
  if (header_len > bytes.size() - header_start) return invalid_argument("{}: truncated .npy header", what);
  const std::string header = bytes.substr(header_start, header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")))
    return invalid_argument("{}: .npy header has no descr", what);
  const std::string descr = m[1];
  DataType dtype = DataType::kUndefined;
  for (const NpyType& t : kTypes)
    if (descr == t.descr || (descr.size() == 3 && descr[0] == '<' && std::string("|") + descr.substr(1) == t.descr))
      dtype = t.dtype;
  if (dtype == DataType::kUndefined) return unsupported("{}: .npy element type '{}' is not supported", what, descr);
  if (std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*True")))
    return unsupported("{}: Fortran-ordered .npy files are not supported", what);
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    return invalid_argument("{}: .npy header has no shape", what);
  std::vector<int64_t> dims;
  const std::string shape_text = m[1];
  static const std::regex kNumber("\\d+");
  std::sregex_iterator it(shape_text.begin(), shape_text.end(), kNumber), end;
  for (; it != end; ++it) {
    const std::string num = it->str();
    if (num.size() > 15) return invalid_argument("{}: .npy dimension {} is too large", what, num);
    dims.push_back(std::stoll(num));
  }
  const int64_t numel = checked_numel(dims);
  if (numel < 0 || static_cast<uint64_t>(numel) > (uint64_t{1} << 40))
    return invalid_argument("{}: .npy shape {} is too large", what, dims_to_string(dims));
  Tensor t(dtype, dims);
  const size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != t.nbytes())
    return invalid_argument("{}: .npy data holds {} bytes but shape {} of {} needs {}", what, bytes.size() - data_start,
                            dims_to_string(dims), data_type_name(dtype), t.nbytes());
  if (t.nbytes()) std::memcpy(t.raw(), bytes.data() + data_start, t.nbytes());
  return t;
}

Expected<Tensor> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path);
}

Status write_npy(const std::string& path, const Tensor& t) {
  const char* descr = nullptr;
  for (const NpyType& nt : kTypes)
    if (nt.dtype == t.dtype()) descr = nt.descr;
  if (descr == nullptr) return unsupported("cannot write {} tensors to .npy", data_type_name(t.dtype()));
  std::string shape;
  for (int64_t d : t.dims()) shape += std::to_string(d) + ", ";
  if (t.rank() > 1) shape.resize(shape.size() - 1);  // "(2, 3)" vs "(5,)"
  if (t.rank() > 1) shape.pop_back();
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad so the data starts on a 64-byte boundary, ending with a newline (as NumPy does).
  const size_t total = ((10 + header.size() + 1 + 63) / 64) * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) return io_error("cannot write '{}'", path);
  const char prefix[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(prefix, 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  if (!out) return io_error("writing '{}' failed", path);
  return Status::Ok();
}

}  // namespace kiln
