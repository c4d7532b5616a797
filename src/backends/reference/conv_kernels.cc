// Kernels of Conv, ConvTranspose, ConvInteger and QLinearConv.
// Conv lowers each (image, group) to one GEMM: weights [M/g, C/g * kernel] times the im2col matrix
// [C/g * kernel, output positions] (the input itself for pointwise convolutions). Depthwise
// convolutions (one input channel per group) skip the GEMM, whose K would be only the kernel size,
// and run a direct loop. ConvTranspose is the adjoint: a GEMM with the transposed weights, then
// col2im scatters the columns into the output. 1-D and 2-D convolutions run as 3-D ones with
// leading unit axes.
#include <algorithm>
#include <vector>

#include "backends/reference/float16_compute.h"
#include "backends/reference/gemm_kernel.h"
#include "backends/reference/kernel.h"
#include "backends/reference/quantize_util.h"
#include "core/thread_pool.h"
#include "ir/ops/conv_geometry.h"

namespace kiln {

namespace {

constexpr int kAxes = 3;

// A convolution's geometry on exactly three spatial axes (leading unit axes added).
struct Conv3d {
  int64_t in[kAxes], kernel[kAxes], stride[kAxes], dilation[kAxes], pad[kAxes], out[kAxes];
  int64_t in_volume() const { return in[0] * in[1] * in[2]; }
  int64_t out_volume() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_volume() const { return kernel[0] * kernel[1] * kernel[2]; }
  bool is_pointwise() const {
    for (int i = 0; i < kAxes; ++i)
      if (kernel[i] != 1 || stride[i] != 1 || pad[i] != 0 || in[i] != out[i]) return false;
    return true;
  }
};

Expected<Conv3d> to_3d(const ConvGeometry& g) {
  const int rank = g.spatial_rank();
  if (rank < 1 || rank > kAxes)
    return unsupported("convolutions with {} spatial axes are not supported (1 to 3 are)", rank);
  Conv3d c;
  for (int i = 0; i < kAxes; ++i) {
    const int j = i - (kAxes - rank);
    const auto u = static_cast<size_t>(j);
    c.in[i] = j < 0 ? 1 : g.input[u];
    c.kernel[i] = j < 0 ? 1 : g.kernel[u];
    c.stride[i] = j < 0 ? 1 : g.strides[u];
    c.dilation[i] = j < 0 ? 1 : g.dilations[u];
    c.pad[i] = j < 0 ? 0 : g.pads_begin[u];
    c.out[i] = j < 0 ? 1 : g.output[u];
  }
  return c;
}

// Output positions o in [0, out) whose input o * stride + offset lies in [0, in).
void valid_range(int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = in - offset <= 0 ? 0 : (in - offset + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
}

// col is [channels * kernel volume, output volume]; taps that fall into the padding give 0.
template <class T>
void im2col(const T* x, int64_t channels, const Conv3d& c, T* col) {
  const int64_t kvol = c.kernel_volume(), ovol = c.out_volume(), ivol = c.in_volume();
  parallel_for(channels * kvol, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, ovol)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t ch = r / kvol, tap = r % kvol;
      const int64_t kw = tap % c.kernel[2], kh = (tap / c.kernel[2]) % c.kernel[1], kd = tap / (c.kernel[2] * c.kernel[1]);
      const int64_t off_d = kd * c.dilation[0] - c.pad[0], off_h = kh * c.dilation[1] - c.pad[1],
                    off_w = kw * c.dilation[2] - c.pad[2];
      int64_t w_lo, w_hi;
      valid_range(off_w, c.stride[2], c.in[2], c.out[2], w_lo, w_hi);
      const T* xc = x + ch * ivol;
      T* dst = col + r * ovol;
      for (int64_t od = 0; od < c.out[0]; ++od) {
        const int64_t id = od * c.stride[0] + off_d;
        for (int64_t oh = 0; oh < c.out[1]; ++oh, dst += c.out[2]) {
          const int64_t ih = oh * c.stride[1] + off_h;
          if (id < 0 || id >= c.in[0] || ih < 0 || ih >= c.in[1]) {
            std::fill(dst, dst + c.out[2], T{});
            continue;
          }
          const T* src = xc + (id * c.in[1] + ih) * c.in[2] + off_w;
          std::fill(dst, dst + w_lo, T{});
          if (c.stride[2] == 1) std::copy(src + w_lo, src + w_hi, dst + w_lo);
          else
            for (int64_t ow = w_lo; ow < w_hi; ++ow) dst[ow] = src[ow * c.stride[2]];
          std::fill(dst + w_hi, dst + c.out[2], T{});
        }
      }
    }
  });
}

