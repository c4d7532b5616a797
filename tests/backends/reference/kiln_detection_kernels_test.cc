#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::run_node;

testing::NodeSpec kiln_op(std::string type, std::map<std::string, Attribute> attrs, int outputs) {
  testing::NodeSpec spec;
  spec.op_type = std::move(type);
  spec.domain = std::string(kKilnDomain);
  spec.attrs = std::move(attrs);
  spec.num_outputs = outputs;
  return spec;
}

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return make_tensor<float>(DataType::kFloat32, std::move(dims), v); }

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// ---- YoloDecode: each output box recomputed from its own (head, anchor, y, x). ----

struct Head {
  int64_t h, w;
  int64_t stride;
};

struct YoloCase {
  std::string variant;
  int64_t classes;
  int64_t anchors;  // per head (1 for yolov8)
  std::vector<Head> heads;
  bool center;
};

void check_yolo(const YoloCase& yc, unsigned seed) {
  const int64_t batch = 2;
  const bool v8 = yc.variant == "yolov8";
  const int64_t per_anchor = (v8 ? 4 : 5) + yc.classes;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> anchor_size(4.f, 120.f);
  std::vector<float> anchors;
  std::vector<int64_t> strides;
  std::vector<Tensor> inputs;
  for (size_t l = 0; l < yc.heads.size(); ++l) {
    const Head& h = yc.heads[l];
    strides.push_back(h.stride);
    for (int64_t a = 0; a < (v8 ? 0 : yc.anchors) * 2; ++a) anchors.push_back(anchor_size(rng));
    // v8 distances are non-negative; raw logits elsewhere.
    inputs.push_back(testing::random_float({batch, yc.anchors * per_anchor, h.h, h.w}, seed + 17 * static_cast<unsigned>(l),
                                           v8 ? 0.f : -3.f, 3.f));
  }
  std::map<std::string, Attribute> attrs{{"variant", Attribute::of_string(yc.variant)},
                                         {"num_classes", Attribute::of_int(yc.classes)},
                                         {"strides", Attribute::of_ints(strides)},
                                         {"box_format", Attribute::of_string(yc.center ? "center" : "corners")}};
  if (!v8) attrs["anchors"] = Attribute::of_floats(anchors);
  auto out = run_node(kiln_op("YoloDecode", attrs, 2), inputs);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& boxes = (*out)[0];
  const Tensor& scores = (*out)[1];
  int64_t total = 0;
  for (const Head& h : yc.heads) total += yc.anchors * h.h * h.w;
  ASSERT_EQ(boxes.dims(), (std::vector<int64_t>{batch, total, 4}));
  ASSERT_EQ(scores.dims(), (std::vector<int64_t>{batch, total, yc.classes}));

  for (int64_t n = 0; n < batch; ++n)
    for (int64_t box = 0; box < total; ++box) {
      // Which head, anchor and cell this box is.
      int64_t rest = box;
      size_t l = 0;
      while (rest >= yc.anchors * yc.heads[l].h * yc.heads[l].w) rest -= yc.anchors * yc.heads[l].h * yc.heads[l].w, ++l;
      const Head& h = yc.heads[l];
      const int64_t a = rest / (h.h * h.w), y = rest / h.w % h.h, x = rest % h.w;
      auto ch = [&](int64_t k) {
        return static_cast<double>(inputs[l].data<float>()[((n * yc.anchors + a) * per_anchor + k) * h.h * h.w + y * h.w + x]);
      };
      const double s = static_cast<double>(h.stride);
      double x1, y1, x2, y2;
      std::vector<double> want_scores;
      if (v8) {
        x1 = (x + 0.5 - ch(0)) * s, y1 = (y + 0.5 - ch(1)) * s, x2 = (x + 0.5 + ch(2)) * s, y2 = (y + 0.5 + ch(3)) * s;
        for (int64_t c = 0; c < yc.classes; ++c) want_scores.push_back(sig(ch(4 + c)));
      } else {
        const double aw = anchors[(l * yc.anchors + a) * 2], ah = anchors[(l * yc.anchors + a) * 2 + 1];
        double cx, cy, w, hh;
        if (yc.variant == "yolov3") {
          cx = (sig(ch(0)) + x) * s, cy = (sig(ch(1)) + y) * s, w = aw * std::exp(ch(2)), hh = ah * std::exp(ch(3));
        } else {
          cx = (2 * sig(ch(0)) - 0.5 + x) * s, cy = (2 * sig(ch(1)) - 0.5 + y) * s;
          w = aw * std::pow(2 * sig(ch(2)), 2), hh = ah * std::pow(2 * sig(ch(3)), 2);
        }
        x1 = cx - w / 2, y1 = cy - hh / 2, x2 = cx + w / 2, y2 = cy + hh / 2;
        for (int64_t c = 0; c < yc.classes; ++c) want_scores.push_back(sig(ch(4)) * sig(ch(5 + c)));
      }
      std::vector<double> want_box = yc.center ? std::vector<double>{(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1}
                                               : std::vector<double>{x1, y1, x2, y2};
      for (int k = 0; k < 4; ++k)
        ASSERT_NEAR(boxes.data<float>()[(n * total + box) * 4 + k], want_box[static_cast<size_t>(k)],
                    1e-5 * std::max(1.0, std::abs(want_box[static_cast<size_t>(k)])))
            << yc.variant << " image " << n << " box " << box << " coordinate " << k;
      for (int64_t c = 0; c < yc.classes; ++c)
        ASSERT_NEAR(scores.data<float>()[(n * total + box) * yc.classes + c], want_scores[static_cast<size_t>(c)], 1e-6)
            << yc.variant << " image " << n << " box " << box << " class " << c;
    }
}

TEST(YoloDecode, YoloV3HeadsMatchTheFormulas) {
  check_yolo({"yolov3", 3, 3, {{4, 5, 8}, {2, 3, 16}}, false}, 1);
  check_yolo({"yolov3", 2, 2, {{3, 3, 32}}, true}, 2);
}

TEST(YoloDecode, YoloV5HeadsMatchTheFormulas) {
  check_yolo({"yolov5", 4, 3, {{6, 4, 8}, {3, 2, 16}, {2, 1, 32}}, false}, 3);
  check_yolo({"yolov5", 1, 1, {{5, 5, 8}}, true}, 4);
}

TEST(YoloDecode, AnchorFreeYoloV8HeadsMatchTheFormulas) {
  check_yolo({"yolov8", 5, 1, {{4, 6, 8}, {2, 3, 16}}, false}, 5);
  check_yolo({"yolov8", 2, 1, {{3, 3, 32}}, true}, 6);
}

TEST(YoloDecode, RefusesHeadsThatDoNotFitTheAttributes) {
  const Tensor head = testing::random_float({1, 3 * 7, 2, 2}, 9);
  std::map<std::string, Attribute> attrs{{"num_classes", Attribute::of_int(2)},
                                         {"strides", Attribute::of_ints({8})},
                                         {"anchors", Attribute::of_floats({10, 13, 16, 30, 33, 23})}};
  EXPECT_TRUE(run_node(kiln_op("YoloDecode", attrs, 2), {head}).ok());
  auto wrong_classes = attrs;
  wrong_classes["num_classes"] = Attribute::of_int(3);
  EXPECT_FALSE(run_node(kiln_op("YoloDecode", wrong_classes, 2), {head}).ok());
  auto two_strides = attrs;
  two_strides["strides"] = Attribute::of_ints({8, 16});
  EXPECT_FALSE(run_node(kiln_op("YoloDecode", two_strides, 2), {head}).ok());
  auto odd_anchors = attrs;
  odd_anchors["anchors"] = Attribute::of_floats({10, 13, 16});
  EXPECT_FALSE(run_node(kiln_op("YoloDecode", odd_anchors, 2), {head}).ok());
  auto v8_with_anchors = attrs;
  v8_with_anchors["variant"] = Attribute::of_string("yolov8");
  EXPECT_FALSE(run_node(kiln_op("YoloDecode", v8_with_anchors, 2), {head}).ok());
}

// ---- BatchedNMS ----

struct NmsOut {
  std::vector<int32_t> num;
  std::vector<float> boxes, scores;
  std::vector<int32_t> classes;
};

Expected<NmsOut> batched_nms(const Tensor& boxes, const Tensor& scores, std::map<std::string, Attribute> attrs) {
  KILN_ASSIGN_OR_RETURN(auto out, run_node(kiln_op("BatchedNMS", std::move(attrs), 4), {boxes, scores}));
  NmsOut r;
  r.num.assign(out[0].data<int32_t>(), out[0].data<int32_t>() + out[0].numel());
  r.boxes.assign(out[1].data<float>(), out[1].data<float>() + out[1].numel());
  r.scores.assign(out[2].data<float>(), out[2].data<float>() + out[2].numel());
  r.classes.assign(out[3].data<int32_t>(), out[3].data<int32_t>() + out[3].numel());
  return r;
}

TEST(BatchedNMS, KeepsTheBestOfOverlappingBoxesPerClass) {
  // Boxes 0 and 1 overlap with IoU 81/119 (0.68); box 2 is apart. Two classes.
  const Tensor boxes = f32({1, 3, 4}, {0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30});
  const Tensor scores = f32({1, 3, 2}, {0.9f, 0.1f, 0.95f, 0.6f, 0.3f, 0.8f});
  auto out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(5)}, {"score_threshold", Attribute::of_float(0.2f)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // Class 0 keeps box 1 (0.95; box 0 is suppressed) and box 2 (0.3); class 1 keeps box 2 (0.8)
  // and box 1 (0.6); box 0's 0.1 is under the threshold.
  EXPECT_EQ(out->num, (std::vector<int32_t>{4}));
  EXPECT_EQ(out->classes, (std::vector<int32_t>{0, 1, 1, 0, -1}));
  EXPECT_EQ(out->scores, (std::vector<float>{0.95f, 0.8f, 0.6f, 0.3f, 0}));
  EXPECT_EQ(std::vector<float>(out->boxes.begin(), out->boxes.begin() + 8), (std::vector<float>{1, 1, 11, 11, 20, 20, 30, 30}));
  EXPECT_EQ(std::vector<float>(out->boxes.begin() + 16, out->boxes.end()), std::vector<float>(4, 0.f));

  // Class-agnostic: box 1's class-0 detection suppresses box 0 and box 1's class 1; box 2 keeps
  // its best class only. An IoU threshold of 0.7 lets box 0 through in class-aware mode.
  out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(5)}, {"score_threshold", Attribute::of_float(0.2f)},
                                    {"class_agnostic", Attribute::of_int(1)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->num, (std::vector<int32_t>{2}));
  EXPECT_EQ(out->classes, (std::vector<int32_t>{0, 1, -1, -1, -1}));
  out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(2)}, {"iou_threshold", Attribute::of_float(0.7f)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->num, (std::vector<int32_t>{2}));
  EXPECT_EQ(out->scores, (std::vector<float>{0.95f, 0.9f}));
}

