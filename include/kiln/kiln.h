// Kiln's public C++ API.
//
//   auto network = kiln::Network::from_onnx_file("model.onnx");      // parse
//   auto engine  = kiln::Builder(config).build(**network);            // optimize and build
//   auto context = (*engine)->create_context();                      // per-thread state
//   context->set_input("image", view); context->execute();           // run
//   auto out = context->output("logits");
//
//   (*engine)->save("model.plan");                                   // a plan file, and later:
//   auto loaded = kiln::Runtime().deserialize("model.plan");         // the same engine, no rebuild
//
// Threading: an Engine is immutable and may be shared by any number of threads; an
// ExecutionContext belongs to one thread at a time. No call throws; each returns a Status.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/data_type.h"
#include "kiln/status.h"

namespace kiln {

class Graph;

// A borrowed, dense, row-major view of tensor memory: host memory, or device memory of the
// current CUDA device (`on_device`).
struct TensorView {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  const void* data = nullptr;
  bool on_device = false;
};

// Usable CUDA devices: 0 without a GPU, its driver, or a Kiln built with the CUDA backend.
int cuda_device_count();

// Copies a view's bytes (host or device memory) to host memory `dst` of at least its size.
Status copy_to_host(const TensorView& view, void* dst);

enum class TensorIOMode { kInput, kOutput };

// An engine or network input/output. Dynamic dimensions are -1, with their symbol in dim_names.
struct TensorInfo {
  std::string name;
  TensorIOMode mode = TensorIOMode::kInput;
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_names;
};

// A model as imported, before building.
class Network {
 public:
  ~Network();
  static Expected<std::unique_ptr<Network>> from_onnx_file(const std::string& path);
  // `base_dir` is where external-data files are looked up.
  static Expected<std::unique_ptr<Network>> from_onnx_bytes(const void* data, size_t size,
                                                            const std::string& base_dir = "");
  std::vector<TensorInfo> io_tensors() const;
  // Readable text form of the graph.
  std::string dump() const;
  // The IR, for Kiln's own tools and the builder.
  const Graph& graph() const { return *graph_; }
  std::shared_ptr<const Graph> shared_graph() const { return graph_; }

