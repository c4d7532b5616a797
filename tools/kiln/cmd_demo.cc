// `kiln demo`: the built-in default job. Runs the digits CNN this repo trains itself
// (models/digits/train.py, on opencv-doc's 5000 handwritten digits) over the held-out split,
// and prints accuracy and throughput. Everything it needs is in the repo: it works offline.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "core/error.h"
#include "core/npy.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

namespace fs = std::filesystem;

struct DemoOptions {
  std::string dir;
  int64_t batch = 100;
  int repeats = 5;
};

// The demo's files: next to the sources in a build tree, or under share/ in an installed package.
std::string default_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "kiln" / "models" / "digits";
    if (fs::exists(installed / "digits_cnn.onnx")) return installed.string();
  }
  return std::string(KILN_SOURCE_DIR) + "/models/digits";
}

Status demo(const DemoOptions& o) {
  const std::string dir = o.dir.empty() ? default_dir() : o.dir;
  const std::string model = dir + "/digits_cnn.onnx";
  KILN_ASSIGN_OR_RETURN(Tensor images, read_npy(dir + "/heldout_images.npy"));
  KILN_ASSIGN_OR_RETURN(Tensor labels, read_npy(dir + "/heldout_labels.npy"));
  if (images.dtype() != DataType::kUInt8 || images.rank() != 3 || labels.dtype() != DataType::kInt64 ||
      labels.rank() != 1 || labels.dim(0) != images.dim(0))
    return invalid_argument("{}: expected uint8 images [N,H,W] and int64 labels [N]", dir);
  if (o.batch <= 0) return invalid_argument("--batch must be positive");
  const int64_t n = images.dim(0), h = images.dim(1), w = images.dim(2);

  // The whole deployment path: build once, save the plan, load it back, run the loaded engine.
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(model));
  Builder builder;
  KILN_ASSIGN_OR_RETURN(auto built, builder.build(*network));
  KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> plan, built->serialize());
  KILN_ASSIGN_OR_RETURN(auto engine, Runtime().deserialize(plan.data(), plan.size()));
  KILN_ASSIGN_OR_RETURN(auto context, engine->create_context());

  // Preprocess as training did: pixel / 255, NCHW with one channel.
  Tensor input(DataType::kFloat32, {n, 1, h, w});
  for (int64_t i = 0; i < images.numel(); ++i) input.data<float>()[i] = images.data<uint8_t>()[i] / 255.f;

  std::cout << "Kiln " << version() << " demo: handwritten digit classifier (" << model << ")\n";
  std::cout << "held-out set: " << n << " real 20x20 digits from opencv-doc's digits.png\n";
  const std::string& report = builder.report();
  std::cout << report.substr(0, report.find('\n')) << "; plan of " << plan.size() << " bytes saved and reloaded\n";
  int64_t correct = 0;
  std::vector<double> pass_seconds;
  for (int rep = 0; rep < o.repeats; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < n; b += o.batch) {
      const int64_t m = std::min(o.batch, n - b);
      const float* batch = input.data<float>() + b * h * w;
      KILN_RETURN_IF_ERROR(context->set_input("image", {DataType::kFloat32, {m, 1, h, w}, batch}));
      KILN_RETURN_IF_ERROR(context->execute());
      if (rep > 0) continue;
      KILN_ASSIGN_OR_RETURN(TensorView logits, context->output("logits"));
      if (logits.dims.size() != 2 || logits.dims[0] != m) return internal_error("unexpected logits shape");
      const int64_t classes = logits.dims[1];
      const float* p = static_cast<const float*>(logits.data);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t pred = std::max_element(p + i * classes, p + (i + 1) * classes) - (p + i * classes);
        correct += pred == labels.data<int64_t>()[b + i];
      }
    }
    pass_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(pass_seconds.begin(), pass_seconds.end());
  const double median = pass_seconds[pass_seconds.size() / 2];
  std::cout << fmt::format("accuracy: {:.2f}% ({} of {} correct)\n", 100.0 * static_cast<double>(correct) / static_cast<double>(n), correct, n);
  std::cout << fmt::format("throughput: {:.0f} images/s on the CPU (batch {}, median of {} passes, {} threads)\n",
                           static_cast<double>(n) / median, o.batch, o.repeats,
                           std::max(1u, std::thread::hardware_concurrency()));
  return Status::Ok();
}

}  // namespace

void add_demo_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Classify the held-out handwritten digits with the built-in model");
  cmd->add_option("--dir", opts->dir, "Folder with digits_cnn.onnx and the held-out .npy files");
  cmd->add_option("--batch", opts->batch, "Images per inference");
  cmd->add_option("--repeats", opts->repeats, "Timed passes over the held-out set")->check(CLI::PositiveNumber);
  cmd->callback([opts, &rc] {
    Status s = demo(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
