// ONNX NonMaxSuppression through the CUDA engine (no host fallback) against the reference
// algorithm: 1000 random cases of clustered boxes and tied scores with random thresholds and
// limits, at changing shapes (one engine with a profile), both box formats, with and without a
// score threshold; plus constant parameters, a refused iou_threshold, and the clear error for a
// layer that reads the selections.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "../gpu_layer_runner.h"
#include "backends/reference/detection/onnx_nms.h"
#include "core/error.h"
#include "core/tensor.h"
#include "kiln/kiln.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

using testing::OnnxBuilder;

struct Model {
  bool center = false;
  bool score_threshold = true;
  bool constants = false;       // parameters as initializers (max 7, iou 0.5, score 0.2)
  std::string consumer;         // an op reading the selections, if any
};

constexpr int64_t kConstMax = 7;
constexpr float kConstIou = 0.5f, kConstScore = 0.2f;

std::string model_bytes(const Model& m) {
  OnnxBuilder b(17);
  b.input("boxes", onnx::TensorProto::FLOAT, {0, 0, 4}, {"N", "B", ""});
  b.input("scores", onnx::TensorProto::FLOAT, {0, 0, 0}, {"N", "C", "B"});
  std::vector<std::string> inputs = {"boxes", "scores", "max_output", "iou"};
  if (m.score_threshold) inputs.push_back("score");
  if (m.constants) {
    auto* t = b.graph().add_initializer();
    t->set_name("max_output");
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(1);
    t->add_int64_data(kConstMax);
    b.float_initializer("iou", {1}, {kConstIou});
    if (m.score_threshold) b.float_initializer("score", {1}, {kConstScore});
  } else {
    b.input("max_output", onnx::TensorProto::INT64, {1});
    b.input("iou", onnx::TensorProto::FLOAT, {1});
    if (m.score_threshold) b.input("score", onnx::TensorProto::FLOAT, {1});
  }
  auto& nms = b.node("NonMaxSuppression", inputs, {"selected"}, "nms");
  OnnxBuilder::int_attr(nms, "center_point_box", m.center ? 1 : 0);
  if (m.consumer.empty()) {
    b.output("selected", onnx::TensorProto::INT64);
  } else {
    auto& cast = b.node(m.consumer, {"selected"}, {"after"}, "reader");
    OnnxBuilder::int_attr(cast, "to", onnx::TensorProto::FLOAT);
    b.output("after", onnx::TensorProto::FLOAT);
  }
  return b.bytes();
}

Expected<std::unique_ptr<Engine>> build(const Model& m) {
  const std::string bytes = model_bytes(m);
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_bytes(bytes.data(), bytes.size()));
  BuilderConfig config;
  config.device = DeviceKind::kCuda;
  config.allow_host_fallback = false;
  OptimizationProfile profile;
  profile.inputs["boxes"] = {{1, 1, 4}, {2, 100, 4}, {3, 700, 4}};
  profile.inputs["scores"] = {{1, 1, 1}, {2, 3, 100}, {3, 9, 700}};
  config.profiles.push_back(profile);
  return Builder(config).build(*network);
}

struct Case {
  int64_t n, c, b;
  int64_t max_output;
  float iou, score;
  std::vector<float> boxes, scores;
};

Case random_case(std::mt19937& rng, bool center) {
  std::uniform_real_distribution<float> unit(0, 1);
  auto pick = [&](std::initializer_list<int64_t> v) { return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)); };
  Case k;
  k.n = pick({1, 2, 3});
  k.c = pick({1, 2, 4, 9});
  k.b = pick({1, 6, 40, 255, 256, 257, 700});
  k.max_output = pick({0, 1, 3, 10, 100, 1000, -2});
  k.iou = unit(rng) < 0.3f ? std::vector<float>{0.f, 0.5f, 1.f}[std::uniform_int_distribution<int>(0, 2)(rng)] : unit(rng);
  k.score = unit(rng) < 0.2f ? -1.f : 0.7f * unit(rng);
  std::vector<std::pair<float, float>> clusters;
  for (int i = 0; i < 3; ++i) clusters.emplace_back(50 * unit(rng), 50 * unit(rng));
  const bool coarse = unit(rng) < 0.3f;
  for (int64_t i = 0; i < k.n * k.b; ++i) {
    const auto& [x, y] = clusters[static_cast<size_t>(i % 3)];
    float cx = x + 6 * (unit(rng) - 0.5f), cy = y + 6 * (unit(rng) - 0.5f), w = 3 + 15 * unit(rng), h = 3 + 15 * unit(rng);
    if (coarse) cx = std::round(cx / 4) * 4, cy = std::round(cy / 4) * 4, w = std::round(w / 4) * 4, h = std::round(h / 4) * 4;
    if (center) {
      k.boxes.insert(k.boxes.end(), {cx, cy, w, h});
    } else if (unit(rng) < 0.2f) {  // corners in either order
      k.boxes.insert(k.boxes.end(), {cy + h / 2, cx + w / 2, cy - h / 2, cx - w / 2});
    } else {
      k.boxes.insert(k.boxes.end(), {cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2});
    }
  }
  for (int64_t i = 0; i < k.n * k.c * k.b; ++i) {
    const float r = unit(rng);
    k.scores.push_back(r < 0.5f ? 0.1f * std::floor(10 * unit(rng)) : unit(rng));
  }
  return k;
}

