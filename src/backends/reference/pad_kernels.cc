// Pad: each output coordinate maps, per axis, to an input coordinate or to "outside" (constant
// mode). The per-axis maps are built once; the copy then walks the output.
#include <cstring>

#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/attr_or_input.h"

namespace kiln {

namespace {

constexpr int64_t kOutside = -1;

// Input coordinate for each output coordinate of one axis padded by `before`.
std::vector<int64_t> axis_map(int64_t in_dim, int64_t out_dim, int64_t before, const std::string& mode) {
  std::vector<int64_t> map(static_cast<size_t>(out_dim));
  for (int64_t o = 0; o < out_dim; ++o) {
    int64_t i = o - before;
    if (i < 0 || i >= in_dim) {
      if (mode == "constant") {
        i = kOutside;
      } else if (mode == "edge") {
        i = i < 0 ? 0 : in_dim - 1;
      } else if (in_dim == 1) {
        i = 0;
      } else {  // reflect about the edge elements (not repeating them), as often as it takes
        const int64_t period = 2 * (in_dim - 1);
        i %= period;
        if (i < 0) i += period;
        if (i >= in_dim) i = period - i;
      }
    }
    map[static_cast<size_t>(o)] = i;
  }
  return map;
}

// The fill value as bytes of the data's type: input 'constant_value' since opset 11, else the
// float attribute 'value'.
Expected<std::vector<uint8_t>> fill_value(const KernelContext& ctx, DataType dtype) {
  std::vector<uint8_t> bytes(data_type_size(dtype), 0);
  if (ctx.opset() >= 11) {
    if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
      if (ctx.input(2).dtype() != dtype) return invalid_argument("input 'constant_value' must have the data's type");
      std::memcpy(bytes.data(), ctx.input(2).raw(), bytes.size());
    }
    return bytes;
  }
  const float v = ctx.node().attr_float("value");
  KILN_RETURN_IF_ERROR(KILN_DISPATCH_ALL(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T t = static_cast<T>(v);
    std::memcpy(bytes.data(), &t, sizeof(T));
    return Status::Ok();
  }));
  return bytes;
}

Status pad(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  const std::string mode = ctx.node().attr_string("mode");
  KILN_ASSIGN_OR_RETURN(IntList pads, int_list_attr_or_input(ctx.node(), "pads", 11, ctx.has_input(1),
                                                              ctx.has_input(1) ? &ctx.input(1) : nullptr));
  KILN_ASSIGN_OR_RETURN(auto fill, fill_value(ctx, in.dtype()));
  const int r = in.rank();
  std::vector<std::vector<int64_t>> maps;
  for (int a = 0; a < r; ++a) {
    if (in.dim(a) == 0 && out.dim(a) > 0 && mode != "constant")
      return invalid_argument("{} padding needs a non-empty axis, axis {} is empty", mode, a);
    maps.push_back(axis_map(in.dim(a), out.dim(a), pads.values[static_cast<size_t>(a)], mode));
  }
  const size_t elem = data_type_size(in.dtype());
  const std::vector<int64_t> strides = row_major_strides(in.dims());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  parallel_for(out.numel(), 4096, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> index(static_cast<size_t>(r));
    for (int64_t linear = begin; linear < end; ++linear) {
      int64_t rest = linear, offset = 0;
      for (int a = r; a-- > 0;) {
        index[static_cast<size_t>(a)] = rest % out.dim(a);
        rest /= out.dim(a);
      }
      for (int a = 0; a < r && offset != kOutside; ++a) {
        const int64_t i = maps[static_cast<size_t>(a)][static_cast<size_t>(index[static_cast<size_t>(a)])];
        offset = i == kOutside ? kOutside : offset + i * strides[static_cast<size_t>(a)];
      }
      std::memcpy(dst + static_cast<size_t>(linear) * elem,
                  offset == kOutside ? fill.data() : src + static_cast<size_t>(offset) * elem, elem);
    }
  });
  return Status::Ok();
}

}  // namespace

void register_pad_kernels(KernelRegistry& r) { r.add("Pad", pad); }

}  // namespace kiln
