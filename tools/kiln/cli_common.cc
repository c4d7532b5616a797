#include "tools/kiln/cli_common.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "plan/plan.h"
#include "runtime/optimization_profile.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <random>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/npy.h"
#include "kiln/plugin.h"
#include "onnx/onnx_importer.h"
#include "plan/plan_header.h"
#include "quantization/accuracy_metric.h"
#include "quantization/calibrator.h"
#include "runtime/optimization_profile.h"

namespace kiln::cli {

int report_error(const Status& s) {
  std::cerr << "kiln: error: " << s.to_string() << "\n";
  return 1;
}

Expected<std::map<std::string, std::string>> parse_assignments(const std::vector<std::string>& items,
                                                               const char* flag) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    const auto eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      return invalid_argument("{} expects NAME=VALUE, got '{}'", flag, item);
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

Expected<bool> is_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open '{}'", path);
  char magic[sizeof(kPlanMagic)] = {};
  in.read(magic, sizeof(magic));
  return has_plan_magic(magic, static_cast<size_t>(in.gcount()));
}

void add_plugin_flag(CLI::App* cmd, std::vector<std::string>& libraries) {
  cmd->add_option("--plugin", libraries, "Load a plugin library for custom layers (repeatable; also KILN_PLUGIN_PATH)");
}

Status load_plugins(const std::vector<std::string>& libraries) {
  KILN_RETURN_IF_ERROR(load_plugin_libraries_from_env());
  for (const std::string& path : libraries) KILN_RETURN_IF_ERROR(load_plugin_library(path));
  return Status::Ok();
}

void add_build_flags(CLI::App* cmd, BuildFlags& f) {
  cmd->add_option("--device", f.device, "Build for: cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--opt-level", f.config.optimization_level, "0 (none) to 3 (all passes)")->check(CLI::Range(0, 3));
  cmd->add_option("--disable-pass", f.config.disabled_passes, "Skip a pass by name (repeatable), for bisecting");
  cmd->add_option("--dump-ir", f.config.dump_ir_dir, "Write the IR before and after each pass to this folder");
  cmd->add_option("--min-shapes", f.min_shapes, "Smallest shapes of dynamic inputs: name=1x3x224x224[,name2=...]");
  cmd->add_option("--opt-shapes", f.opt_shapes, "Shapes to optimize (and time tactics) for (default: --max-shapes)");
  cmd->add_option("--max-shapes", f.max_shapes, "Largest shapes of dynamic inputs");
  cmd->add_option("--profile", f.profiles, "One more optimization profile: name=MIN:OPT:MAX[,name2=...] (repeatable)");
  cmd->add_flag("--fp16", f.config.fp16, "CUDA: FP16 storage and tensor cores (FP32 accumulation)");
  cmd->add_flag("--bf16", f.config.bf16, "CUDA: BF16 storage and tensor cores (FP32 accumulation)");
  cmd->add_flag("--no-tf32", f.no_tf32, "CUDA: FP32 layers without TF32 tensor cores");
  cmd->add_option("--workspace", f.workspace_mib, "CUDA: scratch memory one tactic may use, in MiB (default 1024)");
  cmd->add_option("--aux-streams", f.config.aux_streams, "CUDA: auxiliary streams for independent branches");
  cmd->add_option("--timing-cache", f.config.timing_cache_path, "CUDA: timing cache file, read and updated");
  cmd->add_option("--tactic-sources", f.config.tactic_sources,
                  "CUDA: providers to rule out or back in by name prefix, e.g. --tactic-sources=-cudnn,+cudnn_s2d")
      ->delimiter(',');
  cmd->add_flag("--verbose", f.config.verbose, "CUDA: print every layer's timed tactics");
  cmd->add_flag("--no-host-fallback", f.no_host_fallback, "CUDA: fail when a layer has no CUDA tactic");
  add_plugin_flag(cmd, f.plugins);
  CalibrationConfig& calib = f.config.calibration;
  cmd->add_flag("--int8", f.config.int8, "INT8: calibrate activations and quantize convolutions and matrix products");
  cmd->add_flag("--fp8", f.config.fp8, "FP8 (E4M3): as --int8, on FP8 tensor cores (the --calib flags apply)");
  cmd->add_option("--calib", calib.data_dir, "INT8: calibration data folder (images, .npy or .pb; a subfolder per input)");
  cmd->add_option("--calib-cache", calib.cache_path, "INT8: calibration cache, used when it exists, else written");
  cmd->add_option("--calib-method", f.calib_method, "INT8: mse (default), entropy, minmax or percentile")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile", "mse"}));
  cmd->add_option("--calib-percentile", calib.percentile, "INT8: percentile of |x| for --calib-method percentile (99.99)");
  cmd->add_option("--calib-batches", calib.max_batches, "INT8: calibrate on at most this many batches (default: all)");
  cmd->add_option("--calib-batch-size", calib.batch_size, "INT8: samples per batch when the batch dim is dynamic (16)");
  cmd->add_option("--calib-resize", calib.resize, "INT8/FP8 images: resize to H,W (default: the input's H and W, dynamic ones from --opt-shapes)")
      ->delimiter(',')->expected(2);
  cmd->add_option("--calib-mean", calib.mean, "INT8 images: mean to subtract, r,g,b or one value (0)")->delimiter(',');
  cmd->add_option("--calib-std", calib.std, "INT8 images: std to divide by, r,g,b or one value (1)")->delimiter(',');
  cmd->add_option("--calib-scale", calib.scale, "INT8 images: pixel multiplier before mean and std (1/255)");
  cmd->add_option("--calib-channel-order", f.calib_channel_order, "INT8 images: rgb (default) or bgr")
      ->check(CLI::IsMember({"rgb", "bgr"}));
  cmd->add_option("--calib-layout", f.calib_layout, "INT8 images: nchw (default) or nhwc")
      ->check(CLI::IsMember({"nchw", "nhwc"}));
  AccuracyBudgetConfig& budget = f.config.accuracy_budget;
  cmd->add_option("--accuracy-budget", f.accuracy_budget,
                  "INT8: keep the most sensitive layers float until the drop on --eval data is at most this (0.5% or 0.005)");
  cmd->add_option("--eval", budget.data_dir, "INT8 budget: evaluation data folder, read like --calib's");
  cmd->add_option("--eval-metric", f.eval_metric, "INT8 budget: top1 (default), mask:T (threshold T) or rel-l2, on output 0");
  cmd->add_option("--eval-batches", budget.max_batches, "INT8 budget: evaluate on at most this many batches (default: all)");
}

