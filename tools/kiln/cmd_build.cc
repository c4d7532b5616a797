// `kiln build MODEL.onnx [-o MODEL.plan] [--report] [--opt-level N] [--disable-pass NAME]...
//  [--dump-ir DIR] [--min-shapes ... --opt-shapes ... --max-shapes ...] [--profile ...]...`:
// builds the engine once and saves it as a plan file, which `kiln run` and
// Runtime::deserialize load without rebuilding. --report prints what the optimizer did.
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
  BuilderConfig config;
  std::string min_shapes, opt_shapes, max_shapes;
  std::vector<std::string> profiles;
};

Status build(BuildOptions o) {
  const std::string output =
      o.output.empty() ? std::filesystem::path(o.model).replace_extension(".plan").string() : o.output;
  KILN_ASSIGN_OR_RETURN(o.config.profiles, profiles_from_flags(o.min_shapes, o.opt_shapes, o.max_shapes, o.profiles));
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(o.model));
  Builder builder(o.config);
  KILN_ASSIGN_OR_RETURN(auto engine, builder.build(*network));
  if (o.report) {
    std::cout << "model: " << o.model << " (optimization level " << o.config.optimization_level << ")\n"
              << builder.report();
  }
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
  cmd->add_option("--opt-level", opts->config.optimization_level, "0 (none) to 3 (all passes)")->check(CLI::Range(0, 3));
  cmd->add_option("--disable-pass", opts->config.disabled_passes, "Skip a pass by name (repeatable), for bisecting");
  cmd->add_option("--dump-ir", opts->config.dump_ir_dir, "Write the IR before and after each pass to this folder");
  cmd->add_option("--min-shapes", opts->min_shapes, "Smallest shapes of dynamic inputs: name=1x3x224x224[,name2=...]");
  cmd->add_option("--opt-shapes", opts->opt_shapes, "Shapes to optimize for (default: --max-shapes)");
  cmd->add_option("--max-shapes", opts->max_shapes, "Largest shapes of dynamic inputs");
  cmd->add_option("--profile", opts->profiles, "One more optimization profile: name=MIN:OPT:MAX[,name2=...] (repeatable)");
  cmd->callback([opts, &rc] {
    Status s = build(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
