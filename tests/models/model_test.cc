// Whole-model checks:
//  * Kiln's CPU output against the output torch computed at export time
//    (tests/models/export_torchvision.py), by relative L2 error ||kiln - torch|| / ||torch||;
//  * with --compare-level L, the engine built at --opt-level against one built at level L
//    (optimized equals unoptimized).
//
//  * with --device cuda, the same on the GPU in a chosen precision (fp32 = TF32 off, tf32, fp16,
//    bf16); without a GPU the test exits with code 77, which CTest reports as skipped.
//
//   kiln_model_test --dir DIR/<model> [--tolerance 1e-5] [--opt-level 3] [--compare-level 0]
//                   [--device cuda --precision fp16]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>

#include "core/error.h"
#include "core/npy.h"
#include "kiln/kiln.h"

using namespace kiln;

namespace {

struct Target {
  DeviceKind device = DeviceKind::kCpu;
  std::string precision = "fp32";
};

// Builds the network at `level`, runs it once on `input`, returns the (only) output.
Expected<Tensor> run_at_level(const Network& network, int level, const Target& target, const Tensor& input, double& ms) {
  BuilderConfig config;
  config.optimization_level = level;
  config.device = target.device;
  config.tf32 = target.precision == "tf32";
  config.fp16 = target.precision == "fp16";
  config.bf16 = target.precision == "bf16";
  KILN_ASSIGN_OR_RETURN(auto engine, Builder(config).build(network));
  KILN_ASSIGN_OR_RETURN(auto context, engine->create_context());
  std::string in_name, out_name;
  for (const TensorInfo& t : engine->io_tensors()) (t.mode == TensorIOMode::kInput ? in_name : out_name) = t.name;
  KILN_RETURN_IF_ERROR(context->set_input(in_name, {input.dtype(), input.dims(), input.raw()}));
  const auto start = std::chrono::steady_clock::now();
  KILN_RETURN_IF_ERROR(context->execute());
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  KILN_ASSIGN_OR_RETURN(TensorView out, context->output(out_name));
  if (out.dtype != DataType::kFloat32) return invalid_argument("output is {}, expected float32", data_type_name(out.dtype));
  // Copy out: the view dies with the context (and may be device memory).
  Tensor t(out.dtype, out.dims);
  KILN_RETURN_IF_ERROR(copy_to_host(out, t.raw()));
  return t;
}

Expected<double> relative_l2(const Tensor& got, const Tensor& ref) {
  if (got.dims() != ref.dims())
    return invalid_argument("shape {} differs from the reference's {}", dims_to_string(got.dims()), dims_to_string(ref.dims()));
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = static_cast<double>(got.data<float>()[i]) - ref.data<float>()[i];
    diff += d * d;
    norm += static_cast<double>(ref.data<float>()[i]) * ref.data<float>()[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

Status check(const std::string& dir, int level, int compare_level, const Target& target, double tolerance, bool& ok) {
  KILN_ASSIGN_OR_RETURN(Tensor input, read_npy(dir + "/input.npy"));
  KILN_ASSIGN_OR_RETURN(Tensor expected, read_npy(dir + "/output.npy"));
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(dir + "/model.onnx"));
  double ms = 0;
  KILN_ASSIGN_OR_RETURN(Tensor out, run_at_level(*network, level, target, input, ms));
  KILN_ASSIGN_OR_RETURN(double vs_torch, relative_l2(out, expected));
  ok = vs_torch <= tolerance;
  std::cout << "model " << dir << " at level " << level << ": relative L2 error vs torch " << vs_torch
            << " (tolerance " << tolerance << "), " << ms << " ms on the "
            << (target.device == DeviceKind::kCuda ? "GPU in " + target.precision : std::string("CPU")) << "\n";
  if (compare_level >= 0) {
    double ms_ref = 0;
    KILN_ASSIGN_OR_RETURN(Tensor ref, run_at_level(*network, compare_level, Target{}, input, ms_ref));
    KILN_ASSIGN_OR_RETURN(double vs_level, relative_l2(out, ref));
    ok = ok && vs_level <= tolerance;
    std::cout << "model " << dir << ": level " << level << " vs level " << compare_level << " relative L2 error "
              << vs_level << " (tolerance " << tolerance << "), level " << compare_level << " took " << ms_ref << " ms\n";
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare Kiln with torch on one exported model"};
  std::string dir;
  double tolerance = 1e-5;
  int level = 3, compare_level = -1;
  app.add_option("--dir", dir, "Folder with model.onnx, input.npy, output.npy")->required();
  app.add_option("--tolerance", tolerance, "Largest relative L2 error that passes");
  app.add_option("--opt-level", level, "Optimization level the engine is built with (0 to 3)");
  app.add_option("--compare-level", compare_level, "Also compare against a CPU engine built at this level");
  std::string device = "cpu";
  Target target;
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--precision", target.precision, "CUDA: fp32 (TF32 off), tf32, fp16 or bf16")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16", "bf16"}));
  CLI11_PARSE(app, argc, argv);
  target.device = device == "cuda" ? DeviceKind::kCuda : DeviceKind::kCpu;
  if (target.device == DeviceKind::kCuda && cuda_device_count() == 0) {
    std::cout << "no GPU: skipped\n";
    return 77;
  }
  bool ok = false;
  Status s = check(dir, level, compare_level, target, tolerance, ok);
  if (!s.ok()) {
    std::cerr << dir << ": " << s.to_string() << "\n";
    return 1;
  }
  std::cout << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? 0 : 1;
}
