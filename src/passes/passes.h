// Factories for every pass; pipeline.cc lists which run at each optimization level.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<Pass> make_constant_folding();
std::unique_ptr<Pass> make_dead_code_elimination();
std::unique_ptr<Pass> make_noop_elimination();

}  // namespace kiln
