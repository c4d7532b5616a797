// `kiln bench MODEL.onnx|MODEL.plan [build flags] [--shapes ...] [--iterations N] [--duration S]
//  [--warmup S] [--streams N] [--no-transfers] [--no-cuda-graph] [--json FILE] [--export-profile FILE]`
// measures an engine as trtexec does: throughput, latency percentiles, GPU compute, H2D and D2H
// times, enqueue time and device memory. Inputs rotate through several device buffers so the L2
// cache does not hold them between iterations.
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tools/kiln/bench_stats.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"

#if KILN_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace kiln::cli {

namespace {

struct BenchOptions {
  std::string model;
  BuildFlags flags;
  std::vector<std::string> shapes;
  int iterations = 0;       // 0: run for `duration`
  double duration = 3.0;    // seconds
  double warmup = 0.5;      // seconds
  int streams = 1;
  int buffers = 4;
  bool no_transfers = false;
  bool no_cuda_graph = false;
  std::string json_path;
  std::string profile_path;
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int64_t batch_of(const std::vector<std::pair<std::string, Tensor>>& inputs) {
  return inputs.empty() || inputs[0].second.rank() == 0 ? 1 : inputs[0].second.dim(0);
}

nlohmann::json stats_json(const Stats& s) {
  return {{"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"median", s.median}, {"p90", s.p90}, {"p95", s.p95}, {"p99", s.p99}};
}

void print_stats(const char* what, const Stats& s) {
  std::cout << fmt::format("{:<14} min {:.4f} ms, mean {:.4f}, median {:.4f}, p90 {:.4f}, p95 {:.4f}, p99 {:.4f}, max {:.4f}\n",
                           what, s.min, s.mean, s.median, s.p90, s.p95, s.p99, s.max);
}

Status write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  return out ? Status::Ok() : io_error("cannot write '{}'", path);
}

// Perfetto / chrome://tracing "X" events, one per layer.
Status write_trace(const std::string& path, const std::vector<ExecutionContext::LayerTiming>& layers) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& l : layers)
    events.push_back({{"name", l.name}, {"cat", l.tactic}, {"ph", "X"}, {"pid", 0}, {"tid", l.stream},
                      {"ts", l.start_ms * 1000.0}, {"dur", l.duration_ms * 1000.0}, {"args", {{"tactic", l.tactic}}}});
  return write_json(path, {{"traceEvents", events}, {"displayTimeUnit", "ms"}});
}

// CPU engines: execute() timed on the host.
Status bench_cpu(const BenchOptions& o, Engine& engine, const std::vector<std::pair<std::string, Tensor>>& inputs,
                 nlohmann::json& result) {
  KILN_ASSIGN_OR_RETURN(auto ctx, engine.create_context());
  for (const auto& [name, t] : inputs) KILN_RETURN_IF_ERROR(ctx->set_input(name, {t.dtype(), t.dims(), t.raw()}));
  const auto warm = Clock::now();
  do KILN_RETURN_IF_ERROR(ctx->execute());
  while (ms_since(warm) < o.warmup * 1000);
  std::vector<double> latency;
  const auto start = Clock::now();
  while ((o.iterations > 0 && latency.size() < static_cast<size_t>(o.iterations)) ||
         (o.iterations == 0 && ms_since(start) < o.duration * 1000)) {
    const auto t = Clock::now();
    KILN_RETURN_IF_ERROR(ctx->execute());
    latency.push_back(ms_since(t));
  }
  const double wall = ms_since(start);
  const double qps = 1000.0 * static_cast<double>(latency.size()) / wall;
  const Stats lat = Stats::of(latency);
  std::cout << fmt::format("device: cpu\niterations: {} in {:.3f} s\nthroughput: {:.2f} inferences/s, {:.1f} items/s (batch {})\n",
                           latency.size(), wall / 1000, qps, qps * static_cast<double>(batch_of(inputs)), batch_of(inputs));
  print_stats("latency", lat);
  result["device"] = "cpu";
  result["iterations"] = latency.size();
  result["throughput_qps"] = qps;
  result["throughput_items_per_s"] = qps * static_cast<double>(batch_of(inputs));
  result["latency_ms"] = stats_json(lat);
  return Status::Ok();
}

#if KILN_HAVE_CUDA

#define BENCH_CUDA(call)                                                                        \
  do {                                                                                         \
    cudaError_t e_ = (call);                                                                   \
    if (e_ != cudaSuccess) return internal_error("{} failed: {}", #call, cudaGetErrorString(e_)); \
  } while (0)

// One context on its own stream, with its input buffers and the events of its iterations.
struct Lane {
  std::unique_ptr<ExecutionContext> ctx;
  cudaStream_t stream = nullptr;
  std::vector<std::vector<void*>> device_inputs;  // [buffer][input]
  std::vector<void*> host_inputs;                 // pinned, one per input
  std::vector<std::pair<TensorView, void*>> outputs;  // device view, pinned host copy
};

struct IterationEvents {
  cudaEvent_t start, h2d, compute, end;
};

Status bench_cuda(const BenchOptions& o, Engine& engine, const std::vector<std::pair<std::string, Tensor>>& inputs,
                  nlohmann::json& result) {
  std::vector<Lane> lanes(static_cast<size_t>(std::max(o.streams, 1)));
  size_t context_bytes = 0;
  for (Lane& lane : lanes) {
    KILN_ASSIGN_OR_RETURN(lane.ctx, engine.create_context());
    KILN_RETURN_IF_ERROR(lane.ctx->set_cuda_graph(!o.no_cuda_graph));
    BENCH_CUDA(cudaStreamCreateWithFlags(&lane.stream, cudaStreamNonBlocking));
    lane.device_inputs.resize(static_cast<size_t>(std::max(o.buffers, 1)));
    for (const auto& [name, t] : inputs) {
      void* host = nullptr;
      BENCH_CUDA(cudaMallocHost(&host, std::max<size_t>(t.nbytes(), 1)));
      std::memcpy(host, t.raw(), t.nbytes());
      lane.host_inputs.push_back(host);
      for (auto& set : lane.device_inputs) {
        void* dev = nullptr;
        BENCH_CUDA(cudaMalloc(&dev, std::max<size_t>(t.nbytes(), 1)));
        BENCH_CUDA(cudaMemcpy(dev, t.raw(), t.nbytes(), cudaMemcpyHostToDevice));
        set.push_back(dev);
      }
    }
  }
  auto bind = [&](Lane& lane, size_t buffer) -> Status {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& t = inputs[i].second;
      KILN_RETURN_IF_ERROR(lane.ctx->set_input(inputs[i].first, {t.dtype(), t.dims(), lane.device_inputs[buffer][i], true}));
    }
    return Status::Ok();
  };
  // One run per lane makes the kernels and arenas; then the outputs' addresses are known.
  for (Lane& lane : lanes) {
    KILN_RETURN_IF_ERROR(bind(lane, 0));
    KILN_RETURN_IF_ERROR(lane.ctx->enqueue(lane.stream));
    BENCH_CUDA(cudaStreamSynchronize(lane.stream));
    for (const TensorInfo& info : engine.io_tensors()) {
      if (info.mode != TensorIOMode::kOutput) continue;
      KILN_ASSIGN_OR_RETURN(TensorView v, lane.ctx->output(info.name));
      void* host = nullptr;
      const size_t bytes = static_cast<size_t>(checked_numel(v.dims)) * data_type_size(v.dtype);
      BENCH_CUDA(cudaMallocHost(&host, std::max<size_t>(bytes, 1)));
      lane.outputs.emplace_back(v, host);
    }
    context_bytes += lane.ctx->device_memory_bytes();
  }
  auto run_iteration = [&](size_t i, IterationEvents* ev, double* enqueue_ms) -> Status {
    Lane& lane = lanes[i % lanes.size()];
    const size_t buffer = (i / lanes.size()) % lane.device_inputs.size();
    KILN_RETURN_IF_ERROR(bind(lane, buffer));
    if (ev) BENCH_CUDA(cudaEventRecord(ev->start, lane.stream));
    if (!o.no_transfers)
      for (size_t k = 0; k < inputs.size(); ++k)
        BENCH_CUDA(cudaMemcpyAsync(lane.device_inputs[buffer][k], lane.host_inputs[k], inputs[k].second.nbytes(),
                                   cudaMemcpyHostToDevice, lane.stream));
    if (ev) BENCH_CUDA(cudaEventRecord(ev->h2d, lane.stream));
    const auto t = Clock::now();
    KILN_RETURN_IF_ERROR(lane.ctx->enqueue(lane.stream));
    if (enqueue_ms) *enqueue_ms = ms_since(t);
    if (ev) BENCH_CUDA(cudaEventRecord(ev->compute, lane.stream));
    if (!o.no_transfers)
      for (const auto& [view, host] : lane.outputs)
        BENCH_CUDA(cudaMemcpyAsync(host, view.data, static_cast<size_t>(checked_numel(view.dims)) * data_type_size(view.dtype),
                                   cudaMemcpyDeviceToHost, lane.stream));
    if (ev) BENCH_CUDA(cudaEventRecord(ev->end, lane.stream));
    return Status::Ok();
  };
  // Warm-up: also captures the CUDA graph of each input buffer.
  const auto warm = Clock::now();
  for (size_t i = 0; ms_since(warm) < o.warmup * 1000 || i < lanes.size() * static_cast<size_t>(o.buffers) * 2; ++i)
    KILN_RETURN_IF_ERROR(run_iteration(i, nullptr, nullptr));
  BENCH_CUDA(cudaDeviceSynchronize());

  std::vector<IterationEvents> events;
  std::vector<double> enqueue_ms;
  auto new_events = [&]() -> Status {
    IterationEvents e{};
    BENCH_CUDA(cudaEventCreate(&e.start));
    BENCH_CUDA(cudaEventCreate(&e.h2d));
    BENCH_CUDA(cudaEventCreate(&e.compute));
    BENCH_CUDA(cudaEventCreate(&e.end));
    events.push_back(e);
    return Status::Ok();
  };
  const auto start = Clock::now();
  for (size_t i = 0;; ++i) {
    if (o.iterations > 0 ? i >= static_cast<size_t>(o.iterations) : ms_since(start) >= o.duration * 1000) break;
    KILN_RETURN_IF_ERROR(new_events());
    double enq = 0;
    KILN_RETURN_IF_ERROR(run_iteration(i, &events.back(), &enq));
    enqueue_ms.push_back(enq);
    // Keep the host at most a few iterations ahead of each stream, as a serving loop would.
    if (i >= 2 * lanes.size()) BENCH_CUDA(cudaEventSynchronize(events[i - 2 * lanes.size()].end));
  }
  BENCH_CUDA(cudaDeviceSynchronize());
  const double wall = ms_since(start);
  std::vector<double> latency, compute, h2d, d2h;
  for (const auto& e : events) {
    float a = 0, b = 0, c = 0, d = 0;
    BENCH_CUDA(cudaEventElapsedTime(&a, e.start, e.end));
    BENCH_CUDA(cudaEventElapsedTime(&b, e.h2d, e.compute));
    BENCH_CUDA(cudaEventElapsedTime(&c, e.start, e.h2d));
    BENCH_CUDA(cudaEventElapsedTime(&d, e.compute, e.end));
    latency.push_back(a);
    compute.push_back(b);
    h2d.push_back(c);
    d2h.push_back(d);
    for (cudaEvent_t ev : {e.start, e.h2d, e.compute, e.end}) cudaEventDestroy(ev);
  }
  const double qps = 1000.0 * static_cast<double>(events.size()) / wall;
  const int64_t batch = batch_of(inputs);
  cudaDeviceProp props{};
  cudaGetDeviceProperties(&props, 0);
  std::cout << fmt::format("device: {}\nstreams: {}, CUDA graph: {}, transfers: {}, input buffers: {}\n", props.name,
                           lanes.size(), o.no_cuda_graph ? "off" : "on", o.no_transfers ? "off" : "on", o.buffers);
  std::cout << fmt::format("iterations: {} in {:.3f} s\nthroughput: {:.2f} inferences/s, {:.1f} items/s (batch {})\n",
                           events.size(), wall / 1000, qps, qps * static_cast<double>(batch), batch);
  const Stats lat = Stats::of(latency), gpu = Stats::of(compute), in = Stats::of(h2d), out = Stats::of(d2h),
              enq = Stats::of(enqueue_ms);
  print_stats("latency", lat);
  print_stats("GPU compute", gpu);
  print_stats("H2D", in);
  print_stats("D2H", out);
  print_stats("enqueue (host)", enq);
  std::cout << fmt::format("device memory: engine {:.1f} MiB, contexts {:.1f} MiB\n", engine.weights_bytes() / 1048576.0,
                           context_bytes / 1048576.0);
  result["device"] = props.name;
  result["streams"] = lanes.size();
  result["cuda_graph"] = !o.no_cuda_graph;
  result["transfers"] = !o.no_transfers;
  result["iterations"] = events.size();
  result["throughput_qps"] = qps;
  result["throughput_items_per_s"] = qps * static_cast<double>(batch);
  result["latency_ms"] = stats_json(lat);
  result["gpu_compute_ms"] = stats_json(gpu);
  result["h2d_ms"] = stats_json(in);
  result["d2h_ms"] = stats_json(out);
  result["enqueue_ms"] = stats_json(enq);
  result["engine_bytes"] = engine.weights_bytes();
  result["context_bytes"] = context_bytes;
  if (!o.profile_path.empty()) {
    Lane& lane = lanes[0];
    KILN_RETURN_IF_ERROR(lane.ctx->set_layer_profiling(true));
    KILN_RETURN_IF_ERROR(bind(lane, 0));
    KILN_RETURN_IF_ERROR(lane.ctx->enqueue(lane.stream));
    BENCH_CUDA(cudaStreamSynchronize(lane.stream));
    KILN_RETURN_IF_ERROR(lane.ctx->set_layer_profiling(false));
    KILN_RETURN_IF_ERROR(write_trace(o.profile_path, lane.ctx->layer_timings()));
    std::cout << "per-layer trace written to " << o.profile_path << " (open it in https://ui.perfetto.dev)\n";
  }
  for (Lane& lane : lanes) {
    for (auto& set : lane.device_inputs)
      for (void* p : set) cudaFree(p);
    for (void* p : lane.host_inputs) cudaFreeHost(p);
    for (auto& [v, host] : lane.outputs) cudaFreeHost(host);
    lane.ctx.reset();
    cudaStreamDestroy(lane.stream);
  }
  return Status::Ok();
}
#endif

Status bench(const BenchOptions& o) {
  KILN_ASSIGN_OR_RETURN(auto shapes, parse_assignments(o.shapes, "--shapes"));
  const auto built = Clock::now();
  KILN_ASSIGN_OR_RETURN(auto engine, load_engine(o.model, o.flags));
  const double build_s = ms_since(built) / 1000;
  KILN_ASSIGN_OR_RETURN(auto inputs, make_inputs(engine->io_tensors(), {}, shapes, 1));
  nlohmann::json result = {{"model", o.model}, {"load_or_build_s", build_s}};
  bool cuda_engine = false;
  {
    KILN_ASSIGN_OR_RETURN(auto probe, engine->create_context());
    cuda_engine = probe->set_cuda_graph(true).ok();
  }
  if (cuda_engine) {
#if KILN_HAVE_CUDA
    KILN_RETURN_IF_ERROR(bench_cuda(o, *engine, inputs, result));
#endif
  } else {
    KILN_RETURN_IF_ERROR(bench_cpu(o, *engine, inputs, result));
  }
  if (!o.json_path.empty()) KILN_RETURN_IF_ERROR(write_json(o.json_path, result));
  return Status::Ok();
}

}  // namespace

