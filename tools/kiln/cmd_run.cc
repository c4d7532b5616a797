// `kiln run MODEL.onnx|MODEL.plan [--input NAME=FILE ...] [--shape NAME=DIMS ...] [--output-dir DIR]`
#include <chrono>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/npy.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> shapes;
  std::string output_dir;
  uint32_t seed = 0;
  BuildFlags flags;
};

Status run(const RunOptions& o) {
  KILN_ASSIGN_OR_RETURN(auto files, parse_assignments(o.inputs, "--input"));
  KILN_ASSIGN_OR_RETURN(auto shapes, parse_assignments(o.shapes, "--shape"));
  KILN_ASSIGN_OR_RETURN(auto engine, load_engine(o.model, o.flags));
  KILN_ASSIGN_OR_RETURN(auto context, engine->create_context());
  KILN_ASSIGN_OR_RETURN(auto inputs, make_inputs(engine->io_tensors(), files, shapes, o.seed));
  for (const auto& [name, t] : inputs) {
    std::cout << "input  " << name << ": " << summarize({t.dtype(), t.dims(), t.raw()})
              << (files.count(name) ? "  (from " + files.at(name) + ")" : "  (random)") << "\n";
    KILN_RETURN_IF_ERROR(context->set_input(name, {t.dtype(), t.dims(), t.raw()}));
  }
  const auto start = std::chrono::steady_clock::now();
  KILN_RETURN_IF_ERROR(context->execute());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!o.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.output_dir, ec);
    if (ec) return io_error("cannot create '{}': {}", o.output_dir, ec.message());
  }
  for (const TensorInfo& info : engine->io_tensors()) {
    if (info.mode != TensorIOMode::kOutput) continue;
    KILN_ASSIGN_OR_RETURN(TensorView view, context->output(info.name));
    KILN_ASSIGN_OR_RETURN(Tensor t, to_host(view));
    const TensorView v{t.dtype(), t.dims(), t.raw()};
    std::cout << "output " << info.name << ": " << summarize(v) << "\n";
    if (!o.output_dir.empty()) {
      const std::string path = (std::filesystem::path(o.output_dir) / (safe_file_name(info.name) + ".npy")).string();
      KILN_RETURN_IF_ERROR(write_npy(path, t));
      std::cout << "       written to " << path << "\n";
    }
  }
  std::cout << fmt::format("ran in {:.3f} ms (one run, first at these shapes: see `kiln bench` for timings)\n", ms);
  return Status::Ok();
}

}  // namespace

void add_run_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model once and print its outputs");
  cmd->add_option("model", opts->model, "ONNX model or Kiln plan")->required();
  cmd->add_option("--input", opts->inputs, "NAME=FILE.npy|FILE.pb (repeatable); other inputs are random");
  cmd->add_option("--shape", opts->shapes, "NAME=1x3x224x224 for a random input with dynamic dims");
  cmd->add_option("--output-dir", opts->output_dir, "Write each output as DIR/<name>.npy");
  cmd->add_option("--seed", opts->seed, "Seed for random inputs");
  add_build_flags(cmd, opts->flags);
  cmd->callback([opts, &rc] {
    Status s = run(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
