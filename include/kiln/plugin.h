// Kiln's plugin interface: custom layers that Kiln builds, times, plans memory for, serializes
// into plans and runs like its own, implemented outside Kiln (docs/plugins.md walks through a
// complete example in examples/plugin/).
//
// A plugin is one object with three parts:
//   * core    (PluginCore):    who it is — name, version, namespace — and how to copy it;
//   * build   (PluginBuild):   what it makes — output count, dtypes, shapes (as expressions over
//                              the input dims, so dynamic shapes work), which dtype/format
//                              combinations it accepts, how much scratch memory it needs, and
//                              optionally its own tactics for the builder to time;
//   * runtime (PluginRuntime): running it — attach to an execution context, take the chosen
//                              tactic and shapes, enqueue on a stream, serialize itself.
// A PluginCreator makes plugins from named fields (the ONNX node's attributes) and from their
// serialized bytes (a plan); the PluginRegistry maps (name, version, namespace) to creators. A
// plugin library is a shared library exporting
//     extern "C" int kiln_register_plugins(kiln::PluginRegistry* registry);
// which adds its creators and returns 0; `kiln --plugin LIB` and KILN_PLUGIN_PATH load them, and
// so does load_plugin_library() from C++.
//
// Rules of the boundary:
//   * nothing throws across it: every fallible call returns a Status or Expected, and Kiln
//     reports errors prefixed with the plugin's name, version and namespace;
//   * everything a plugin calls is inline in this header (Kiln itself is a static library), so a
//     plugin library needs Kiln's headers, not its libraries, and must be built with the same
//     compiler family and C++ standard library as Kiln;
//   * plugin libraries stay loaded until the process exits.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/data_type.h"
#include "kiln/kiln.h"
#include "kiln/status.h"

namespace kiln {

// Bumped whenever a class below changes its virtual functions; Kiln refuses creators built
// against another version (PluginCreator::api_version is compiled into the plugin library).
inline constexpr int kPluginApiVersion = 1;

// ---------------------------------------------------------------------------------------------
// Dimension expressions: output shapes as functions of input shapes.
//
// A DimExpr is a constant or an expression over input dims built with +, -, * and / (floor
// division). output_shapes() receives each input's dims as DimExprs — constants where Kiln knows
// the size, references `in[i].dims[j]` where it does not (a dynamic batch) — and returns each
// output's dims as expressions over them:
//     out[0].dims = {in[0].dims[0], in[0].dims[1] * 2};       // [N, 2K]
//     out[1].dims = {in[0].dims[0] - 2, (in[1].dims[0] + 1) / 2};
// Constants fold as expressions are built, so with static inputs every output dim is a constant.
// At build time a dim that is exactly one input dim keeps that dim's symbol ("N"); any other
// expression over a dynamic dim is a dynamic dim. At run time Kiln evaluates the expressions on
// the actual input shapes; a negative result or a division by zero is an error naming the plugin.
class DimExpr {
 public:
  enum class Kind : uint8_t { kConstant, kInputDim, kAdd, kSub, kMul, kFloorDiv };

  DimExpr() : DimExpr(0) {}
  // A constant, implicitly, so that `in[0].dims[1] * 2` reads naturally.
  template <std::integral T>
  DimExpr(T value)  // NOLINT(google-explicit-constructor)
      : node_(std::make_shared<const Node>(Node{Kind::kConstant, static_cast<int64_t>(value), 0, 0, {}, {}})) {}
  // `in[input].dims[axis]`.
  static DimExpr input_dim(int input, int axis) {
    return DimExpr(std::make_shared<const Node>(Node{Kind::kInputDim, 0, input, axis, {}, {}}));
  }

  Kind kind() const { return node_->kind; }
  bool is_constant() const { return kind() == Kind::kConstant; }
  int64_t constant() const { return node_->value; }  // kConstant only
  int input() const { return node_->input; }         // kInputDim only
  int axis() const { return node_->axis; }           // kInputDim only
  DimExpr lhs() const { return DimExpr(node_->lhs); }  // binary kinds only
  DimExpr rhs() const { return DimExpr(node_->rhs); }