 private:
  explicit Network(std::shared_ptr<Graph> graph);
  std::shared_ptr<Graph> graph_;
};

enum class DeviceKind { kCpu, kCuda };

// The range of shapes one input may take at run time: dims of min <= dims <= dims of max,
// per dimension; `opt` is the shape to tune for. Only dynamic dims may vary.
struct ShapeRange {
  std::vector<int64_t> min, opt, max;
};

// One range per dynamic input. An engine may hold several profiles (say, one for batch 1-8
// and one for 9-64); a context runs with one of them at a time.
struct OptimizationProfile {
  std::map<std::string, ShapeRange> inputs;
};

// How activation thresholds are chosen from the observed values of a tensor (scale = threshold / 127).
enum class CalibrationMethod {
  kEntropy,     // the threshold whose 8-bit quantization loses the least information (KL divergence)
  kMinMax,      // max |x|: nothing clipped
  kPercentile,  // the given percentile of |x|
  kMse,         // the least mean squared quantization error (rounding plus clipping): the default
};
enum class ImageLayout { kNCHW, kNHWC };
enum class ChannelOrder { kRGB, kBGR };

// INT8/FP8 calibration: data, method and cache (`kiln build --int8|--fp8 --calib DIR ...`).
struct CalibrationConfig {
  // Folder of samples: images (PNG/JPEG/BMP/...), .npy or TensorProto .pb files, in sorted name
  // order (one sample or a batch per file); with several inputs, one subfolder per input name.
  std::string data_dir;
  // When the file exists its scales are used and no data is needed; otherwise it is written.
  std::string cache_path;
  // MSE by default: entropy is the classic choice, but KL divergence only compares bins, not
  // distances, and spiky histograms (a ReLU of a constant background gives one spike per
  // channel) fool it: on the digits model it costs 0.5 points of top-1 with all 500 calibration
  // digits, and with 128 of them clips a pooled activation near its median (top-1 21%), where
  // MSE loses nothing (bench/accuracy.py).
  CalibrationMethod method = CalibrationMethod::kMse;
  double percentile = 99.99;  // kPercentile
  // Batches to run (0: all the data). A batch is the input's static batch size, or batch_size
  // samples when the batch dimension is dynamic.
  int max_batches = 0;
  int batch_size = 16;
  // Image preprocessing, per channel c: (pixel * scale - mean[c]) / std[c]. mean and std are given
  // in R, G, B order whatever the channel order; one value serves every channel. Images are
  // resized (stb_image_resize) to `resize` {H, W}, by default the input's static H and W (a
  // dynamic H or W: the first optimization profile's opt shape); a 1-channel input gets grayscale.
  std::vector<int64_t> resize;
  std::vector<float> mean{0.f};
  std::vector<float> std{1.f};
  float scale = 1.f / 255.f;
  ChannelOrder channel_order = ChannelOrder::kRGB;
  ImageLayout layout = ImageLayout::kNCHW;
};

// How far a quantized graph's output 0 is from the float graph's, on evaluation data (label-free:
// the float graph's outputs are the reference).
enum class AccuracyMetric {
  kTop1,   // the fraction of rows (argmax over the last axis) whose argmax differs
  kMask,   // 1 - F-score of the quantized mask (output > mask_threshold) against the float one,
           // pooled over all elements of all samples; two empty masks agree (0)
  kRelL2,  // ||y_quantized - y_float|| / ||y_float|| over all samples
};

// INT8 with an accuracy budget (`kiln build --int8 --accuracy-budget 0.5% --eval DIR`): after
// calibration the most sensitive quantized activations stay float, one at a time, until the
// measured drop is within the budget (docs/architecture.md, "Accuracy budget").
struct AccuracyBudgetConfig {
  // The largest drop allowed, as a fraction of the metric (0.005 = 0.5%); negative: no budget,
  // everything calibrated is quantized.
  double budget = -1;
  AccuracyMetric metric = AccuracyMetric::kTop1;
  float mask_threshold = 0.5f;  // kMask
  // Evaluation samples, read exactly like calibration data (the same files and the preprocessing
  // settings of CalibrationConfig).
  std::string data_dir;
  int max_batches = 0;  // batches to evaluate on (0: all)
};

struct BuilderConfig {
  DeviceKind device = DeviceKind::kCpu;
  // Shape ranges for dynamic inputs. Empty: any shape is accepted (memory is planned per run).
  std::vector<OptimizationProfile> profiles;
  // 0 = run the graph as imported ... 3 = every optimization pass.
  int optimization_level = 3;
  // Pass names to skip (for bisecting a wrong result to a pass).
  std::vector<std::string> disabled_passes;
  // When set, the IR before and after each pass is written here.
  std::string dump_ir_dir;

  // --- CUDA builds ---
  int device_index = 0;
  // FP32 layers may use TF32 tensor cores (as PyTorch's default for convolutions).
  bool tf32 = true;
  // 16-bit storage and tensor cores for every float tensor inside the engine (FP32 accumulation;
  // inputs and outputs keep their dtypes). At most one of the two.
  bool fp16 = false;
  bool bf16 = false;
  // Scratch memory any one tactic may use.
  size_t workspace_limit = size_t{1} << 30;
  // Independent branches run on this many auxiliary streams (0: one stream).
  int aux_streams = 0;
  // Layers no CUDA tactic supports run on the host (copied there and back); false makes them a
  // build error naming the layers.
  bool allow_host_fallback = true;
  // Tactic providers to rule out ("-cudnn") or back in ("+cudnn_s2d"), by name prefix; the last
  // matching rule wins (builder/tactic_sources.h).
  std::vector<std::string> tactic_sources;
  // Measured tactic choices, read before tuning and written after (empty: none).
  std::string timing_cache_path;
  // Build log: progress and, with `verbose`, each layer's table of timed tactics.
  std::function<void(const std::string& line)> log;
  bool verbose = false;

  // --- INT8 (post-training quantization, any device) ---
  // Calibrates the optimized graph and inserts QuantizeLinear/DequantizeLinear pairs before the
  // activation inputs of convolutions and matrix products (docs/architecture.md, "INT8").
  bool int8 = false;
  // FP8 (E4M3): the same calibration, scales threshold / 448 and float8e4m3 Q/DQ pairs, so
  // convolutions and matrix products run on FP8 tensor cores (docs/architecture.md, "FP8").
  // At most one of int8 and fp8.
  bool fp8 = false;
  CalibrationConfig calibration;
  AccuracyBudgetConfig accuracy_budget;
};

class ExecutionContext;

// The built, immutable, shareable form of a network.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual const std::vector<TensorInfo>& io_tensors() const = 0;
  virtual Expected<std::unique_ptr<ExecutionContext>> create_context() const = 0;
  // Bytes of weights (constants) the engine holds, shared by all its contexts. Each context's
  // activation memory is ExecutionContext::activation_memory_bytes().
  virtual size_t weights_bytes() const = 0;
  // The optimization profiles the engine was built with (empty: any input shape is accepted).
  virtual const std::vector<OptimizationProfile>& optimization_profiles() const = 0;
  // The engine as plan-file bytes (docs/plan-format.md), for Runtime::deserialize.
  virtual Expected<std::vector<uint8_t>> serialize() const;
  // serialize() written to `path` (through a temporary file, so a failed save leaves no partial plan).
  Status save(const std::string& path) const;
};

