#include "runtime/cuda/cuda_engine.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_fallback.h"
#include "builder/memory_planner.h"
#include "builder/stream_schedule.h"
#include "runtime/cuda/layer_specs.h"
#include "runtime/optimization_profile.h"
#include "runtime/tensor_info.h"

namespace kiln {

namespace {

size_t align256(size_t n) { return (n + 255) / 256 * 256; }

// Where a layer's tensor lives during a run.
struct TensorRef {
  enum Kind { kNone, kGraphInput, kConstant, kArena, kOwn } kind = kNone;
  size_t index = 0;              // graph input index, or own buffer index
  const void* constant = nullptr;
  size_t offset = 0;             // in the arena
};

struct Layer {
  const Node* node = nullptr;
  int stream = 0;
  std::vector<size_t> waits;  // layers (indices into layers_) on other streams to wait for
  bool record = false;        // another stream waits for this layer
  std::unique_ptr<cuda::LayerKernel> kernel;
  std::string tactic;
  std::vector<TensorRef> inputs;  // in the kernel's (op's) input order
  std::vector<TensorRef> outputs;
  // Outputs whose dims the kernel reports after it has run (TensorDesc::data_dependent).
  std::vector<size_t> data_dependent_outputs;
};

// The first candidate of the first provider that supports the layer (or the host fallback).
Expected<std::pair<const cuda::TacticProvider*, cuda::Tactic>> first_tactic(const cuda::LayerSpec& spec,
                                                                           const cuda::DeviceContext& dev,
                                                                           bool host_fallback) {
  const bool data_dependent = spec.has_data_dependent_output();
  for (const cuda::TacticProvider* p : cuda::all_providers()) {
    if (data_dependent && !p->computes_data_dependent_shapes()) continue;
    if (!p->takes(spec).ok()) continue;
    auto tactics = p->tactics(spec, dev);
    if (tactics.ok() && !tactics->empty()) return std::make_pair(p, tactics->front());
  }
  if (data_dependent)
    return unsupported("{}: its output shape depends on the data, and no CUDA tactic computes it", spec.node->describe());
  if (host_fallback) return std::make_pair(&cuda::host_fallback_provider(), cuda::Tactic{"host_reference", 0});
  return unsupported("{} has no CUDA tactic for these shapes (the engine was built without the host fallback)",
                     spec.node->describe());
}

class CudaContext final : public ExecutionContext {
 public:
  CudaContext(const CudaEngine& engine, std::unique_ptr<cuda::DeviceHandles> handles, cudaStream_t stream)
      : engine_(engine), handles_(std::move(handles)), stream_(stream), inputs_(engine.graph().inputs().size()) {}
  ~CudaContext() override {
    release_graphs();
    if (start_event_ != nullptr) cudaEventDestroy(start_event_);
    if (fork_event_ != nullptr) cudaEventDestroy(fork_event_);
    for (cudaEvent_t e : done_events_) cudaEventDestroy(e);
    for (Lane& lane : aux_) cudaStreamDestroy(lane.stream);
    for (auto& [begin, end] : layer_events_) {
      cudaEventDestroy(begin);
      cudaEventDestroy(end);
    }
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  Status set_input(const std::string& name, const TensorView& view) override;
  Status set_optimization_profile(int index) override;
  Status execute() override {
    KILN_RETURN_IF_ERROR(enqueue(stream_));
    KILN_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return Status::Ok();
  }
  Status enqueue(void* stream) override;
  Expected<TensorView> output(const std::string& name) const override;
  Expected<size_t> activation_memory_bytes() override {
    KILN_RETURN_IF_ERROR(prepare());
    return plan_.arena_bytes;
  }
  Status set_activation_memory(void* data, size_t bytes) override {
    if (reinterpret_cast<uintptr_t>(data) % 256 != 0)
      return invalid_argument("activation memory must be 256-byte aligned device memory, got address {}", data);
    lent_arena_ = data;
    lent_bytes_ = data != nullptr ? bytes : 0;
    release_graphs();
    return Status::Ok();
  }
  Status set_cuda_graph(bool on) override {
    use_graph_ = on;
    if (!on) release_graphs();
    return Status::Ok();
  }
  Status set_layer_profiling(bool on) override {
    profiling_ = on;
    return Status::Ok();
  }
  std::vector<LayerTiming> layer_timings() const override { return timings_; }
  size_t device_memory_bytes() const override {
    size_t bytes = own_arena_.bytes() + workspace_.bytes();
    for (const Lane& lane : aux_) bytes += lane.workspace.bytes();
    for (const auto& b : staging_) bytes += b.bytes();
    for (const auto& b : own_) bytes += b.bytes();
    return bytes;
  }

 private:
  // Kernels, memory plan and buffers for the bound input shapes (again only when they change).
  Status prepare();
  Status make_layers(const ConcreteDims& dims);
  Status launch_layers(cudaStream_t stream);
  Status make_streams(size_t count, size_t workspace);
  Expected<std::vector<void*>> resolve(const std::vector<TensorRef>& refs) const;
  void* address(const TensorRef& r) const;
  void release_graphs() {
    for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
    graphs_.clear();
  }
  Status collect_timings();

  const CudaEngine& engine_;
  std::unique_ptr<cuda::DeviceHandles> handles_;
  cudaStream_t stream_ = nullptr;  // execute()'s stream
  std::vector<TensorView> inputs_;
  int profile_ = 0;

  std::vector<std::vector<int64_t>> prepared_dims_;
  std::vector<std::vector<uint8_t>> prepared_values_;
  std::vector<Tensor> host_tensors_;  // shape-tensor inputs, wrapping the caller's host memory
  HostValues host_values_;
  bool prepared_ = false;
  ActivationPlan plan_;
  StreamSchedule schedule_;
  ConcreteDims dims_;
  std::vector<Layer> layers_;
  bool capturable_ = true;
  std::vector<cuda::DeviceBuffer> own_;      // tensors the plan leaves out
  std::vector<cuda::DeviceBuffer> staging_;  // device copies of host inputs, per graph input
  cuda::DeviceBuffer own_arena_;
  cuda::DeviceBuffer workspace_;
  void* lent_arena_ = nullptr;
  size_t lent_bytes_ = 0;
  std::byte* arena_ = nullptr;
  int runs_at_these_shapes_ = 0;

  bool use_graph_ = true;
  // Captured runs, by the device addresses of the inputs (a new input buffer captures anew).
  std::map<std::vector<const void*>, cudaGraphExec_t> graphs_;

  // Auxiliary streams, each with its own cuDNN handle and workspace (kernels on different
  // streams run at once), and the events that order layers across streams.
  struct Lane {
    cudaStream_t stream = nullptr;
    std::unique_ptr<cuda::DeviceHandles> handles;
    cuda::DeviceBuffer workspace;
  };
  std::vector<Lane> aux_;
  cudaEvent_t fork_event_ = nullptr;
  std::vector<cudaEvent_t> done_events_;  // per layer
  int streams_used_ = 1;

  bool profiling_ = false;
  cudaEvent_t start_event_ = nullptr;
  std::vector<std::pair<cudaEvent_t, cudaEvent_t>> layer_events_;
  std::vector<LayerTiming> timings_;
};

Status CudaContext::set_input(const std::string& name, const TensorView& view) {
  const Graph& g = engine_.graph();
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const Value* v = g.inputs()[i];
    if (v->name() != name) continue;
    if (view.dtype != v->dtype())
      return invalid_argument("input '{}' must be {}, got {}", name, data_type_name(v->dtype()), data_type_name(view.dtype));
    const Shape& shape = v->shape();
    bool ok = !shape.rank_known() || shape.rank() == static_cast<int>(view.dims.size());
    for (int d = 0; ok && shape.rank_known() && d < shape.rank(); ++d)
      ok = !shape[d].is_static() || shape[d].value == view.dims[static_cast<size_t>(d)];
    if (!ok)
      return invalid_argument("input '{}' must have shape {}, got {}", name, shape.to_string(), dims_to_string(view.dims));
    if (checked_numel(view.dims) < 0) return invalid_argument("input '{}' has invalid dims {}", name, dims_to_string(view.dims));
    if (!engine_.optimization_profiles().empty())
      KILN_RETURN_IF_ERROR(check_shape_in_profile(engine_.optimization_profiles()[static_cast<size_t>(profile_)],
                                                  static_cast<size_t>(profile_), name, view.dims));
    if (view.data == nullptr && checked_numel(view.dims) > 0) return invalid_argument("input '{}' has no data", name);
    if (view.on_device) {
      cudaPointerAttributes attrs{};
      if (cudaPointerGetAttributes(&attrs, view.data) != cudaSuccess || attrs.type != cudaMemoryTypeDevice) {
        cudaGetLastError();
        return invalid_argument("input '{}' is marked as device memory, but {} is not device memory", name, view.data);
      }
    }
    inputs_[i] = view;
    return Status::Ok();
  }
  std::string names;
  for (const Value* v : g.inputs()) names += (names.empty() ? "'" : ", '") + v->name() + "'";
  return not_found("the engine has no input '{}' (inputs: {})", name, names);
}

Status CudaContext::set_optimization_profile(int index) {
  const size_t n = engine_.optimization_profiles().size();
  if (index < 0 || static_cast<size_t>(index) >= std::max<size_t>(n, 1))
    return out_of_range("optimization profile {} does not exist (the engine has {})", index, n);
  profile_ = index;
  for (TensorView& t : inputs_) t = TensorView{};
  return Status::Ok();
}

Status CudaContext::prepare() {
  const Graph& g = engine_.graph();
  std::vector<std::vector<int64_t>> dims;
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Value* v = g.inputs()[i];
    if (inputs_[i].dtype == DataType::kUndefined) return invalid_argument("input '{}' has not been set", v->name());
    for (int d = 0; v->shape().rank_known() && d < v->shape().rank(); ++d) {
      const std::string& sym = v->shape()[d].symbol;
      if (sym.empty()) continue;
      auto [it, fresh] = symbols.emplace(sym, inputs_[i].dims[static_cast<size_t>(d)]);
      if (!fresh && it->second != inputs_[i].dims[static_cast<size_t>(d)])
        return invalid_argument("dimension '{}' is {} in input '{}' but {} elsewhere", sym,
                                inputs_[i].dims[static_cast<size_t>(d)], v->name(), it->second);
    }
    dims.push_back(inputs_[i].dims);
  }
  // Shape tensors are read on the host: their values decide shapes, so they are part of what
  // the prepared kernels were made for.
  std::vector<const Tensor*> values(inputs_.size(), nullptr);
  std::vector<std::vector<uint8_t>> value_bytes;
  host_values_.clear();
  host_tensors_.assign(inputs_.size(), Tensor());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!is_shape_tensor_input(g, g.inputs()[i])) continue;
    if (inputs_[i].on_device)
      return invalid_argument("input '{}' sets shapes (a shape tensor): bind it in host memory", g.inputs()[i]->name());
    host_tensors_[i] = Tensor::wrap(inputs_[i].dtype, inputs_[i].dims, const_cast<void*>(inputs_[i].data), nullptr);
    values[i] = &host_tensors_[i];
    host_values_[g.inputs()[i]] = &host_tensors_[i];
    const auto* b = static_cast<const uint8_t*>(inputs_[i].data);
    value_bytes.emplace_back(b, b + host_tensors_[i].nbytes());
  }
  if (prepared_ && dims == prepared_dims_ && value_bytes == prepared_values_) return Status::Ok();
  prepared_ = false;
  release_graphs();
  runs_at_these_shapes_ = 0;
  KILN_ASSIGN_OR_RETURN(dims_, infer_concrete_dims(g, dims, values));
  for (size_t i = 0; i < dims.size(); ++i) dims_[g.inputs()[i]] = dims[i];
  const int aux = engine_.info().build.aux_streams;
  if (aux > 0) {
    // Concurrent branches: plan once to learn which layers do no work, schedule the streams,
    // then plan again keeping bytes alive until every later layer is ordered after their reads.
    const ActivationPlan first = plan_memory(g, dims_, {false, nullptr});
    schedule_ = schedule_streams(g, aux, first.skipped_nodes);
    plan_ = plan_memory(g, dims_, {false, &schedule_.reader_horizon});
  } else {
    schedule_ = StreamSchedule{};
    plan_ = plan_memory(g, dims_);
  }
  KILN_RETURN_IF_ERROR(make_layers(dims_));
  staging_.clear();
  staging_.resize(inputs_.size());
  prepared_dims_ = std::move(dims);
  prepared_values_ = std::move(value_bytes);
  prepared_ = true;
  return Status::Ok();
}