  friend DimExpr operator+(const DimExpr& a, const DimExpr& b) {
    if (a.is_constant() && b.is_constant()) return a.constant() + b.constant();
    if (b.is_constant() && b.constant() == 0) return a;
    if (a.is_constant() && a.constant() == 0) return b;
    return binary(Kind::kAdd, a, b);
  }
  friend DimExpr operator-(const DimExpr& a, const DimExpr& b) {
    if (a.is_constant() && b.is_constant()) return a.constant() - b.constant();
    if (b.is_constant() && b.constant() == 0) return a;
    return binary(Kind::kSub, a, b);
  }
  friend DimExpr operator*(const DimExpr& a, const DimExpr& b) {
    if (a.is_constant() && b.is_constant()) return a.constant() * b.constant();
    if (b.is_constant() && b.constant() == 1) return a;
    if (a.is_constant() && a.constant() == 1) return b;
    return binary(Kind::kMul, a, b);
  }
  // Floor division; a zero divisor makes the dim invalid (evaluate() gives nullopt).
  friend DimExpr operator/(const DimExpr& a, const DimExpr& b) {
    if (a.is_constant() && b.is_constant() && b.constant() != 0) return floor_div(a.constant(), b.constant());
    if (b.is_constant() && b.constant() == 1) return a;
    return binary(Kind::kFloorDiv, a, b);
  }

  // The value, given `dim_of(input, axis)`: the input's dim, or nullopt when unknown. nullopt
  // when any dim used is unknown or a division is by zero.
  template <class DimOf>
  std::optional<int64_t> evaluate(const DimOf& dim_of) const {
    switch (kind()) {
      case Kind::kConstant: return constant();
      case Kind::kInputDim: return dim_of(input(), axis());
      default: break;
    }
    const std::optional<int64_t> a = lhs().evaluate(dim_of), b = rhs().evaluate(dim_of);
    if (!a || !b) return std::nullopt;
    switch (kind()) {
      case Kind::kAdd: return *a + *b;
      case Kind::kSub: return *a - *b;
      case Kind::kMul: return *a * *b;
      case Kind::kFloorDiv: return *b == 0 ? std::nullopt : std::optional<int64_t>(floor_div(*a, *b));
      default: return std::nullopt;
    }
  }

  // "in0.d1 * 2 + 1", for messages.
  std::string to_string() const {
    switch (kind()) {
      case Kind::kConstant: return std::to_string(constant());
      case Kind::kInputDim: return "in" + std::to_string(input()) + ".d" + std::to_string(axis());
      case Kind::kAdd: return binary_string(" + ", true);
      case Kind::kSub: return binary_string(" - ", true);
      case Kind::kMul: return binary_string(" * ", false);
      case Kind::kFloorDiv: return binary_string(" / ", false);
    }
    return "?";
  }

 private:
  struct Node {
    Kind kind;
    int64_t value;
    int input, axis;
    std::shared_ptr<const Node> lhs, rhs;
  };
  explicit DimExpr(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  static DimExpr binary(Kind kind, const DimExpr& a, const DimExpr& b) {
    return DimExpr(std::make_shared<const Node>(Node{kind, 0, 0, 0, a.node_, b.node_}));
  }
  // Sums and differences are parenthesized, so products of them read right.
  std::string binary_string(const char* op, bool parenthesize) const {
    std::string s = parenthesize ? "(" : "";
    s += lhs().to_string();
    s += op;
    s += rhs().to_string();
    if (parenthesize) s += ")";
    return s;
  }
  static int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  }
  std::shared_ptr<const Node> node_;
};

// A tensor's shape as expressions; its rank is dims.size().
struct ShapeExpr {
  std::vector<DimExpr> dims;
};

// ---------------------------------------------------------------------------------------------
// Tensors as plugins see them.

// How a tensor's elements are laid out in memory. Kiln hands plugins linear tensors; a plugin
// says in supports_format() which formats it accepts, so layouts Kiln may offer later (channels-
// last regions around convolutions) can include plugins that accept them.
enum class TensorFormat : uint8_t {
  kLinear,        // dense, row-major in the ONNX dims (NCHW for images)
  kChannelsLast,  // dims stay [N, C, H, W]; memory is ordered [N, H, W, C]
};

struct PluginTensorDesc {
  DataType dtype = DataType::kUndefined;
  TensorFormat format = TensorFormat::kLinear;
  // Concrete dims at run time and in supports_format() and workspace_size() (the shapes the
  // builder tunes for).
  std::vector<int64_t> dims;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
};

// What Kiln tells a plugin about the execution context it is attached to.
struct PluginContextInfo {
  DeviceKind device = DeviceKind::kCpu;
  int device_index = 0;  // the CUDA device; 0 on the CPU
};

// ---------------------------------------------------------------------------------------------
// Fields: how plugins are configured (an ONNX node's attributes) and, with the helpers below,
// a ready-made way to serialize them.

enum class PluginFieldType : uint8_t { kInt, kFloat, kString, kInts, kFloats, kBytes };

inline const char* plugin_field_type_name(PluginFieldType t) {
  switch (t) {
    case PluginFieldType::kInt: return "int";
    case PluginFieldType::kFloat: return "float";
    case PluginFieldType::kString: return "string";
    case PluginFieldType::kInts: return "ints";
    case PluginFieldType::kFloats: return "floats";
    case PluginFieldType::kBytes: return "bytes";
  }
  return "?";
}

// One named, typed value. Only the member of its type is meaningful.
struct PluginField {
  std::string name;
  PluginFieldType type = PluginFieldType::kInt;
  int64_t i = 0;
  float f = 0.f;
  std::string s;                 // kString
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<uint8_t> bytes;    // kBytes (an ONNX tensor attribute's raw data)

