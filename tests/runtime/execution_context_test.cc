// The runtime checks what users bind: names, dtypes, shapes, and consistent dynamic dims.
#include <gtest/gtest.h>

#include "kiln/kiln.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

using testing::OnnxBuilder;
constexpr int kFloat = onnx::TensorProto::FLOAT;

std::unique_ptr<ExecutionContext> make_add_context() {
  OnnxBuilder b;
  b.input("a", kFloat, {0, 3}, {"N", ""});
  b.input("b", kFloat, {0, 3}, {"N", ""});
  b.node("Add", {"a", "b"}, {"sum"}, "add1");
  b.output("sum");
  const std::string bytes = b.bytes();
  auto network = Network::from_onnx_bytes(bytes.data(), bytes.size());
  EXPECT_TRUE(network.ok()) << network.status().to_string();
  auto engine = Builder().build(**network);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  static std::vector<std::unique_ptr<Engine>> keep_alive;
  keep_alive.push_back(std::move(engine).value());
  return std::move(keep_alive.back()->create_context()).value();
}

TEST(ExecutionContext, RunsWithADynamicBatch) {
  auto ctx = make_add_context();
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {0.5f, -1, 2, 8, 0.25f, -6};
  ASSERT_TRUE(ctx->set_input("a", {DataType::kFloat32, {2, 3}, a.data()}).ok());
  ASSERT_TRUE(ctx->set_input("b", {DataType::kFloat32, {2, 3}, b.data()}).ok());
  ASSERT_TRUE(ctx->execute().ok());
  auto out = ctx->output("sum");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->dims, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(static_cast<const float*>(out->data)[i], a[i] + b[i]);
}

TEST(ExecutionContext, CpuEnqueueRunsOnTheNullStreamOnly) {
  auto ctx = make_add_context();
  std::vector<float> a = {1, -2, 3}, b = {4, 5, -6};
  ASSERT_TRUE(ctx->set_input("a", {DataType::kFloat32, {1, 3}, a.data()}).ok());
  ASSERT_TRUE(ctx->set_input("b", {DataType::kFloat32, {1, 3}, b.data()}).ok());
  int not_a_stream = 0;
  EXPECT_EQ(ctx->enqueue(&not_a_stream).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ctx->enqueue(nullptr).ok());
  auto out = ctx->output("sum");
  ASSERT_TRUE(out.ok());
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(static_cast<const float*>(out->data)[i], a[i] + b[i]);
}

TEST(ExecutionContext, UnknownInputNameListsTheValidOnes) {
  auto ctx = make_add_context();
  float x = 0;
  Status s = ctx->set_input("c", {DataType::kFloat32, {1, 3}, &x});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("'a', 'b'"), std::string::npos) << s.message();
}

TEST(ExecutionContext, WrongDtypeNamesTheInput) {
  auto ctx = make_add_context();
  std::vector<int64_t> x(3);
  Status s = ctx->set_input("a", {DataType::kInt64, {1, 3}, x.data()});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'a'"), std::string::npos);
  EXPECT_NE(s.message().find("float32"), std::string::npos);
}

TEST(ExecutionContext, WrongStaticDimNamesTheInput) {
  auto ctx = make_add_context();
  std::vector<float> x(4);
  Status s = ctx->set_input("a", {DataType::kFloat32, {1, 4}, x.data()});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[N, 3]"), std::string::npos) << s.message();
}

TEST(ExecutionContext, InconsistentDynamicDimIsAnError) {
  auto ctx = make_add_context();
  std::vector<float> x(6), y(9);
  ASSERT_TRUE(ctx->set_input("a", {DataType::kFloat32, {2, 3}, x.data()}).ok());
  ASSERT_TRUE(ctx->set_input("b", {DataType::kFloat32, {3, 3}, y.data()}).ok());
  Status s = ctx->execute();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'N'"), std::string::npos) << s.message();
}

TEST(ExecutionContext, MissingInputIsAnError) {
  auto ctx = make_add_context();
  std::vector<float> x(6);
  ASSERT_TRUE(ctx->set_input("a", {DataType::kFloat32, {2, 3}, x.data()}).ok());
  Status s = ctx->execute();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'b'"), std::string::npos) << s.message();
}

TEST(ExecutionContext, OutputBeforeExecuteIsAnError) {
  auto ctx = make_add_context();
  EXPECT_FALSE(ctx->output("sum").ok());
  EXPECT_EQ(ctx->output("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kiln
