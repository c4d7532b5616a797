// Kiln's elementwise kernels (precompiled, and NVRTC-generated for kiln.Pointwise) against the
// reference kernels: every op, every claimed dtype, same-shape and broadcast inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/kernels/elementwise/elementwise_provider.h"
#include "backends/cuda/kernels/elementwise/nvrtc_compiler.h"
#include "backends/cuda/kernels/elementwise/op_attrs.h"
#include "backends/cuda/kernels/elementwise/pointwise_codegen.h"
#include "backends/cuda/kernels/elementwise/pointwise_kernel.h"
#include "backends/reference/executor.h"
#include "core/dispatch.h"
#include "gpu_layer_runner.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_tensor;

// The node as a layer, in its own graph.
std::unique_ptr<testing::OwnedNode> make_layer(const NodeSpec& ns, const std::vector<Tensor>& inputs) {
  return testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, inputs, ns.num_outputs);
}

NodeSpec op_spec(std::string op, std::map<std::string, Attribute> attrs = {}) {
  NodeSpec ns;
  ns.op_type = std::move(op);
  ns.attrs = std::move(attrs);
  return ns;
}

double tolerance(DataType t) {
  switch (t) {
    case DataType::kFloat32: return 1e-5;
    case DataType::kFloat64: return 1e-12;
    case DataType::kFloat16: return 1e-2;
    case DataType::kBFloat16: return 2e-2;
    default: return 0;  // integers and bool match exactly
  }
}

// Runs the op through the reference and every GPU tactic; each output of each tactic must match
// within the output dtype's tolerance, and Kiln's elementwise provider must be among them.
void check_op(const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<int>& constant_inputs = {},
              const char* provider = "kiln_elementwise") {
  auto expected = testing::run_node(ns, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  auto layer = make_layer(ns, inputs);
  std::vector<std::vector<int64_t>> dims;
  std::vector<DataType> types;
  for (const Tensor& t : *expected) {
    dims.push_back(t.dims());
    types.push_back(t.dtype());
  }
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, dims, types, constant_inputs);
  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  bool ours = false;
  for (const testing::TacticRun& run : *runs) {
    ours = ours || run.provider == provider;
    ASSERT_EQ(run.outputs.size(), expected->size());
    for (size_t i = 0; i < expected->size(); ++i)
      EXPECT_LE(testing::relative_error(run.outputs[i], (*expected)[i]), tolerance((*expected)[i].dtype()))
          << run.tactic << " output " << i;
  }
  EXPECT_TRUE(ours) << provider << " did not run " << ns.op_type;
}

// Random values in [lo, hi) of `type`, drawn in float32 and converted (so 16-bit inputs hold
// exactly the values the reference reads).
Tensor random_input(DataType type, std::vector<int64_t> dims, float lo, float hi, unsigned seed) {
  return random_tensor(type, std::move(dims), lo, hi, seed);
}

// Zeros replaced by `value` (integer divisors).
Tensor without_zeros(Tensor t, int value) {
  (void)KILN_DISPATCH_NUMERIC(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < t.numel(); ++i)
      if (static_cast<float>(t.data<T>()[i]) == 0.f) t.data<T>()[i] = static_cast<T>(static_cast<float>(value));
    return Status::Ok();
  });
  return t;
}

const std::vector<DataType> kFloatTypes = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16,
                                           DataType::kFloat64};
// Odd sizes: not a multiple of the vector width, so the tail path runs too.
const std::vector<int64_t> kOddShape = {3, 7, 11};

struct UnaryCase {
  const char* op;
  float lo, hi;
  std::map<std::string, Attribute> attrs = {};
};

