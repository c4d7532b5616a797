// Reference kernels of the signal ops: window functions, DFT, STFT and MelWeightMatrix.
// Transforms are direct O(n^2) sums in double with exactly reduced twiddle angles, which keeps
// them accurate for any length (no power-of-two restriction).
#include <cmath>
#include <complex>
#include <numbers>

#include "backends/reference/kernel.h"
#include "backends/reference/store_doubles.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

using Complex = std::complex<double>;

// Cosine-sum windows: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or
// size - 1 (symmetric).
KernelFn window_kernel(double a0, double a1, double a2) {
  return [a0, a1, a2](KernelContext& ctx) -> Status {
    Tensor& out = ctx.output(0);
    const int64_t size = out.numel();
    const bool periodic = ctx.node().attr_int("periodic") != 0;
    const double n_total = static_cast<double>(periodic ? size : size - 1);
    std::vector<double> v(static_cast<size_t>(size), 1.0);  // a one-point symmetric window is 1
    if (n_total > 0)
      for (int64_t n = 0; n < size; ++n) {
        const double angle = 2 * std::numbers::pi * static_cast<double>(n) / n_total;
        v[static_cast<size_t>(n)] = a0 - a1 * std::cos(angle) + a2 * std::cos(2 * angle);
      }
    return store_doubles(v, out);
  };
}

// The first `out_len` bins of the length-`length` DFT of `in` (zero-padded or truncated to
// `length`); the inverse transform is scaled by 1/length.
void dft(const std::vector<Complex>& in, int64_t length, int64_t out_len, bool inverse, Complex* out) {
  const double sign = inverse ? 1.0 : -1.0;
  const int64_t used = std::min<int64_t>(static_cast<int64_t>(in.size()), length);
  for (int64_t k = 0; k < out_len; ++k) {
    Complex sum = 0;
    for (int64_t n = 0; n < used; ++n) {
      // k * n mod length keeps the angle small, so cos/sin stay exact for long transforms.
      const double angle = sign * 2 * std::numbers::pi * static_cast<double>((k * n) % length) / static_cast<double>(length);
      sum += in[static_cast<size_t>(n)] * Complex(std::cos(angle), std::sin(angle));
    }
    out[k] = inverse ? sum / static_cast<double>(length) : sum;
  }
}

Expected<int64_t> scalar_int_input(const KernelContext& ctx, int i, const char* name) {
  KILN_ASSIGN_OR_RETURN(auto v, tensor_to_int64s(ctx.input(i)));
  if (v.size() != 1) return invalid_argument("input '{}' must hold one value, got {}", name, v.size());
  return v[0];
}

Status run_dft(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(auto data, tensor_to_doubles(x));
  const int rank = x.rank();
  const int axis = static_cast<int>(ctx.node().attr_int("axis") < 0 ? ctx.node().attr_int("axis") + rank : ctx.node().attr_int("axis"));
  const bool inverse = ctx.node().attr_int("inverse") != 0;
  const int64_t parts = x.dim(rank - 1);  // 1 real, 2 complex
  const int64_t n_in = x.dim(axis), n_out = y.dim(axis);
  int64_t length = n_in;
  if (ctx.has_input(1)) {
    KILN_ASSIGN_OR_RETURN(length, scalar_int_input(ctx, 1, "dft_length"));
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int d = axis + 1; d < rank - 1; ++d) inner *= x.dim(d);

  std::vector<double> out(static_cast<size_t>(y.numel()));
  parallel_for(outer * inner, 1, [&](int64_t begin, int64_t end) {
    std::vector<Complex> signal(static_cast<size_t>(n_in)), spectrum(static_cast<size_t>(n_out));
    for (int64_t line = begin; line < end; ++line) {
      const int64_t o = line / inner, i = line % inner;
      for (int64_t n = 0; n < n_in; ++n) {
        const double* p = &data[static_cast<size_t>(((o * n_in + n) * inner + i) * parts)];
        signal[static_cast<size_t>(n)] = Complex(p[0], parts == 2 ? p[1] : 0.0);
      }
      dft(signal, length, n_out, inverse, spectrum.data());
      for (int64_t k = 0; k < n_out; ++k) {
        double* q = &out[static_cast<size_t>(((o * n_out + k) * inner + i) * 2)];
        q[0] = spectrum[static_cast<size_t>(k)].real();
        q[1] = spectrum[static_cast<size_t>(k)].imag();
      }
    }
  });
  return store_doubles(out, y);
}

