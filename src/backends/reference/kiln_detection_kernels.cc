// Reference kernels of Kiln's detection ops kiln.YoloDecode and kiln.BatchedNMS: tensor
// plumbing around the plain algorithms in detection/.
#include <cstring>

#include "backends/reference/detection/batched_nms.h"
#include "backends/reference/detection/yolo_decode.h"
#include "backends/reference/kernel.h"
#include "backends/reference/store_doubles.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/yolo_decode_params.h"

namespace kiln {

namespace {

Status yolo_decode(KernelContext& ctx) {
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> values;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    shapes.push_back(Shape::from_dims(ctx.input(i).dims()));
    KILN_ASSIGN_OR_RETURN(auto v, tensor_to_doubles(ctx.input(i)));
    values.push_back(std::move(v));
  }
  KILN_ASSIGN_OR_RETURN(YoloDecodeParams p, read_yolo_decode_params(ctx.node(), shapes));
  std::vector<const double*> heads;
  for (const auto& v : values) heads.push_back(v.data());
  const int64_t batch = ctx.input(0).dim(0);
  std::vector<double> boxes(static_cast<size_t>(batch * p.num_boxes * 4));
  std::vector<double> scores(static_cast<size_t>(batch * p.num_boxes * p.num_classes));
  detection::yolo_decode_reference(heads, batch, p, boxes.data(), scores.data());
  KILN_RETURN_IF_ERROR(store_doubles(boxes, ctx.output(0)));
  return store_doubles(scores, ctx.output(1));
}

std::vector<float> as_floats(const std::vector<double>& v) { return {v.begin(), v.end()}; }

// Outputs copy the kept boxes and scores element for element, in the inputs' dtypes.
Status batched_nms(KernelContext& ctx) {
  const Tensor& boxes = ctx.input(0);
  const Tensor& scores = ctx.input(1);
  KILN_ASSIGN_OR_RETURN(BatchedNmsParams p, read_batched_nms_params(ctx.node(), Shape::from_dims(boxes.dims()),
                                                                    Shape::from_dims(scores.dims())));
  KILN_ASSIGN_OR_RETURN(auto box_values, tensor_to_doubles(boxes));
  KILN_ASSIGN_OR_RETURN(auto score_values, tensor_to_doubles(scores));
  const auto kept = detection::batched_nms_reference(as_floats(box_values).data(), as_floats(score_values).data(), p);

  Tensor& num = ctx.output(0);
  Tensor& out_boxes = ctx.output(1);
  Tensor& out_scores = ctx.output(2);
  Tensor& out_classes = ctx.output(3);
  const size_t box_bytes = 4 * data_type_size(boxes.dtype()), score_bytes = data_type_size(scores.dtype());
  std::memset(out_boxes.raw(), 0, out_boxes.nbytes());
  std::memset(out_scores.raw(), 0, out_scores.nbytes());
  for (int64_t i = 0; i < out_classes.numel(); ++i) out_classes.data<int32_t>()[i] = -1;
  for (int64_t n = 0; n < p.batch; ++n) {
    const auto& dets = kept[static_cast<size_t>(n)];
    num.data<int32_t>()[n] = static_cast<int32_t>(dets.size());
    for (size_t j = 0; j < dets.size(); ++j) {
      const detection::Detection& d = dets[j];
      const int64_t slot = n * p.keep_top_k + static_cast<int64_t>(j);
      const int64_t box = p.shared_boxes ? n * p.num_boxes + d.box : (n * p.num_boxes + d.box) * p.num_classes + d.cls;
      std::memcpy(static_cast<char*>(out_boxes.raw()) + slot * box_bytes,
                  static_cast<const char*>(boxes.raw()) + box * box_bytes, box_bytes);
      std::memcpy(static_cast<char*>(out_scores.raw()) + slot * score_bytes,
                  static_cast<const char*>(scores.raw()) + ((n * p.num_boxes + d.box) * p.num_classes + d.cls) * score_bytes,
                  score_bytes);
      out_classes.data<int32_t>()[slot] = static_cast<int32_t>(d.cls);
    }
  }
  return Status::Ok();
}

}  // namespace

void register_kiln_detection_kernels(KernelRegistry& r) {
  const std::string domain(kKilnDomain);
  r.add(std::string(kYoloDecodeOp), yolo_decode, domain);
  r.add(std::string(kBatchedNmsOp), batched_nms, domain);
}

}  // namespace kiln
