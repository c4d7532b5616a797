// Pieces the `kiln` subcommands share: loading a model, making or reading inputs, printing
// tensor summaries.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kiln/kiln.h"

namespace kiln::cli {

// Prints "kiln: error: <status>" to stderr and returns the exit code for it.
int report_error(const Status& s);

// "NAME=VALUE" pairs from repeated flags.
Expected<std::map<std::string, std::string>> parse_assignments(const std::vector<std::string>& items,
                                                               const char* flag);

// Whether `path` is a Kiln plan (by its first bytes, not its name); else it is taken for ONNX.
Expected<bool> is_plan_file(const std::string& path);

// An engine from a plan file, or built for the CPU from an ONNX model.
Expected<std::unique_ptr<Engine>> load_engine(const std::string& path);

// Reads a .npy or onnx TensorProto .pb file.
Expected<Tensor> read_tensor_file(const std::string& path);

// Inputs for every engine input: from files where given, else seeded random data. Dynamic
// dims take the value from `shapes` or 1.
Expected<std::vector<std::pair<std::string, Tensor>>> make_inputs(
    const std::vector<TensorInfo>& io, const std::map<std::string, std::string>& files,
    const std::map<std::string, std::string>& shapes, uint32_t seed);

// "float32 [1, 1000]  min -3.1 max 4.2 mean 0.01 std 1.0"
std::string summarize(const TensorView& t);

// A file name from a tensor name: characters other than [A-Za-z0-9._-] become '_'.
std::string safe_file_name(const std::string& tensor_name);

}  // namespace kiln::cli
