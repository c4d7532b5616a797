// Einsum kernel: every output element is the sum, over the labels the output drops, of the product
// of the operands' elements. A label repeated within one operand walks its diagonal (the strides of
// its axes add up); ellipsis axes of size 1 broadcast (stride 0).
#include <algorithm>
#include <vector>

#include "backends/reference/float16_compute.h"
#include "backends/reference/kernel.h"
#include "core/thread_pool.h"
#include "ir/ops/einsum_equation.h"

namespace kiln {

namespace {

// Per operand, the element stride of each label (0 where the label is absent or broadcasts).
struct EinsumPlan {
  std::vector<int64_t> label_dims;
  std::vector<std::vector<int64_t>> strides;  // [operand][label]
  std::vector<int> summed;                    // labels the output drops
};

Expected<EinsumPlan> plan_einsum(const EinsumLabels& labels, const std::vector<Tensor>& operands) {
  EinsumPlan p;
  p.label_dims.assign(static_cast<size_t>(labels.num_labels), -1);
  for (size_t k = 0; k < operands.size(); ++k)
    for (int ax = 0; ax < operands[k].rank(); ++ax) {
      const int64_t d = operands[k].dim(ax);
      int64_t& known = p.label_dims[static_cast<size_t>(labels.inputs[k][static_cast<size_t>(ax)])];
      const bool broadcastable = labels.inputs[k][static_cast<size_t>(ax)] >= EinsumLabels::kFirstEllipsisLabel;
      if (known < 0 || (broadcastable && known == 1)) known = d;
      else if (known != d && !(broadcastable && d == 1))
        return invalid_argument("an einsum label has size {} in one place and {} in another", known, d);
    }
  for (size_t k = 0; k < operands.size(); ++k) {
    std::vector<int64_t> s(static_cast<size_t>(labels.num_labels), 0);
    int64_t stride = 1;
    for (int ax = operands[k].rank() - 1; ax >= 0; --ax) {
      const int id = labels.inputs[k][static_cast<size_t>(ax)];
      if (operands[k].dim(ax) != 1 || p.label_dims[static_cast<size_t>(id)] == 1) s[static_cast<size_t>(id)] += stride;
      stride *= operands[k].dim(ax);
    }
    p.strides.push_back(std::move(s));
  }
  for (int id = 0; id < labels.num_labels; ++id)
    if (p.label_dims[static_cast<size_t>(id)] >= 0 &&
        std::find(labels.output.begin(), labels.output.end(), id) == labels.output.end())
      p.summed.push_back(id);
  return p;
}

// Acc is the accumulation type (double for floating point, int64 for integers).
template <class T, class Acc>
void run_einsum(const EinsumLabels& labels, const EinsumPlan& p, const std::vector<Tensor>& operands, T* out,
                int64_t out_numel) {
  const size_t num_ops = operands.size();
  int64_t summed_count = 1;
  for (int id : p.summed) summed_count *= p.label_dims[static_cast<size_t>(id)];
  parallel_for(out_numel, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, summed_count)), [&](int64_t b, int64_t e) {
    std::vector<int64_t> base(num_ops), offset(num_ops), counter(p.summed.size());
    for (int64_t o = b; o < e; ++o) {
      std::fill(base.begin(), base.end(), 0);
      int64_t rest = o;
      for (size_t i = labels.output.size(); i-- > 0;) {
        const auto id = static_cast<size_t>(labels.output[i]);
        const int64_t idx = rest % p.label_dims[id];
        rest /= p.label_dims[id];
        for (size_t k = 0; k < num_ops; ++k) base[k] += idx * p.strides[k][id];
      }
      offset = base;
      std::fill(counter.begin(), counter.end(), 0);
      Acc sum{};
      for (int64_t s = 0; s < summed_count; ++s) {
        Acc prod{1};
        for (size_t k = 0; k < num_ops; ++k) prod *= static_cast<Acc>(static_cast<const T*>(operands[k].raw())[offset[k]]);
        sum += prod;
        // Odometer over the summed labels, last one fastest.
        for (size_t j = p.summed.size(); j-- > 0;) {
          const auto id = static_cast<size_t>(p.summed[j]);
          for (size_t k = 0; k < num_ops; ++k) offset[k] += p.strides[k][id];
          if (++counter[j] < p.label_dims[id]) break;
          for (size_t k = 0; k < num_ops; ++k) offset[k] -= counter[j] * p.strides[k][id];
          counter[j] = 0;
        }
      }
      out[o] = static_cast<T>(sum);
    }
  });
}

Status einsum_kernel(KernelContext& ctx) {
  std::vector<Tensor> operands;
  std::vector<int> ranks;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    operands.push_back(widen_float16(ctx.input(i)));
    ranks.push_back(ctx.input(i).rank());
    if (operands.back().dtype() != operands.front().dtype())
      return invalid_argument("einsum operands must share one type, got {} and {}",
                              data_type_name(operands.front().dtype()), data_type_name(operands.back().dtype()));
  }
  KILN_ASSIGN_OR_RETURN(EinsumLabels labels, resolve_einsum(ctx.node().attr_string("equation"), ranks));
  KILN_ASSIGN_OR_RETURN(EinsumPlan plan, plan_einsum(labels, operands));
  Tensor& y = ctx.output(0);
  Tensor result = is_float16_type(y.dtype()) ? Tensor(DataType::kFloat32, y.dims()) : y;
  switch (result.dtype()) {
    case DataType::kFloat32: run_einsum<float, double>(labels, plan, operands, result.data<float>(), y.numel()); break;
    case DataType::kFloat64: run_einsum<double, double>(labels, plan, operands, result.data<double>(), y.numel()); break;
    case DataType::kInt32: run_einsum<int32_t, int64_t>(labels, plan, operands, result.data<int32_t>(), y.numel()); break;
    case DataType::kInt64: run_einsum<int64_t, int64_t>(labels, plan, operands, result.data<int64_t>(), y.numel()); break;
    default: return unsupported("einsum on {} is not supported", data_type_name(result.dtype()));
  }
  if (is_float16_type(y.dtype())) narrow_float16(result, y);
  return Status::Ok();
}

}  // namespace

void register_einsum_kernels(KernelRegistry& r) { r.add("Einsum", einsum_kernel); }

}  // namespace kiln
