#include "runtime/cpu_engine.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>

#include "backends/reference/executor.h"
#include "builder/memory_planner.h"
#include "core/error.h"
#include "runtime/optimization_profile.h"
#include "runtime/tensor_info.h"

namespace kiln {

namespace {

class CpuEngine;

class CpuContext final : public ExecutionContext {
 public:
  explicit CpuContext(const CpuEngine& engine);
  Status set_input(const std::string& name, const TensorView& view) override;
  Status set_optimization_profile(int index) override;
  Status execute() override;
  Status enqueue(void* stream) override {
    if (stream != nullptr) return invalid_argument("a CPU engine runs on no stream; pass a null stream or call execute()");
    return execute();
  }
  Expected<TensorView> output(const std::string& name) const override;
  Expected<size_t> activation_memory_bytes() override;
  Status set_activation_memory(void* data, size_t bytes) override;

 private:
  // Every input is bound, and symbolic dims agree across inputs.
  Status check_bound_inputs() const;
  // The memory plan for the bound input dims, made again only when they change.
  const ActivationPlan& plan_for_bound_inputs();
  // The arena execute() runs in: lent memory, or the context's own, grown to the plan's size.
  Expected<std::byte*> arena_for(const ActivationPlan& plan);
  // The arena the selected profile's largest shapes need (0 without profiles); cached.
  size_t profile_max_arena_bytes();
  std::optional<size_t> profile_max_bytes_;

  const CpuEngine& engine_;
  std::vector<Tensor> inputs_;  // graph-input order; borrowed views
  std::vector<Tensor> outputs_;
  int profile_ = 0;

  std::vector<std::vector<int64_t>> planned_input_dims_;
  ActivationPlan plan_;
  bool have_plan_ = false;
  Tensor own_arena_;
  void* lent_arena_ = nullptr;
  size_t lent_bytes_ = 0;
  // plan_'s values placed in `storage_arena_` (null: not placed yet).
  PlannedStorage storage_;
  std::byte* storage_arena_ = nullptr;
};

class CpuEngine final : public Engine {
 public:
  CpuEngine(std::shared_ptr<const Graph> graph, PlanInfo info)
      : graph_(std::move(graph)), info_(std::move(info)), io_(graph_io_tensors(*graph_)) {}
  const std::vector<TensorInfo>& io_tensors() const override { return io_; }
  Expected<std::unique_ptr<ExecutionContext>> create_context() const override {
    return std::unique_ptr<ExecutionContext>(new CpuContext(*this));
  }
  // The CPU engine runs the graph as it is, so its plan is the graph.
  Expected<std::vector<uint8_t>> serialize() const override { return serialize_plan(*graph_, info_); }
  const Graph& graph() const { return *graph_; }
  const std::vector<OptimizationProfile>& optimization_profiles() const override { return info_.profiles; }
  size_t weights_bytes() const override {
    size_t bytes = 0;
    for (const auto& v : graph_->values())
      if (v->is_constant()) bytes += v->constant().nbytes();
    return bytes;
  }

 private:
  std::shared_ptr<const Graph> graph_;
  PlanInfo info_;
  std::vector<TensorInfo> io_;
};

CpuContext::CpuContext(const CpuEngine& engine)
    : engine_(engine), inputs_(engine.graph().inputs().size()) {}

std::string valid_names(const Graph& g, bool inputs) {
  std::string s;
  for (const Value* v : inputs ? g.inputs() : g.outputs()) s += (s.empty() ? "'" : ", '") + v->name() + "'";
  return s;
}

Status CpuContext::set_input(const std::string& name, const TensorView& view) {
  const Graph& g = engine_.graph();
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const Value* v = g.inputs()[i];
    if (v->name() != name) continue;
    if (view.dtype != v->dtype())
      return invalid_argument("input '{}' must be {}, got {}", name, data_type_name(v->dtype()),
                              data_type_name(view.dtype));
    const Shape& shape = v->shape();
    if (shape.rank_known()) {
      bool ok = shape.rank() == static_cast<int>(view.dims.size());
      for (int d = 0; ok && d < shape.rank(); ++d)
        ok = !shape[d].is_static() || shape[d].value == view.dims[static_cast<size_t>(d)];
      if (!ok)
        return invalid_argument("input '{}' must have shape {}, got {}", name, shape.to_string(),
                                dims_to_string(view.dims));
    }
    if (checked_numel(view.dims) < 0) return invalid_argument("input '{}' has invalid dims {}", name, dims_to_string(view.dims));
    if (!engine_.optimization_profiles().empty())
      KILN_RETURN_IF_ERROR(check_shape_in_profile(engine_.optimization_profiles()[static_cast<size_t>(profile_)],
                                                  static_cast<size_t>(profile_), name, view.dims));
    if (view.data == nullptr && checked_numel(view.dims) > 0) return invalid_argument("input '{}' has no data", name);
    inputs_[i] = Tensor::wrap(view.dtype, view.dims, const_cast<void*>(view.data), nullptr);
    return Status::Ok();
  }
  return not_found("the engine has no input '{}' (inputs: {})", name, valid_names(g, true));
}

Status CpuContext::set_optimization_profile(int index) {
  const size_t n = engine_.optimization_profiles().size();
  if (index < 0 || static_cast<size_t>(index) >= std::max<size_t>(n, 1))
    return out_of_range("optimization profile {} does not exist (the engine has {})", index, n);
  profile_ = index;
  profile_max_bytes_.reset();
  // Inputs bound under the previous profile may be outside this one's ranges.
  for (Tensor& t : inputs_) t = Tensor();
  return Status::Ok();
}

Status CpuContext::check_bound_inputs() const {
  const Graph& g = engine_.graph();
  // A symbolic dim (a dynamic batch "N") must take one value across all inputs.
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Value* v = g.inputs()[i];
    if (!inputs_[i].defined()) return invalid_argument("input '{}' has not been set", v->name());
    const Shape& shape = v->shape();
    for (int d = 0; shape.rank_known() && d < shape.rank(); ++d) {
      const std::string& sym = shape[d].symbol;
      if (sym.empty()) continue;
      auto [it, fresh] = symbols.emplace(sym, inputs_[i].dim(d));
      if (!fresh && it->second != inputs_[i].dim(d))
        return invalid_argument("dimension '{}' is {} in input '{}' but {} elsewhere", sym, inputs_[i].dim(d),
                                v->name(), it->second);
    }
  }
  return Status::Ok();
}

