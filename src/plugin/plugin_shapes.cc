#include "plugin/plugin_shapes.h"

#include "core/error.h"
#include "plugin/plugin_node.h"

namespace kiln {

namespace {

// Ok when every input dim `e` refers to exists; `all_known` says whether each is static.
Status check_references(const DimExpr& e, const std::vector<Shape>& inputs, bool& all_known) {
  switch (e.kind()) {
    case DimExpr::Kind::kConstant: return Status::Ok();
    case DimExpr::Kind::kInputDim: {
      if (e.input() < 0 || static_cast<size_t>(e.input()) >= inputs.size())
        return invalid_argument("{} refers to input {}, but there are {}", e.to_string(), e.input(), inputs.size());
      const Shape& s = inputs[static_cast<size_t>(e.input())];
      if (e.axis() < 0 || e.axis() >= s.rank())
        return invalid_argument("{} refers to axis {} of a rank-{} input", e.to_string(), e.axis(), s.rank());
      all_known = all_known && s[e.axis()].is_static();
      return Status::Ok();
    }
    default:
      KILN_RETURN_IF_ERROR(check_references(e.lhs(), inputs, all_known));
      return check_references(e.rhs(), inputs, all_known);
  }
}

Expected<Dim> evaluate_dim(const DimExpr& e, const std::vector<Shape>& inputs) {
  bool all_known = true;
  KILN_RETURN_IF_ERROR(check_references(e, inputs, all_known));
  if (e.kind() == DimExpr::Kind::kInputDim) return inputs[static_cast<size_t>(e.input())][e.axis()];
  const auto value = e.evaluate([&](int input, int axis) -> std::optional<int64_t> {
    const Dim& d = inputs[static_cast<size_t>(input)][axis];
    return d.is_static() ? std::optional<int64_t>(d.value) : std::nullopt;
  });
  if (!value) {
    if (all_known) return invalid_argument("{} divides by zero", e.to_string());
    return Dim();
  }
  if (*value < 0) return invalid_argument("{} is {}, a negative size", e.to_string(), *value);
  return Dim(*value);
}

}  // namespace

std::vector<ShapeExpr> shape_exprs_of(const std::vector<Shape>& inputs) {
  std::vector<ShapeExpr> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    for (int j = 0; j < inputs[i].rank(); ++j)
      out[i].dims.push_back(inputs[i][j].is_static() ? DimExpr(inputs[i][j].value)
                                                     : DimExpr::input_dim(static_cast<int>(i), j));
  return out;
}

Expected<Shape> evaluate_shape_expr(const ShapeExpr& expr, const std::vector<Shape>& inputs) {
  std::vector<Dim> dims;
  for (size_t k = 0; k < expr.dims.size(); ++k) {
    auto d = evaluate_dim(expr.dims[k], inputs);
    if (!d.ok()) return with_context(d.status(), "dim " + std::to_string(k));
    dims.push_back(std::move(d).value());
  }
  return Shape(std::move(dims));
}

Status infer_plugin_node(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Plugin> plugin, plugin_of(ctx.node()));
  const std::string who = plugin->identity().describe();
  std::vector<DataType> input_types;
  std::vector<Shape> input_shapes;
  bool ranks_known = true;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return invalid_argument("{}: input {} is absent; plugins take no optional inputs", who, i);
    if (ctx.input_type(i) == DataType::kUndefined) return invalid_argument("{}: input {} has no known type", who, i);
    input_types.push_back(ctx.input_type(i));
    input_shapes.push_back(ctx.input_shape(i));
    ranks_known = ranks_known && ctx.input_shape(i).rank_known();
  }
  if (plugin->num_outputs() != ctx.num_outputs())
    return invalid_argument("{} makes {} output(s) but the node has {}", who, plugin->num_outputs(), ctx.num_outputs());
  std::vector<DataType> output_types(static_cast<size_t>(ctx.num_outputs()), DataType::kUndefined);
  Status s = plugin->output_dtypes(input_types, output_types);
  if (!s.ok()) return with_context(s, who + ": output_dtypes");
  for (size_t k = 0; k < output_types.size(); ++k)
    if (output_types[k] == DataType::kUndefined) return invalid_argument("{}: output_dtypes left output {} undefined", who, k);
  std::vector<ShapeExpr> output_exprs(output_types.size());
  if (ranks_known) {
    s = plugin->output_shapes(shape_exprs_of(input_shapes), output_exprs);
    if (!s.ok()) return with_context(s, who + ": output_shapes");
  }
  for (size_t k = 0; k < output_types.size(); ++k) {
    if (!ranks_known) {
      ctx.set_output(static_cast<int>(k), output_types[k], Shape::unknown());
      continue;
    }
    auto shape = evaluate_shape_expr(output_exprs[k], input_shapes);
    if (!shape.ok()) return with_context(shape.status(), who + ": output " + std::to_string(k));
    ctx.set_output(static_cast<int>(k), output_types[k], std::move(shape).value());
  }
  return Status::Ok();
}

}  // namespace kiln
