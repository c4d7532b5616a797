// Dynamic shapes: optimization profiles bound what a context accepts, survive the plan file, and
// bad profiles are refused at build time with the input named.
#include <gtest/gtest.h>

#include "kiln/kiln.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

using testing::OnnxBuilder;

std::unique_ptr<Network> dynamic_relu() {
  OnnxBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {0, 4}, {"N", ""});
  b.node("Relu", {"x"}, {"y"}, "relu1");
  b.output("y");
  const std::string bytes = b.bytes();
  return std::move(Network::from_onnx_bytes(bytes.data(), bytes.size())).value();
}

BuilderConfig two_profiles() {
  BuilderConfig c;
  c.profiles.push_back({{{"x", {{1, 4}, {4, 4}, {8, 4}}}}});
  c.profiles.push_back({{{"x", {{9, 4}, {16, 4}, {64, 4}}}}});
  return c;
}

TEST(OptimizationProfile, ShapesInRangeRunAndOthersAreRefused) {
  auto network = dynamic_relu();
  auto engine = Builder(two_profiles()).build(*network);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto ctx = std::move((*engine)->create_context()).value();
  std::vector<float> x(64 * 4, -1.f);
  EXPECT_TRUE(ctx->set_input("x", {DataType::kFloat32, {8, 4}, x.data()}).ok());
  EXPECT_TRUE(ctx->execute().ok());
  Status s = ctx->set_input("x", {DataType::kFloat32, {9, 4}, x.data()});
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("input 'x'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[1, 8]"), std::string::npos) << s.message();
  ASSERT_TRUE(ctx->set_optimization_profile(1).ok());
  EXPECT_TRUE(ctx->set_input("x", {DataType::kFloat32, {64, 4}, x.data()}).ok());
  EXPECT_TRUE(ctx->execute().ok());
  EXPECT_EQ(ctx->output("y")->dims, (std::vector<int64_t>{64, 4}));
  EXPECT_EQ(ctx->set_optimization_profile(2).code(), StatusCode::kOutOfRange);
}

TEST(OptimizationProfile, ProfilesSurviveThePlanFile) {
  auto network = dynamic_relu();
  auto engine = Builder(two_profiles()).build(*network);
  ASSERT_TRUE(engine.ok());
  auto bytes = (*engine)->serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto loaded = Runtime().deserialize(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ((*loaded)->weights_bytes(), (*engine)->weights_bytes());
  const auto& profiles = (*loaded)->optimization_profiles();
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[1].inputs.at("x").max, (std::vector<int64_t>{64, 4}));
  auto ctx = std::move((*loaded)->create_context()).value();
  std::vector<float> x(16 * 4, 1.f);
  EXPECT_EQ(ctx->set_input("x", {DataType::kFloat32, {16, 4}, x.data()}).code(), StatusCode::kOutOfRange);
}

TEST(OptimizationProfile, BadProfilesAreRefusedAtBuildTime) {
  auto network = dynamic_relu();
  BuilderConfig unknown;
  unknown.profiles.push_back({{{"nope", {{1, 4}, {1, 4}, {1, 4}}}}});
  EXPECT_NE(Builder(unknown).build(*network).status().message().find("no input 'nope'"), std::string::npos);
  BuilderConfig inverted;
  inverted.profiles.push_back({{{"x", {{8, 4}, {4, 4}, {2, 4}}}}});
  EXPECT_NE(Builder(inverted).build(*network).status().message().find("min <= opt <= max"), std::string::npos);
  BuilderConfig fixed_dim_varies;
  fixed_dim_varies.profiles.push_back({{{"x", {{1, 2}, {1, 4}, {1, 8}}}}});
  EXPECT_NE(Builder(fixed_dim_varies).build(*network).status().message().find("fixed at 4"), std::string::npos);
}

}  // namespace
}  // namespace kiln
