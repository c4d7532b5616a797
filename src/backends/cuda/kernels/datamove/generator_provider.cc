// Shape, Size, ConstantOfShape, Range, EyeLike: outputs fixed once the shapes (and Range's
// constant inputs) are known. Small ones are computed at create() and copied from device memory the
// kernel owns; ConstantOfShape and EyeLike, which can be large, are written by the map-copy kernel
// (fill value / the diagonal's one as kernel arguments or owned memory).
#include <cstring>

#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "backends/reference/executor.h"
#include "core/dispatch.h"
#include "ir/ops/shape_range.h"

namespace kiln::cuda::datamove {

namespace {

// The int64 values of Shape and Size.
std::vector<int64_t> shape_query(const LayerSpec& spec) {
  const std::vector<int64_t>& dims = spec.inputs[0]->dims;
  if (spec.op->op_type() == "Size") return {element_count(dims)};
  const auto [start, end] = shape_range(*spec.op, static_cast<int>(dims.size()));
  return std::vector<int64_t>(dims.begin() + start, dims.begin() + std::max(start, end));
}

// Range computed by the reference kernel on its constant inputs, so both agree to the bit.
Expected<Tensor> range_values(const LayerSpec& spec) {
  std::vector<const Tensor*> args;
  for (size_t i = 0; i < 3; ++i) {
    KILN_ASSIGN_OR_RETURN(const Tensor* t, optional_constant(spec, i, i == 0 ? "start" : i == 1 ? "limit" : "delta"));
    if (t == nullptr) return invalid_argument("Range is missing input {}", i);
    args.push_back(t);
  }
  KILN_ASSIGN_OR_RETURN(auto out, run_reference_node(*spec.op, args));
  if (out.empty() || out[0].dims() != spec.outputs[0].dims || out[0].dtype() != spec.outputs[0].dtype)
    return invalid_argument("Range's values do not have the output's shape {}", dims_to_string(spec.outputs[0].dims));
  return std::move(out[0]);
}

// The bytes of ConstantOfShape's 'value' (zeros when absent: float zeros, as all-zero bits are).
Expected<uint64_t> constant_bits(const LayerSpec& spec) {
  uint64_t bits = 0;
  if (const Attribute* value = spec.op->attr("value")) {
    if (value->t.dtype() != spec.outputs[0].dtype || value->t.numel() != 1)
      return invalid_argument("ConstantOfShape 'value' must be one {} element", data_type_name(spec.outputs[0].dtype));
    std::memcpy(&bits, value->t.raw(), data_type_size(value->t.dtype()));
  }
  return bits;
}

class GeneratorProvider final : public DataMovementProvider {
 public:
  GeneratorProvider()
      : DataMovementProvider("kiln_generator", {"Shape", "Size", "ConstantOfShape", "Range", "EyeLike"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    const std::string& op = spec.op->op_type();
    if (op == "Range") return range_values(spec).status();
    if (op == "ConstantOfShape") return constant_bits(spec).status();
    if (op == "EyeLike" && spec.outputs[0].dims.size() != 2)
      return invalid_argument("EyeLike needs a 2-D tensor, got rank {}", spec.outputs[0].dims.size());
    if ((op == "Shape" || op == "Size") && spec.outputs[0].dtype != DataType::kInt64)
      return invalid_argument("{} output must be int64", op);
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    const std::string& op = spec.op->op_type();
    if (op == "ConstantOfShape") return {"kiln_constant_of_shape"};
    if (op == "EyeLike") return {"kiln_eye_like"};
    return {"kiln_" + (op == "Range" ? std::string("range") : op == "Size" ? "size" : "shape")};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    const std::string& op = spec.op->op_type();
    const TensorDesc& out = spec.outputs[0];
    const int elem = static_cast<int>(data_type_size(out.dtype));
    if (op == "ConstantOfShape") {
      KILN_ASSIGN_OR_RETURN(uint64_t bits, constant_bits(spec));
      return make_kernel<MapCopyKernel<FillMap>>(FillMap{}, elem, out.numel(), 0, bits);
    }
    if (op == "EyeLike") {
      uint64_t one = 0;
      KILN_RETURN_IF_ERROR(KILN_DISPATCH_ALL(out.dtype, [&](auto tag) {
        const auto v = static_cast<decltype(tag)>(1);
        std::memcpy(&one, &v, sizeof(v));
        return Status::Ok();
      }));
      KILN_ASSIGN_OR_RETURN(DeviceBuffer src, DeviceBuffer::upload(&one, static_cast<size_t>(elem)));
      auto kernel = std::make_unique<MapCopyKernel<DiagonalMap>>(DiagonalMap{out.dims[1], spec.op->attr_int("k")}, elem,
                                                                 out.numel(), 1);
      kernel->set_owned_source(std::move(src));
      return std::unique_ptr<LayerKernel>(std::move(kernel));
    }
    if (op == "Range") {
      KILN_ASSIGN_OR_RETURN(Tensor values, range_values(spec));
      KILN_ASSIGN_OR_RETURN(DeviceBuffer data, DeviceBuffer::upload(values.raw(), values.nbytes()));
      return make_kernel<ConstantOutputKernel>(std::move(data));
    }
    const std::vector<int64_t> values = shape_query(spec);
    KILN_ASSIGN_OR_RETURN(DeviceBuffer data, DeviceBuffer::upload(values.data(), values.size() * sizeof(int64_t)));
    return make_kernel<ConstantOutputKernel>(std::move(data));
  }
};

}  // namespace

const TacticProvider* generator_provider() {
  static const GeneratorProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