TEST(ElementwiseTest, UnaryFloatOps) {
  KILN_REQUIRE_GPU();
  const std::vector<UnaryCase> cases = {
      {"Abs", -3, 3}, {"Neg", -3, 3}, {"Floor", -3, 3}, {"Ceil", -3, 3}, {"Round", -3, 3},
      {"Sqrt", 0.1f, 4}, {"Reciprocal", 0.5f, 2}, {"Exp", -3, 3}, {"Log", 0.1f, 4}, {"Sin", -3, 3},
      {"Cos", -3, 3}, {"Tan", -1, 1}, {"Asin", -0.9f, 0.9f}, {"Acos", -0.9f, 0.9f}, {"Atan", -3, 3},
      {"Sinh", -3, 3}, {"Cosh", -3, 3}, {"Asinh", -3, 3}, {"Acosh", 1.1f, 4}, {"Atanh", -0.9f, 0.9f},
      {"Erf", -2, 2}, {"Sign", -3, 3}, {"Tanh", -3, 3}, {"Relu", -3, 3},
      {"LeakyRelu", -3, 3, {{"alpha", Attribute::of_float(0.1f)}}},
      {"Elu", -3, 3, {{"alpha", Attribute::of_float(0.7f)}}},
      {"Selu", -3, 3},
      {"Celu", -3, 3, {{"alpha", Attribute::of_float(1.3f)}}},
      {"Sigmoid", -6, 6},
      {"HardSigmoid", -4, 4, {{"alpha", Attribute::of_float(0.3f)}, {"beta", Attribute::of_float(0.4f)}}},
      {"HardSwish", -5, 5}, {"Softplus", -6, 6}, {"Softsign", -3, 3},
      {"ThresholdedRelu", -3, 3, {{"alpha", Attribute::of_float(0.2f)}}},
      {"Shrink", -2, 2, {{"bias", Attribute::of_float(0.2f)}, {"lambd", Attribute::of_float(0.4f)}}},
      {"Gelu", -3, 3}, {"Gelu", -3, 3, {{"approximate", Attribute::of_string("tanh")}}},
      {"Mish", -3, 3},
  };
  unsigned seed = 1;
  for (const UnaryCase& c : cases)
    for (DataType t : kFloatTypes) {
      SCOPED_TRACE(std::string(c.op) + " " + std::string(data_type_name(t)));
      check_op(op_spec(c.op, c.attrs), {random_input(t, kOddShape, c.lo, c.hi, seed++)});
    }
}

TEST(ElementwiseTest, UnaryIntegerOps) {
  KILN_REQUIRE_GPU();
  unsigned seed = 100;
  for (const char* op : {"Abs", "Neg", "Sign", "Relu", "Erf"})
    for (DataType t : {DataType::kInt8, DataType::kInt32, DataType::kInt64}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(data_type_name(t)));
      check_op(op_spec(op), {random_input(t, kOddShape, -100, 100, seed++)});
    }
  check_op(op_spec("Shrink", {{"bias", Attribute::of_float(1.5f)}, {"lambd", Attribute::of_float(3.f)}}),
           {random_input(DataType::kInt32, kOddShape, -10, 10, seed++)});
  check_op(op_spec("Abs"), {random_input(DataType::kUInt8, kOddShape, 0, 250, seed++)});
}

TEST(ElementwiseTest, NotIsNaNIsInf) {
  KILN_REQUIRE_GPU();
  check_op(op_spec("Not"), {random_input(DataType::kBool, kOddShape, -1, 1, 7)});
  for (DataType t : kFloatTypes) {
    Tensor x = random_input(DataType::kFloat32, {2, 50}, -3, 3, 8);
    for (int64_t i = 0; i < x.numel(); i += 7) x.data<float>()[i] = (i % 3 == 0) ? NAN : (i % 3 == 1 ? INFINITY : -INFINITY);
    const Tensor xt = testing::convert(x, t);
    SCOPED_TRACE(data_type_name(t));
    check_op(op_spec("IsNaN"), {xt});
    check_op(op_spec("IsInf"), {xt});
    check_op(op_spec("IsInf", {{"detect_negative", Attribute::of_int(0)}}), {xt});
    check_op(op_spec("IsInf", {{"detect_positive", Attribute::of_int(0)}}), {xt});
  }
}

// The second operand's shapes: same shape, broadcast in the middle, one element, a scalar.
const std::vector<std::vector<int64_t>> kBroadcastShapes = {{2, 3, 4, 5}, {3, 1, 5}, {1}, {}};