// The adjoint of im2col for ConvTranspose: col is [channels * kernel volume, input volume] and
// each entry adds into output position i * stride + tap * dilation - pad of y [channels, output].
template <class T>
void col2im(const T* col, int64_t channels, const Conv3d& c, T* y) {
  const int64_t kvol = c.kernel_volume(), ovol = c.out_volume(), ivol = c.in_volume();
  parallel_for(channels, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      T* yc = y + ch * ovol;
      for (int64_t tap = 0; tap < kvol; ++tap) {
        const int64_t kw = tap % c.kernel[2], kh = (tap / c.kernel[2]) % c.kernel[1], kd = tap / (c.kernel[2] * c.kernel[1]);
        const int64_t off_d = kd * c.dilation[0] - c.pad[0], off_h = kh * c.dilation[1] - c.pad[1],
                      off_w = kw * c.dilation[2] - c.pad[2];
        const T* src = col + (ch * kvol + tap) * ivol;
        for (int64_t id = 0; id < c.in[0]; ++id) {
          const int64_t od = id * c.stride[0] + off_d;
          for (int64_t ih = 0; ih < c.in[1]; ++ih, src += c.in[2]) {
            const int64_t oh = ih * c.stride[1] + off_h;
            if (od < 0 || od >= c.out[0] || oh < 0 || oh >= c.out[1]) continue;
            T* dst = yc + (od * c.out[1] + oh) * c.out[2];
            for (int64_t iw = 0; iw < c.in[2]; ++iw) {
              const int64_t ow = iw * c.stride[2] + off_w;
              if (ow >= 0 && ow < c.out[2]) dst[ow] += src[iw];
            }
          }
        }
      }
    }
  });
}

// y[channel] = sum over taps of w[tap] * x at the tap, for one input channel per output channel.
template <class T>
void depthwise_channel(const T* x, const T* w, const Conv3d& c, T* y) {
  std::fill(y, y + c.out_volume(), T{});
  for (int64_t kd = 0; kd < c.kernel[0]; ++kd)
    for (int64_t kh = 0; kh < c.kernel[1]; ++kh)
      for (int64_t kw = 0; kw < c.kernel[2]; ++kw) {
        const T wv = w[(kd * c.kernel[1] + kh) * c.kernel[2] + kw];
        const int64_t off_d = kd * c.dilation[0] - c.pad[0], off_h = kh * c.dilation[1] - c.pad[1],
                      off_w = kw * c.dilation[2] - c.pad[2];
        int64_t w_lo, w_hi;
        valid_range(off_w, c.stride[2], c.in[2], c.out[2], w_lo, w_hi);
        for (int64_t od = 0; od < c.out[0]; ++od) {
          const int64_t id = od * c.stride[0] + off_d;
          if (id < 0 || id >= c.in[0]) continue;
          for (int64_t oh = 0; oh < c.out[1]; ++oh) {
            const int64_t ih = oh * c.stride[1] + off_h;
            if (ih < 0 || ih >= c.in[1]) continue;
            const T* src = x + (id * c.in[1] + ih) * c.in[2] + off_w;
            T* dst = y + (od * c.out[1] + oh) * c.out[2];
            for (int64_t ow = w_lo; ow < w_hi; ++ow) dst[ow] += wv * src[ow * c.stride[2]];
          }
        }
      }
}

