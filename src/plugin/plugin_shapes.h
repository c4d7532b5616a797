// Shape inference for plugin layers: the plugin's output_dtypes() and output_shapes() turned into
// Kiln types and shapes (DimExprs evaluated on the input dims).
#pragma once

#include <vector>

#include "ir/op_schema.h"
#include "kiln/plugin.h"

namespace kiln {

// Each input's dims as the plugin sees them: static dims as constants, the others as references
// to the input dim.
std::vector<ShapeExpr> shape_exprs_of(const std::vector<Shape>& inputs);

// The shape `expr` describes for these inputs. A dim that is exactly one input dim is that dim
// (its symbol kept); other expressions over unknown dims are unknown. Errors: a reference to an
// input or axis that does not exist, a negative size, a division by zero.
Expected<Shape> evaluate_shape_expr(const ShapeExpr& expr, const std::vector<Shape>& inputs);

// The kiln.Plugin schema's inference.
Status infer_plugin_node(InferContext& ctx);

}  // namespace kiln