TEST(ElementwiseTest, BinaryFloatOps) {
  KILN_REQUIRE_GPU();
  struct Case {
    const char* op;
    float lo_a, hi_a, lo_b, hi_b;
    std::map<std::string, Attribute> attrs = {};
  };
  const std::vector<Case> cases = {
      {"Add", -3, 3, -3, 3}, {"Sub", -3, 3, -3, 3}, {"Mul", -3, 3, -3, 3}, {"Div", -3, 3, 0.5f, 2},
      {"Pow", 0.5f, 2, -2, 2}, {"Mod", -5, 5, 0.5f, 2, {{"fmod", Attribute::of_int(1)}}},
  };
  unsigned seed = 200;
  for (const Case& c : cases)
    for (DataType t : kFloatTypes)
      for (const auto& b_shape : kBroadcastShapes) {
        SCOPED_TRACE(std::string(c.op) + " " + std::string(data_type_name(t)) + " b " + dims_to_string(b_shape));
        const Tensor a = random_input(t, {2, 3, 4, 5}, c.lo_a, c.hi_a, seed++);
        const Tensor b = random_input(t, b_shape, c.lo_b, c.hi_b, seed++);
        check_op(op_spec(c.op, c.attrs), {a, b});
      }
  // The broadcast input first.
  check_op(op_spec("Sub"), {random_input(DataType::kFloat32, {3, 1, 5}, -3, 3, 1), random_input(DataType::kFloat32, {2, 3, 4, 5}, -3, 3, 2)});
  // Both inputs broadcast: [4, 1] with [1, 5].
  check_op(op_spec("Mul"), {random_input(DataType::kFloat16, {4, 1}, -3, 3, 3), random_input(DataType::kFloat16, {1, 5}, -3, 3, 4)});
}

TEST(ElementwiseTest, BinaryIntegerOps) {
  KILN_REQUIRE_GPU();
  unsigned seed = 300;
  for (DataType t : {DataType::kInt32, DataType::kInt64, DataType::kInt8})
    for (const auto& b_shape : kBroadcastShapes) {
      SCOPED_TRACE(std::string(data_type_name(t)) + " b " + dims_to_string(b_shape));
      const Tensor a = random_input(t, {2, 3, 4, 5}, -100, 100, seed++);
      const Tensor b = without_zeros(random_input(t, b_shape, -9, 9, seed++), -3);
      for (const char* op : {"Add", "Sub", "Mul", "Div"}) check_op(op_spec(op), {a, b});
      check_op(op_spec("Mod", {{"fmod", Attribute::of_int(0)}}), {a, b});
      check_op(op_spec("Mod", {{"fmod", Attribute::of_int(1)}}), {a, b});
    }
  // int8 arithmetic wraps.
  check_op(op_spec("Mul"), {random_input(DataType::kInt8, kOddShape, -100, 100, 1), random_input(DataType::kInt8, kOddShape, -100, 100, 2)});
  for (DataType t : {DataType::kInt32, DataType::kInt64}) {
    check_op(op_spec("Pow"), {random_input(t, {2, 3, 4, 5}, -5, 5, seed++), random_input(t, {3, 1, 5}, -1, 5, seed++)});
    check_op(op_spec("Pow"), {random_input(t, {2, 3, 4, 5}, -5, 5, seed++), random_input(DataType::kFloat32, {1}, 2, 2, seed++)});
  }
  check_op(op_spec("Pow"), {random_input(DataType::kFloat32, {2, 3, 4, 5}, 0.5f, 2, seed++), random_input(DataType::kInt64, {}, 3, 3, seed++)});
}

TEST(ElementwiseTest, BitShift) {
  KILN_REQUIRE_GPU();
  unsigned seed = 400;
  for (DataType t : {DataType::kUInt8, DataType::kUInt32, DataType::kUInt64})
    for (const char* direction : {"LEFT", "RIGHT"})
      for (const auto& b_shape : kBroadcastShapes) {
        SCOPED_TRACE(std::string(data_type_name(t)) + " " + direction + " b " + dims_to_string(b_shape));
        check_op(op_spec("BitShift", {{"direction", Attribute::of_string(direction)}}),
                 {random_input(t, {2, 3, 4, 5}, 0, 250, seed++), random_input(t, b_shape, 0, 10, seed++)});
      }
}