// x [N, C, in...], w [M, C/group, kernel...], bias [M] or null, y [N, M, out...].
template <class T>
void conv_forward(const T* x, const T* w, const T* bias, T* y, int64_t batch, int64_t channels, int64_t out_channels,
                  int64_t group, const Conv3d& c) {
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t kvol = c.kernel_volume(), ivol = c.in_volume(), ovol = c.out_volume();
  if (cg == 1) {
    parallel_for(batch * out_channels, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t n = i / out_channels, m = i % out_channels;
        depthwise_channel(x + (n * channels + m / mg) * ivol, w + m * kvol, c, y + i * ovol);
      }
    });
  } else {
    const bool pointwise = c.is_pointwise();
    std::vector<T> col(pointwise ? 0 : static_cast<size_t>(cg * kvol * ovol));
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t g = 0; g < group; ++g) {
        const T* xg = x + (n * channels + g * cg) * ivol;
        if (!pointwise) im2col(xg, cg, c, col.data());
        gemm<T>(false, false, mg, ovol, cg * kvol, T{1}, w + g * mg * cg * kvol, cg * kvol, pointwise ? xg : col.data(),
                ovol, T{0}, y + (n * out_channels + g * mg) * ovol, ovol);
      }
  }
  if (bias != nullptr)
    parallel_for(batch * out_channels, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        for (T* p = y + i * ovol; p != y + (i + 1) * ovol; ++p) *p += bias[i % out_channels];
    });
}

// x [N, C, in...], w [C, M/group, kernel...], bias [M] or null, y [N, M, out...] (zero-filled).
template <class T>
void conv_transpose_forward(const T* x, const T* w, const T* bias, T* y, int64_t batch, int64_t channels,
                            int64_t out_channels, int64_t group, const Conv3d& c) {
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t kvol = c.kernel_volume(), ivol = c.in_volume(), ovol = c.out_volume();
  std::vector<T> col(static_cast<size_t>(mg * kvol * ivol));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t g = 0; g < group; ++g) {
      gemm<T>(true, false, mg * kvol, ivol, cg, T{1}, w + g * cg * mg * kvol, mg * kvol,
              x + (n * channels + g * cg) * ivol, ivol, T{0}, col.data(), ivol);
      col2im(col.data(), mg, c, y + (n * out_channels + g * mg) * ovol);
    }
  if (bias != nullptr)
    for (int64_t i = 0; i < batch * out_channels; ++i)
      for (T* p = y + i * ovol; p != y + (i + 1) * ovol; ++p) *p += bias[i % out_channels];
}

// The geometry of the node on these concrete inputs.
Expected<Conv3d> geometry_of(KernelContext& ctx, const Tensor& x, const Tensor& w, bool transposed) {
  if (x.rank() < 3 || w.rank() != x.rank())
    return invalid_argument("X {} and W {} must both be [N, C, spatial...]", dims_to_string(x.dims()),
                            dims_to_string(w.dims()));
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx.node(), std::vector<int64_t>(x.dims().begin() + 2, x.dims().end()),
                                                      std::vector<int64_t>(w.dims().begin() + 2, w.dims().end()),
                                                      transposed));
  return to_3d(g);
}

Status check_bias(const Tensor* bias, int64_t out_channels) {
  if (bias != nullptr && (bias->rank() != 1 || bias->dim(0) != out_channels))
    return invalid_argument("bias B must be 1-D with {} values, got {}", out_channels, dims_to_string(bias->dims()));
  return Status::Ok();
}

template <class Fn>
Status dispatch_conv_type(DataType dtype, Fn&& fn) {
  switch (dtype) {
    case DataType::kFloat32: case DataType::kFloat16: case DataType::kBFloat16: return fn(float{});
    case DataType::kFloat64: return fn(double{});
    default: return unsupported("data type {} is not supported for convolutions", data_type_name(dtype));
  }
}

template <bool kTransposed>
Status float_conv_kernel(KernelContext& ctx) {
  const Tensor x = widen_float16(ctx.input(0)), w = widen_float16(ctx.input(1));
  const Tensor bias = ctx.has_input(2) ? widen_float16(ctx.input(2)) : Tensor();
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(Conv3d c, geometry_of(ctx, x, w, kTransposed));
  KILN_RETURN_IF_ERROR(check_bias(bias.defined() ? &bias : nullptr, y.dim(1)));
  Tensor result = is_float16_type(y.dtype()) ? Tensor(DataType::kFloat32, y.dims()) : y;
  const int64_t group = ctx.node().attr_int("group", 1);
  KILN_RETURN_IF_ERROR(dispatch_conv_type(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias.defined() ? static_cast<const T*>(bias.raw()) : nullptr;
    if (kTransposed)
      conv_transpose_forward<T>(static_cast<const T*>(x.raw()), static_cast<const T*>(w.raw()), b,
                                static_cast<T*>(result.raw()), x.dim(0), x.dim(1), y.dim(1), group, c);
    else
      conv_forward<T>(static_cast<const T*>(x.raw()), static_cast<const T*>(w.raw()), b, static_cast<T*>(result.raw()),
                      x.dim(0), x.dim(1), y.dim(1), group, c);
    return Status::Ok();
  }));
  if (is_float16_type(y.dtype())) narrow_float16(result, y);
  return Status::Ok();
}

