// Schemas of the pooling ops: windowed (MaxPool, AveragePool, LpPool), global (Global*Pool),
// MaxUnpool and MaxRoiPool.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/conv_geometry.h"

namespace kiln {

namespace {

Status check_float_input(const InferContext& ctx, bool allow_8bit_ints) {
  const DataType t = ctx.input_type(0);
  if (is_floating(t)) return Status::Ok();
  if (allow_8bit_ints && (t == DataType::kInt8 || t == DataType::kUInt8)) return Status::Ok();
  return invalid_argument("input X must be a floating type{}, got {}", allow_8bit_ints ? " or int8/uint8" : "",
                          data_type_name(t));
}

// Windowed pools: Y is [N, C, out...]; MaxPool's optional Indices output has Y's shape.
Status infer_windowed_pool(InferContext& ctx) {
  const Node& node = ctx.node();
  const bool is_max = node.op_type() == "MaxPool";
  KILN_RETURN_IF_ERROR(check_float_input(ctx, is_max));
  const std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.empty()) return invalid_argument("'kernel_shape' must name at least one spatial axis");
  if (is_max) {
    const int64_t order = node.attr_int("storage_order", 0);
    if (order != 0 && order != 1) return invalid_argument("'storage_order' must be 0 or 1, got {}", order);
  }
  if (node.op_type() == "LpPool" && node.attr_int("p", 2) < 1)
    return invalid_argument("'p' must be at least 1, got {}", node.attr_int("p", 2));
  if (node.op_type() == "AveragePool") {
    const int64_t cip = node.attr_int("count_include_pad", 0);
    if (cip != 0 && cip != 1) return invalid_argument("'count_include_pad' must be 0 or 1, got {}", cip);
  }
  const int rank = static_cast<int>(kernel.size()) + 2;
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known() && x.rank() != rank)
    return invalid_argument("input X has rank {} but 'kernel_shape' has {} spatial axes (expects rank {})", x.rank(),
                            kernel.size(), rank);
  std::vector<int64_t> spatial(kernel.size(), -1);
  if (x.rank_known())
    for (size_t i = 0; i < kernel.size(); ++i) spatial[i] = x[static_cast<int>(i) + 2].value;
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(node, spatial, kernel, false));
  std::vector<Dim> out = x.rank_known() ? std::vector<Dim>{x[0], x[1]} : std::vector<Dim>{Dim(), Dim()};
  for (int64_t size : g.output) out.push_back(size >= 0 ? Dim(size) : Dim());
  ctx.set_output(0, ctx.input_type(0), Shape(out));
  if (is_max) ctx.set_output(1, DataType::kInt64, Shape(out));
  return Status::Ok();
}

// Global pools: [N, C, d...] -> [N, C, 1...].
Status infer_global_pool(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float_input(ctx, false));
  if (ctx.node().op_type() == "GlobalLpPool" && ctx.node().attr_int("p", 2) < 1)
    return invalid_argument("'p' must be at least 1, got {}", ctx.node().attr_int("p", 2));
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown());
    return Status::Ok();
  }
  if (x.rank() < 2) return invalid_argument("input X must have rank 2 or more ([N, C, ...]), got rank {}", x.rank());
  std::vector<Dim> out = x.dims();
  for (int i = 2; i < x.rank(); ++i) out[static_cast<size_t>(i)] = Dim(1);
  ctx.set_output(0, ctx.input_type(0), Shape(out));
  return Status::Ok();
}

// MaxUnpool: the shape MaxPool's input had, either given (output_shape) or derived from the
// window: (in - 1) * stride + kernel - pads.
Status infer_max_unpool(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float_input(ctx, false));
  const Node& node = ctx.node();
  const std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.empty()) return invalid_argument("'kernel_shape' must name at least one spatial axis");
  const int rank = static_cast<int>(kernel.size()) + 2;
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known() && x.rank() != rank)
    return invalid_argument("input X has rank {} but 'kernel_shape' has {} spatial axes (expects rank {})", x.rank(),
                            kernel.size(), rank);
  const DataType it = ctx.input_type(1);
  if (it != DataType::kInt64) return invalid_argument("input I must be int64, got {}", data_type_name(it));
  const Shape& ishape = ctx.input_shape(1);
  if (x.is_static() && ishape.is_static() && !(x == ishape))
    return invalid_argument("input I has shape {} but X has shape {}", ishape.to_string(), x.to_string());
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(node, std::vector<int64_t>(kernel.size(), -1), kernel, false));
  std::vector<Dim> out = x.rank_known() ? std::vector<Dim>{x[0], x[1]} : std::vector<Dim>{Dim(), Dim()};
  for (size_t i = 0; i < kernel.size(); ++i) {
    const int64_t in = x.rank_known() ? x[static_cast<int>(i) + 2].value : -1;
    if (in < 0) {
      out.push_back(Dim());
      continue;
    }
    const int64_t size = (in - 1) * g.strides[i] + kernel[i] - g.pads_begin[i] - g.pads_end[i];
    if (size < 1) return invalid_argument("the unpooled size of spatial axis {} would be {}", i, size);
    out.push_back(size);
  }
  if (ctx.has_input(2)) {
    const Tensor* given = ctx.input_value(2);
    if (given == nullptr) {
      ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(rank));
      return Status::Ok();
    }
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, tensor_to_int64s(*given));
    if (static_cast<int>(dims.size()) != rank)
      return invalid_argument("input output_shape has {} values, expected {}", dims.size(), rank);
    for (int i = 0; i < rank; ++i) {
      const Dim& derived = out[static_cast<size_t>(i)];
      if (derived.is_static() && (i < 2 ? dims[i] != derived.value : dims[i] < derived.value))
        return invalid_argument("output_shape {} cannot hold the unpooled input (needs at least {})",
                                dims_to_string(dims), Shape(out).to_string());
    }
    ctx.set_output(0, ctx.input_type(0), Shape::from_dims(dims));
    return Status::Ok();
  }
  ctx.set_output(0, ctx.input_type(0), Shape(out));
  return Status::Ok();
}