Status CudaContext::make_layers(const ConcreteDims& dims) {
  const Graph& g = engine_.graph();
  const PlanInfo& info = engine_.info();
  const cuda::DeviceContext& dev = handles_->context();
  layers_.clear();
  own_.clear();
  capturable_ = true;
  size_t workspace = 0;
  std::unordered_map<const Value*, TensorRef> where;
  for (size_t i = 0; i < g.inputs().size(); ++i) where[g.inputs()[i]] = {TensorRef::kGraphInput, i, nullptr, 0};
  auto ref_of = [&](const Value* v) -> Expected<TensorRef> {
    if (v == nullptr) return TensorRef{};
    if (v->is_constant()) return TensorRef{TensorRef::kConstant, 0, engine_.device_constant(v), 0};
    if (auto it = where.find(v); it != where.end()) return it->second;
    if (auto it = plan_.values.find(v); it != plan_.values.end()) return TensorRef{TensorRef::kArena, 0, nullptr, it->second.offset};
    // Not planned: its own buffer.
    auto d = dims.find(v);
    if (d == dims.end()) return unsupported("the shape of '{}' depends on the data", v->name());
    KILN_ASSIGN_OR_RETURN(auto buf, cuda::DeviceBuffer::allocate(
                                        std::max<size_t>(1, static_cast<size_t>(checked_numel(d->second)) *
                                                                data_type_size(v->dtype()))));
    own_.push_back(std::move(buf));
    TensorRef r{TensorRef::kOwn, own_.size() - 1, nullptr, 0};
    where[v] = r;
    return r;
  };
  // Outputs whose shape depends on the data (NonMaxSuppression): known only once their layer
  // has run, so for now they may only be graph outputs (see docs/architecture.md).
  std::unordered_set<const Value*> data_dependent;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& node = *g.nodes()[i];
    if (plan_.skipped_nodes.count(&node)) continue;
    for (const Value* in : node.inputs())
      if (data_dependent.count(in))
        return unsupported("{} reads '{}', whose shape depends on the data: CUDA engines take such tensors only as "
                           "graph outputs",
                           node.describe(), in->name());
    const NodeAnnotation& a = info.annotations.at(i);
    KILN_ASSIGN_OR_RETURN(cuda::LayerSpec spec,
                          make_layer_spec(node, dims, info.build.tf32,
                                          info.build.workspace_limit ? info.build.workspace_limit : size_t{1} << 30,
                                          &host_values_, /*data_dependent_outputs=*/true));
    cuda::Tactic tactic{a.tactic, a.tactic_id};
    const cuda::TacticProvider* provider = find_provider(a.provider);
    if (provider != nullptr && spec.has_data_dependent_output() && !provider->computes_data_dependent_shapes())
      return unsupported("{}: the plan's tactic provider '{}' cannot size its data-dependent output", node.describe(),
                         a.provider);
    if (a.provider.empty()) {
      // Not timed at build (its shapes come from shape tensors): the first provider that runs it.
      KILN_ASSIGN_OR_RETURN(std::tie(provider, tactic), first_tactic(spec, dev, info.build.host_fallback));
    } else if (provider == nullptr) {
      return invalid_argument("{}: the plan names tactic provider '{}', which this Kiln does not have", node.describe(), a.provider);
    }
    auto kernel = provider->create(spec, tactic, dev);
    if (!kernel.ok()) {
      // Shapes other than the ones tuned for may not suit the recorded tactic: take the
      // provider's first candidate for these shapes.
      auto tactics = provider->takes(spec).ok() ? provider->tactics(spec, dev) : Expected<std::vector<cuda::Tactic>>(kernel.status());
      if (!tactics.ok() || tactics->empty()) return with_context(kernel.status(), node.describe());
      kernel = provider->create(spec, tactics->front(), dev);
      if (!kernel.ok()) return with_context(kernel.status(), node.describe());
    }
    Layer layer;
    layer.node = &node;
    if (!schedule_.stream.empty()) {
      layer.stream = schedule_.stream[i];
      for (size_t w : schedule_.waits[i]) layer.waits.push_back(w);  // node steps for now
    }
    layer.kernel = std::move(kernel).value();
    layer.tactic = tactic.name;
    capturable_ = capturable_ && layer.kernel->capturable();
    workspace = std::max(workspace, layer.kernel->workspace_bytes());
    for (int k : spec.node_input_of_op) {
      KILN_ASSIGN_OR_RETURN(TensorRef r, ref_of(k < 0 ? nullptr : node.inputs()[static_cast<size_t>(k)]));
      layer.inputs.push_back(r);
    }
    for (size_t k = 0; k < node.outputs().size(); ++k) {
      const Value* out = node.outputs()[k];
      if (!spec.outputs[k].data_dependent) {
        KILN_ASSIGN_OR_RETURN(TensorRef r, ref_of(out));
        layer.outputs.push_back(r);
        continue;
      }
      // A buffer for the largest output the kernel can write; its dims are read after each run.
      KILN_ASSIGN_OR_RETURN(auto capacity, layer.kernel->output_capacity(k));
      KILN_ASSIGN_OR_RETURN(auto buf, cuda::DeviceBuffer::allocate(std::max<size_t>(
                                          1, static_cast<size_t>(checked_numel(capacity)) * data_type_size(out->dtype()))));
      own_.push_back(std::move(buf));
      layer.outputs.push_back({TensorRef::kOwn, own_.size() - 1, nullptr, 0});
      layer.data_dependent_outputs.push_back(k);
      data_dependent.insert(out);
      capturable_ = false;  // the run stops after this layer to read the dims
    }
    layers_.push_back(std::move(layer));
  }
  // Waits name node steps; the layers list leaves skipped nodes out.
  std::unordered_map<size_t, size_t> layer_of_step;
  for (size_t l = 0, i = 0; i < g.nodes().size(); ++i)
    if (!plan_.skipped_nodes.count(g.nodes()[i].get())) layer_of_step[i] = l++;
  streams_used_ = 1;
  for (Layer& layer : layers_) {
    for (size_t& w : layer.waits) {
      w = layer_of_step.at(w);
      layers_[w].record = true;
    }
    streams_used_ = std::max(streams_used_, layer.stream + 1);
  }
  for (size_t s = 1; s < schedule_.last_on_stream.size(); ++s) layers_[layer_of_step.at(schedule_.last_on_stream[s])].record = true;
  KILN_RETURN_IF_ERROR(make_streams(static_cast<size_t>(streams_used_ - 1), workspace));
  if (workspace_.bytes() < workspace) {
    workspace_ = cuda::DeviceBuffer();
    KILN_ASSIGN_OR_RETURN(workspace_, cuda::DeviceBuffer::allocate(align256(workspace)));
  }
  if (lent_arena_ == nullptr && own_arena_.bytes() < plan_.arena_bytes) {
    own_arena_ = cuda::DeviceBuffer();
    KILN_ASSIGN_OR_RETURN(own_arena_, cuda::DeviceBuffer::allocate(plan_.arena_bytes));
  }
  return Status::Ok();
}

