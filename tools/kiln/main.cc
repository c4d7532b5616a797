// The `kiln` command line: build, run, inspect, demo.
#include <CLI/CLI.hpp>

#include <iostream>

#include "kiln/kiln.h"

int main(int argc, char** argv) {
  CLI::App app{"kiln: ONNX inference optimizer and runtime"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
