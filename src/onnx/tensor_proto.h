// onnx.TensorProto to Tensor, checking that the stored data matches the declared type and dims.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "core/tensor.h"
#include "kiln/status.h"

namespace kiln {

Expected<DataType> data_type_from_onnx(int32_t elem_type, const std::string& what);

// `base_dir` resolves external data; `what` names the tensor in errors ("initializer 'w'").
Expected<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                                   const std::string& what);

}  // namespace kiln