// Runs one case; the selections as (batch, class, box) triples.
Expected<std::vector<int64_t>> run_case(ExecutionContext& ctx, const Case& k, bool with_params) {
  KILN_RETURN_IF_ERROR(ctx.set_input("boxes", TensorView{DataType::kFloat32, {k.n, k.b, 4}, k.boxes.data()}));
  KILN_RETURN_IF_ERROR(ctx.set_input("scores", TensorView{DataType::kFloat32, {k.n, k.c, k.b}, k.scores.data()}));
  if (with_params) {
    KILN_RETURN_IF_ERROR(ctx.set_input("max_output", TensorView{DataType::kInt64, {1}, &k.max_output}));
    KILN_RETURN_IF_ERROR(ctx.set_input("iou", TensorView{DataType::kFloat32, {1}, &k.iou}));
    Status s = ctx.set_input("score", TensorView{DataType::kFloat32, {1}, &k.score});
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  KILN_RETURN_IF_ERROR(ctx.execute());
  KILN_ASSIGN_OR_RETURN(TensorView out, ctx.output("selected"));
  if (out.dims.size() != 2 || out.dims[1] != 3) return internal_error("selections have dims {}", dims_to_string(out.dims));
  std::vector<int64_t> got(static_cast<size_t>(out.dims[0] * 3));
  KILN_RETURN_IF_ERROR(copy_to_host(out, got.data()));
  return got;
}

std::vector<int64_t> reference(const Case& k, bool center, bool score_threshold) {
  detection::OnnxNmsParams p;
  p.batches = k.n, p.classes = k.c, p.spatial = k.b;
  p.center_point_box = center;
  p.max_output_boxes_per_class = static_cast<double>(k.max_output);
  p.iou_threshold = k.iou;
  if (score_threshold) p.score_threshold = k.score;
  const std::vector<double> boxes(k.boxes.begin(), k.boxes.end()), scores(k.scores.begin(), k.scores.end());
  return detection::onnx_nms_reference(boxes.data(), scores.data(), p);
}

TEST(OnnxNmsGpu, EqualsTheReferenceExactlyOnRandomCases) {
  KILN_REQUIRE_GPU();
  std::mt19937 rng(77);
  size_t selected = 0;
  for (const bool center : {false, true})
    for (const bool score_threshold : {true, false}) {
      auto engine = build({center, score_threshold, false, ""});
      ASSERT_TRUE(engine.ok()) << engine.status().to_string();
      auto ctx = (*engine)->create_context();
      ASSERT_TRUE(ctx.ok()) << ctx.status().to_string();
      for (int trial = 0; trial < 250; ++trial) {
        const Case k = random_case(rng, center);
        auto got = run_case(**ctx, k, true);
        const std::string what = fmt::format("center={} score_threshold={} trial {}: N={} C={} B={} max={} iou={} score={}",
                                             center, score_threshold, trial, k.n, k.c, k.b, k.max_output, k.iou, k.score);
        ASSERT_TRUE(got.ok()) << what << ": " << got.status().to_string();
        const std::vector<int64_t> want = reference(k, center, score_threshold);
        ASSERT_EQ(*got, want) << what;
        selected += want.size() / 3;
      }
    }
  EXPECT_GT(selected, 1000u);
}

TEST(OnnxNmsGpu, ConstantParametersBoundTheOutputBuffer) {
  KILN_REQUIRE_GPU();
  auto engine = build({false, true, true, ""});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto ctx = (*engine)->create_context();
  ASSERT_TRUE(ctx.ok()) << ctx.status().to_string();
  std::mt19937 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    Case k = random_case(rng, false);
    k.max_output = kConstMax, k.iou = kConstIou, k.score = kConstScore;
    auto got = run_case(**ctx, k, false);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(*got, reference(k, false, true)) << "trial " << trial;
    // A second run at the same shapes gives the same (no CUDA graph replay for this engine).
    auto again = run_case(**ctx, k, false);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(*again, *got);
  }
}

TEST(OnnxNmsGpu, RefusesAnIouThresholdOutsideZeroToOne) {
  KILN_REQUIRE_GPU();
  auto engine = build({false, true, false, ""});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto ctx = (*engine)->create_context();
  ASSERT_TRUE(ctx.ok());
  std::mt19937 rng(9);
  Case k = random_case(rng, false);
  k.iou = 1.5f;
  auto got = run_case(**ctx, k, true);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << got.status().to_string();
}

TEST(OnnxNmsGpu, ALayerReadingTheSelectionsIsUnsupported) {
  KILN_REQUIRE_GPU();
  auto engine = build({false, true, false, "Cast"});
  Status s = engine.status();
  if (engine.ok()) {
    auto ctx = (*engine)->create_context();
    ASSERT_TRUE(ctx.ok());
    std::mt19937 rng(3);
    const Case k = random_case(rng, false);
    s = (*ctx)->set_input("boxes", TensorView{DataType::kFloat32, {k.n, k.b, 4}, k.boxes.data()});
    (void)(*ctx)->set_input("scores", TensorView{DataType::kFloat32, {k.n, k.c, k.b}, k.scores.data()});
    (void)(*ctx)->set_input("max_output", TensorView{DataType::kInt64, {1}, &k.max_output});
    (void)(*ctx)->set_input("iou", TensorView{DataType::kFloat32, {1}, &k.iou});
    (void)(*ctx)->set_input("score", TensorView{DataType::kFloat32, {1}, &k.score});
    s = (*ctx)->execute();
  }
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("graph outputs"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace kiln
