#include "backends/cuda/cublaslt/gemm_shape.h"

#include <algorithm>

#include "core/tensor.h"

namespace kiln::cuda {

namespace {

// One broadcast batch axis: its size and each operand's stride along it, in elements (0 where
// the operand is broadcast).
struct BatchAxis {
  int64_t size = 1;
  int64_t a = 0;
  int64_t b = 0;
  int64_t y = 0;
};

// One stride per operand spans `outer` and `inner` together when stepping `outer` once is
// stepping `inner` through all of its entries (broadcast axes included: 0 = 0 * size).
bool spans_both(const BatchAxis& inner, const BatchAxis& outer) {
  return outer.a == inner.a * inner.size && outer.b == inner.b * inner.size && outer.y == inner.y * inner.size;
}

std::vector<int64_t> left_padded(std::vector<int64_t> dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

// The batch axes of Y (dims `y_batch`; A and B's batch dims padded to its rank), innermost first,
// without unit axes and with neighbours merged where one stride per operand spans both.
std::vector<BatchAxis> batch_axes(const std::vector<int64_t>& a_batch, const std::vector<int64_t>& b_batch,
                                  const std::vector<int64_t>& y_batch, int64_t a_matrix, int64_t b_matrix,
                                  int64_t y_matrix) {
  std::vector<BatchAxis> axes;
  int64_t a_stride = a_matrix, b_stride = b_matrix, y_stride = y_matrix;
  for (size_t d = y_batch.size(); d-- > 0;) {
    const BatchAxis axis{y_batch[d], a_batch[d] == 1 ? 0 : a_stride, b_batch[d] == 1 ? 0 : b_stride, y_stride};
    a_stride *= a_batch[d];
    b_stride *= b_batch[d];
    y_stride *= y_batch[d];
    if (axis.size == 1) continue;
    if (!axes.empty() && spans_both(axes.back(), axis)) axes.back().size *= axis.size;
    else axes.push_back(axis);
  }
  return axes;
}

// The largest axis becomes the strided batch of every call; one call per index of the others.
void split_into_calls(const std::vector<BatchAxis>& axes, GemmShape& shape) {
  const auto batch = std::max_element(axes.begin(), axes.end(),
                                      [](const BatchAxis& x, const BatchAxis& y) { return x.size < y.size; });
  shape.batch = batch->size;
  shape.stride_a = batch->a;
  shape.stride_b = batch->b;
  shape.stride_y = batch->y;
  for (auto axis = axes.begin(); axis != axes.end(); ++axis) {
    if (axis == batch) continue;
    std::vector<GemmCallOffsets> calls;
    for (const GemmCallOffsets& c : shape.calls)
      for (int64_t i = 0; i < axis->size; ++i) calls.push_back({c.a + i * axis->a, c.b + i * axis->b, c.y + i * axis->y});
    shape.calls = std::move(calls);
  }
}

}  // namespace

Expected<GemmShape> matmul_shape(std::vector<int64_t> a_dims, std::vector<int64_t> b_dims,
                                 const std::vector<int64_t>& y_dims) {
  if (a_dims.empty() || b_dims.empty()) return invalid_argument("MatMul operands must have rank >= 1");
  const bool a_vector = a_dims.size() == 1, b_vector = b_dims.size() == 1;
  if (a_vector) a_dims.insert(a_dims.begin(), 1);
  if (b_vector) b_dims.push_back(1);
  GemmShape shape;
  shape.m = a_dims[a_dims.size() - 2];
  shape.k = a_dims.back();
  shape.n = b_dims.back();
  if (b_dims[b_dims.size() - 2] != shape.k)
    return invalid_argument("MatMul of {} by {}: inner dimensions differ", dims_to_string(a_dims), dims_to_string(b_dims));
  const size_t rank = std::max(a_dims.size(), b_dims.size()) - 2;
  const auto a_batch = left_padded({a_dims.begin(), a_dims.end() - 2}, rank);
  const auto b_batch = left_padded({b_dims.begin(), b_dims.end() - 2}, rank);
  std::vector<int64_t> y_batch(rank);
  for (size_t d = 0; d < rank; ++d) {
    y_batch[d] = a_batch[d] == 1 ? b_batch[d] : a_batch[d];
    if (b_batch[d] != 1 && b_batch[d] != y_batch[d])
      return invalid_argument("MatMul batch dims {} and {} do not broadcast", dims_to_string(a_batch),
                              dims_to_string(b_batch));
  }
  std::vector<int64_t> expected_y = y_batch;
  if (!a_vector) expected_y.push_back(shape.m);
  if (!b_vector) expected_y.push_back(shape.n);
  if (expected_y != y_dims)
    return invalid_argument("MatMul output is {}, expected {}", dims_to_string(y_dims), dims_to_string(expected_y));

  const int64_t a_matrix = shape.m * shape.k, b_matrix = shape.k * shape.n, y_matrix = shape.m * shape.n;
  const std::vector<BatchAxis> axes = batch_axes(a_batch, b_batch, y_batch, a_matrix, b_matrix, y_matrix);
  if (axes.empty()) return shape;
  // A contiguous batch of A times one shared B is one product with taller A: [batch * M, K] x [K, N].
  if (axes.size() == 1 && axes[0].b == 0 && axes[0].a == a_matrix) {
    shape.m *= axes[0].size;
    return shape;
  }
  split_into_calls(axes, shape);
  return shape;
}

Expected<GemmShape> gemm_shape(const std::vector<int64_t>& a_dims, bool trans_a, const std::vector<int64_t>& b_dims,
                               bool trans_b, const std::vector<int64_t>& y_dims) {
  if (a_dims.size() != 2 || b_dims.size() != 2 || y_dims.size() != 2)
    return invalid_argument("Gemm takes 2-D A, B and Y, got {}, {} and {}", dims_to_string(a_dims),
                            dims_to_string(b_dims), dims_to_string(y_dims));
  GemmShape shape;
  shape.trans_a = trans_a;
  shape.trans_b = trans_b;
  shape.m = a_dims[trans_a ? 1 : 0];
  shape.k = a_dims[trans_a ? 0 : 1];
  shape.n = b_dims[trans_b ? 0 : 1];
  if (b_dims[trans_b ? 1 : 0] != shape.k || y_dims[0] != shape.m || y_dims[1] != shape.n)
    return invalid_argument("Gemm shapes disagree: A {}{}, B {}{}, Y {}", dims_to_string(a_dims), trans_a ? "^T" : "",
                            dims_to_string(b_dims), trans_b ? "^T" : "", dims_to_string(y_dims));
  return shape;
}

}  // namespace kiln::cuda
