// `kiln build MODEL.onnx [-o MODEL.plan] [--report] [--opt-level N] [--disable-pass NAME]...
//  [--dump-ir DIR] [--min-shapes ... --opt-shapes ... --max-shapes ...] [--profile ...]...`:
// builds the engine once and saves it as a plan file, which `kiln run` and
// Runtime::deserialize load without rebuilding. --report prints what the optimizer did.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "plan/plan.h"
#include "runtime/optimization_profile.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

struct BuildOptions {
  std::string model;
  std::string output;
  bool report = false;
  bool no_save = false;
  BuildFlags flags;
};

Status build(BuildOptions o) {
  const std::string output =
      o.output.empty() ? std::filesystem::path(o.model).replace_extension(".plan").string() : o.output;
  KILN_ASSIGN_OR_RETURN(BuilderConfig config, o.flags.resolve());
  KILN_RETURN_IF_ERROR(load_plugins(o.flags.plugins));
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(o.model));
  Builder builder(config);
  const auto started = std::chrono::steady_clock::now();
  auto built = builder.build(*network);
  if (config.log && config.device == DeviceKind::kCuda) config.log("\n");
  KILN_ASSIGN_OR_RETURN(auto engine, std::move(built));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (o.report) {
    std::cout << "model: " << o.model << " (optimization level " << config.optimization_level << ", device "
              << o.flags.device << ")\n"
              << builder.report();
  }
  std::cout << fmt::format("built in {:.1f} s\n", seconds);
  if (o.no_save) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, engine->serialize());
  // Reading the plan back checks it as `kiln run` will, and counts the layers after optimization.
  KILN_ASSIGN_OR_RETURN(LoadedPlan plan, read_plan(bytes.data(), bytes.size(), std::nullopt));
  KILN_RETURN_IF_ERROR(write_plan_file(bytes, output));
  std::cout << fmt::format("wrote {}: {} layers, {} bytes of weights, {} bytes in all\n", output,
                           plan.graph->nodes().size(), plan.weights_bytes, plan.file_bytes);
  return Status::Ok();
}

}  // namespace

void add_build_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<BuildOptions>();
  CLI::App* cmd = app.add_subcommand("build", "Build an engine from an ONNX model and save it as a plan file");
  cmd->add_option("model", opts->model, "ONNX model")->required();
  cmd->add_option("-o,--output", opts->output, "Plan file to write (default: the model's name with .plan)");
  cmd->add_flag("--report", opts->report, "Print layer counts, each fusion and each eliminated layer");
  cmd->add_flag("--no-save", opts->no_save, "Build (and report) without writing a plan file");
  add_build_flags(cmd, opts->flags);
  cmd->callback([opts, &rc] {
    Status s = build(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
