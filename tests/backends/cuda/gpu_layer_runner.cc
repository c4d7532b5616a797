#include "gpu_layer_runner.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "backends/cuda/cuda_check.h"
#include "core/dispatch.h"
#include "core/half.h"
#include "ir/op_schema.h"
#include "gtest/gtest.h"

namespace kiln::testing {

const cuda::DeviceContext& test_device() {
  static std::unique_ptr<cuda::DeviceHandles> handles = [] {
    auto h = cuda::DeviceHandles::create(0);
    if (!h.ok()) {
      ADD_FAILURE() << h.status().to_string();
      return std::unique_ptr<cuda::DeviceHandles>();
    }
    return std::move(h).value();
  }();
  static cuda::DeviceContext none;
  return handles ? handles->context() : none;
}

std::unique_ptr<OwnedNode> node_in_graph(const std::string& op_type, const std::string& domain, int opset,
                                         const std::map<std::string, Attribute>& attrs,
                                         const std::vector<Tensor>& inputs, int num_outputs) {
  auto owned = std::make_unique<OwnedNode>();
  Graph& g = owned->graph;
  Node* n = g.add_node(op_type, op_type, domain, opset);
  n->set_schema(OpRegistry::global().find(op_type, domain));
  for (size_t i = 0; i < inputs.size(); ++i)
    n->inputs().push_back(inputs[i].defined() ? g.get_or_add_value("in" + std::to_string(i)) : nullptr);
  for (int i = 0; i < num_outputs; ++i) n->outputs().push_back(g.get_or_add_value("out" + std::to_string(i)));
  n->attrs() = attrs;
  if (n->schema() == nullptr) {
    ADD_FAILURE() << "no schema for " << op_type;
  } else {
    const Status filled = n->schema()->check_and_fill_defaults(*n);
    if (!filled.ok()) ADD_FAILURE() << op_type << ": " << filled.to_string();
  }
  owned->node = n;
  return owned;
}

cuda::LayerSpec make_spec(const Node& node, const std::vector<Tensor>& inputs,
                          const std::vector<std::vector<int64_t>>& output_dims,
                          const std::vector<DataType>& output_dtypes, const std::vector<int>& constant_inputs) {
  cuda::LayerSpec spec;
  spec.node = &node;
  spec.op = &node;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      spec.inputs.push_back(std::nullopt);
      continue;
    }
    cuda::TensorDesc d{inputs[i].dtype(), inputs[i].dims(), nullptr};
    for (int c : constant_inputs)
      if (static_cast<size_t>(c) == i) d.host_constant = &inputs[i];
    spec.inputs.push_back(d);
  }
  for (size_t i = 0; i < output_dims.size(); ++i) spec.outputs.push_back({output_dtypes[i], output_dims[i], nullptr});
  return spec;
}

