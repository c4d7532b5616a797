// The one list of reference kernel families. Each family lives in its own file in this folder.
#include "backends/reference/kernel.h"

namespace kiln {

void register_unary_kernels(KernelRegistry& r);
void register_activation_kernels(KernelRegistry& r);
void register_binary_kernels(KernelRegistry& r);
void register_cast_kernels(KernelRegistry& r);
void register_tensor_kernels(KernelRegistry& r);
void register_linalg_kernels(KernelRegistry& r);
void register_matmul_kernels(KernelRegistry& r);
void register_conv_kernels(KernelRegistry& r);
void register_quantize_kernels(KernelRegistry& r);
void register_einsum_kernels(KernelRegistry& r);
void register_pool_kernels(KernelRegistry& r);
void register_pool_unpool_kernels(KernelRegistry& r);
void register_pool_roi_kernels(KernelRegistry& r);
void register_norm_batch_kernels(KernelRegistry& r);
void register_norm_moments_kernels(KernelRegistry& r);
void register_norm_local_kernels(KernelRegistry& r);
void register_reduce_kernels(KernelRegistry& r);
void register_softmax_kernels(KernelRegistry& r);
void register_loss_kernels(KernelRegistry& r);
void register_control_kernels(KernelRegistry& r);
void register_rnn_kernels(KernelRegistry& r);
void register_detection_kernels(KernelRegistry& r);
void register_grid_sample_kernels(KernelRegistry& r);
void register_signal_kernels(KernelRegistry& r);
void register_fused_kernels(KernelRegistry& r);
void register_plugin_kernels(KernelRegistry& r);
void register_kiln_detection_kernels(KernelRegistry& r);

void register_builtin_kernels(KernelRegistry& r) {
  register_unary_kernels(r);
  register_activation_kernels(r);
  register_binary_kernels(r);
  register_cast_kernels(r);
  register_tensor_kernels(r);
  register_linalg_kernels(r);
  register_matmul_kernels(r);
  register_conv_kernels(r);
  register_quantize_kernels(r);
  register_einsum_kernels(r);
  register_pool_kernels(r);
  register_pool_unpool_kernels(r);
  register_pool_roi_kernels(r);
  register_norm_batch_kernels(r);
  register_norm_moments_kernels(r);
  register_norm_local_kernels(r);
  register_reduce_kernels(r);
  register_softmax_kernels(r);
  register_loss_kernels(r);
  register_control_kernels(r);
  register_rnn_kernels(r);
  register_detection_kernels(r);
  register_grid_sample_kernels(r);
  register_signal_kernels(r);
  register_fused_kernels(r);
  register_plugin_kernels(r);
  register_kiln_detection_kernels(r);
}

}  // namespace kiln
