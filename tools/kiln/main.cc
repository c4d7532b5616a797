// The `kiln` command line.
#include <CLI/CLI.hpp>

#include "kiln/kiln.h"
#include "tools/kiln/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kiln: ONNX inference optimizer and runtime"};
  app.set_version_flag("--version", std::string("kiln ") + kiln::version());
  app.require_subcommand(1);
  int rc = 0;
  kiln::cli::add_build_command(app, rc);
  kiln::cli::add_run_command(app, rc);
  kiln::cli::add_inspect_command(app, rc);
  kiln::cli::add_demo_command(app, rc);
  kiln::cli::add_bench_command(app, rc);
  CLI11_PARSE(app, argc, argv);
  return rc;
}
