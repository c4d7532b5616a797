#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

testing::NodeSpec op(std::string type, std::map<std::string, Attribute> attrs = {}) {
  testing::NodeSpec spec;
  spec.op_type = std::move(type);
  spec.attrs = std::move(attrs);
  return spec;
}

Tensor i64(int64_t v) { return make_tensor<int64_t>(DataType::kInt64, {}, {v}); }

// Direct DFT of real samples.
std::complex<double> dft_bin(const float* x, int64_t n, int64_t stride, int64_t k) {
  std::complex<double> s = 0;
  for (int64_t t = 0; t < n; ++t) s += static_cast<double>(x[t * stride]) * std::polar(1.0, -2 * std::numbers::pi * k * t / n);
  return s;
}

TEST(Dft, RealInputAlongAnAxisAndOnesided) {
  Tensor x = random_float({2, 5, 3, 1}, 30);
  auto out = run_node(op("DFT", {{"axis", Attribute::of_int(1)}, {"onesided", Attribute::of_int(1)}}), {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 3, 3, 2}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t k = 0; k < 3; ++k)
      for (int64_t i = 0; i < 3; ++i) {
        const auto want = dft_bin(x.data<float>() + b * 15 + i, 5, 3, k);
        EXPECT_NEAR(y.data<float>()[((b * 3 + k) * 3 + i) * 2], want.real(), 1e-5);
        EXPECT_NEAR(y.data<float>()[((b * 3 + k) * 3 + i) * 2 + 1], want.imag(), 1e-5);
      }
}

TEST(Dft, InverseUndoesTheForwardTransform) {
  Tensor x = random_float({1, 6, 2}, 31);
  auto fwd = run_node(op("DFT"), {x});
  ASSERT_TRUE(fwd.ok()) << fwd.status().to_string();
  auto back = run_node(op("DFT", {{"inverse", Attribute::of_int(1)}}), {(*fwd)[0]});
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_NEAR((*back)[0].data<float>()[i], x.data<float>()[i], 1e-5);
  // dft_length pads with zeros.
  auto padded = run_node(op("DFT"), {x, i64(8)});
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ((*padded)[0].dims(), (std::vector<int64_t>{1, 8, 2}));
  EXPECT_FALSE(run_node(op("DFT", {{"axis", Attribute::of_int(2)}}), {x}).ok());
}

TEST(Stft, EachFrameIsTheWindowedDft) {
  Tensor signal = random_float({1, 10, 1}, 32);
  Tensor window = random_float({4}, 33);
  auto out = run_node(op("STFT"), {signal, i64(3), window});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, 3, 3, 2}));
  for (int64_t f = 0; f < 3; ++f) {
    float frame[4];
    for (int64_t n = 0; n < 4; ++n) frame[n] = signal.data<float>()[f * 3 + n] * window.data<float>()[n];
    for (int64_t k = 0; k < 3; ++k) {
      const auto want = dft_bin(frame, 4, 1, k);
      EXPECT_NEAR(y.data<float>()[(f * 3 + k) * 2], want.real(), 1e-5);
      EXPECT_NEAR(y.data<float>()[(f * 3 + k) * 2 + 1], want.imag(), 1e-5);
    }
  }
  EXPECT_FALSE(run_node(op("STFT"), {signal, i64(3)}).ok());  // neither window nor frame_length
  EXPECT_FALSE(run_node(op("STFT"), {signal, i64(3), window, i64(5)}).ok());
}

TEST(Windows, CosineSumsForPeriodicAndSymmetricWindows) {
  auto hann = run_node(op("HannWindow"), {i64(4)});
  ASSERT_TRUE(hann.ok()) << hann.status().to_string();
  const float* h = (*hann)[0].data<float>();
  EXPECT_NEAR(h[0], 0.f, 1e-7);
  EXPECT_NEAR(h[1], 0.5f, 1e-7);
  EXPECT_NEAR(h[2], 1.f, 1e-7);
  EXPECT_NEAR(h[3], 0.5f, 1e-7);
  auto hamming = run_node(op("HammingWindow", {{"periodic", Attribute::of_int(0)}, {"output_datatype", Attribute::of_int(11)}}),
                          {i64(3)});
  ASSERT_TRUE(hamming.ok()) << hamming.status().to_string();
  ASSERT_EQ((*hamming)[0].dtype(), DataType::kFloat64);
  EXPECT_NEAR((*hamming)[0].data<double>()[0], 4.0 / 46.0, 1e-12);
  EXPECT_NEAR((*hamming)[0].data<double>()[1], 1.0, 1e-12);
  auto blackman = run_node(op("BlackmanWindow"), {i64(4)});
  ASSERT_TRUE(blackman.ok());
  EXPECT_NEAR((*blackman)[0].data<float>()[1], 0.42 + 0.08 * std::cos(std::numbers::pi), 1e-6);
  EXPECT_FALSE(run_node(op("HannWindow", {{"output_datatype", Attribute::of_int(8)}}), {i64(4)}).ok());
}

TEST(MelWeightMatrix, TrianglesBetweenMelSpacedBins) {
  auto out = run_node(op("MelWeightMatrix"), {make_tensor<int32_t>(DataType::kInt32, {}, {8}),
                                              make_tensor<int32_t>(DataType::kInt32, {}, {16}),
                                              make_tensor<int32_t>(DataType::kInt32, {}, {8192}),
                                              make_tensor<float>(DataType::kFloat32, {}, {0.f}),
                                              make_tensor<float>(DataType::kFloat32, {}, {4096.f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{9, 8}));
  // With 16-point DFTs the mel-spaced edges fall on bins 0 0 0 1 1 2 3 4 5 6: filters narrower
  // than a bin are a single 1 (values from the ONNX reference of this case).
  const std::vector<std::pair<int64_t, int64_t>> ones{{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}};
  float total = 0.f;
  for (int64_t i = 0; i < y.numel(); ++i) total += y.data<float>()[i];
  EXPECT_EQ(total, 8.f);
  for (auto [bin, mel] : ones) EXPECT_EQ(y.data<float>()[bin * 8 + mel], 1.f) << bin << "," << mel;
}

}  // namespace
}  // namespace kiln