TEST(BatchedNMS, BreaksScoreTiesByBoxThenClassAndHonoursTopK) {
  // Four far-apart boxes, every score 0.5: the order is box-major, then class.
  const Tensor boxes = f32({1, 4, 4}, {0, 0, 1, 1, 10, 10, 11, 11, 20, 20, 21, 21, 30, 30, 31, 31});
  const Tensor scores = f32({1, 4, 2}, std::vector<float>(8, 0.5f));
  auto out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(8)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->num, (std::vector<int32_t>{8}));
  EXPECT_EQ(out->classes, (std::vector<int32_t>{0, 1, 0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(out->boxes[2 * 4], 10.f);
  // top_k = 3 candidates per class: boxes 0..2 of each class.
  out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(8)}, {"top_k", Attribute::of_int(3)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->num, (std::vector<int32_t>{6}));
  EXPECT_EQ(out->boxes[5 * 4], 20.f);
}

TEST(BatchedNMS, CenterEncodingAndPerClassBoxesAgreeWithCorners) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> pos(0, 40), size(2, 20), score(0, 1);
  const int64_t n = 2, b = 30, c = 3;
  Tensor corners(DataType::kFloat32, {n, b, 4}), centers(DataType::kFloat32, {n, b, 4}), per_class(DataType::kFloat32, {n, b, c, 4});
  for (int64_t i = 0; i < n * b; ++i) {
    // Sizes and centers that are exact in float, so both encodings describe the same box.
    const float cx = std::round(pos(rng)), cy = std::round(pos(rng)), w = 2 * std::round(size(rng) / 2), h = 2 * std::round(size(rng) / 2);
    float* cr = corners.data<float>() + i * 4;
    float* ce = centers.data<float>() + i * 4;
    cr[0] = cx - w / 2, cr[1] = cy - h / 2, cr[2] = cx + w / 2, cr[3] = cy + h / 2;
    ce[0] = cx, ce[1] = cy, ce[2] = w, ce[3] = h;
    for (int64_t k = 0; k < c; ++k) std::copy(cr, cr + 4, per_class.data<float>() + (i * c + k) * 4);
  }
  Tensor scores(DataType::kFloat32, {n, b, c});
  for (int64_t i = 0; i < scores.numel(); ++i) scores.data<float>()[i] = score(rng);
  std::map<std::string, Attribute> attrs{{"keep_top_k", Attribute::of_int(20)}, {"score_threshold", Attribute::of_float(0.3f)}};
  auto want = batched_nms(corners, scores, attrs);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  auto from_per_class = batched_nms(per_class, scores, attrs);
  ASSERT_TRUE(from_per_class.ok());
  EXPECT_EQ(from_per_class->classes, want->classes);
  EXPECT_EQ(from_per_class->scores, want->scores);
  attrs["box_encoding"] = Attribute::of_string("center");
  auto from_centers = batched_nms(centers, scores, attrs);
  ASSERT_TRUE(from_centers.ok());
  EXPECT_EQ(from_centers->classes, want->classes);
  EXPECT_EQ(from_centers->scores, want->scores);
  EXPECT_GT(want->num[0], 3);
}

