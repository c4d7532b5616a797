// The CPU runtime runs in one planned arena per context: results match the plain computation,
// contexts on one engine run in parallel, and a caller may lend the memory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <thread>

#include "kiln/kiln.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

using testing::OnnxBuilder;
constexpr int kFloat = onnx::TensorProto::FLOAT;
constexpr size_t kInputSize = 2 * 3 * 3;

// out = flatten(-concat(relu(x), sigmoid(x))): the concat is eliminated (relu and sigmoid write
// into its slices), Neg runs in place over it and Flatten is a view.
std::unique_ptr<Engine> make_engine(std::string* report = nullptr) {
  OnnxBuilder b;
  b.input("x", kFloat, {1, 2, 3, 3});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("Sigmoid", {"x"}, {"s"}, "sigmoid");
  OnnxBuilder::int_attr(b.node("Concat", {"r", "s"}, {"c"}, "concat"), "axis", 1);
  b.node("Neg", {"c"}, {"n"}, "neg");
  b.node("Flatten", {"n"}, {"out"}, "flatten");
  b.output("out");
  const std::string bytes = b.bytes();
  auto network = Network::from_onnx_bytes(bytes.data(), bytes.size());
  EXPECT_TRUE(network.ok()) << network.status().to_string();
  Builder builder;
  auto engine = builder.build(**network);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  if (report) *report = builder.report();
  return std::move(engine).value();
}

std::vector<float> make_input(unsigned seed) {
  std::vector<float> x(kInputSize);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(seed * 31 + i)) * 3.f;
  return x;
}

std::vector<float> expected_output(const std::vector<float>& x) {
  std::vector<float> out;
  for (float v : x) out.push_back(-std::max(v, 0.f));
  for (float v : x) out.push_back(-1.f / (1.f + std::exp(-v)));
  return out;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
}

std::vector<float> run(ExecutionContext& ctx, const std::vector<float>& x) {
  EXPECT_TRUE(ctx.set_input("x", {DataType::kFloat32, {1, 2, 3, 3}, x.data()}).ok());
  Status s = ctx.execute();
  EXPECT_TRUE(s.ok()) << s.to_string();
  auto out = ctx.output("out");
  if (!out.ok()) return {};
  const float* p = static_cast<const float*>(out->data);
  return std::vector<float>(p, p + 2 * kInputSize);
}

TEST(ActivationMemory, PlannedRunMatchesThePlainComputation) {
  std::string report;
  auto engine = make_engine(&report);
  EXPECT_NE(report.find("1 concats eliminated, 1 in-place, 1 aliases"), std::string::npos) << report;
  auto ctx = std::move(engine->create_context()).value();
  for (unsigned seed = 0; seed < 3; ++seed) {
    const std::vector<float> x = make_input(seed);
    expect_near_all(run(*ctx, x), expected_output(x));
  }
}

TEST(ActivationMemory, EightContextsOnOneEngineMatchOneThread) {
  auto engine = make_engine();
  constexpr int kThreads = 8;
  std::vector<std::vector<float>> single(kThreads);
  {
    auto ctx = std::move(engine->create_context()).value();
    for (int t = 0; t < kThreads; ++t) single[static_cast<size_t>(t)] = run(*ctx, make_input(static_cast<unsigned>(t)));
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto ctx = std::move(engine->create_context()).value();
      const std::vector<float> x = make_input(static_cast<unsigned>(t));
      for (int iteration = 0; iteration < 50; ++iteration)
        if (run(*ctx, x) != single[static_cast<size_t>(t)]) ++mismatches[static_cast<size_t>(t)];
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[static_cast<size_t>(t)], 0) << "thread " << t;
}

TEST(ActivationMemory, CallerLendsTheArena) {
  auto engine = make_engine();
  auto ctx = std::move(engine->create_context()).value();
  EXPECT_FALSE(ctx->activation_memory_bytes().ok());  // no input bound yet
  const std::vector<float> x = make_input(7);
  ASSERT_TRUE(ctx->set_input("x", {DataType::kFloat32, {1, 2, 3, 3}, x.data()}).ok());
  auto bytes = ctx->activation_memory_bytes();
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_GE(*bytes, 2 * kInputSize * sizeof(float));

  void* small = std::aligned_alloc(256, 256);
  ASSERT_TRUE(ctx->set_activation_memory(small, 64).ok());
  Status s = ctx->execute();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(std::to_string(*bytes)), std::string::npos) << s.message();

  const size_t size = (*bytes + 255) / 256 * 256;
  void* lent = std::aligned_alloc(256, size);
  ASSERT_TRUE(ctx->set_activation_memory(lent, size).ok());
  expect_near_all(run(*ctx, x), expected_output(x));
  const auto* out = static_cast<const char*>(ctx->output("out")->data);
  EXPECT_TRUE(out >= static_cast<char*>(lent) && out < static_cast<char*>(lent) + size);

  EXPECT_FALSE(ctx->set_activation_memory(static_cast<char*>(lent) + 4, size - 4).ok());  // misaligned
  ASSERT_TRUE(ctx->set_activation_memory(nullptr, 0).ok());
  expect_near_all(run(*ctx, x), expected_output(x));
  std::free(lent);
  std::free(small);
}

}  // namespace
}  // namespace kiln
