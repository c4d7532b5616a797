// The pass pipelines, one per optimization level. Order matters: folding and no-op removal
// first expose the patterns fusion looks for; BatchNorm and scale folding before vertical
// fusion (the folded layer is the one that fuses); GELU recognition before the MatMul fusion
// that absorbs it; Q/DQ fusion after the float fusions (it quantizes their folded weights and
// keeps their epilogues); vertical before horizontal fusion (siblings merge with their activations);
// pointwise chains last (they take what no layer absorbed); dead-layer elimination sweeps up.
#include "passes/pass_manager.h"
#include "passes/passes.h"

namespace kiln {

std::vector<std::unique_ptr<Pass>> make_pipeline(int level) {
  std::vector<std::unique_ptr<Pass>> p;
  if (level < 1) return p;
  p.push_back(make_constant_folding());
  p.push_back(make_noop_elimination());
  if (level >= 2) {
    p.push_back(make_fold_batchnorm());
    p.push_back(make_fold_scale_bias());
    p.push_back(make_fuse_gelu());
    p.push_back(make_fuse_conv_activation());
    p.push_back(make_fuse_gemm_activation());
    p.push_back(make_propagate_qdq());
    p.push_back(make_fuse_qdq());
    p.push_back(make_fuse_dequantize_global_pool());
    p.push_back(make_fuse_qlinear());
  }
  if (level >= 3) {
    p.push_back(make_fuse_sibling_convs());
    p.push_back(make_fuse_pointwise_chain());
  }
  p.push_back(make_dead_code_elimination());
  return p;
}

// Fusions that need the lowered graph: they match the reformats layout assignment inserts.
std::vector<std::unique_ptr<Pass>> make_lowering_pipeline(int level) {
  std::vector<std::unique_ptr<Pass>> p;
  if (level >= 2) p.push_back(make_fuse_quantize_transpose());
  return p;
}

std::vector<std::string> all_pass_names() {
  std::vector<std::string> names;
  for (const auto& p : make_pipeline(3)) names.emplace_back(p->name());
  for (const auto& p : make_lowering_pipeline(3)) names.emplace_back(p->name());
  // The CUDA build's fusions for compute capability 9.0 kernels (runtime/cuda/cuda_build.cc).
  for (const char* fusion : {"fuse_stem_max_pool", "fuse_shortcut_conv"}) names.emplace_back(fusion);
  return names;
}

}  // namespace kiln
