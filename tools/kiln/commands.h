// Each `kiln` subcommand adds itself to the app; its callback stores the exit code in `rc`.
#pragma once

#include <CLI/CLI.hpp>

namespace kiln::cli {

void add_build_command(CLI::App& app, int& rc);
void add_run_command(CLI::App& app, int& rc);
void add_inspect_command(CLI::App& app, int& rc);
void add_demo_command(CLI::App& app, int& rc);
void add_bench_command(CLI::App& app, int& rc);

}  // namespace kiln::cli
