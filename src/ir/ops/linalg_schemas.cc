// Schemas of the matrix ops: Gemm, MatMul, MatMulInteger, QLinearMatMul, Einsum, Det.
#include <climits>

#include "ir/op_schema.h"
#include "ir/ops/einsum_equation.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

bool dims_conflict(const Dim& a, const Dim& b) { return a.is_static() && b.is_static() && a.value != b.value; }

// numpy matmul shapes: [..., M, K] x [..., K, N] -> [..., M, N]; a 1-D operand is a row (A) or
// column (B) vector whose axis is dropped from the result.
Expected<Shape> matmul_shape(const Shape& a, const Shape& b) {
  if (!a.rank_known() || !b.rank_known()) return Shape::unknown();
  if (a.rank() == 0 || b.rank() == 0) return invalid_argument("MatMul operands must have rank >= 1");
  const Dim k_a = a[a.rank() - 1];
  const Dim k_b = b.rank() == 1 ? b[0] : b[b.rank() - 2];
  if (dims_conflict(k_a, k_b))
    return invalid_argument("inner dimensions differ: A is {} and B is {}", a.to_string(), b.to_string());
  std::vector<Dim> batch_a(a.dims().begin(), a.dims().end() - std::min(a.rank(), 2));
  std::vector<Dim> batch_b(b.dims().begin(), b.dims().end() - std::min(b.rank(), 2));
  KILN_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes({Shape(batch_a), Shape(batch_b)}));
  std::vector<Dim> out = batch.dims();
  if (a.rank() >= 2) out.push_back(a[a.rank() - 2]);
  if (b.rank() >= 2) out.push_back(b[b.rank() - 1]);
  return Shape(std::move(out));
}

Status infer_matmul_like(InferContext& ctx, int a_index, int b_index, DataType out_type) {
  KILN_ASSIGN_OR_RETURN(Shape s, matmul_shape(ctx.input_shape(a_index), ctx.input_shape(b_index)));
  ctx.set_output(0, out_type, std::move(s));
  return Status::Ok();
}

Status infer_gemm(InferContext& ctx) {
  const Shape& a = ctx.input_shape(0);
  const Shape& b = ctx.input_shape(1);
  if ((a.rank_known() && a.rank() != 2) || (b.rank_known() && b.rank() != 2))
    return invalid_argument("Gemm takes 2-D A and B, got {} and {}", a.to_string(), b.to_string());
  const bool ta = ctx.node().attr_int("transA", 0) != 0, tb = ctx.node().attr_int("transB", 0) != 0;
  const Dim m = a.rank_known() ? a[ta ? 1 : 0] : Dim();
  const Dim ka = a.rank_known() ? a[ta ? 0 : 1] : Dim();
  const Dim kb = b.rank_known() ? b[tb ? 1 : 0] : Dim();
  const Dim n = b.rank_known() ? b[tb ? 0 : 1] : Dim();
  if (dims_conflict(ka, kb))
    return invalid_argument("inner dimensions differ: op(A) has K = {} and op(B) has K = {}", ka.value, kb.value);
  const Shape out(std::vector<Dim>{m, n});
  if (ctx.has_input(2)) {
    const Shape& c = ctx.input_shape(2);
    if (c.rank_known() && c.rank() > 2) return invalid_argument("Gemm's C must have rank <= 2, got {}", c.to_string());
    KILN_ASSIGN_OR_RETURN(Shape broadcast, broadcast_shapes({out, c}));
    if (c.rank_known() && !(broadcast == out) && broadcast.is_static() && out.is_static())
      return invalid_argument("C of shape {} does not broadcast to the output {}", c.to_string(), out.to_string());
  }
  ctx.set_output(0, ctx.input_type(0), out);
  return Status::Ok();
}

Status infer_einsum(InferContext& ctx) {
  const std::string equation = ctx.node().attr_string("equation");
  std::vector<int> ranks;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.input_shape(i).rank_known()) {
      ctx.set_output(0, ctx.input_type(0), Shape::unknown());
      return Status::Ok();
    }
    ranks.push_back(ctx.input_shape(i).rank());
  }
  KILN_ASSIGN_OR_RETURN(EinsumLabels labels, resolve_einsum(equation, ranks));
  std::vector<Dim> label_dims(static_cast<size_t>(labels.num_labels), Dim(1));
  std::vector<bool> seen(static_cast<size_t>(labels.num_labels), false);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    for (int ax = 0; ax < ranks[static_cast<size_t>(i)]; ++ax) {
      const int id = labels.inputs[static_cast<size_t>(i)][static_cast<size_t>(ax)];
      const Dim& d = ctx.input_shape(i)[ax];
      Dim& known = label_dims[static_cast<size_t>(id)];
      const bool broadcastable = id >= EinsumLabels::kFirstEllipsisLabel;
      if (!seen[static_cast<size_t>(id)] || (broadcastable && known.is_static() && known.value == 1)) {
        known = d;
      } else if (dims_conflict(known, d) && !(broadcastable && d.value == 1)) {
        return invalid_argument("equation '{}': an axis has size {} in one place and {} in another", equation,
                                known.value, d.value);
      }
      seen[static_cast<size_t>(id)] = true;
    }
  }
  std::vector<Dim> out;
  for (int id : labels.output) out.push_back(label_dims[static_cast<size_t>(id)]);
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

Status infer_det(InferContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown());
    return Status::Ok();
  }
  if (x.rank() < 2 || dims_conflict(x[x.rank() - 1], x[x.rank() - 2]))
    return invalid_argument("Det takes [..., M, M] square matrices, got {}", x.to_string());
  ctx.set_output(0, ctx.input_type(0), Shape(std::vector<Dim>(x.dims().begin(), x.dims().end() - 2)));
  return Status::Ok();
}

}  // namespace

void register_linalg_schemas(OpRegistry& r) {
  r.add(OpSchema("Gemm")
            .inputs(2, 3)
            .attr("alpha", Attribute::of_float(1.f))
            .attr("beta", Attribute::of_float(1.f))
            .attr("transA", Attribute::of_int(0))
            .attr("transB", Attribute::of_int(0))
            .infer(infer_gemm));
  r.add(OpSchema("MatMul").inputs(2).infer(
      [](InferContext& ctx) { return infer_matmul_like(ctx, 0, 1, ctx.input_type(0)); }));
  // A, B, a_zero_point, b_zero_point
  r.add(OpSchema("MatMulInteger").inputs(2, 4).infer(
      [](InferContext& ctx) { return infer_matmul_like(ctx, 0, 1, DataType::kInt32); }));
  // a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
  r.add(OpSchema("QLinearMatMul").inputs(8).infer(
      [](InferContext& ctx) { return infer_matmul_like(ctx, 0, 3, ctx.input_type(7)); }));
  r.add(OpSchema("Einsum").inputs(1, INT_MAX).required_attr("equation", AttrType::kString).infer(infer_einsum));
  r.add(OpSchema("Det").inputs(1).infer(infer_det));
}

}  // namespace kiln
