// Factories for every pass; pipeline.cc lists which run at each optimization level.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<Pass> make_constant_folding();
std::unique_ptr<Pass> make_dead_code_elimination();
std::unique_ptr<Pass> make_noop_elimination();

// Level 2: folding into weights, vertical fusion.
std::unique_ptr<Pass> make_fold_batchnorm();
std::unique_ptr<Pass> make_fold_scale_bias();
std::unique_ptr<Pass> make_fuse_gelu();
std::unique_ptr<Pass> make_fuse_conv_activation();
std::unique_ptr<Pass> make_fuse_gemm_activation();
// Explicit quantization (after the float fusions, whose layers they quantize).
std::unique_ptr<Pass> make_propagate_qdq();
std::unique_ptr<Pass> make_fuse_qdq();
std::unique_ptr<Pass> make_fuse_dequantize_global_pool();
std::unique_ptr<Pass> make_fuse_qlinear();

// Level 3: horizontal fusion, pointwise chains.
std::unique_ptr<Pass> make_fuse_sibling_convs();
std::unique_ptr<Pass> make_fuse_pointwise_chain();

// Lowering: passes over the CUDA build's graph after layout assignment, whose reformats they see.
std::unique_ptr<Pass> make_fuse_quantize_transpose();

}  // namespace kiln