Status CudaContext::make_streams(size_t count, size_t workspace) {
  while (aux_.size() < count) {
    Lane lane;
    KILN_ASSIGN_OR_RETURN(lane.handles, cuda::DeviceHandles::create(engine_.device()));
    KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&lane.stream, cudaStreamNonBlocking));
    aux_.push_back(std::move(lane));
  }
  for (Lane& lane : aux_)
    if (lane.workspace.bytes() < workspace) {
      lane.workspace = cuda::DeviceBuffer();
      KILN_ASSIGN_OR_RETURN(lane.workspace, cuda::DeviceBuffer::allocate(align256(workspace)));
    }
  while (done_events_.size() < layers_.size()) {
    cudaEvent_t e = nullptr;
    KILN_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    done_events_.push_back(e);
  }
  if (fork_event_ == nullptr) KILN_CUDA_CHECK(cudaEventCreateWithFlags(&fork_event_, cudaEventDisableTiming));
  return Status::Ok();
}

void* CudaContext::address(const TensorRef& r) const {
  switch (r.kind) {
    case TensorRef::kNone: return nullptr;
    case TensorRef::kGraphInput:
      return staging_[r.index].get() != nullptr ? staging_[r.index].get() : const_cast<void*>(inputs_[r.index].data);
    case TensorRef::kConstant: return const_cast<void*>(r.constant);
    case TensorRef::kArena: return arena_ + r.offset;
    case TensorRef::kOwn: return own_[r.index].get();
  }
  return nullptr;
}