Expected<BuilderConfig> BuildFlags::resolve() const {
  BuilderConfig c = config;
  c.device = device == "cuda" ? DeviceKind::kCuda : DeviceKind::kCpu;
  KILN_ASSIGN_OR_RETURN(c.profiles, profiles_from_flags(min_shapes, opt_shapes, max_shapes, profiles));
  c.tf32 = !no_tf32;
  c.allow_host_fallback = !no_host_fallback;
  if (workspace_mib < 0) return invalid_argument("--workspace must be at least 0 MiB");
  c.workspace_limit = static_cast<size_t>(workspace_mib * 1024 * 1024);
  if (c.int8 && c.fp8) return invalid_argument("--int8 and --fp8 exclude each other");
  if (!c.int8 && !c.fp8 && (!c.calibration.data_dir.empty() || !c.calibration.cache_path.empty()))
    return invalid_argument("--calib and --calib-cache need --int8 or --fp8");
  KILN_ASSIGN_OR_RETURN(c.calibration.method, parse_calibration_method(calib_method));
  if (!accuracy_budget.empty()) {
    if (!c.int8 && !c.fp8) return invalid_argument("--accuracy-budget needs --int8 or --fp8");
    KILN_ASSIGN_OR_RETURN(c.accuracy_budget.budget, parse_accuracy_budget(accuracy_budget));
    if (!eval_metric.empty()) KILN_RETURN_IF_ERROR(parse_accuracy_metric(eval_metric, c.accuracy_budget));
  } else if (!c.accuracy_budget.data_dir.empty() || !eval_metric.empty() || c.accuracy_budget.max_batches != 0) {
    return invalid_argument("--eval, --eval-metric and --eval-batches need --accuracy-budget");
  }
  c.calibration.channel_order = calib_channel_order == "bgr" ? ChannelOrder::kBGR : ChannelOrder::kRGB;
  c.calibration.layout = calib_layout == "nhwc" ? ImageLayout::kNHWC : ImageLayout::kNCHW;
  if (c.device == DeviceKind::kCuda || c.int8 || c.fp8) {
    // Tuning tables go to stdout; the progress line rewrites itself on a terminal.
    const bool tty = isatty(fileno(stderr)) != 0;
    c.log = [tty](const std::string& line) {
      if (!line.empty() && line[0] == '\r') {
        if (tty) std::cerr << line << std::flush;
        return;
      }
      std::cout << line << std::flush;
    };
  }
  return c;
}

