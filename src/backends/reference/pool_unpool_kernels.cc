// Reference kernel of MaxUnpool: scatters pooled values back to the positions MaxPool's Indices
// recorded; everything else is zero.
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "ir/ops/conv_geometry.h"

namespace kiln {

namespace {

Status max_unpool(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  Tensor& y = ctx.output(0);
  if (indices.dims() != x.dims())
    return invalid_argument("input I has shape {} but X has shape {}", dims_to_string(indices.dims()),
                            dims_to_string(x.dims()));
  // Indices address MaxPool's input, whose shape is the one the window derives. When
  // output_shape asks for a larger tensor, each index keeps its coordinates (the extra room is
  // padding at the end of each axis), not its flat offset.
  const std::vector<int64_t> kernel = ctx.node().attr_ints("kernel_shape");
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx.node(), std::vector<int64_t>(kernel.size(), -1), kernel, false));
  std::vector<int64_t> pooled_input = {x.dim(0), x.dim(1)};
  for (size_t i = 0; i < kernel.size(); ++i)
    pooled_input.push_back((x.dim(static_cast<int>(i) + 2) - 1) * g.strides[i] + kernel[i] - g.pads_begin[i] - g.pads_end[i]);
  const int64_t limit = checked_numel(pooled_input);
  const bool same_shape = pooled_input == y.dims();
  auto scatter = [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* in = x.data<T>();
    const int64_t* where = indices.data<int64_t>();
    T* out = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t at = where[i];
      if (at < 0 || at >= limit)
        return out_of_range("index {} in I is outside the unpooled tensor {}", at, dims_to_string(pooled_input));
      if (!same_shape) {
        int64_t rest = at, stride = 1;
        at = 0;
        for (int d = y.rank() - 1; d >= 0; --d) {
          const int64_t coord = rest % pooled_input[d];
          rest /= pooled_input[d];
          at += coord * stride;
          stride *= y.dim(d);
        }
      }
      out[at] = in[i];
    }
    return Status::Ok();
  };
  return KILN_DISPATCH_FLOAT(x.dtype(), scatter);
}

}  // namespace

void register_pool_unpool_kernels(KernelRegistry& r) { r.add("MaxUnpool", max_unpool); }

}  // namespace kiln
