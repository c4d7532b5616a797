// ONNX import: a ModelProto (libonnx's protobuf classes) becomes Kiln's graph IR.
// The protobuf types stay inside src/onnx; the rest of Kiln sees only Graph and Tensor.
#pragma once

#include <memory>
#include <string>

#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

// Parses, validates and shape-infers a model. `base_dir` is where external-data files live.
// Every node whose op Kiln does not know is listed in one error.
Expected<std::unique_ptr<Graph>> import_onnx_file(const std::string& path);
Expected<std::unique_ptr<Graph>> import_onnx_bytes(const void* data, size_t size,
                                                   const std::string& base_dir);

// Reads a serialized onnx.TensorProto file (the conformance suite's input_N.pb / output_N.pb).
Expected<Tensor> read_tensor_proto_file(const std::string& path);

}  // namespace kiln
