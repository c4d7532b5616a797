// The built-in detection plugins' test models, as a TensorRT-style exporter writes them, and
// their expected outputs from the reference functions (backends/reference/detection/) called
// directly. Used by the CPU tests (tests/plugin) and the GPU tests (tests/backends/cuda/detection).
#pragma once

#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backends/reference/detection/batched_nms.h"
#include "backends/reference/detection/yolo_decode.h"
#include "core/tensor.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/yolo_decode_params.h"
#include "testing/onnx_builder.h"

namespace kiln::testing {

// YOLOv5 heads: 2 anchors, 3 classes, strides 8 and 16 over a 64x64 image.
inline constexpr int64_t kYoloClasses = 3;
inline constexpr int64_t kYoloChannels = 2 * (5 + kYoloClasses);
inline const std::vector<int64_t> kYoloStrides = {8, 16};
inline const std::vector<float> kYoloAnchors = {10, 13, 16, 30, 30, 61, 62, 45};
inline constexpr int64_t kKeepTopK = 20;

inline void add_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void add_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
inline void add_ints_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void add_floats_attr(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}

// head0 [N, 16, 8, 8], head1 [N, 16, 4, 4] -> YoloDecode -> boxes [N, 160, 4], scores
// [N, 160, 3] -> BatchedNMS -> num_detections [N], nms_boxes, nms_scores, nms_classes. Both
// custom nodes in the default domain; the decode outputs are graph outputs too.
inline std::string yolo_nms_model_bytes() {
  OnnxBuilder b;
  b.input("head0", onnx::TensorProto::FLOAT, {1, kYoloChannels, 8, 8}, {"N"});
  b.input("head1", onnx::TensorProto::FLOAT, {1, kYoloChannels, 4, 4}, {"N"});
  onnx::NodeProto& decode = b.node("YoloDecode", {"head0", "head1"}, {"boxes", "scores"}, "decode");
  add_attr(decode, "variant", std::string("yolov5"));
  OnnxBuilder::int_attr(decode, "num_classes", kYoloClasses);
  add_ints_attr(decode, "strides", kYoloStrides);
  add_floats_attr(decode, "anchors", kYoloAnchors);
  onnx::NodeProto& nms = b.node("BatchedNMS", {"boxes", "scores"}, {"num_detections", "nms_boxes", "nms_scores", "nms_classes"}, "nms");
  add_attr(nms, "score_threshold", 0.2f);
  add_attr(nms, "iou_threshold", 0.45f);
  OnnxBuilder::int_attr(nms, "keep_top_k", kKeepTopK);
  b.output("boxes").output("scores").output("num_detections", onnx::TensorProto::INT32).output("nms_boxes");
  b.output("nms_scores").output("nms_classes", onnx::TensorProto::INT32);
  return b.bytes();
}

struct EfficientNmsOptions {
  std::string domain = "TRT";
  int64_t score_activation = 0;
  int64_t class_agnostic = 0;
  int64_t background_class = -1;
  int64_t box_coding = 0;
  bool explicit_sigmoid = false;  // a Sigmoid node on the scores before the NMS node
};

// boxes [N, 50, 4], scores [N, 50, 4] -> EfficientNMS_TRT (plugin_version "1") -> num_detections
// [N, 1], detection_boxes, detection_scores, detection_classes.
inline std::string efficient_nms_model_bytes(const EfficientNmsOptions& o) {
  OnnxBuilder b;
  b.input("boxes", onnx::TensorProto::FLOAT, {1, 50, 4}, {"N"});
  b.input("scores", onnx::TensorProto::FLOAT, {1, 50, 4}, {"N"});
  std::string scores = "scores";
  if (o.explicit_sigmoid) {
    b.node("Sigmoid", {"scores"}, {"probabilities"}, "sigmoid");
    scores = "probabilities";
  }
  onnx::NodeProto& nms = b.node("EfficientNMS_TRT", {"boxes", scores},
                                {"num_detections", "detection_boxes", "detection_scores", "detection_classes"}, "efficient_nms");
  nms.set_domain(o.domain);
  add_attr(nms, "plugin_version", std::string("1"));
  add_attr(nms, "score_threshold", 0.25f);
  add_attr(nms, "iou_threshold", 0.45f);
  OnnxBuilder::int_attr(nms, "max_output_boxes", kKeepTopK);
  OnnxBuilder::int_attr(nms, "background_class", o.background_class);
  OnnxBuilder::int_attr(nms, "score_activation", o.score_activation);
  OnnxBuilder::int_attr(nms, "class_agnostic", o.class_agnostic);
  OnnxBuilder::int_attr(nms, "box_coding", o.box_coding);
  b.output("num_detections", onnx::TensorProto::INT32).output("detection_boxes").output("detection_scores");
  b.output("detection_classes", onnx::TensorProto::INT32);
  return b.bytes();
}

inline Tensor uniform_tensor(std::vector<int64_t> dims, uint32_t seed, float lo, float hi) {
  Tensor t(DataType::kFloat32, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// Corner boxes [n, count, 4] of sizes that overlap often, inside a 64x64 image.
inline Tensor random_boxes(int64_t n, int64_t count, uint32_t seed) {
  const Tensor centers = uniform_tensor({n, count, 2}, seed, 8.f, 56.f), sizes = uniform_tensor({n, count, 2}, seed + 1, 4.f, 24.f);
  Tensor t(DataType::kFloat32, {n, count, 4});
  for (int64_t i = 0; i < n * count; ++i)
    for (int k = 0; k < 2; ++k) {
      t.data<float>()[4 * i + k] = centers.data<float>()[2 * i + k] - sizes.data<float>()[2 * i + k] / 2;
      t.data<float>()[4 * i + 2 + k] = centers.data<float>()[2 * i + k] + sizes.data<float>()[2 * i + k] / 2;
    }
  return t;
}

// {boxes, scores} of yolo_decode_reference on the model's heads, rounded to float as the
// reference kernel stores them.
inline std::vector<Tensor> expected_yolo_decode(const Tensor& head0, const Tensor& head1) {
  Node node("expected", std::string(kYoloDecodeOp), std::string(kKilnDomain), 1);
  node.attrs() = {{"variant", Attribute::of_string("yolov5")}, {"num_classes", Attribute::of_int(kYoloClasses)},
                  {"strides", Attribute::of_ints(kYoloStrides)}, {"anchors", Attribute::of_floats(kYoloAnchors)},
                  {"box_format", Attribute::of_string("corners")}};
  const auto p = read_yolo_decode_params(node, {Shape::from_dims(head0.dims()), Shape::from_dims(head1.dims())});
  if (!p.ok()) return {};  // the caller's comparison fails on the missing outputs
  const int64_t n = head0.dims()[0];
  std::vector<std::vector<double>> heads;
  for (const Tensor* h : {&head0, &head1}) heads.emplace_back(h->data<float>(), h->data<float>() + h->numel());
  std::vector<double> boxes(static_cast<size_t>(n * p->num_boxes * 4)), scores(static_cast<size_t>(n * p->num_boxes * kYoloClasses));
  detection::yolo_decode_reference({heads[0].data(), heads[1].data()}, n, *p, boxes.data(), scores.data());
  Tensor b(DataType::kFloat32, {n, p->num_boxes, 4}), s(DataType::kFloat32, {n, p->num_boxes, kYoloClasses});
  for (size_t i = 0; i < boxes.size(); ++i) b.data<float>()[i] = static_cast<float>(boxes[i]);
  for (size_t i = 0; i < scores.size(); ++i) s.data<float>()[i] = static_cast<float>(scores[i]);
  return {b, s};
}

// {num_detections [N], boxes [N, K, 4], scores [N, K], classes [N, K]} of batched_nms_reference
// on float boxes [N, B, 4] and scores [N, B, C]: kept detections first, then zeros and class -1.
inline std::vector<Tensor> expected_batched_nms(const Tensor& boxes, const Tensor& scores, float score_threshold,
                                                float iou_threshold, bool class_agnostic) {
  BatchedNmsParams p;
  p.batch = boxes.dims()[0];
  p.num_boxes = boxes.dims()[1];
  p.num_classes = scores.dims()[2];
  p.score_threshold = score_threshold;
  p.iou_threshold = iou_threshold;
  p.keep_top_k = kKeepTopK;
  p.class_agnostic = class_agnostic;
  const auto kept = detection::batched_nms_reference(boxes.data<float>(), scores.data<float>(), p);
  Tensor num(DataType::kInt32, {p.batch}), out_boxes(DataType::kFloat32, {p.batch, kKeepTopK, 4});
  Tensor out_scores(DataType::kFloat32, {p.batch, kKeepTopK}), out_classes(DataType::kInt32, {p.batch, kKeepTopK});
  for (int64_t i = 0; i < out_boxes.numel(); ++i) out_boxes.data<float>()[i] = 0.f;
  for (int64_t i = 0; i < out_scores.numel(); ++i) out_scores.data<float>()[i] = 0.f, out_classes.data<int32_t>()[i] = -1;
  for (int64_t n = 0; n < p.batch; ++n) {
    const auto& dets = kept[static_cast<size_t>(n)];
    num.data<int32_t>()[n] = static_cast<int32_t>(dets.size());
    for (size_t j = 0; j < dets.size(); ++j) {
      const int64_t slot = n * kKeepTopK + static_cast<int64_t>(j), box = n * p.num_boxes + dets[j].box;
      for (int k = 0; k < 4; ++k) out_boxes.data<float>()[4 * slot + k] = boxes.data<float>()[4 * box + k];
      out_scores.data<float>()[slot] = scores.data<float>()[box * p.num_classes + dets[j].cls];
      out_classes.data<int32_t>()[slot] = static_cast<int32_t>(dets[j].cls);
    }
  }
  return {num, out_boxes, out_scores, out_classes};
}

}  // namespace kiln::testing
