// Helpers shared by shape-inference functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace kiln {

// Maps a possibly negative axis into [0, rank); error when outside [-rank, rank).
Expected<int> normalize_axis(int64_t axis, int rank);

// Numpy-style multidirectional broadcasting of shapes. Unknown dims broadcast against 1 or an
// equal dim; an unknown rank gives an unknown rank.
Expected<Shape> broadcast_shapes(const std::vector<Shape>& shapes);
// Same for static dims.
Expected<std::vector<int64_t>> broadcast_dims(const std::vector<std::vector<int64_t>>& dims);

// The DataType of an ONNX TensorProto.DataType number (attributes such as Cast's 'to' hold
// them); unsupported() for types Kiln has no tensors of (string, complex), invalid_argument()
// for numbers ONNX does not define.
Expected<DataType> data_type_from_onnx_number(int64_t onnx_type);

// Reads an integer tensor (int32 or int64, any rank) as int64 values; error for other types.
Expected<std::vector<int64_t>> tensor_to_int64s(const Tensor& t);
// Reads a floating or integer tensor as doubles; error for other types.
Expected<std::vector<double>> tensor_to_doubles(const Tensor& t);

}  // namespace kiln
