// Whole-model check: Kiln's CPU output against the output torch computed at export time
// (tests/models/export_torchvision.py), by relative L2 error ||kiln - torch|| / ||torch||.
//
//   kiln_model_test --dir DIR/<model> [--tolerance 1e-5] [--opt-level 0..3]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <iostream>

#include "core/npy.h"
#include "kiln/kiln.h"

using namespace kiln;

int main(int argc, char** argv) {
  CLI::App app{"Compare Kiln with torch on one exported model"};
  std::string dir;
  double tolerance = 1e-5;
  BuilderConfig config;
  app.add_option("--dir", dir, "Folder with model.onnx, input.npy, output.npy")->required();
  app.add_option("--tolerance", tolerance, "Largest relative L2 error that passes");
  app.add_option("--opt-level", config.optimization_level, "Optimization level the engine is built with (0 to 3)");
  CLI11_PARSE(app, argc, argv);

  auto fail = [&](const Status& s) {
    std::cerr << dir << ": " << s.to_string() << "\n";
    return 1;
  };
  auto input = read_npy(dir + "/input.npy");
  if (!input.ok()) return fail(input.status());
  auto expected = read_npy(dir + "/output.npy");
  if (!expected.ok()) return fail(expected.status());
  auto network = Network::from_onnx_file(dir + "/model.onnx");
  if (!network.ok()) return fail(network.status());
  auto engine = Builder(config).build(**network);
  if (!engine.ok()) return fail(engine.status());
  auto context = (*engine)->create_context();
  if (!context.ok()) return fail(context.status());
  std::string in_name, out_name;
  for (const TensorInfo& t : (*engine)->io_tensors()) (t.mode == TensorIOMode::kInput ? in_name : out_name) = t.name;
  Status s = (*context)->set_input(in_name, {input->dtype(), input->dims(), input->raw()});
  if (!s.ok()) return fail(s);
  const auto start = std::chrono::steady_clock::now();
  s = (*context)->execute();
  if (!s.ok()) return fail(s);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto out = (*context)->output(out_name);
  if (!out.ok()) return fail(out.status());
  if (out->dtype != DataType::kFloat32 || out->dims != expected->dims()) {
    std::cerr << dir << ": output shape " << dims_to_string(out->dims) << " differs from torch's "
              << dims_to_string(expected->dims()) << "\n";
    return 1;
  }
  double diff = 0, ref = 0;
  const float* got = static_cast<const float*>(out->data);
  for (int64_t i = 0; i < expected->numel(); ++i) {
    const double d = static_cast<double>(got[i]) - expected->data<float>()[i];
    diff += d * d;
    ref += static_cast<double>(expected->data<float>()[i]) * expected->data<float>()[i];
  }
  const double rel = std::sqrt(diff / std::max(ref, 1e-30));
  const bool ok = rel <= tolerance;
  std::cout << "model " << dir << " at level " << config.optimization_level << ": relative L2 error " << rel << " (tolerance " << tolerance << "), "
            << ms << " ms on the CPU: " << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? 0 : 1;
}
