#include "ir/ops/infer_utils.h"

#include <algorithm>

#include "core/float8.h"
#include "core/half.h"

namespace kiln {

Expected<int> normalize_axis(int64_t axis, int rank) {
  if (axis < -rank || axis >= rank)
    return invalid_argument("axis {} is out of range for rank {}", axis, rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Expected<Shape> broadcast_shapes(const std::vector<Shape>& shapes) {
  int rank = 0;
  for (const Shape& s : shapes) {
    if (!s.rank_known()) return Shape::unknown();
    rank = std::max(rank, s.rank());
  }
  std::vector<Dim> out(static_cast<size_t>(rank), Dim(1));
  std::vector<bool> seen_unknown(static_cast<size_t>(rank), false);
  for (const Shape& s : shapes) {
    const int off = rank - s.rank();
    for (int i = 0; i < s.rank(); ++i) {
      const Dim& d = s[i];
      Dim& o = out[static_cast<size_t>(off + i)];
      if (d.is_static() && d.value == 1) continue;
      if (!d.is_static()) {
        if (o.is_static() && o.value == 1) o = d;
        else if (!o.is_static() && !(o == d)) o = Dim();  // two different unknowns
        continue;
      }
      if (o.is_static() && o.value != 1 && o.value != d.value)
        return invalid_argument("shapes {} cannot be broadcast together",
                                [&] {
                                  std::string t;
                                  for (const Shape& x : shapes) t += x.to_string() + " ";
                                  return t;
                                }());
      o = d;
    }
  }
  (void)seen_unknown;
  return Shape(std::move(out));
}

Expected<std::vector<int64_t>> broadcast_dims(const std::vector<std::vector<int64_t>>& dims) {
  std::vector<Shape> shapes;
  for (const auto& d : dims) shapes.push_back(Shape::from_dims(d));
  KILN_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(shapes));
  return *s.static_dims();
}

Expected<DataType> data_type_from_onnx_number(int64_t onnx_type) {
  switch (onnx_type) {
    case 1: return DataType::kFloat32;
    case 2: return DataType::kUInt8;
    case 3: return DataType::kInt8;
    case 4: return DataType::kUInt16;
    case 5: return DataType::kInt16;
    case 6: return DataType::kInt32;
    case 7: return DataType::kInt64;
    case 9: return DataType::kBool;
    case 10: return DataType::kFloat16;
    case 11: return DataType::kFloat64;
    case 12: return DataType::kUInt32;
    case 13: return DataType::kUInt64;
    case 16: return DataType::kBFloat16;
    case 8: return unsupported("string tensors are not supported");
    case 14:
    case 15: return unsupported("complex tensors are not supported");
    default: return invalid_argument("{} is not an ONNX data type", onnx_type);
  }
}

Expected<std::vector<int64_t>> tensor_to_int64s(const Tensor& t) {
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DataType::kInt64) {
    std::copy(t.data<int64_t>(), t.data<int64_t>() + t.numel(), out.begin());
  } else if (t.dtype() == DataType::kInt32) {
    std::copy(t.data<int32_t>(), t.data<int32_t>() + t.numel(), out.begin());
  } else {
    return invalid_argument("expected an int32 or int64 tensor, got {}", data_type_name(t.dtype()));
  }
  return out;
}

Expected<std::vector<double>> tensor_to_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  const size_t n = out.size();
  switch (t.dtype()) {
    case DataType::kFloat32: for (size_t i = 0; i < n; ++i) out[i] = t.data<float>()[i]; break;
    case DataType::kFloat64: for (size_t i = 0; i < n; ++i) out[i] = t.data<double>()[i]; break;
    case DataType::kFloat16: for (size_t i = 0; i < n; ++i) out[i] = t.data<Half>()[i]; break;
    case DataType::kBFloat16: for (size_t i = 0; i < n; ++i) out[i] = t.data<BFloat16>()[i]; break;
    case DataType::kInt8: for (size_t i = 0; i < n; ++i) out[i] = t.data<int8_t>()[i]; break;
    case DataType::kUInt8: for (size_t i = 0; i < n; ++i) out[i] = t.data<uint8_t>()[i]; break;
    case DataType::kInt16: for (size_t i = 0; i < n; ++i) out[i] = t.data<int16_t>()[i]; break;
    case DataType::kUInt16: for (size_t i = 0; i < n; ++i) out[i] = t.data<uint16_t>()[i]; break;
    case DataType::kInt32: for (size_t i = 0; i < n; ++i) out[i] = t.data<int32_t>()[i]; break;
    case DataType::kUInt32: for (size_t i = 0; i < n; ++i) out[i] = t.data<uint32_t>()[i]; break;
    case DataType::kInt64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(t.data<int64_t>()[i]); break;
    case DataType::kUInt64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(t.data<uint64_t>()[i]); break;
    case DataType::kBool: for (size_t i = 0; i < n; ++i) out[i] = t.data<bool>()[i]; break;
    case DataType::kFloat8E4M3: for (size_t i = 0; i < n; ++i) out[i] = e4m3_to_float(t.data<uint8_t>()[i]); break;
    default: return invalid_argument("cannot read {} tensor as numbers", data_type_name(t.dtype()));
  }
  return out;
}

}  // namespace kiln
