// `kiln build MODEL.onnx [-o MODEL.plan]`: builds the engine once and saves it as a plan file,
// which `kiln run` and Runtime::deserialize load without rebuilding.
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "plan/plan.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

struct BuildOptions {
  std::string model;
  std::string output;
};

Status build(const BuildOptions& o) {
  const std::string output =
      o.output.empty() ? std::filesystem::path(o.model).replace_extension(".plan").string() : o.output;
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(o.model));
  KILN_ASSIGN_OR_RETURN(auto engine, Builder().build(*network));
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
  cmd->callback([opts, &rc] {
    Status s = build(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
