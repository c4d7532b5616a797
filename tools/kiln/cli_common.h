// Pieces the `kiln` subcommands share: loading a model, making or reading inputs, printing
// tensor summaries.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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

// --plugin LIB (repeatable) on `cmd`: plugin libraries (docs/plugins.md) to load.
void add_plugin_flag(CLI::App* cmd, std::vector<std::string>& libraries);
// Loads the libraries in KILN_PLUGIN_PATH, then `libraries`.
Status load_plugins(const std::vector<std::string>& libraries);

// The build flags `build`, `run`, `bench` and `demo` share, trtexec-style: device, precision,
// shapes, tuning.
struct BuildFlags {
  BuilderConfig config;
  std::string device = "cpu";
  std::string min_shapes, opt_shapes, max_shapes;
  std::vector<std::string> profiles;
  bool no_tf32 = false;
  bool no_host_fallback = false;
  double workspace_mib = 1024;
  std::vector<std::string> plugins;  // --plugin
  std::string calib_method = "mse", calib_channel_order = "rgb", calib_layout = "nchw";
  std::string accuracy_budget, eval_metric;  // --accuracy-budget, --eval-metric
  // The config with profiles, precision and logging filled in from the flags.
  Expected<BuilderConfig> resolve() const;
};
void add_build_flags(CLI::App* cmd, BuildFlags& flags);

// An engine from a plan file (on the device its target names), or built from an ONNX model with
// `flags`; the plugin libraries the flags name are loaded first.
Expected<std::unique_ptr<Engine>> load_engine(const std::string& path, const BuildFlags& flags = {});
// A tensor view's bytes as a host tensor (copied from the device when it is there).
Expected<Tensor> to_host(const TensorView& v);

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