TEST(ElementwiseTest, Comparisons) {
  KILN_REQUIRE_GPU();
  unsigned seed = 500;
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32, DataType::kInt64})
    for (const auto& b_shape : kBroadcastShapes)
      for (const char* op : {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"}) {
        SCOPED_TRACE(std::string(op) + " " + std::string(data_type_name(t)) + " b " + dims_to_string(b_shape));
        // Small integers, so equal pairs occur for every dtype.
        const Tensor a = testing::convert(random_input(DataType::kInt32, {2, 3, 4, 5}, -3, 3, seed++), t);
        const Tensor b = testing::convert(random_input(DataType::kInt32, b_shape, -3, 3, seed++), t);
        check_op(op_spec(op), {a, b});
      }
  check_op(op_spec("Equal"), {random_input(DataType::kBool, {2, 3, 4, 5}, -1, 1, 1), random_input(DataType::kBool, {3, 1, 5}, -1, 1, 2)});
}

TEST(ElementwiseTest, Logic) {
  KILN_REQUIRE_GPU();
  unsigned seed = 600;
  for (const char* op : {"And", "Or", "Xor"})
    for (const auto& b_shape : kBroadcastShapes) {
      SCOPED_TRACE(std::string(op) + " b " + dims_to_string(b_shape));
      check_op(op_spec(op), {random_input(DataType::kBool, {2, 3, 4, 5}, -1, 1, seed++), random_input(DataType::kBool, b_shape, -1, 1, seed++)});
    }
}

TEST(ElementwiseTest, PRelu) {
  KILN_REQUIRE_GPU();
  unsigned seed = 700;
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32})
    for (const std::vector<int64_t>& slope : {std::vector<int64_t>{3, 1, 1}, {2, 3, 4, 5}, {1}}) {
      SCOPED_TRACE(std::string(data_type_name(t)) + " slope " + dims_to_string(slope));
      check_op(op_spec("PRelu"), {random_input(t, {2, 3, 4, 5}, -9, 9, seed++), random_input(t, slope, -3, 3, seed++)});
    }
}

TEST(ElementwiseTest, Variadic) {
  KILN_REQUIRE_GPU();
  unsigned seed = 800;
  for (DataType t : kFloatTypes)
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(data_type_name(t)));
      const Tensor a = random_input(t, {2, 3, 4, 5}, -3, 3, seed++);
      check_op(op_spec(op), {a, random_input(t, {3, 1, 5}, -3, 3, seed++), random_input(t, {1}, -3, 3, seed++)});
      check_op(op_spec(op), {a, random_input(t, {2, 3, 4, 5}, -3, 3, seed++), random_input(t, {}, -3, 3, seed++)});
      check_op(op_spec(op), {a});
    }
  for (DataType t : {DataType::kInt32, DataType::kInt64, DataType::kUInt8})
    for (const char* op : {"Max", "Min"})
      check_op(op_spec(op), {random_input(t, {2, 3, 4, 5}, 0, 100, seed++), random_input(t, {3, 1, 5}, 0, 100, seed++)});
}

TEST(ElementwiseTest, Where) {
  KILN_REQUIRE_GPU();
  unsigned seed = 900;
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kInt64, DataType::kBool}) {
    SCOPED_TRACE(data_type_name(t));
    const Tensor x = random_input(t, {2, 3, 4, 5}, -9, 9, seed++);
    check_op(op_spec("Where"), {random_input(DataType::kBool, {3, 1, 5}, -1, 1, seed++), x, random_input(t, {}, -9, 9, seed++)});
    check_op(op_spec("Where"), {random_input(DataType::kBool, {2, 3, 4, 5}, -1, 1, seed++), x,
                         random_input(t, {2, 3, 4, 5}, -9, 9, seed++)});
  }
}

TEST(ElementwiseTest, CastAcrossTypes) {
  KILN_REQUIRE_GPU();
  const std::vector<DataType> types = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32,
                                       DataType::kInt64,   DataType::kBool,    DataType::kUInt8,    DataType::kInt8,
                                       DataType::kFloat64};
  unsigned seed = 1000;
  for (DataType from : types)
    for (DataType to : types) {
      SCOPED_TRACE(std::string(data_type_name(from)) + " -> " + std::string(data_type_name(to)));
      // Beyond the 8-bit ranges, so float -> int saturation is exercised.
      const Tensor x = random_input(from, kOddShape, -300, 300, seed++);
      check_op(op_spec("Cast", {{"to", Attribute::of_int(static_cast<int64_t>(to))}}), {x});
    }
  check_op(op_spec("CastLike"), {random_input(DataType::kFloat32, kOddShape, -3, 3, 1), Tensor(DataType::kFloat16, {1})});
}