Expected<std::vector<void*>> CudaContext::resolve(const std::vector<TensorRef>& refs) const {
  std::vector<void*> out;
  out.reserve(refs.size());
  for (const TensorRef& r : refs) out.push_back(address(r));
  return out;
}

Status CudaContext::launch_layers(cudaStream_t stream) {
  const cuda::DeviceContext& dev = handles_->context();
  KILN_CUDNN_CHECK(cudnnSetStream(dev.cudnn, stream));
  std::vector<cuda::LaunchEnv> envs{{stream, dev.cudnn, dev.cublaslt, workspace_.get(), workspace_.bytes()}};
  for (int k = 1; k < streams_used_; ++k) {
    Lane& lane = aux_[static_cast<size_t>(k - 1)];
    const cuda::DeviceContext& d = lane.handles->context();
    KILN_CUDNN_CHECK(cudnnSetStream(d.cudnn, lane.stream));
    envs.push_back({lane.stream, d.cudnn, d.cublaslt, lane.workspace.get(), lane.workspace.bytes()});
  }
  // The auxiliary streams start once the main stream has reached this run (its inputs).
  if (streams_used_ > 1) {
    KILN_CUDA_CHECK(cudaEventRecord(fork_event_, stream));
    for (int k = 1; k < streams_used_; ++k) KILN_CUDA_CHECK(cudaStreamWaitEvent(envs[static_cast<size_t>(k)].stream, fork_event_));
  }
  if (profiling_) {
    while (layer_events_.size() < layers_.size()) {
      cudaEvent_t a = nullptr, b = nullptr;
      KILN_CUDA_CHECK(cudaEventCreate(&a));
      KILN_CUDA_CHECK(cudaEventCreate(&b));
      layer_events_.emplace_back(a, b);
    }
    if (start_event_ == nullptr) KILN_CUDA_CHECK(cudaEventCreate(&start_event_));
    KILN_CUDA_CHECK(cudaEventRecord(start_event_, stream));
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    std::vector<const void*> ins;
    ins.reserve(layer.inputs.size());
    for (const TensorRef& r : layer.inputs) ins.push_back(address(r));
    std::vector<void*> outs;
    outs.reserve(layer.outputs.size());
    for (const TensorRef& r : layer.outputs) outs.push_back(address(r));
    const cuda::LaunchEnv& env = envs[static_cast<size_t>(layer.stream)];
    for (size_t w : layer.waits) KILN_CUDA_CHECK(cudaStreamWaitEvent(env.stream, done_events_[w]));
    if (profiling_) KILN_CUDA_CHECK(cudaEventRecord(layer_events_[i].first, env.stream));
    Status s = layer.kernel->enqueue(env, ins, outs);
    if (!s.ok()) return with_context(s, layer.node->describe());
    if (profiling_) KILN_CUDA_CHECK(cudaEventRecord(layer_events_[i].second, env.stream));
    if (layer.record) KILN_CUDA_CHECK(cudaEventRecord(done_events_[i], env.stream));
    if (!layer.data_dependent_outputs.empty()) {
      // The output's dims are on the device: wait for the layer, then read them.
      KILN_CUDA_CHECK(cudaStreamSynchronize(env.stream));
      for (size_t k : layer.data_dependent_outputs) {
        auto out_dims = layer.kernel->output_dims(k);
        if (!out_dims.ok()) return with_context(out_dims.status(), layer.node->describe());
        dims_[layer.node->outputs()[k]] = std::move(out_dims).value();
      }
    }
  }
  // The run ends when every stream has: the main stream waits for the others' last layers.
  for (size_t k = 1; k < schedule_.last_on_stream.size() && streams_used_ > 1; ++k) {
    size_t last = 0;
    for (size_t i = 0; i < layers_.size(); ++i)
      if (layers_[i].stream == static_cast<int>(k)) last = i;
    KILN_CUDA_CHECK(cudaStreamWaitEvent(stream, done_events_[last]));
  }
  return Status::Ok();
}