class Builder {
 public:
  explicit Builder(BuilderConfig config = {}) : config_(std::move(config)) {}
  Expected<std::unique_ptr<Engine>> build(const Network& network);
  // What the last build did: layer counts, each fusion and each eliminated layer.
  const std::string& report() const { return report_; }

 private:
  BuilderConfig config_;
  std::string report_;
};

// Loads plan files written by Engine::save / serialize. A plan built for another device, GPU,
// CUDA or cuDNN version, or by another Kiln version, is refused with a message naming what differs.
class Runtime {
 public:
  explicit Runtime(DeviceKind device = DeviceKind::kCpu) : device_(device) {}
  // Memory-maps the file; the engine's weights are used in place from the mapping.
  Expected<std::unique_ptr<Engine>> deserialize(const std::string& path) const;
  // Copies the bytes; the caller may free them afterwards.
  Expected<std::unique_ptr<Engine>> deserialize(const void* data, size_t size) const;

 private:
  DeviceKind device_;
};

// Per-thread execution state over an Engine: bound inputs, produced outputs, scratch memory.
class ExecutionContext {
 public:
  virtual ~ExecutionContext() = default;
  // Binds an input by name. The memory is read during execute() and must stay valid until then.
  // Checks the dtype and shape against the engine (a wrong one is an error naming the tensor).
  virtual Status set_input(const std::string& name, const TensorView& view) = 0;
  // Selects the optimization profile whose ranges bound the inputs (0 by default). Inputs bound
  // afterwards must lie in its ranges.
  virtual Status set_optimization_profile(int index) = 0;
  // Runs the engine on the bound inputs; blocks until outputs are ready.
  virtual Status execute() = 0;
  // Queues a run on `stream` (a cudaStream_t for CUDA engines) and returns; outputs are ready
  // once the stream has reached this point. A CPU engine has no streams: it accepts only a null
  // stream and then runs as execute() does.
  virtual Status enqueue(void* stream) = 0;
  // An output of the last execute(); the view stays valid until the next execute() (or
  // set_activation_memory()).
  virtual Expected<TensorView> output(const std::string& name) const = 0;

  // Activation memory: a context keeps every intermediate tensor in one arena, planned for the
  // bound input shapes (tensors whose lifetimes do not overlap share bytes) and kept between
  // runs. By default the context allocates it. A caller that manages memory itself can lend it:
  //   auto bytes = context->activation_memory_bytes();   // for the inputs bound now
  //   context->set_activation_memory(buffer, *bytes);    // 64-byte aligned, at least that large
  // The buffer must stay valid, and be used by nothing else, while this context executes; null
  // hands memory back to the context. Inputs that bind other shapes may need more: execute()
  // then fails, naming the size it needs.
  virtual Expected<size_t> activation_memory_bytes() = 0;
  virtual Status set_activation_memory(void* data, size_t bytes) = 0;

  // --- CUDA engines ---
  // Replays the run as a CUDA graph while input shapes and addresses stay the same (default on).
  virtual Status set_cuda_graph(bool on) { return on ? Status(StatusCode::kUnsupported, "no CUDA graphs on this engine") : Status::Ok(); }
  // Times each layer with CUDA events on the next runs (no CUDA graph meanwhile).
  virtual Status set_layer_profiling(bool on) { return on ? Status(StatusCode::kUnsupported, "no layer profiling on this engine") : Status::Ok(); }
  struct LayerTiming {
    std::string name;
    std::string tactic;
    double start_ms = 0;     // from the start of the run
    double duration_ms = 0;
    int stream = 0;
  };
  // The layers of the last profiled run, in launch order.
  virtual std::vector<LayerTiming> layer_timings() const { return {}; }
  // Device memory this context holds (activation arena, workspace, staging), in bytes.
  virtual size_t device_memory_bytes() const { return 0; }
};

// Kiln's version, "0.1.0".
const char* version();

}  // namespace kiln