Expected<std::unique_ptr<Engine>> load_engine(const std::string& path, const BuildFlags& flags) {
  KILN_RETURN_IF_ERROR(load_plugins(flags.plugins));
  KILN_ASSIGN_OR_RETURN(bool plan, is_plan_file(path));
  if (plan) {
    KILN_ASSIGN_OR_RETURN(LoadedPlan loaded, read_plan(path, std::nullopt));
    return Runtime(loaded.info.target.backend == "cuda" ? DeviceKind::kCuda : DeviceKind::kCpu).deserialize(path);
  }
  KILN_ASSIGN_OR_RETURN(BuilderConfig config, flags.resolve());
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(path));
  Builder builder(config);
  auto engine = builder.build(*network);
  if (config.log && config.device == DeviceKind::kCuda) config.log("\n");
  return engine;
}

Expected<Tensor> to_host(const TensorView& v) {
  Tensor t(v.dtype, v.dims);
  KILN_RETURN_IF_ERROR(copy_to_host(v, t.raw()));
  return t;
}

Expected<Tensor> read_tensor_file(const std::string& path) {
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".npy") return read_npy(path);
  if (path.size() >= 3 && path.substr(path.size() - 3) == ".pb") return read_tensor_proto_file(path);
  return invalid_argument("'{}': input files must be .npy or .pb (onnx.TensorProto)", path);
}

namespace {

Tensor random_tensor(DataType dtype, const std::vector<int64_t>& dims, std::mt19937& rng) {
  Tensor t(dtype, dims);
  std::uniform_real_distribution<float> uf(-1.f, 1.f);
  std::uniform_int_distribution<int> ui(0, 9);
  Status s = KILN_DISPATCH_ALL(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) p[i] = ui(rng) % 2;
      else if constexpr (std::is_integral_v<T>) p[i] = static_cast<T>(ui(rng));
      else p[i] = T(uf(rng));
    }
    return Status::Ok();
  });
  (void)s;
  return t;
}

}  // namespace

Expected<std::vector<std::pair<std::string, Tensor>>> make_inputs(
    const std::vector<TensorInfo>& io, const std::map<std::string, std::string>& files,
    const std::map<std::string, std::string>& shapes, uint32_t seed) {
  for (const auto& [name, path] : files) {
    bool known = false;
    for (const TensorInfo& t : io) known |= t.mode == TensorIOMode::kInput && t.name == name;
    if (!known) return not_found("the model has no input '{}' (given with --input)", name);
  }
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const TensorInfo& info : io) {
    if (info.mode != TensorIOMode::kInput) continue;
    if (auto f = files.find(info.name); f != files.end()) {
      auto t = read_tensor_file(f->second);
      if (!t.ok()) return with_context(t.status(), "input '" + info.name + "'");
      out.emplace_back(info.name, *t);
      continue;
    }
    std::vector<int64_t> dims = info.dims;
    if (auto s = shapes.find(info.name); s != shapes.end()) {
      KILN_ASSIGN_OR_RETURN(dims, parse_dims(s->second));
    } else {
      for (int64_t& d : dims)
        if (d < 0) d = 1;
    }
    if (info.dtype == DataType::kUndefined) return unsupported("input '{}' has no known type", info.name);
    out.emplace_back(info.name, random_tensor(info.dtype, dims, rng));
  }
  return out;
}

std::string summarize(const TensorView& v) {
  const int64_t n = checked_numel(v.dims);
  std::string s = fmt::format("{} {}", data_type_name(v.dtype), dims_to_string(v.dims));
  if (n <= 0) return s;
  double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0;
  Status st = KILN_DISPATCH_ALL(v.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(v.data);
    for (int64_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(static_cast<float>(p[i]));
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      sum += x;
      sq += x * x;
    }
    return Status::Ok();
  });
  if (!st.ok()) return s;
  const double mean = sum / static_cast<double>(n);
  const double var = std::max(0.0, sq / static_cast<double>(n) - mean * mean);
  return s + fmt::format("  min {:.6g}  max {:.6g}  mean {:.6g}  std {:.6g}", lo, hi, mean, std::sqrt(var));
}

std::string safe_file_name(const std::string& tensor_name) {
  std::string out = tensor_name;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

}  // namespace kiln::cli