// MaxRoiPool: X [N, C, H, W], rois [R, 5] -> [R, C, pooled_h, pooled_w].
Status infer_max_roi_pool(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float_input(ctx, false));
  const std::vector<int64_t> pooled = ctx.node().attr_ints("pooled_shape");
  if (pooled.size() != 2 || pooled[0] < 1 || pooled[1] < 1)
    return invalid_argument("'pooled_shape' must be two positive sizes [height, width]");
  const Shape& x = ctx.input_shape(0);
  const Shape& rois = ctx.input_shape(1);
  if (x.rank_known() && x.rank() != 4) return invalid_argument("input X must have rank 4, got {}", x.rank());
  if (rois.rank_known() && (rois.rank() != 2 || (rois[1].is_static() && rois[1].value != 5)))
    return invalid_argument("input rois must have shape [num_rois, 5], got {}", rois.to_string());
  if (ctx.input_type(1) != ctx.input_type(0))
    return invalid_argument("input rois must have X's type {}, got {}", data_type_name(ctx.input_type(0)),
                            data_type_name(ctx.input_type(1)));
  ctx.set_output(0, ctx.input_type(0),
                 Shape({rois.rank_known() ? rois[0] : Dim(), x.rank_known() ? x[1] : Dim(), pooled[0], pooled[1]}));
  return Status::Ok();
}

}  // namespace

void register_pool_schemas(OpRegistry& r) {
  // dilations on AveragePool and LpPool come with opset 19; the shared geometry handles them alike.
  r.add(OpSchema("MaxPool")
            .inputs(1)
            .outputs(1, 2)
            .attr("auto_pad", Attribute::of_string("NOTSET"))
            .attr("ceil_mode", Attribute::of_int(0))
            .attr("dilations", AttrType::kInts)
            .required_attr("kernel_shape", AttrType::kInts)
            .attr("pads", AttrType::kInts)
            .attr("storage_order", Attribute::of_int(0))
            .attr("strides", AttrType::kInts)
            .infer(infer_windowed_pool));
  r.add(OpSchema("AveragePool")
            .inputs(1)
            .attr("auto_pad", Attribute::of_string("NOTSET"))
            .attr("ceil_mode", Attribute::of_int(0))
            .attr("count_include_pad", Attribute::of_int(0))
            .attr("dilations", AttrType::kInts)
            .required_attr("kernel_shape", AttrType::kInts)
            .attr("pads", AttrType::kInts)
            .attr("strides", AttrType::kInts)
            .infer(infer_windowed_pool));
  r.add(OpSchema("LpPool")
            .inputs(1)
            .attr("auto_pad", Attribute::of_string("NOTSET"))
            .attr("ceil_mode", Attribute::of_int(0))
            .attr("dilations", AttrType::kInts)
            .required_attr("kernel_shape", AttrType::kInts)
            .attr("p", Attribute::of_int(2))
            .attr("pads", AttrType::kInts)
            .attr("strides", AttrType::kInts)
            .infer(infer_windowed_pool));
  r.add(OpSchema("GlobalAveragePool").inputs(1).infer(infer_global_pool));
  r.add(OpSchema("GlobalMaxPool").inputs(1).infer(infer_global_pool));
  r.add(OpSchema("GlobalLpPool").inputs(1).attr("p", Attribute::of_int(2)).infer(infer_global_pool));
  r.add(OpSchema("MaxUnpool")
            .inputs(2, 3)
            .required_attr("kernel_shape", AttrType::kInts)
            .attr("pads", AttrType::kInts)
            .attr("strides", AttrType::kInts)
            .infer(infer_max_unpool));
  r.add(OpSchema("MaxRoiPool")
            .inputs(2)
            .required_attr("pooled_shape", AttrType::kInts)
            .attr("spatial_scale", Attribute::of_float(1.f))
            .infer(infer_max_roi_pool));
}

}  // namespace kiln
