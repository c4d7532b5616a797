// Reference kernels of the nn op family, one file per kind of op.
#include "backends/reference/kernel.h"

namespace kiln {

void register_pool_kernels(KernelRegistry& r);
void register_pool_unpool_kernels(KernelRegistry& r);
void register_pool_roi_kernels(KernelRegistry& r);
void register_norm_batch_kernels(KernelRegistry& r);
void register_norm_moments_kernels(KernelRegistry& r);
void register_norm_local_kernels(KernelRegistry& r);
void register_reduce_kernels(KernelRegistry& r);
void register_softmax_kernels(KernelRegistry& r);
void register_loss_kernels(KernelRegistry& r);

void register_nn_kernels(KernelRegistry& r) {
  register_pool_kernels(r);
  register_pool_unpool_kernels(r);
  register_pool_roi_kernels(r);
  register_norm_batch_kernels(r);
  register_norm_moments_kernels(r);
  register_norm_local_kernels(r);
  register_reduce_kernels(r);
  register_softmax_kernels(r);
  register_loss_kernels(r);
}

}  // namespace kiln
