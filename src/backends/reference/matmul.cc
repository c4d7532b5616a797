#include "backends/reference/matmul.h"

#include "backends/reference/broadcast.h"
#include "backends/reference/gemm_kernel.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

template <class T>
Status batched_matmul(const T* a, const std::vector<int64_t>& a_dims, const T* b, const std::vector<int64_t>& b_dims,
                      T* out) {
  if (a_dims.empty() || b_dims.empty()) return invalid_argument("matmul operands must have rank >= 1");
  std::vector<int64_t> a2 = a_dims, b2 = b_dims;
  if (a2.size() == 1) a2.insert(a2.begin(), 1);
  if (b2.size() == 1) b2.push_back(1);
  const int64_t m = a2[a2.size() - 2], k = a2.back(), n = b2.back();
  if (b2[b2.size() - 2] != k)
    return invalid_argument("inner dimensions differ: {} x {}", dims_to_string(a_dims), dims_to_string(b_dims));
  const std::vector<int64_t> batch_a(a2.begin(), a2.end() - 2), batch_b(b2.begin(), b2.end() - 2);
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> batch, broadcast_dims({batch_a, batch_b}));
  const int64_t batches = checked_numel(batch);
  if (checked_numel(batch_b) == 1 && checked_numel(batch_a) == batches) {
    // One weight matrix for every batch: the batches stack into one tall GEMM.
    gemm<T>(false, false, batches * m, n, k, T{1}, a, k, b, n, T{0}, out, n);
    return Status::Ok();
  }
  const std::vector<int64_t> stride_a = broadcast_strides(batch_a, batch), stride_b = broadcast_strides(batch_b, batch);
  auto run_batches = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      int64_t off_a = 0, off_b = 0, rest = i;
      for (size_t d = batch.size(); d-- > 0;) {
        const int64_t idx = rest % batch[d];
        rest /= batch[d];
        off_a += idx * stride_a[d];
        off_b += idx * stride_b[d];
      }
      gemm<T>(false, false, m, n, k, T{1}, a + off_a * m * k, k, b + off_b * k * n, n, T{0}, out + i * m * n, n);
    }
  };
  // Many batches: one thread per batch range (each GEMM then runs single-threaded). Few: each
  // GEMM spreads over the threads itself.
  if (batches >= ThreadPool::global().num_threads()) parallel_for(batches, 1, run_batches);
  else run_batches(0, batches);
  return Status::Ok();
}

template Status batched_matmul<float>(const float*, const std::vector<int64_t>&, const float*,
                                      const std::vector<int64_t>&, float*);
template Status batched_matmul<double>(const double*, const std::vector<int64_t>&, const double*,
                                       const std::vector<int64_t>&, double*);
template Status batched_matmul<int32_t>(const int32_t*, const std::vector<int64_t>&, const int32_t*,
                                        const std::vector<int64_t>&, int32_t*);
template Status batched_matmul<int64_t>(const int64_t*, const std::vector<int64_t>&, const int64_t*,
                                        const std::vector<int64_t>&, int64_t*);

}  // namespace kiln
