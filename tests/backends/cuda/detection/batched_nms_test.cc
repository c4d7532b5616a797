// kiln.BatchedNMS on the GPU must equal the reference bit for bit: 1000 random cases of clustered
// boxes (many overlaps, identical and flipped boxes), scores with many ties, random thresholds,
// top_k and keep_top_k, class-aware and class-agnostic, shared and per-class boxes, both
// encodings, float32 and float16.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../gpu_layer_runner.h"
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

struct Case {
  int64_t n, b, c;
  bool per_class_boxes, center, agnostic;
  float score_threshold, iou_threshold;
  int64_t top_k, keep_top_k;
  DataType dtype;
};

Case random_case(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<int64_t> v) { return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)); };
  std::uniform_real_distribution<float> unit(0, 1);
  Case c;
  c.n = pick({1, 1, 2, 3});
  c.b = pick({1, 5, 17, 64, 255, 256, 257, 600});
  c.c = pick({1, 2, 5, 12});
  c.per_class_boxes = unit(rng) < 0.3f;
  c.center = unit(rng) < 0.3f;
  c.agnostic = unit(rng) < 0.3f;
  c.score_threshold = unit(rng) < 0.2f ? 0.f : 0.6f * unit(rng);
  const float iou_levels[] = {0.f, 0.3f, 0.45f, 0.5f, 0.7f, 1.f};
  c.iou_threshold = unit(rng) < 0.5f ? iou_levels[std::uniform_int_distribution<int>(0, 5)(rng)] : unit(rng);
  c.top_k = unit(rng) < 0.4f ? -1 : pick({1, 3, 10, 50, 300});
  c.keep_top_k = pick({1, 5, 20, 100, 1000});
  c.dtype = unit(rng) < 0.25f ? DataType::kFloat16 : DataType::kFloat32;
  return c;
}

// Boxes around a few cluster centers, on a coarse grid now and then (identical boxes), some with
// their corners given the other way round.
Tensor random_boxes(const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> unit(0, 1);
  std::vector<std::pair<float, float>> clusters;
  for (int k = 0; k < 4; ++k) clusters.emplace_back(100 * unit(rng), 100 * unit(rng));
  Tensor t(DataType::kFloat32, c.per_class_boxes ? std::vector<int64_t>{c.n, c.b, c.c, 4} : std::vector<int64_t>{c.n, c.b, 4});
  const bool coarse = unit(rng) < 0.3f;
  for (int64_t i = 0; i < t.numel() / 4; ++i) {
    const auto& [x, y] = clusters[static_cast<size_t>(i % 4)];
    float cx = x + 8 * (unit(rng) - 0.5f), cy = y + 8 * (unit(rng) - 0.5f), w = 4 + 20 * unit(rng), h = 4 + 20 * unit(rng);
    if (coarse) cx = std::round(cx / 4) * 4, cy = std::round(cy / 4) * 4, w = std::round(w / 8) * 8, h = std::round(h / 8) * 8;
    float* p = t.data<float>() + i * 4;
    if (c.center) {
      p[0] = cx, p[1] = cy, p[2] = w, p[3] = h;
    } else if (unit(rng) < 0.1f) {
      p[0] = cx + w / 2, p[1] = cy + h / 2, p[2] = cx - w / 2, p[3] = cy - h / 2;
    } else {
      p[0] = cx - w / 2, p[1] = cy - h / 2, p[2] = cx + w / 2, p[3] = cy + h / 2;
    }
  }
  return testing::convert(t, c.dtype);
}

// Scores from a few levels (many ties, -0 and +0 among them), some continuous.
Tensor random_scores(const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> unit(0, 1);
  Tensor t(DataType::kFloat32, {c.n, c.b, c.c});
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float r = unit(rng);
    t.data<float>()[i] = r < 0.5f ? 0.1f * std::floor(10 * unit(rng)) : r < 0.55f ? -0.f : unit(rng);
  }
  return testing::convert(t, c.dtype);
}

std::string describe(const Case& c) {
  return fmt::format("N={} B={} C={} per_class={} center={} agnostic={} score>{} iou>{} top_k={} keep={} {}", c.n, c.b, c.c,
                     c.per_class_boxes, c.center, c.agnostic, c.score_threshold, c.iou_threshold, c.top_k, c.keep_top_k,
                     data_type_name(c.dtype));
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.dims() == b.dims() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(BatchedNmsGpu, EqualsTheReferenceExactlyOnRandomCases) {
  KILN_REQUIRE_GPU();
  std::mt19937 rng(2024);
  int detections = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    const Case c = random_case(rng);
    const std::vector<Tensor> inputs = {random_boxes(c, rng), random_scores(c, rng)};
    const std::map<std::string, Attribute> attrs{{"score_threshold", Attribute::of_float(c.score_threshold)},
                                                 {"iou_threshold", Attribute::of_float(c.iou_threshold)},
                                                 {"top_k", Attribute::of_int(c.top_k)},
                                                 {"keep_top_k", Attribute::of_int(c.keep_top_k)},
                                                 {"class_agnostic", Attribute::of_int(c.agnostic)},
                                                 {"box_encoding", Attribute::of_string(c.center ? "center" : "corners")}};
    testing::NodeSpec ns;
    ns.op_type = std::string(kBatchedNmsOp);
    ns.domain = std::string(kKilnDomain);
    ns.attrs = attrs;
    ns.num_outputs = 4;
    auto want = testing::run_node(ns, inputs);
    ASSERT_TRUE(want.ok()) << describe(c) << ": " << want.status().to_string();
    auto layer = testing::node_in_graph(ns.op_type, ns.domain, 1, attrs, inputs, 4);
    std::vector<std::vector<int64_t>> dims;
    std::vector<DataType> types;
    for (const Tensor& t : *want) dims.push_back(t.dims()), types.push_back(t.dtype());
    const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, dims, types);
    auto runs = testing::run_all_tactics(spec, inputs);
    ASSERT_TRUE(runs.ok()) << describe(c) << ": " << runs.status().to_string();
    ASSERT_EQ(runs->size(), 1u) << describe(c);
    const testing::TacticRun& run = runs->front();
    ASSERT_EQ(run.provider, "kiln_batched_nms");
    const char* names[] = {"num_detections", "boxes", "scores", "classes"};
    for (size_t k = 0; k < 4; ++k)
      ASSERT_TRUE(same_bytes(run.outputs[k], (*want)[k])) << "trial " << trial << " (" << describe(c) << "): " << names[k] << " differ";
    for (int64_t i = 0; i < c.n; ++i) detections += (*want)[0].data<int32_t>()[i];
  }
  EXPECT_GT(detections, 1000);  // the cases select something
}

}  // namespace
}  // namespace kiln
