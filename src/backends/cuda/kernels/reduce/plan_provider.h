// The providers of this family share one shape: everything a kernel needs is a plan computed
// from the LayerSpec alone (host work only, no device memory), the plan names its one tactic,
// and the kernel just launches it. PlanProvider<Plan> turns a plan function into a provider.
//
// A Plan has: std::string tactic_name() const;
//             Status enqueue(const LaunchEnv&, const std::vector<const void*>& inputs,
//                            const std::vector<void*>& outputs) const;
// and may have size_t workspace_bytes() const when it needs scratch memory. A plan with more
// than one kernel for its layer (the builder times them all) also has int64_t tactic_count()
// const and void select_tactic(int64_t id) for ids 0 .. count - 1; tactic_name() and enqueue()
// are then the selected kernel's.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "core/error.h"

namespace kiln::cuda::reduce {

template <class Plan>
int64_t tactic_count_of(const Plan& plan) {
  if constexpr (requires { plan.tactic_count(); }) return plan.tactic_count();
  else return 1;
}

// The plan with tactic `id` selected; false when it has no such tactic.
template <class Plan>
bool select_tactic(Plan& plan, int64_t id) {
  if (id < 0 || id >= tactic_count_of(plan)) return false;
  if constexpr (requires { plan.select_tactic(id); }) plan.select_tactic(id);
  return true;
}

template <class Plan>
class PlanKernel final : public LayerKernel {
 public:
  explicit PlanKernel(Plan plan) : plan_(std::move(plan)) {}
  size_t workspace_bytes() const override {
    if constexpr (requires { plan_.workspace_bytes(); }) return plan_.workspace_bytes();
    else return 0;
  }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    return plan_.enqueue(env, inputs, outputs);
  }

 private:
  Plan plan_;
};

template <class Plan>
class PlanProvider final : public TacticProvider {
 public:
  using MakePlan = Expected<Plan> (*)(const LayerSpec&);
  PlanProvider(std::string_view name, MakePlan make) : name_(name), make_(make) {}

  std::string_view name() const override { return name_; }
  Status supports(const LayerSpec& spec) const override { return make_(spec).status(); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(Plan plan, make_(spec));
    std::vector<Tactic> tactics;
    for (int64_t id = 0; id < tactic_count_of(plan); ++id) {
      Plan selected = plan;
      select_tactic(selected, id);
      tactics.push_back({selected.tactic_name(), id});
    }
    return tactics;
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(Plan plan, make_(spec));
    if (!select_tactic(plan, tactic.id)) return invalid_argument("{} has no tactic {} for this layer", name_, tactic.id);
    return std::unique_ptr<LayerKernel>(std::make_unique<PlanKernel<Plan>>(std::move(plan)));
  }

 private:
  std::string_view name_;
  MakePlan make_;
};

// The dtype as tactic names spell it: fp32, fp16, bf16, fp64, i32, i64.
std::string_view dtype_tag(DataType dtype);

// Ok when the layer is an op of the default domain that `ops` lists, in plain (not
// channels-last) layout unless `channels_last_ok`.
Status check_op(const LayerSpec& spec, std::initializer_list<std::string_view> ops, bool channels_last_ok = false);

// Ok when `dtype` is one of `allowed`; else unsupported, naming `what`.
Status check_dtype(DataType dtype, std::initializer_list<DataType> allowed, std::string_view what);

// The float types every kernel of the family takes.
inline constexpr std::initializer_list<DataType> kFloatTypes = {DataType::kFloat32, DataType::kFloat16,
                                                                DataType::kBFloat16, DataType::kFloat64};

// Input `i` read as integers from its host constant; unsupported when it is not a constant.
Expected<std::vector<int64_t>> constant_ints(const LayerSpec& spec, size_t i, std::string_view name);

// `dims` as [outer, n, inner] around `axis` (n = dims[axis]), for kernels that work along one
// axis (CumSum, TopK). The caller has checked that the element count fits 32 bits.
struct AxisSplit {
  uint32_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at_axis(const std::vector<int64_t>& dims, int axis);

}  // namespace kiln::cuda::reduce