TEST(ElementwiseTest, Clip) {
  KILN_REQUIRE_GPU();
  unsigned seed = 1100;
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32}) {
    SCOPED_TRACE(data_type_name(t));
    const Tensor x = random_input(t, kOddShape, -9, 9, seed++);
    const Tensor lo = random_input(t, {}, -3, -3, seed++);
    const Tensor hi = random_input(t, {}, 4, 4, seed++);
    check_op(op_spec("Clip"), {x, lo, hi}, {1, 2});
    check_op(op_spec("Clip"), {x, lo, hi});  // bounds as device values only
    check_op(op_spec("Clip"), {x, lo}, {1});
    check_op(op_spec("Clip"), {x, Tensor(), hi}, {2});
    check_op(op_spec("Clip"), {x});
  }
  NodeSpec old = op_spec("Clip", {{"min", Attribute::of_float(-1.5f)}, {"max", Attribute::of_float(2.f)}});
  old.opset = 10;
  check_op(old, {random_input(DataType::kFloat32, kOddShape, -9, 9, seed++)});
}

TEST(ElementwiseTest, IdentityAndDropout) {
  KILN_REQUIRE_GPU();
  check_op(op_spec("Identity"), {random_input(DataType::kFloat32, kOddShape, -3, 3, 1)});
  check_op(op_spec("Identity"), {random_input(DataType::kInt64, kOddShape, -3, 3, 2)});
  NodeSpec dropout = op_spec("Dropout");
  dropout.num_outputs = 2;
  check_op(dropout, {random_input(DataType::kFloat16, kOddShape, -3, 3, 3)});
  check_op(op_spec("Dropout"), {random_input(DataType::kFloat32, kOddShape, -3, 3, 4)});
}

// ---- supports() says no, with a reason (no GPU needed) ----

TEST(ElementwiseTest, UnsupportedCasesSayWhy) {
  const cuda::TacticProvider& provider = cuda::elementwise::elementwise_provider();
  {
    // BitShift on a signed type has no kernel.
    const Tensor a(DataType::kInt32, {4});
    auto layer = make_layer(op_spec("BitShift", {{"direction", Attribute::of_string("LEFT")}}), {a, a});
    const cuda::LayerSpec spec = testing::make_spec(*layer->node, {a, a}, {{4}}, {DataType::kInt32});
    const Status s = provider.supports(spec);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported);
    EXPECT_NE(s.message().find("BitShift"), std::string::npos) << s.message();
  }
  {
    // More inputs than the kernels take.
    std::vector<Tensor> inputs(9, Tensor(DataType::kFloat32, {4}));
    auto layer = make_layer(op_spec("Sum"), inputs);
    const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, {{4}}, {DataType::kFloat32});
    const Status s = provider.supports(spec);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported);
    EXPECT_NE(s.message().find("at most"), std::string::npos) << s.message();
  }
  {
    // Not an elementwise op.
    auto layer = make_layer(op_spec("Softmax"), {Tensor(DataType::kFloat32, {4})});
    const cuda::LayerSpec spec = testing::make_spec(*layer->node, {Tensor(DataType::kFloat32, {4})}, {{4}}, {DataType::kFloat32});
    EXPECT_EQ(provider.supports(spec).code(), StatusCode::kUnsupported);
  }
}

// ---- kiln.Pointwise ----

// A Pointwise layer built by hand as fuse_pointwise_chain builds one.
struct PointwiseLayer {
  Graph graph;
  Node* node = nullptr;
  std::shared_ptr<Graph> body = std::make_shared<Graph>();
};

Value* body_input(Graph& g, const std::string& name, DataType t, std::vector<int64_t> dims) {
  Value* v = *g.add_value(name);
  v->set_type(t, Shape::from_dims(dims));
  g.inputs().push_back(v);
  return v;
}

Value* body_constant(Graph& g, const std::string& name, DataType t, float value) {
  Value* v = *g.add_value(name);
  Tensor c = testing::convert(testing::make_tensor<float>(DataType::kFloat32, {}, {value}), t);
  v->set_type(t, Shape::from_dims({}));
  v->set_constant(c);
  return v;
}

