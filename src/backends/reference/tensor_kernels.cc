// The tensor op family's reference kernels (manipulation, indexing, resampling): one file per
// idea, listed here.
#include "backends/reference/kernel.h"

namespace kiln {

void register_reshape_kernels(KernelRegistry& r);
void register_layout_kernels(KernelRegistry& r);
void register_concat_split_kernels(KernelRegistry& r);
void register_slice_kernels(KernelRegistry& r);
void register_gather_scatter_kernels(KernelRegistry& r);
void register_expand_tile_kernels(KernelRegistry& r);
void register_pad_kernels(KernelRegistry& r);
void register_shape_query_kernels(KernelRegistry& r);
void register_generator_kernels(KernelRegistry& r);
void register_mask_kernels(KernelRegistry& r);
void register_selection_kernels(KernelRegistry& r);
void register_topk_argmax_kernels(KernelRegistry& r);
void register_scan_kernels(KernelRegistry& r);
void register_resize_kernels(KernelRegistry& r);

void register_tensor_kernels(KernelRegistry& r) {
  register_reshape_kernels(r);
  register_layout_kernels(r);
  register_concat_split_kernels(r);
  register_slice_kernels(r);
  register_gather_scatter_kernels(r);
  register_expand_tile_kernels(r);
  register_pad_kernels(r);
  register_shape_query_kernels(r);
  register_generator_kernels(r);
  register_mask_kernels(r);
  register_selection_kernels(r);
  register_topk_argmax_kernels(r);
  register_scan_kernels(r);
  register_resize_kernels(r);
}

}  // namespace kiln