void add_bench_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure an engine's throughput and latency (trtexec-style)");
  cmd->add_option("model", opts->model, "ONNX model (built first, with the build flags) or Kiln plan")->required();
  add_build_flags(cmd, opts->flags);
  cmd->add_option("--shapes", opts->shapes, "NAME=1x3x224x224: shapes of dynamic inputs (repeatable)");
  cmd->add_option("--iterations", opts->iterations, "Run this many iterations (default: for --duration)");
  cmd->add_option("--duration", opts->duration, "Seconds to measure for (default 3)");
  cmd->add_option("--warmup", opts->warmup, "Seconds of warm-up before measuring (default 0.5)");
  cmd->add_option("--streams", opts->streams, "Concurrent contexts, each on its own stream (default 1)")->check(CLI::Range(1, 64));
  cmd->add_option("--input-buffers", opts->buffers, "Device input buffers to rotate through (default 4)")->check(CLI::Range(1, 64));
  cmd->add_flag("--no-transfers", opts->no_transfers, "Leave out host<->device copies of inputs and outputs");
  cmd->add_flag("--no-cuda-graph", opts->no_cuda_graph, "Launch layers one by one instead of replaying a CUDA graph");
  cmd->add_option("--json", opts->json_path, "Write the results as JSON");
  cmd->add_option("--export-profile", opts->profile_path, "Write per-layer GPU times as a Chrome trace (Perfetto)");
  cmd->callback([opts, &rc] {
    Status s = bench(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