namespace {

Status run_one(const cuda::TacticProvider& p, const cuda::Tactic& t, const cuda::LayerSpec& spec,
               const std::vector<Tensor>& inputs, TacticRun& run) {
  const cuda::DeviceContext& dev = test_device();
  KILN_ASSIGN_OR_RETURN(auto kernel, p.create(spec, t, dev));
  std::vector<cuda::DeviceBuffer> in_bufs, out_bufs;
  std::vector<const void*> in_ptrs;
  std::vector<void*> out_ptrs;
  for (const Tensor& x : inputs) {
    if (!x.defined()) {
      in_ptrs.push_back(nullptr);
      in_bufs.emplace_back();
      continue;
    }
    KILN_ASSIGN_OR_RETURN(auto b, cuda::DeviceBuffer::allocate(std::max<size_t>(x.nbytes(), 1)));
    KILN_CUDA_CHECK(cudaMemcpy(b.get(), x.raw(), x.nbytes(), cudaMemcpyHostToDevice));
    in_ptrs.push_back(b.get());
    in_bufs.push_back(std::move(b));
  }
  for (const cuda::TensorDesc& o : spec.outputs) {
    Tensor host(o.dtype, o.dims);
    KILN_ASSIGN_OR_RETURN(auto b, cuda::DeviceBuffer::allocate(std::max<size_t>(host.nbytes(), 1)));
    // A recognisable pattern, so a kernel that leaves elements unwritten fails the comparison.
    KILN_CUDA_CHECK(cudaMemset(b.get(), 0x7f, b.bytes()));
    out_ptrs.push_back(b.get());
    out_bufs.push_back(std::move(b));
    run.outputs.push_back(std::move(host));
  }
  KILN_ASSIGN_OR_RETURN(auto ws, cuda::DeviceBuffer::allocate(kernel->workspace_bytes()));
  cudaStream_t stream = nullptr;
  KILN_CUDA_CHECK(cudaStreamCreate(&stream));
  KILN_CUDNN_CHECK(cudnnSetStream(dev.cudnn, stream));
  cuda::LaunchEnv env{stream, dev.cudnn, dev.cublaslt, ws.get(), ws.bytes()};
  Status s = kernel->enqueue(env, in_ptrs, out_ptrs);
  if (s.ok()) s = cuda::cuda_status(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  cudaStreamDestroy(stream);
  KILN_RETURN_IF_ERROR(s);
  for (size_t i = 0; i < out_bufs.size(); ++i)
    KILN_CUDA_CHECK(cudaMemcpy(run.outputs[i].raw(), out_bufs[i].get(), run.outputs[i].nbytes(), cudaMemcpyDeviceToHost));
  return Status::Ok();
}

}  // namespace

Expected<std::vector<TacticRun>> run_all_tactics(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs) {
  std::vector<TacticRun> runs;
  const cuda::DeviceContext& dev = test_device();
  if (dev.cudnn == nullptr) return internal_error("no device");
  for (const cuda::TacticProvider* p : cuda::all_providers()) {
    if (!p->supports(spec).ok()) continue;
    KILN_ASSIGN_OR_RETURN(auto tactics, p->tactics(spec, dev));
    for (const cuda::Tactic& t : tactics) {
      TacticRun run{std::string(p->name()), t.name, {}};
      Status s = run_one(*p, t, spec, inputs, run);
      if (!s.ok()) return with_context(s, "tactic " + t.name);
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

namespace {

double value_at(const Tensor& t, int64_t i) {
  double v = 0;
  (void)KILN_DISPATCH_ALL(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    v = static_cast<double>(static_cast<float>(t.data<T>()[i]));
    return Status::Ok();
  });
  return v;
}

}  // namespace

double relative_error(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = value_at(a, i), y = value_at(b, i);
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (std::isnan(x)) continue;
    num += (x - y) * (x - y);
    den += y * y;
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

Tensor convert(const Tensor& t, DataType dtype) {
  Tensor out(dtype, t.dims());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = value_at(t, i);
    (void)KILN_DISPATCH_ALL(dtype, [&](auto tag) {
      using T = decltype(tag);
      out.data<T>()[i] = static_cast<T>(static_cast<float>(v));
      return Status::Ok();
    });
  }
  return out;
}

namespace {

// Moves axis `from` to position `to` (element size generic).
Tensor move_axis(const Tensor& t, int from, int to) {
  std::vector<int> perm;
  for (int i = 0; i < t.rank(); ++i)
    if (i != from) perm.push_back(i);
  perm.insert(perm.begin() + to, from);
  std::vector<int64_t> out_dims;
  for (int p : perm) out_dims.push_back(t.dim(p));
  Tensor out(t.dtype(), out_dims);
  const size_t es = data_type_size(t.dtype());
  std::vector<int64_t> in_strides(static_cast<size_t>(t.rank()), 1);
  for (int i = t.rank() - 2; i >= 0; --i) in_strides[static_cast<size_t>(i)] = in_strides[static_cast<size_t>(i) + 1] * t.dim(i + 1);
  std::vector<int64_t> idx(static_cast<size_t>(t.rank()), 0);
  for (int64_t o = 0; o < out.numel(); ++o) {
    int64_t rem = o, src = 0;
    for (int k = t.rank() - 1; k >= 0; --k) {
      const int64_t i = rem % out_dims[static_cast<size_t>(k)];
      rem /= out_dims[static_cast<size_t>(k)];
      src += i * in_strides[static_cast<size_t>(perm[static_cast<size_t>(k)])];
    }
    std::memcpy(static_cast<char*>(out.raw()) + o * es, static_cast<const char*>(t.raw()) + src * es, es);
  }
  return out;
}

}  // namespace

Tensor to_channels_last(const Tensor& t) { return move_axis(t, 1, t.rank() - 1); }
Tensor from_channels_last(const Tensor& t) { return move_axis(t, t.rank() - 1, 1); }

Tensor random_tensor(DataType dtype, std::vector<int64_t> dims, float lo, float hi, unsigned seed) {
  Tensor out(dtype, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < out.numel(); ++i) {
    float v = u(rng);
    if (!is_floating(dtype)) v = std::round(v);
    (void)KILN_DISPATCH_ALL(dtype, [&](auto tag) {
      using T = decltype(tag);
      out.data<T>()[i] = static_cast<T>(v);
      return Status::Ok();
    });
  }
  return out;
}

Expected<CaptureRun> run_direct_and_captured(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                             const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs) {
  CaptureRun run;
  Tensor& direct = run.direct;
  Tensor& replayed = run.replayed;
  const cuda::DeviceContext& dev = test_device();
  KILN_ASSIGN_OR_RETURN(auto kernel, provider.create(spec, tactic, dev));
  std::vector<cuda::DeviceBuffer> buffers;
  std::vector<const void*> in_ptrs;
  for (const Tensor& t : inputs) {
    if (!t.defined()) {
      in_ptrs.push_back(nullptr);
      continue;
    }
    KILN_ASSIGN_OR_RETURN(auto buf, cuda::DeviceBuffer::allocate(std::max<size_t>(t.nbytes(), 1)));
    KILN_CUDA_CHECK(cudaMemcpy(buf.get(), t.raw(), t.nbytes(), cudaMemcpyHostToDevice));
    in_ptrs.push_back(buf.get());
    buffers.push_back(std::move(buf));
  }
  direct = Tensor(spec.outputs[0].dtype, spec.outputs[0].dims);
  replayed = Tensor(spec.outputs[0].dtype, spec.outputs[0].dims);
  KILN_ASSIGN_OR_RETURN(auto y, cuda::DeviceBuffer::allocate(direct.nbytes()));
  KILN_ASSIGN_OR_RETURN(auto ws, cuda::DeviceBuffer::allocate(kernel->workspace_bytes()));
  cudaStream_t stream = nullptr;
  KILN_CUDA_CHECK(cudaStreamCreate(&stream));
  KILN_CUDNN_CHECK(cudnnSetStream(dev.cudnn, stream));
  const cuda::LaunchEnv env{stream, dev.cudnn, dev.cublaslt, ws.get(), ws.bytes()};
  // The direct launch first: engines load their kernels on first use, which capture forbids.
  Status s = kernel->enqueue(env, in_ptrs, {y.get()});
  if (s.ok()) s = cuda::cuda_status(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  if (s.ok()) s = cuda::cuda_status(cudaMemcpy(direct.raw(), y.get(), direct.nbytes(), cudaMemcpyDeviceToHost), "copy");
  if (s.ok()) s = cuda::cuda_status(cudaMemset(y.get(), 0x7f, y.bytes()), "cudaMemset");
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  if (s.ok()) s = cuda::cuda_status(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "BeginCapture");
  if (s.ok()) {
    const Status enqueued = kernel->enqueue(env, in_ptrs, {y.get()});
    s = cuda::cuda_status(cudaStreamEndCapture(stream, &graph), "EndCapture");
    if (!enqueued.ok()) s = enqueued;
  }
  if (s.ok()) s = cuda::cuda_status(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  if (s.ok()) s = cuda::cuda_status(cudaGraphLaunch(exec, stream), "cudaGraphLaunch");
  if (s.ok()) s = cuda::cuda_status(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  if (exec != nullptr) cudaGraphExecDestroy(exec);
  if (graph != nullptr) cudaGraphDestroy(graph);
  cudnnSetStream(dev.cudnn, nullptr);  // the shared handle must not keep a destroyed stream
  cudaStreamDestroy(stream);
  KILN_RETURN_IF_ERROR(s);
  KILN_CUDA_CHECK(cudaMemcpy(replayed.raw(), y.get(), replayed.nbytes(), cudaMemcpyDeviceToHost));
  return run;
}

void expect_capture_matches_enqueue(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                    const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs) {
  auto run = run_direct_and_captured(provider, tactic, spec, inputs);
  ASSERT_TRUE(run.ok()) << tactic.name << ": " << run.status().to_string();
  ASSERT_EQ(run->direct.nbytes(), run->replayed.nbytes());
  EXPECT_EQ(std::memcmp(run->direct.raw(), run->replayed.raw(), run->direct.nbytes()), 0) << tactic.name;
}


}  // namespace kiln::testing