const ActivationPlan& CpuContext::plan_for_bound_inputs() {
  std::vector<std::vector<int64_t>> dims;
  for (const Tensor& t : inputs_) dims.push_back(t.dims());
  if (have_plan_ && dims == planned_input_dims_) return plan_;
  // Shapes that cannot be inferred ahead leave the plan empty: every tensor is then allocated
  // as the run goes, and the run reports the real problem if there is one.
  auto concrete = infer_concrete_dims(engine_.graph(), dims);
  plan_ = concrete.ok() ? plan_memory(engine_.graph(), *concrete) : ActivationPlan{};
  planned_input_dims_ = std::move(dims);
  have_plan_ = true;
  storage_arena_ = nullptr;
  return plan_;
}

size_t CpuContext::profile_max_arena_bytes() {
  const auto& profiles = engine_.optimization_profiles();
  if (profiles.empty()) return 0;
  if (profile_max_bytes_) return *profile_max_bytes_;
  const OptimizationProfile& profile = profiles[static_cast<size_t>(profile_)];
  std::vector<std::vector<int64_t>> dims;
  for (const Value* v : engine_.graph().inputs()) {
    auto range = profile.inputs.find(v->name());
    auto fixed = v->shape().static_dims();
    dims.push_back(range != profile.inputs.end() ? range->second.max : fixed.value_or(std::vector<int64_t>{}));
  }
  auto concrete = infer_concrete_dims(engine_.graph(), dims);
  profile_max_bytes_ = concrete.ok() ? plan_memory(engine_.graph(), *concrete).arena_bytes : 0;
  return *profile_max_bytes_;
}

Expected<std::byte*> CpuContext::arena_for(const ActivationPlan& plan) {
  if (lent_arena_ != nullptr) {
    if (lent_bytes_ < plan.arena_bytes)
      return invalid_argument("the activation memory set is {} bytes, but the bound input shapes need {}",
                              lent_bytes_, plan.arena_bytes);
    return static_cast<std::byte*>(lent_arena_);
  }
  if (own_arena_.nbytes() < plan.arena_bytes) {
    // With a profile, the arena is sized once for its largest shapes, so changing the batch
    // within the profile never reallocates.
    const size_t bytes = std::max(plan.arena_bytes, profile_max_arena_bytes());
    own_arena_ = Tensor(DataType::kUInt8, {static_cast<int64_t>(bytes)});
  }
  return own_arena_.data<std::byte>();
}

Status CpuContext::execute() {
  // The last outputs may point into the arena this run reuses or replaces.
  outputs_.clear();
  KILN_RETURN_IF_ERROR(check_bound_inputs());
  const ActivationPlan& plan = plan_for_bound_inputs();
  KILN_ASSIGN_OR_RETURN(std::byte* arena, arena_for(plan));
  if (arena != storage_arena_) {
    storage_ = PlannedStorage{};
    for (const auto& [v, m] : plan.values) {
      storage_.tensors[v] = Tensor::wrap(v->dtype(), m.dims, arena + m.offset, nullptr);
      if (m.sharing == Sharing::kInPlace) storage_.in_place.insert(v);
    }
    storage_.skipped = plan.skipped_nodes;
    storage_arena_ = arena;
  }
  KILN_ASSIGN_OR_RETURN(outputs_, run_reference(engine_.graph(), inputs_, nullptr, &storage_));
  return Status::Ok();
}

Expected<size_t> CpuContext::activation_memory_bytes() {
  KILN_RETURN_IF_ERROR(check_bound_inputs());
  return plan_for_bound_inputs().arena_bytes;
}

Status CpuContext::set_activation_memory(void* data, size_t bytes) {
  if (reinterpret_cast<uintptr_t>(data) % 64 != 0)
    return invalid_argument("activation memory must be 64-byte aligned, got address {}", data);
  outputs_.clear();
  lent_arena_ = data;
  lent_bytes_ = data != nullptr ? bytes : 0;
  if (data != nullptr) own_arena_ = Tensor();
  storage_arena_ = nullptr;
  return Status::Ok();
}

Expected<TensorView> CpuContext::output(const std::string& name) const {
  const Graph& g = engine_.graph();
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    if (g.outputs()[i]->name() != name) continue;
    if (i >= outputs_.size()) return invalid_argument("output '{}' is not available: execute() has not run", name);
    const Tensor& t = outputs_[i];
    return TensorView{t.dtype(), t.dims(), t.raw()};
  }
  return not_found("the engine has no output '{}' (outputs: {})", name, valid_names(g, false));
}

}  // namespace

Expected<std::unique_ptr<Engine>> build_cpu_engine(std::shared_ptr<const Graph> graph, PlanInfo info) {
  KILN_RETURN_IF_ERROR(check_reference_kernels(*graph));
  for (size_t i = 0; i < info.profiles.size(); ++i) KILN_RETURN_IF_ERROR(check_profile(*graph, info.profiles[i], i));
  return std::unique_ptr<Engine>(new CpuEngine(std::move(graph), std::move(info)));
}

}  // namespace kiln
