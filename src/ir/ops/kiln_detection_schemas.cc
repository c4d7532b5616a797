// Schemas of Kiln's detection post-processing ops (domain "kiln"), decoding YOLO heads and
// selecting detections with static output shapes.
//
// kiln.YoloDecode(head_0, ..., head_{L-1}) -> boxes [N, num_boxes, 4], scores [N, num_boxes, C]
//   Attributes: variant ("yolov3", "yolov5" (default), "yolov8"), num_classes C, strides (one per
//   head, pixels per grid cell), anchors (v3/v5: A (w, h) pairs in pixels per head, head by head),
//   box_format ("corners" (default): x1, y1, x2, y2; "center": cx, cy, w, h).
//   Each head l is a raw convolution output [N, A * (5 + C), H_l, W_l] (v3/v5; channel
//   a * (5 + C) + k holds k = 0..3: tx, ty, tw, th; 4: objectness; 5 + c: class c) or
//   [N, 4 + C, H_l, W_l] (v8, A = 1; k = 0..3: distances l, t, r, b in grid cells from the cell
//   center, as the DFL layer leaves them; 4 + c: class c). Box index: the heads in order, within a
//   head (a * H_l + y) * W_l + x. With sigma(v) = 1 / (1 + exp(-v)), stride s, anchor (aw, ah):
//     yolov3: cx = (sigma(tx) + x) * s           cy = (sigma(ty) + y) * s
//             w  = aw * exp(tw)                   h  = ah * exp(th)
//     yolov5: cx = (2 sigma(tx) - 0.5 + x) * s    cy = (2 sigma(ty) - 0.5 + y) * s
//             w  = aw * (2 sigma(tw))^2           h  = ah * (2 sigma(th))^2
//             corners: x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2
//             score[c] = sigma(objectness) * sigma(class c)
//     yolov8: x1 = (x + 0.5 - l) * s   y1 = (y + 0.5 - t) * s   x2 = (x + 0.5 + r) * s
//             y2 = (y + 0.5 + b) * s; center: cx = (x1 + x2) / 2, cy = (y1 + y2) / 2,
//             w = x2 - x1, h = y2 - y1; score[c] = sigma(class c)
//   Outputs have the heads' dtype (float32, float16 or bfloat16); the reference computes in
//   double, CUDA in float.
//
// kiln.BatchedNMS(boxes, scores) -> num_detections [N] int32, boxes [N, K, 4],
//                                  scores [N, K], classes [N, K] int32   (K = keep_top_k)
//   boxes [N, B, 4] (one box per position, shared by the classes; [N, B, 1, 4] too) or
//   [N, B, C, 4] (a box per class); scores [N, B, C]. Attributes: score_threshold (0),
//   iou_threshold (0.5, in [0, 1]), top_k (-1: all), keep_top_k (100), class_agnostic (0),
//   box_encoding ("corners" (default): x1, y1, x2, y2 with either corner first; "center": cx, cy,
//   w, h). Per image, computed in float:
//   1. Candidates: the (box b, class c) with score > score_threshold, in the detection order:
//      score descending, then lower b, then lower c (a total order: no two candidates tie).
//   2. Per class (all classes together when class_agnostic), the first top_k candidates in that
//      order go through greedy NMS: each is kept unless its IoU with a box kept before it in its
//      group exceeds iou_threshold. IoU (backends/reference/detection/box_math.h) is
//      inter / (area_a + area_b - inter), 0 when the boxes do not overlap or either has no area.
//   3. The kept detections of all groups, in the detection order, fill the first
//      num_detections = min(K, kept) slots: their boxes and scores as given (input dtypes,
//      boxes in the input encoding), their class indices. Slots past num_detections hold zero
//      boxes and scores and class -1.
//   The CUDA kernel implements exactly these steps and matches the reference bit for bit.
#include "ir/op_schema.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/yolo_decode_params.h"

namespace kiln {

namespace {

bool is_float_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16 || t == DataType::kUndefined;
}

Status infer_yolo_decode(InferContext& ctx) {
  std::vector<Shape> shapes;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return invalid_argument("input {} is missing", i);
    if (ctx.input_type(i) != ctx.input_type(0))
      return invalid_argument("the heads must share one dtype, got {} and {}", data_type_name(ctx.input_type(0)),
                              data_type_name(ctx.input_type(i)));
    shapes.push_back(ctx.input_shape(i));
  }
  if (!is_float_type(ctx.input_type(0)))
    return invalid_argument("the heads must be float32, float16 or bfloat16, got {}", data_type_name(ctx.input_type(0)));
  KILN_ASSIGN_OR_RETURN(YoloDecodeParams p, read_yolo_decode_params(ctx.node(), shapes));
  const Dim batch = shapes[0].rank_known() ? shapes[0][0] : Dim();
  const Dim boxes = p.num_boxes >= 0 ? Dim(p.num_boxes) : Dim();
  ctx.set_output(0, ctx.input_type(0), Shape({batch, boxes, Dim(4)}));
  ctx.set_output(1, ctx.input_type(0), Shape({batch, boxes, Dim(p.num_classes)}));
  return Status::Ok();
}

Status infer_batched_nms(InferContext& ctx) {
  for (int i = 0; i < 2; ++i)
    if (!is_float_type(ctx.input_type(i)))
      return invalid_argument("input {} must be float32, float16 or bfloat16, got {}", i, data_type_name(ctx.input_type(i)));
  KILN_ASSIGN_OR_RETURN(BatchedNmsParams p, read_batched_nms_params(ctx.node(), ctx.input_shape(0), ctx.input_shape(1)));
  // A dynamic batch keeps the scores' symbol ("N").
  const Shape& scores = ctx.input_shape(1);
  const Dim n = p.batch >= 0 ? Dim(p.batch) : scores.rank_known() ? scores[0] : Dim();
  const Dim k(p.keep_top_k);
  ctx.set_output(0, DataType::kInt32, Shape({n}));
  ctx.set_output(1, ctx.input_type(0), Shape({n, k, Dim(4)}));
  ctx.set_output(2, ctx.input_type(1), Shape({n, k}));
  ctx.set_output(3, DataType::kInt32, Shape({n, k}));
  return Status::Ok();
}

}  // namespace

void register_kiln_detection_schemas(OpRegistry& r) {
  const std::string domain(kKilnDomain);
  r.add(OpSchema(std::string(kYoloDecodeOp), domain)
            .inputs(1, 16)
            .outputs(2)
            .attr("variant", Attribute::of_string("yolov5"))
            .required_attr("num_classes", AttrType::kInt)
            .required_attr("strides", AttrType::kInts)
            .attr("anchors", Attribute::of_floats({}))
            .attr("box_format", Attribute::of_string("corners"))
            .infer(infer_yolo_decode));
  r.add(OpSchema(std::string(kBatchedNmsOp), domain)
            .inputs(2)
            .outputs(4)
            .attr("score_threshold", Attribute::of_float(0.f))
            .attr("iou_threshold", Attribute::of_float(0.5f))
            .attr("top_k", Attribute::of_int(-1))
            .attr("keep_top_k", Attribute::of_int(100))
            .attr("class_agnostic", Attribute::of_int(0))
            .attr("box_encoding", Attribute::of_string("corners"))
            .infer(infer_batched_nms));
}

}  // namespace kiln