float iou_of(const float* a, const float* b) {
  const double w = std::min(a[2], b[2]) - std::max(a[0], b[0]), h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const double inter = w * h;
  return static_cast<float>(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter));
}

// On random inputs: detections are sorted, above the threshold, pairwise below the IoU threshold
// within a group, padded; and a candidate left out was suppressed by a better detection.
TEST(BatchedNMS, RandomCasesHaveTheDefiningProperties) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t n = 1 + trial % 3, b = 5 + trial % 23, c = 1 + trial % 4, keep = 3 + trial % 40;
    const bool agnostic = trial % 5 == 0;
    const float score_thr = 0.05f * static_cast<float>(trial % 7), iou_thr = 0.2f + 0.1f * static_cast<float>(trial % 6);
    std::uniform_real_distribution<float> pos(0, 30), size(1, 15);
    Tensor boxes(DataType::kFloat32, {n, b, 4});
    for (int64_t i = 0; i < n * b; ++i) {
      float* p = boxes.data<float>() + i * 4;
      p[0] = pos(rng), p[1] = pos(rng), p[2] = p[0] + size(rng), p[3] = p[1] + size(rng);
    }
    Tensor scores(DataType::kFloat32, {n, b, c});
    std::uniform_int_distribution<int> level(0, 9);  // few distinct scores: many ties
    for (int64_t i = 0; i < scores.numel(); ++i) scores.data<float>()[i] = 0.1f * static_cast<float>(level(rng));
    auto out = batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(keep)}, {"score_threshold", Attribute::of_float(score_thr)},
                                           {"iou_threshold", Attribute::of_float(iou_thr)},
                                           {"class_agnostic", Attribute::of_int(agnostic)}});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    for (int64_t img = 0; img < n; ++img) {
      const int32_t count = out->num[static_cast<size_t>(img)];
      ASSERT_LE(count, keep);
      struct Kept { float score; int64_t box, cls; };
      std::vector<Kept> kept;
      for (int64_t j = 0; j < keep; ++j) {
        const size_t slot = static_cast<size_t>(img * keep + j);
        const int32_t cls = out->classes[slot];
        if (j >= count) {
          EXPECT_EQ(cls, -1);
          EXPECT_EQ(out->scores[slot], 0.f);
          continue;
        }
        ASSERT_GE(cls, 0);
        ASSERT_LT(cls, c);
        EXPECT_GT(out->scores[slot], score_thr);
        // The box index: the only box whose coordinates these are.
        int64_t box = -1;
        for (int64_t i = 0; i < b; ++i)
          if (std::equal(out->boxes.begin() + static_cast<std::ptrdiff_t>(slot * 4), out->boxes.begin() + static_cast<std::ptrdiff_t>(slot * 4 + 4),
                         boxes.data<float>() + (img * b + i) * 4))
            box = i;
        ASSERT_GE(box, 0);
        EXPECT_EQ(out->scores[slot], scores.data<float>()[(img * b + box) * c + cls]);
        if (!kept.empty()) {
          const Kept& prev = kept.back();
          EXPECT_TRUE(prev.score > out->scores[slot] || (prev.score == out->scores[slot] && (prev.box < box || (prev.box == box && prev.cls < cls))));
        }
        for (const Kept& k : kept) {
          if (agnostic || k.cls == cls) {
            EXPECT_LE(iou_of(boxes.data<float>() + (img * b + k.box) * 4, boxes.data<float>() + (img * b + box) * 4), iou_thr + 1e-6f);
          }
        }
        kept.push_back({out->scores[slot], box, cls});
      }
      if (count == keep) continue;  // a full output may have cut detections off
      // Every candidate not kept overlaps a kept detection of its group that comes before it.
      for (int64_t i = 0; i < b; ++i)
        for (int64_t k = 0; k < c; ++k) {
          const float s = scores.data<float>()[(img * b + i) * c + k];
          if (!(s > score_thr)) continue;
          bool is_kept = false, explained = false;
          for (const Kept& d : kept) {
            is_kept = is_kept || (d.box == i && d.cls == k);
            const bool before = d.score > s || (d.score == s && (d.box < i || (d.box == i && d.cls < k)));
            if (before && (agnostic || d.cls == k) &&
                iou_of(boxes.data<float>() + (img * b + d.box) * 4, boxes.data<float>() + (img * b + i) * 4) > iou_thr - 1e-6f)
              explained = true;
          }
          EXPECT_TRUE(is_kept || explained) << "trial " << trial << " image " << img << " box " << i << " class " << k;
        }
    }
  }
}

