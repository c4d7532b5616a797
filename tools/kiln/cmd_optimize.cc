// `kiln optimize MODEL.onnx [--opt-level N] [--disable-pass NAME]... [--dump-ir DIR]`: builds the
// model and prints what the optimizer did (layer counts, each fusion, each eliminated layer).
// To become `kiln build --report`.
#include <iostream>

#include "core/error.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

struct OptimizeOptions {
  std::string model;
  BuilderConfig config;
};

Status optimize(const OptimizeOptions& o) {
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(o.model));
  Builder builder(o.config);
  KILN_RETURN_IF_ERROR(builder.build(*network).status());
  std::cout << "model: " << o.model << " (optimization level " << o.config.optimization_level << ")\n"
            << builder.report();
  return Status::Ok();
}

}  // namespace

void add_optimize_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<OptimizeOptions>();
  CLI::App* cmd = app.add_subcommand("optimize", "Optimize a model and report each fusion and eliminated layer");
  cmd->add_option("model", opts->model, "ONNX model")->required();
  cmd->add_option("--opt-level", opts->config.optimization_level, "0 (none) to 3 (all passes)")->check(CLI::Range(0, 3));
  cmd->add_option("--disable-pass", opts->config.disabled_passes, "Skip a pass by name (repeatable)");
  cmd->add_option("--dump-ir", opts->config.dump_ir_dir, "Write the IR before and after each pass here");
  cmd->callback([opts, &rc] {
    Status s = optimize(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