  static PluginField of_int(std::string n, int64_t v) { PluginField x = named(std::move(n), PluginFieldType::kInt); x.i = v; return x; }
  static PluginField of_float(std::string n, float v) { PluginField x = named(std::move(n), PluginFieldType::kFloat); x.f = v; return x; }
  static PluginField of_string(std::string n, std::string v) { PluginField x = named(std::move(n), PluginFieldType::kString); x.s = std::move(v); return x; }
  static PluginField of_ints(std::string n, std::vector<int64_t> v) { PluginField x = named(std::move(n), PluginFieldType::kInts); x.ints = std::move(v); return x; }
  static PluginField of_floats(std::string n, std::vector<float> v) { PluginField x = named(std::move(n), PluginFieldType::kFloats); x.floats = std::move(v); return x; }
  static PluginField of_bytes(std::string n, std::vector<uint8_t> v) { PluginField x = named(std::move(n), PluginFieldType::kBytes); x.bytes = std::move(v); return x; }

 private:
  static PluginField named(std::string n, PluginFieldType t) {
    PluginField x;
    x.name = std::move(n);
    x.type = t;
    return x;
  }
};

// A field a creator accepts. Kiln refuses fields a creator does not declare, or of another
// type, naming the field, before create() sees them.
struct PluginFieldSpec {
  std::string name;
  PluginFieldType type = PluginFieldType::kInt;
};

// The field called `name`, or null.
inline const PluginField* find_plugin_field(const std::vector<PluginField>& fields, std::string_view name) {
  for (const PluginField& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

// Fields as bytes and back: a plugin whose fields are its whole state serializes with
// encode_plugin_fields() and its creator deserializes with decode_plugin_fields() + create().
// The encoding is little-endian: "KPF1", a u32 count, then per field a u8 type, a u32 name
// length and the name, and the value (i64; f32; u32 length + bytes; u32 count + elements).
inline std::vector<uint8_t> encode_plugin_fields(const std::vector<PluginField>& fields) {
  std::vector<uint8_t> out;
  auto put = [&](const void* p, size_t n) {
    if (n == 0) return;
    out.resize(out.size() + n);
    std::memcpy(out.data() + out.size() - n, p, n);
  };
  put("KPF1", 4);
  auto put_u32 = [&](size_t v) { const uint32_t u = static_cast<uint32_t>(v); put(&u, 4); };
  put_u32(fields.size());
  for (const PluginField& f : fields) {
    out.push_back(static_cast<uint8_t>(f.type));
    put_u32(f.name.size());
    put(f.name.data(), f.name.size());
    switch (f.type) {
      case PluginFieldType::kInt: put(&f.i, 8); break;
      case PluginFieldType::kFloat: put(&f.f, 4); break;
      case PluginFieldType::kString: put_u32(f.s.size()); put(f.s.data(), f.s.size()); break;
      case PluginFieldType::kInts: put_u32(f.ints.size()); put(f.ints.data(), 8 * f.ints.size()); break;
      case PluginFieldType::kFloats: put_u32(f.floats.size()); put(f.floats.data(), 4 * f.floats.size()); break;
      case PluginFieldType::kBytes: put_u32(f.bytes.size()); put(f.bytes.data(), f.bytes.size()); break;
    }
  }
  return out;
}

// Checks every length against the bytes, so damaged bytes give an error, never a bad read.
inline Expected<std::vector<PluginField>> decode_plugin_fields(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  size_t at = 0;
  auto take = [&](void* dst, size_t n) {
    if (n > size - at) return false;
    if (n != 0) std::memcpy(dst, p + at, n);
    at += n;
    return true;
  };
  auto take_u32 = [&](size_t& v) {
    uint32_t u = 0;
    if (!take(&u, 4)) return false;
    v = u;
    return true;
  };
  auto damaged = [](const std::string& why) {
    return Status(StatusCode::kInvalidArgument, "serialized plugin fields are damaged: " + why);
  };
  char magic[4] = {};
  size_t count = 0;
  if (!take(magic, 4) || std::memcmp(magic, "KPF1", 4) != 0) return damaged("no KPF1 header");
  if (!take_u32(count)) return damaged("truncated");
  std::vector<PluginField> fields;
  for (size_t k = 0; k < count; ++k) {
    PluginField f;
    uint8_t type = 0;
    size_t n = 0;
    if (!take(&type, 1) || type > static_cast<uint8_t>(PluginFieldType::kBytes)) return damaged("bad field type");
    f.type = static_cast<PluginFieldType>(type);
    if (!take_u32(n) || n > size - at) return damaged("truncated");
    f.name.assign(reinterpret_cast<const char*>(p + at), n);
    at += n;
    bool ok = true;
    switch (f.type) {
      case PluginFieldType::kInt: ok = take(&f.i, 8); break;
      case PluginFieldType::kFloat: ok = take(&f.f, 4); break;
      case PluginFieldType::kString:
        ok = take_u32(n) && n <= size - at;
        if (ok) f.s.assign(reinterpret_cast<const char*>(p + at), n), at += n;
        break;
      case PluginFieldType::kInts:
        ok = take_u32(n) && n <= (size - at) / 8;
        if (ok) f.ints.resize(n), ok = take(f.ints.data(), 8 * n);
        break;
      case PluginFieldType::kFloats:
        ok = take_u32(n) && n <= (size - at) / 4;
        if (ok) f.floats.resize(n), ok = take(f.floats.data(), 4 * n);
        break;
      case PluginFieldType::kBytes:
        ok = take_u32(n) && n <= size - at;
        if (ok) f.bytes.resize(n), ok = take(f.bytes.data(), n);
        break;
    }
    if (!ok) return damaged("field '" + f.name + "' is truncated");
    fields.push_back(std::move(f));
  }
  if (at != size) return damaged("trailing bytes");
  return fields;
}

// ---------------------------------------------------------------------------------------------
// The plugin.

// Who a plugin is. The namespace is the ONNX domain of the node it replaces ("" for the default
// domain, "com.example" for a custom one); the version is a string, "1" unless the node says
// otherwise (attribute `plugin_version`).
struct PluginIdentity {
  std::string name;
  std::string version = "1";
  std::string plugin_namespace;

  bool operator==(const PluginIdentity&) const = default;
  // "plugin 'ClipByValue' (version 1, namespace 'com.example')": how Kiln names a plugin.
  std::string describe() const {
    return "plugin '" + name + "' (version " + version + ", namespace '" + plugin_namespace + "')";
  }
};

class Plugin;

class PluginCore {
 public:
  virtual ~PluginCore() = default;
  virtual PluginIdentity identity() const = 0;
  // An independent copy (same configuration, no attached context). Null if it cannot be made.
  virtual std::unique_ptr<Plugin> clone() const = 0;
};

// Build-time questions. They are const and may be asked from any thread at any time (shape
// inference runs them for every run of the CPU engine), so they must not change the plugin.
class PluginBuild {
 public:
  virtual ~PluginBuild() = default;
  virtual int num_outputs() const = 0;
  // `outputs` has num_outputs() entries to fill.
  virtual Status output_dtypes(std::span<const DataType> inputs, std::span<DataType> outputs) const = 0;
  // `inputs[i].dims[j]` is a constant or a reference to that input dim; `outputs` has
  // num_outputs() entries whose dims to set (see DimExpr).
  virtual Status output_shapes(std::span<const ShapeExpr> inputs, std::span<ShapeExpr> outputs) const = 0;
  // Whether the plugin runs with tensor `pos` as `io[pos]` (inputs first, then outputs) on
  // `device`, given the choices for positions before it. Kiln asks every position in order and
  // runs the plugin only when each answer is yes; otherwise the error (or, on CUDA, the
  // tactic table) names the refused position.
  virtual bool supports_format(int pos, std::span<const PluginTensorDesc> io, int num_inputs,
                               DeviceKind device) const = 0;
  // Scratch bytes enqueue() needs for these shapes (device memory on CUDA).
  virtual size_t workspace_size(std::span<const PluginTensorDesc> /*inputs*/,
                                std::span<const PluginTensorDesc> /*outputs*/) const {
    return 0;
  }
  // The plugin's own implementations, as ids the builder times on CUDA like Kiln's tactics and
  // records in the plan; empty: one implementation. The chosen one reaches set_tactic().
  virtual std::vector<int64_t> tactics() const { return {}; }
};

class PluginRuntime {
 public:
  virtual ~PluginRuntime() = default;
  // Called once on a fresh clone() for each execution context (on the CPU: for each run),
  // before anything else below. A place to create per-context resources (handles, streams'
  // events); may do nothing.
  virtual Status attach_to_context(const PluginContextInfo& /*context*/) { return Status::Ok(); }
  // The tactic the builder chose (one of tactics()), or 0 when tactics() is empty.
  virtual Status set_tactic(int64_t /*tactic*/) { return Status::Ok(); }
  // The shapes the next enqueue()s run with; called whenever they change, outside the timed or
  // CUDA-graph-captured path, so shape-dependent setup belongs here.
  virtual Status configure(std::span<const PluginTensorDesc> /*inputs*/,
                           std::span<const PluginTensorDesc> /*outputs*/) {
    return Status::Ok();
  }
  // Computes the outputs. On CUDA (`device` kCuda) `stream` is the cudaStream_t to launch on and
  // every pointer is device memory; launch asynchronously and do not synchronize or allocate
  // (runs may be captured into CUDA graphs). On the CPU `stream` is null and pointers are host
  // memory. `workspace` holds workspace_size() bytes (null when that is 0).
  virtual Status enqueue(std::span<const PluginTensorDesc> input_descs, std::span<const void* const> inputs,
                         std::span<const PluginTensorDesc> output_descs, std::span<void* const> outputs,
                         void* workspace, DeviceKind device, void* stream) = 0;
  // What the creator's deserialize() needs to recreate this plugin; stored in plans.
  virtual std::vector<uint8_t> serialize() const = 0;
};

class Plugin : public PluginCore, public PluginBuild, public PluginRuntime {};

// Makes plugins of one identity.
class PluginCreator {
 public:
  virtual ~PluginCreator() = default;
  // Compiled into the plugin library from the header it was built with; do not override.
  virtual int api_version() const { return kPluginApiVersion; }
  virtual PluginIdentity identity() const = 0;
  // The fields create() accepts.
  virtual std::vector<PluginFieldSpec> field_specs() const = 0;
  // A plugin configured by `fields` (an ONNX node's attributes, checked against field_specs()).
  virtual Expected<std::unique_ptr<Plugin>> create(const std::vector<PluginField>& fields) const = 0;
  // The plugin whose serialize() gave these bytes. The bytes come from a plan file: check them.
  virtual Expected<std::unique_ptr<Plugin>> deserialize(const void* data, size_t size) const = 0;
};

// Creators by identity. Kiln's registry (global()) is process-wide and thread-safe.
class PluginRegistry {
 public:
  virtual ~PluginRegistry() = default;
  // Adds a creator; an identity registered twice is an error naming it.
  virtual Status add_creator(std::unique_ptr<PluginCreator> creator) = 0;
  // The creator of exactly this identity, or null.
  virtual const PluginCreator* find(const PluginIdentity& identity) const = 0;
  // Every registered identity, sorted by namespace, name and version.
  virtual std::vector<PluginIdentity> list() const = 0;

  // The process-wide registry (Kiln's own plugins included). For applications; plugin
  // libraries use the registry their entry point receives.
  static PluginRegistry& global();
};

// dlopens a plugin library and calls its kiln_register_plugins with the global registry. Loading
// the same file again does nothing. Errors name the library.
Status load_plugin_library(const std::string& path);
// Loads each library in KILN_PLUGIN_PATH (colon-separated paths; empty entries are skipped).
Status load_plugin_libraries_from_env();

}  // namespace kiln