Status CudaContext::collect_timings() {
  timings_.clear();
  for (size_t i = 0; i < layers_.size(); ++i) {
    KILN_CUDA_CHECK(cudaEventSynchronize(layer_events_[i].second));
    float start = 0, end = 0;
    KILN_CUDA_CHECK(cudaEventElapsedTime(&start, start_event_, layer_events_[i].first));
    KILN_CUDA_CHECK(cudaEventElapsedTime(&end, start_event_, layer_events_[i].second));
    timings_.push_back({layers_[i].node->name(), layers_[i].tactic, start, end - start, layers_[i].stream});
  }
  return Status::Ok();
}

Status CudaContext::enqueue(void* stream_ptr) {
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  KILN_CUDA_CHECK(cudaSetDevice(engine_.device()));
  KILN_RETURN_IF_ERROR(prepare());
  if (lent_arena_ != nullptr) {
    if (lent_bytes_ < plan_.arena_bytes)
      return invalid_argument("the activation memory set is {} bytes, but the bound input shapes need {}", lent_bytes_,
                              plan_.arena_bytes);
    arena_ = static_cast<std::byte*>(lent_arena_);
  } else {
    arena_ = static_cast<std::byte*>(own_arena_.get());
  }
  // Host inputs are copied in first; the captured graph then reads the staging copies.
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].on_device) {
      staging_[i] = cuda::DeviceBuffer();
      continue;
    }
    const size_t bytes = static_cast<size_t>(checked_numel(inputs_[i].dims)) * data_type_size(inputs_[i].dtype);
    if (staging_[i].bytes() < bytes) {
      KILN_ASSIGN_OR_RETURN(staging_[i], cuda::DeviceBuffer::allocate(std::max<size_t>(bytes, 1)));
    }
    KILN_CUDA_CHECK(cudaMemcpyAsync(staging_[i].get(), inputs_[i].data, bytes, cudaMemcpyHostToDevice, stream));
  }
  // The first run at new shapes runs eagerly (libraries initialise lazily); later ones replay.
  const bool replay = use_graph_ && capturable_ && !profiling_ && runs_at_these_shapes_ > 0;
  ++runs_at_these_shapes_;
  if (!replay) {
    KILN_RETURN_IF_ERROR(launch_layers(stream));
    if (profiling_) KILN_RETURN_IF_ERROR(collect_timings());
    return Status::Ok();
  }
  std::vector<const void*> key;
  for (size_t i = 0; i < inputs_.size(); ++i) key.push_back(address({TensorRef::kGraphInput, i, nullptr, 0}));
  key.push_back(arena_);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    // Several input buffers in turn (benchmarks, pipelines) each get a graph; bound the count.
    if (graphs_.size() >= 16) release_graphs();
    KILN_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    Status s = launch_layers(stream);
    cudaGraph_t graph = nullptr;
    cudaError_t end = cudaStreamEndCapture(stream, &graph);
    KILN_RETURN_IF_ERROR(s);
    KILN_CUDA_CHECK(end);
    cudaGraphExec_t exec = nullptr;
    cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    KILN_CUDA_CHECK(inst);
    it = graphs_.emplace(std::move(key), exec).first;
  }
  KILN_CUDA_CHECK(cudaGraphLaunch(it->second, stream));
  return Status::Ok();
}

