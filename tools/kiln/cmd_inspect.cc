// `kiln inspect MODEL.onnx`: inputs, outputs and the graph as Kiln imported it.
#include <iostream>
#include <map>

#include "core/error.h"
#include "ir/graph.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

namespace {

std::string dims_text(const TensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i) s += ", ";
    s += t.dims[i] >= 0 ? std::to_string(t.dims[i]) : (t.dim_names[i].empty() ? "?" : t.dim_names[i]);
  }
  return s + "]";
}

Status inspect(const std::string& model) {
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_file(model));
  std::cout << "model: " << model << "\n";
  for (const TensorInfo& t : network->io_tensors())
    std::cout << (t.mode == TensorIOMode::kInput ? "input  " : "output ") << t.name << ": "
              << data_type_name(t.dtype) << " " << dims_text(t) << "\n";
  std::map<std::string, int> op_counts;
  for (const auto& n : network->graph().nodes()) ++op_counts[n->op_type()];
  std::cout << "ops:";
  for (const auto& [op, n] : op_counts) std::cout << " " << op << "x" << n;
  std::cout << "\n\n" << network->dump();
  return Status::Ok();
}

}  // namespace

void add_inspect_command(CLI::App& app, int& rc) {
  auto model = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Print a model's inputs, outputs and graph");
  cmd->add_option("model", *model, "ONNX model")->required();
  cmd->callback([model, &rc] {
    Status s = inspect(*model);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