Value* body_node(Graph& g, const std::string& op, std::vector<Value*> inputs, DataType t, std::vector<int64_t> dims,
                 std::map<std::string, Attribute> attrs = {}, int opset = 17) {
  Node* n = g.add_node(op + std::to_string(g.nodes().size()), op, "", opset);
  n->set_schema(OpRegistry::global().find(op, ""));
  n->inputs() = std::move(inputs);
  n->attrs() = std::move(attrs);
  Value* out = *g.add_value(n->name() + "_out");
  out->set_type(t, Shape::from_dims(dims));
  out->set_producer(n);
  n->outputs().push_back(out);
  const Status filled = n->schema()->check_and_fill_defaults(*n);
  EXPECT_TRUE(filled.ok()) << filled.to_string();
  return out;
}

// x * sigmoid(x) + 0.5 * y, y broadcast.
std::unique_ptr<PointwiseLayer> swish_plus_half(DataType t, const std::vector<int64_t>& x_dims,
                                                const std::vector<int64_t>& y_dims) {
  auto layer = std::make_unique<PointwiseLayer>();
  Graph& b = *layer->body;
  Value* x = body_input(b, "x", t, x_dims);
  Value* y = body_input(b, "y", t, y_dims);
  Value* s = body_node(b, "Sigmoid", {x}, t, x_dims);
  Value* m = body_node(b, "Mul", {x, s}, t, x_dims);
  Value* h = body_node(b, "Mul", {body_constant(b, "half", t, 0.5f), y}, t, y_dims);
  b.outputs().push_back(body_node(b, "Add", {m, h}, t, x_dims));
  return layer;
}

// clip(max(x, y, z) / 3 + x^2, -1, 2), then Gelu and LeakyRelu: the other kinds of body node.
std::unique_ptr<PointwiseLayer> assorted_body(DataType t, const std::vector<int64_t>& dims) {
  auto layer = std::make_unique<PointwiseLayer>();
  Graph& b = *layer->body;
  Value* x = body_input(b, "x", t, dims);
  Value* y = body_input(b, "y", t, {dims.back()});
  Value* z = body_input(b, "z", t, {});
  Value* m = body_node(b, "Max", {x, y, z}, t, dims);
  Value* d = body_node(b, "Div", {m, body_constant(b, "three", t, 3.f)}, t, dims);
  Value* p = body_node(b, "Pow", {x, body_constant(b, "two", DataType::kInt64, 2.f)}, t, dims);
  Value* s = body_node(b, "Add", {d, p}, t, dims);
  Value* c = body_node(b, "Clip", {s, body_constant(b, "lo", t, -1.f), body_constant(b, "hi", t, 2.f)}, t, dims);
  Value* g = body_node(b, "Gelu", {c}, t, dims);
  b.outputs().push_back(body_node(b, "LeakyRelu", {g}, t, dims, {{"alpha", Attribute::of_float(0.2f)}}));
  return layer;
}

Node* add_pointwise_node(PointwiseLayer& layer, size_t num_inputs) {
  Node* n = layer.graph.add_node("pw", std::string(kPointwiseOp), std::string(kKilnDomain), 1);
  n->set_schema(OpRegistry::global().find(std::string(kPointwiseOp), std::string(kKilnDomain)));
  for (size_t i = 0; i < num_inputs; ++i) n->inputs().push_back(layer.graph.get_or_add_value("in" + std::to_string(i)));
  n->outputs().push_back(layer.graph.get_or_add_value("out"));
  n->attrs()["body"] = Attribute::of_graph(layer.body);
  layer.node = n;
  return n;
}

void check_pointwise(PointwiseLayer& layer, const std::vector<Tensor>& inputs) {
  auto expected = run_reference(*layer.body, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  add_pointwise_node(layer, inputs.size());
  const Tensor& want = (*expected)[0];
  const cuda::LayerSpec spec = testing::make_spec(*layer.node, inputs, {want.dims()}, {want.dtype()});
  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  bool ours = false;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider != "kiln_pointwise") continue;
    ours = true;
    EXPECT_EQ(run.tactic.rfind("kiln_pointwise_" + std::string(cuda::elementwise::dtype_tag(want.dtype())) + "_", 0), 0u)
        << run.tactic;
    EXPECT_LE(testing::relative_error(run.outputs[0], want), tolerance(want.dtype())) << run.tactic;
  }
  EXPECT_TRUE(ours);
}