Expected<TensorView> CudaContext::output(const std::string& name) const {
  const Graph& g = engine_.graph();
  for (const Value* v : g.outputs()) {
    if (v->name() != name) continue;
    if (!prepared_ || runs_at_these_shapes_ == 0)
      return invalid_argument("output '{}' is not available: no run has been enqueued", name);
    for (size_t i = 0; i < g.inputs().size(); ++i)
      if (g.inputs()[i] == v) return TensorView{v->dtype(), inputs_[i].dims, address({TensorRef::kGraphInput, i, nullptr, 0}), true};
    if (v->is_constant())
      return TensorView{v->dtype(), v->constant().dims(), engine_.device_constant(v), true};
    auto d = dims_.find(v);
    if (d == dims_.end()) return internal_error("output '{}' has no shape", name);
    if (auto it = plan_.values.find(v); it != plan_.values.end())
      return TensorView{v->dtype(), d->second, arena_ + it->second.offset, true};
    for (const Layer& layer : layers_)
      for (size_t k = 0; k < layer.node->outputs().size(); ++k)
        if (layer.node->outputs()[k] == v) return TensorView{v->dtype(), d->second, address(layer.outputs[k]), true};
    return internal_error("output '{}' has no storage", name);
  }
  std::string names;
  for (const Value* v : g.outputs()) names += (names.empty() ? "'" : ", '") + v->name() + "'";
  return not_found("the engine has no output '{}' (outputs: {})", name, names);
}

}  // namespace