Status run_stft(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(auto data, tensor_to_doubles(x));
  KILN_ASSIGN_OR_RETURN(int64_t step, scalar_int_input(ctx, 1, "frame_step"));
  const int64_t batch = x.dim(0), length = x.dim(1), parts = x.dim(2);
  const int64_t frames = y.dim(1), bins = y.dim(2);
  std::vector<double> window;
  if (ctx.has_input(2)) {
    KILN_ASSIGN_OR_RETURN(window, tensor_to_doubles(ctx.input(2)));
  }
  int64_t frame_length = static_cast<int64_t>(window.size());
  if (ctx.has_input(3)) {
    KILN_ASSIGN_OR_RETURN(frame_length, scalar_int_input(ctx, 3, "frame_length"));
  }
  if (window.empty()) window.assign(static_cast<size_t>(frame_length), 1.0);

  std::vector<double> out(static_cast<size_t>(y.numel()));
  parallel_for(batch * frames, 1, [&](int64_t begin, int64_t end) {
    std::vector<Complex> frame(static_cast<size_t>(frame_length)), spectrum(static_cast<size_t>(bins));
    for (int64_t bf = begin; bf < end; ++bf) {
      const int64_t b = bf / frames, f = bf % frames;
      for (int64_t n = 0; n < frame_length; ++n) {
        const double* p = &data[static_cast<size_t>((b * length + f * step + n) * parts)];
        frame[static_cast<size_t>(n)] = Complex(p[0], parts == 2 ? p[1] : 0.0) * window[static_cast<size_t>(n)];
      }
      dft(frame, frame_length, bins, false, spectrum.data());
      for (int64_t k = 0; k < bins; ++k) {
        out[static_cast<size_t>((bf * bins + k) * 2)] = spectrum[static_cast<size_t>(k)].real();
        out[static_cast<size_t>((bf * bins + k) * 2 + 1)] = spectrum[static_cast<size_t>(k)].imag();
      }
    }
  });
  return store_doubles(out, y);
}

// Triangular filters between mel-spaced edges. Edge frequencies are mapped to spectrogram bins
// with floor((dft_length + 1) * hz / sample_rate), as the ONNX reference does.
Status run_mel_weight_matrix(KernelContext& ctx) {
  Tensor& y = ctx.output(0);
  const int64_t bins = y.dim(0), mel_bins = y.dim(1);
  KILN_ASSIGN_OR_RETURN(int64_t dft_length, scalar_int_input(ctx, 1, "dft_length"));
  KILN_ASSIGN_OR_RETURN(int64_t sample_rate, scalar_int_input(ctx, 2, "sample_rate"));
  KILN_ASSIGN_OR_RETURN(auto lower, tensor_to_doubles(ctx.input(3)));
  KILN_ASSIGN_OR_RETURN(auto upper, tensor_to_doubles(ctx.input(4)));
  if (lower.size() != 1 || upper.size() != 1) return invalid_argument("lower_edge_hertz and upper_edge_hertz must be scalars");
  const auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const double low_mel = to_mel(lower[0]), high_mel = to_mel(upper[0]);
  const double mel_step = (high_mel - low_mel) / static_cast<double>(mel_bins + 2);
  std::vector<int64_t> edges(static_cast<size_t>(mel_bins + 2));
  for (int64_t i = 0; i < mel_bins + 2; ++i) {
    const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * mel_step + low_mel) / 2595.0) - 1.0);
    edges[static_cast<size_t>(i)] = static_cast<int64_t>(std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate)));
  }
  std::vector<double> out(static_cast<size_t>(bins * mel_bins), 0.0);
  const auto set = [&](int64_t bin, int64_t mel, double v) {
    if (bin >= 0 && bin < bins) out[static_cast<size_t>(bin * mel_bins + mel)] = v;  // edges past Nyquist are dropped
  };
  for (int64_t i = 0; i < mel_bins; ++i) {
    const int64_t left = edges[static_cast<size_t>(i)], center = edges[static_cast<size_t>(i + 1)], right = edges[static_cast<size_t>(i + 2)];
    if (center == left) {
      set(center, i, 1.0);
    } else {
      for (int64_t j = left; j <= center; ++j) set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
    }
    for (int64_t j = center; j < right; ++j) set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
  }
  return store_doubles(out, y);
}

}  // namespace

void register_signal_kernels(KernelRegistry& r) {
  r.add("HannWindow", window_kernel(0.5, 0.5, 0.0));
  r.add("HammingWindow", window_kernel(25.0 / 46.0, 21.0 / 46.0, 0.0));
  r.add("BlackmanWindow", window_kernel(0.42, 0.5, 0.08));
  r.add("DFT", run_dft);
  r.add("STFT", run_stft);
  r.add("MelWeightMatrix", run_mel_weight_matrix);
}

}  // namespace kiln