TEST(BatchedNMS, RefusesBadAttributesAndShapes) {
  const Tensor boxes = f32({1, 2, 4}, {0, 0, 1, 1, 2, 2, 3, 3});
  const Tensor scores = f32({1, 2, 1}, {0.5f, 0.6f});
  EXPECT_TRUE(batched_nms(boxes, scores, {}).ok());
  EXPECT_FALSE(batched_nms(boxes, scores, {{"keep_top_k", Attribute::of_int(0)}}).ok());
  EXPECT_FALSE(batched_nms(boxes, scores, {{"top_k", Attribute::of_int(0)}}).ok());
  EXPECT_FALSE(batched_nms(boxes, scores, {{"iou_threshold", Attribute::of_float(1.5f)}}).ok());
  EXPECT_FALSE(batched_nms(boxes, scores, {{"box_encoding", Attribute::of_string("yxyx")}}).ok());
  EXPECT_FALSE(batched_nms(f32({1, 3, 4}, std::vector<float>(12, 1.f)), scores, {}).ok());
  EXPECT_FALSE(batched_nms(f32({1, 2, 2, 4}, std::vector<float>(16, 1.f)), f32({1, 2, 3}, std::vector<float>(6, 1.f)), {}).ok());
}

}  // namespace
}  // namespace kiln