CudaEngine::CudaEngine(std::shared_ptr<const Graph> graph, PlanInfo info, int device)
    : graph_(std::move(graph)), info_(std::move(info)), device_(device), io_(graph_io_tensors(*graph_)) {}

Expected<std::unique_ptr<CudaEngine>> CudaEngine::create(std::shared_ptr<const Graph> graph, PlanInfo info, int device) {
  if (info.annotations.size() != graph->nodes().size())
    return invalid_argument("the plan has {} layer tactics for {} layers", info.annotations.size(), graph->nodes().size());
  for (size_t i = 0; i < info.profiles.size(); ++i) KILN_RETURN_IF_ERROR(check_profile(*graph, info.profiles[i], i));
  std::unique_ptr<CudaEngine> e(new CudaEngine(std::move(graph), std::move(info), device));
  KILN_CUDA_CHECK(cudaSetDevice(device));
  KILN_RETURN_IF_ERROR(e->upload_constants());
  return e;
}

Status CudaEngine::upload_constants() {
  std::vector<const Value*> constants;
  size_t bytes = 0;
  for (const auto& n : graph_->nodes())
    for (const Value* v : n->inputs())
      if (v != nullptr && v->is_constant() && !constants_.count(v)) {
        constants_[v] = nullptr;
        constants.push_back(v);
        bytes += align256(std::max<size_t>(v->constant().nbytes(), 1));
      }
  for (const Value* v : graph_->outputs())
    if (v->is_constant() && !constants_.count(v)) {
      constants_[v] = nullptr;
      constants.push_back(v);
      bytes += align256(std::max<size_t>(v->constant().nbytes(), 1));
    }
  KILN_ASSIGN_OR_RETURN(weights_, cuda::DeviceBuffer::allocate(bytes));
  size_t offset = 0;
  for (const Value* v : constants) {
    auto* dst = static_cast<std::byte*>(weights_.get()) + offset;
    KILN_CUDA_CHECK(cudaMemcpy(dst, v->constant().raw(), v->constant().nbytes(), cudaMemcpyHostToDevice));
    constants_[v] = dst;
    offset += align256(std::max<size_t>(v->constant().nbytes(), 1));
  }
  return Status::Ok();
}

Expected<std::unique_ptr<ExecutionContext>> CudaEngine::create_context() const {
  KILN_ASSIGN_OR_RETURN(auto handles, cuda::DeviceHandles::create(device_));
  cudaStream_t stream = nullptr;
  KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return std::unique_ptr<ExecutionContext>(new CudaContext(*this, std::move(handles), stream));
}

Expected<std::vector<uint8_t>> CudaEngine::serialize() const { return serialize_plan(*graph_, info_); }

}  // namespace kiln