// The int32 convolution of x - x_zero_point (per tensor) with w - w_zero_point (per tensor or per
// output channel), plus an optional int32 bias.
Expected<Tensor> integer_conv(KernelContext& ctx, const Tensor& x, const Tensor* x_zero_point, const Tensor& w,
                              const Tensor* w_zero_point, const Tensor* bias, const std::vector<int64_t>& out_dims) {
  KILN_ASSIGN_OR_RETURN(Conv3d c, geometry_of(ctx, x, w, false));
  KILN_RETURN_IF_ERROR(check_bias(bias, out_dims[1]));
  if (bias != nullptr && bias->dtype() != DataType::kInt32)
    return invalid_argument("bias B must be int32, got {}", data_type_name(bias->dtype()));
  if (x_zero_point != nullptr && x_zero_point->numel() != 1)
    return invalid_argument("x_zero_point must be a single value, got shape {}", dims_to_string(x_zero_point->dims()));
  KILN_ASSIGN_OR_RETURN(Tensor x32, widen_minus_zero_point(x, x_zero_point, -1, "input x"));
  KILN_ASSIGN_OR_RETURN(Tensor w32, widen_minus_zero_point(w, w_zero_point, 0, "weights w"));
  Tensor acc(DataType::kInt32, out_dims);
  conv_forward<int32_t>(x32.data<int32_t>(), w32.data<int32_t>(), bias ? bias->data<int32_t>() : nullptr,
                        acc.data<int32_t>(), x.dim(0), x.dim(1), out_dims[1], ctx.node().attr_int("group", 1), c);
  return acc;
}

const Tensor* optional_input(KernelContext& ctx, int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

Status conv_integer_kernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor acc, integer_conv(ctx, ctx.input(0), optional_input(ctx, 2), ctx.input(1),
                                                 optional_input(ctx, 3), nullptr, ctx.output(0).dims()));
  ctx.set_output(0, acc);
  return Status::Ok();
}

// y = quantize(acc * x_scale * w_scale[m] / y_scale, y_zero_point), w_scale per tensor or per
// output channel m.
Status qlinear_conv_kernel(KernelContext& ctx) {
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(Tensor acc, integer_conv(ctx, ctx.input(0), &ctx.input(2), ctx.input(3), &ctx.input(5),
                                                 optional_input(ctx, 8), y.dims()));
  KILN_ASSIGN_OR_RETURN(auto x_scale, read_per_axis<float>(&ctx.input(1), {}, -1, 1.f, "x_scale"));
  KILN_ASSIGN_OR_RETURN(auto w_scale, read_per_axis<float>(&ctx.input(4), ctx.input(3).dims(), 0, 1.f, "w_scale"));
  KILN_ASSIGN_OR_RETURN(auto y_scale, read_per_axis<float>(&ctx.input(6), {}, -1, 1.f, "y_scale"));
  KILN_ASSIGN_OR_RETURN(auto y_zp, read_per_axis<int32_t>(&ctx.input(7), {}, -1, 0, "y_zero_point"));
  const int64_t channels = y.dim(1), spatial = y.numel() / std::max<int64_t>(1, y.dim(0) * channels);
  return requantize_accumulators(acc, y, y_zp.at(0), [&](int64_t i) {
    return x_scale.at(0) * w_scale.at((i / spatial) % channels) / y_scale.at(0);
  });
}

}  // namespace

void register_conv_kernels(KernelRegistry& r) {
  r.add("Conv", float_conv_kernel<false>);
  r.add("ConvTranspose", float_conv_kernel<true>);
  r.add("ConvInteger", conv_integer_kernel);
  r.add("QLinearConv", qlinear_conv_kernel);
}

}  // namespace kiln