TEST(PointwiseTest, SwishPlusBroadcastHalf) {
  KILN_REQUIRE_GPU();
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16}) {
    SCOPED_TRACE(data_type_name(t));
    for (const std::vector<int64_t>& y_dims : {std::vector<int64_t>{3, 1, 5}, {2, 3, 4, 5}, {1}}) {
      auto layer = swish_plus_half(t, {2, 3, 4, 5}, y_dims);
      check_pointwise(*layer, {random_input(t, {2, 3, 4, 5}, -4, 4, 1), random_input(t, y_dims, -4, 4, 2)});
    }
  }
}

TEST(PointwiseTest, AssortedBody) {
  KILN_REQUIRE_GPU();
  for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
    SCOPED_TRACE(data_type_name(t));
    auto layer = assorted_body(t, {5, 13});
    check_pointwise(*layer, {random_input(t, {5, 13}, -2, 2, 3), random_input(t, {13}, -2, 2, 4),
                             random_input(t, {}, -2, 2, 5)});
  }
}

TEST(PointwiseTest, KernelKeepsSourceAndCubin) {
  KILN_REQUIRE_GPU();
  auto layer = swish_plus_half(DataType::kFloat32, {4, 9}, {9});
  add_pointwise_node(*layer, 2);
  const std::vector<Tensor> inputs = {Tensor(DataType::kFloat32, {4, 9}), Tensor(DataType::kFloat32, {9})};
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, {{4, 9}}, {DataType::kFloat32});
  const cuda::TacticProvider& provider = cuda::elementwise::pointwise_provider();
  ASSERT_TRUE(provider.supports(spec).ok());
  auto tactics = provider.tactics(spec, testing::test_device());
  ASSERT_TRUE(tactics.ok() && tactics->size() == 1);
  auto kernel = provider.create(spec, (*tactics)[0], testing::test_device());
  ASSERT_TRUE(kernel.ok()) << kernel.status().to_string();
  const auto* pointwise = dynamic_cast<const cuda::elementwise::PointwiseKernel*>(kernel->get());
  ASSERT_NE(pointwise, nullptr);
  EXPECT_NE(pointwise->source().find("PointwiseBody"), std::string::npos);
  EXPECT_FALSE(pointwise->cubin().empty());
  // The tactic names the source's hash.
  EXPECT_EQ((*tactics)[0].name,
            fmt::format("kiln_pointwise_fp32_{:08x}", static_cast<uint32_t>(cuda::elementwise::source_hash(pointwise->source()))));
}

// NVRTC needs no GPU: the generated source compiles for sm_90 anywhere the toolkit's NVRTC is.
TEST(PointwiseTest, GeneratedSourceCompilesWithNvrtc) {
  for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16}) {
    SCOPED_TRACE(data_type_name(t));
    auto layer = assorted_body(t, {5, 13});
    auto source = cuda::elementwise::generate_pointwise_source(*layer->body, {t, t, t}, t);
    ASSERT_TRUE(source.ok()) << source.status().to_string();
    auto cubin = cuda::elementwise::compile_cubin(*source, "sm_90");
    ASSERT_TRUE(cubin.ok()) << cubin.status().to_string();
    EXPECT_FALSE((*cubin)->empty());
    // Compiled once per process: the same source comes from the cache.
    auto again = cuda::elementwise::compile_cubin(*source, "sm_90");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->get(), cubin->get());
  }
}

TEST(PointwiseTest, UnsupportedBodyOpIsNamed) {
  auto layer = std::make_unique<PointwiseLayer>();
  Graph& b = *layer->body;
  const DataType t = DataType::kFloat32;
  Value* x = body_input(b, "x", t, {4});
  Value* s = body_node(b, "Softmax", {x}, t, {4});
  b.outputs().push_back(body_node(b, "Relu", {s}, t, {4}));
  add_pointwise_node(*layer, 1);
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, {Tensor(t, {4})}, {{4}}, {t});
  const Status status = cuda::elementwise::pointwise_provider().supports(spec);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_NE(status.message().find("Softmax"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace kiln
