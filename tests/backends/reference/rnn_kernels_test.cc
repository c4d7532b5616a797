#include <gtest/gtest.h>

#include <cmath>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;
using testing::run_node;

NodeSpec op(std::string type, std::map<std::string, Attribute> attrs, int outputs) {
  NodeSpec spec;
  spec.op_type = std::move(type);
  spec.attrs = std::move(attrs);
  spec.num_outputs = outputs;
  return spec;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Row g of a [rows, cols] matrix times v.
double row_dot(const Tensor& m, int64_t offset, int64_t g, int64_t cols, const std::vector<double>& v) {
  double s = 0;
  for (int64_t k = 0; k < cols; ++k) s += m.data<float>()[offset + g * cols + k] * v[static_cast<size_t>(k)];
  return s;
}

std::vector<double> slice(const Tensor& t, int64_t offset, int64_t n) {
  return {t.data<float>() + offset, t.data<float>() + offset + n};
}

TEST(Rnn, ForwardTanhMatchesStepByStepComputation) {
  const int64_t seq = 3, batch = 2, in = 3, hidden = 4;
  Tensor x = random_float({seq, batch, in}, 1), w = random_float({1, hidden, in}, 2), r = random_float({1, hidden, hidden}, 3);
  Tensor b = random_float({1, 2 * hidden}, 4);
  auto out = run_node(op("RNN", {{"hidden_size", Attribute::of_int(hidden)}}, 2), {x, w, r, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t n = 0; n < batch; ++n) {
    std::vector<double> h(hidden, 0.0);
    for (int64_t t = 0; t < seq; ++t) {
      const auto xt = slice(x, (t * batch + n) * in, in);
      std::vector<double> next(hidden);
      for (int64_t j = 0; j < hidden; ++j)
        next[j] = std::tanh(row_dot(w, 0, j, in, xt) + row_dot(r, 0, j, hidden, h) + b.data<float>()[j] + b.data<float>()[hidden + j]);
      h = next;
      for (int64_t j = 0; j < hidden; ++j)
        EXPECT_NEAR((*out)[0].data<float>()[(t * batch + n) * hidden + j], h[j], 1e-5);
    }
    for (int64_t j = 0; j < hidden; ++j) EXPECT_NEAR((*out)[1].data<float>()[n * hidden + j], h[j], 1e-5);
  }
}

TEST(Rnn, BidirectionalBatchMajorHonoursSequenceLengths) {
  const int64_t seq = 3, batch = 2, in = 2, hidden = 3;
  Tensor x = random_float({batch, seq, in}, 5), w = random_float({2, hidden, in}, 6), r = random_float({2, hidden, hidden}, 7);
  Tensor lens = testing::make_tensor<int32_t>(DataType::kInt32, {batch}, {3, 1});
  NodeSpec spec = op("RNN", {{"hidden_size", Attribute::of_int(hidden)}, {"direction", Attribute::of_string("bidirectional")},
                        {"layout", Attribute::of_int(1)}, {"activations", Attribute::of_strings({"Relu", "Affine"})},
                        {"activation_alpha", Attribute::of_floats({0.5f})}, {"activation_beta", Attribute::of_floats({0.25f})}},
                     2);
  auto out = run_node(spec, {x, w, r, Tensor(), lens});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{batch, seq, 2, hidden}));
  // Batch entry 1 has one step: both directions see only x[1, 0]; later steps stay zero.
  const auto x10 = slice(x, seq * in, in);
  const std::vector<double> zero(hidden, 0.0);
  for (int64_t j = 0; j < hidden; ++j) {
    // Forward uses Relu (no parameters), so Affine's alpha/beta are the first ones given.
    const double fwd = std::max(0.0, row_dot(w, 0, j, in, x10));
    const double bwd = 0.5 * row_dot(w, hidden * in, j, in, x10) + 0.25;
    EXPECT_NEAR(y.data<float>()[((1 * seq + 0) * 2 + 0) * hidden + j], fwd, 1e-5);
    EXPECT_NEAR(y.data<float>()[((1 * seq + 0) * 2 + 1) * hidden + j], bwd, 1e-5);
    EXPECT_EQ(y.data<float>()[((1 * seq + 1) * 2 + 0) * hidden + j], 0.f);
    EXPECT_NEAR((*out)[1].data<float>()[(1 * 2 + 1) * hidden + j], bwd, 1e-5);
  }
}

TEST(Gru, LinearBeforeResetChangesWhereTheResetGateApplies) {
  const int64_t in = 2, hidden = 2;
  Tensor x = random_float({1, 1, in}, 8), w = random_float({1, 3 * hidden, in}, 9), r = random_float({1, 3 * hidden, hidden}, 10);
  Tensor b = random_float({1, 6 * hidden}, 11), h0 = random_float({1, 1, hidden}, 12);
  const auto xt = slice(x, 0, in), h = slice(h0, 0, hidden);
  const float* bias = b.data<float>();
  for (int lbr : {0, 1}) {
    auto out = run_node(op("GRU", {{"hidden_size", Attribute::of_int(hidden)}, {"linear_before_reset", Attribute::of_int(lbr)}}, 2),
                        {x, w, r, b, Tensor(), h0});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    std::vector<double> rgate(hidden), z(hidden);
    for (int64_t j = 0; j < hidden; ++j) {
      z[j] = sigmoid(row_dot(w, 0, j, in, xt) + row_dot(r, 0, j, hidden, h) + bias[j] + bias[3 * hidden + j]);
      rgate[j] = sigmoid(row_dot(w, 0, hidden + j, in, xt) + row_dot(r, 0, hidden + j, hidden, h) + bias[hidden + j] +
                         bias[4 * hidden + j]);
    }
    std::vector<double> rh(hidden);
    for (int64_t j = 0; j < hidden; ++j) rh[j] = rgate[j] * h[j];
    for (int64_t j = 0; j < hidden; ++j) {
      const double recurrent = lbr ? rgate[j] * (row_dot(r, 0, 2 * hidden + j, hidden, h) + bias[5 * hidden + j])
                                   : row_dot(r, 0, 2 * hidden + j, hidden, rh) + bias[5 * hidden + j];
      const double cand = std::tanh(row_dot(w, 0, 2 * hidden + j, in, xt) + bias[2 * hidden + j] + recurrent);
      EXPECT_NEAR((*out)[1].data<float>()[j], (1 - z[j]) * cand + z[j] * h[j], 1e-5) << "lbr " << lbr;
    }
  }
}

TEST(Lstm, PeepholesAndClipMatchOneStep) {
  const int64_t in = 3, hidden = 2;
  Tensor x = random_float({1, 1, in}, 13), w = random_float({1, 4 * hidden, in}, 14), r = random_float({1, 4 * hidden, hidden}, 15);
  Tensor b = random_float({1, 8 * hidden}, 16), h0 = random_float({1, 1, hidden}, 17), c0 = random_float({1, 1, hidden}, 18);
  Tensor p = random_float({1, 3 * hidden}, 19);
  const double clip = 0.3;
  auto out = run_node(op("LSTM", {{"hidden_size", Attribute::of_int(hidden)}, {"clip", Attribute::of_float(0.3f)}}, 3),
                      {x, w, r, b, Tensor(), h0, c0, p});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const auto xt = slice(x, 0, in), h = slice(h0, 0, hidden), c = slice(c0, 0, hidden);
  auto gate = [&](int64_t g, int64_t j) {
    return row_dot(w, 0, g * hidden + j, in, xt) + row_dot(r, 0, g * hidden + j, hidden, h) + b.data<float>()[g * hidden + j] +
           b.data<float>()[(4 + g) * hidden + j];
  };
  auto cl = [&](double v) { return std::clamp(v, -clip, clip); };
  for (int64_t j = 0; j < hidden; ++j) {
    const double i = sigmoid(cl(gate(0, j) + p.data<float>()[j] * c[j]));
    const double f = sigmoid(cl(gate(2, j) + p.data<float>()[2 * hidden + j] * c[j]));
    const double cell = f * c[j] + i * std::tanh(cl(gate(3, j)));
    const double o = sigmoid(cl(gate(1, j) + p.data<float>()[hidden + j] * cell));
    EXPECT_NEAR((*out)[2].data<float>()[j], cell, 1e-5);
    EXPECT_NEAR((*out)[1].data<float>()[j], o * std::tanh(cell), 1e-5);
    EXPECT_NEAR((*out)[0].data<float>()[j], o * std::tanh(cell), 1e-5);
  }
}

TEST(Rnn, RejectsBadAttributesAndShapes) {
  Tensor x = random_float({2, 1, 3}, 20), w = random_float({1, 4, 3}, 21), r = random_float({1, 4, 4}, 22);
  EXPECT_FALSE(run_node(op("RNN", {{"direction", Attribute::of_string("sideways")}}, 2), {x, w, r}).ok());
  EXPECT_FALSE(run_node(op("RNN", {{"hidden_size", Attribute::of_int(5)}}, 2), {x, w, r}).ok());
  EXPECT_FALSE(run_node(op("RNN", {{"activations", Attribute::of_strings({"Swish"})}}, 2), {x, w, r}).ok());
  EXPECT_FALSE(run_node(op("LSTM", {}, 2), {x, w, r}).ok());  // LSTM needs 4 gates in W
  Tensor lens = testing::make_tensor<int32_t>(DataType::kInt32, {1}, {3});
  auto too_long = run_node(op("RNN", {}, 2), {x, w, r, Tensor(), lens});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace kiln
