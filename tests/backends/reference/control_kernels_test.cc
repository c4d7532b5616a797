// If, Loop and Scan run through the reference executor with bodies made of two test-only ops
// (so these tests do not depend on other op families).
#include <gtest/gtest.h>

#include <memory>

#include "backends/reference/executor.h"
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;

constexpr const char* kTestDomain = "kiln.test";

// kiln.test AddTo(a: float, b: numeric, one value or a's shape) -> float a + b.
// kiln.test Less(a, b: numeric single values) -> bool a < b.
void register_test_ops() {
  static bool done = false;
  if (done) return;
  done = true;
  OpRegistry::global().add(OpSchema("AddTo", kTestDomain).inputs(2).infer([](InferContext& c) {
    c.set_output(0, DataType::kFloat32, c.input_shape(0));
    return Status::Ok();
  }));
  OpRegistry::global().add(OpSchema("Less", kTestDomain).inputs(2).infer([](InferContext& c) {
    c.set_output(0, DataType::kBool, Shape::from_dims({}));
    return Status::Ok();
  }));
  KernelRegistry::global().add("AddTo", [](KernelContext& c) -> Status {
    KILN_ASSIGN_OR_RETURN(auto b, tensor_to_doubles(c.input(1)));
    for (int64_t i = 0; i < c.output(0).numel(); ++i)
      c.output(0).data<float>()[i] = c.input(0).data<float>()[i] + static_cast<float>(b[b.size() == 1 ? 0 : static_cast<size_t>(i)]);
    return Status::Ok();
  }, kTestDomain);
  KernelRegistry::global().add("Less", [](KernelContext& c) -> Status {
    KILN_ASSIGN_OR_RETURN(auto a, tensor_to_doubles(c.input(0)));
    KILN_ASSIGN_OR_RETURN(auto b, tensor_to_doubles(c.input(1)));
    *c.output(0).data<bool>() = a[0] < b[0];
    return Status::Ok();
  }, kTestDomain);
}

// Small graph-building helpers.
Value* input(Graph& g, const std::string& name, DataType dt, Shape shape) {
  Value* v = *g.add_value(name);
  v->set_type(dt, std::move(shape));
  g.inputs().push_back(v);
  return v;
}

Value* capture(Graph& g, const std::string& name) {
  Value* v = *g.add_value(name);
  g.captures().push_back(v);
  return v;
}

Value* constant(Graph& g, const std::string& name, Tensor t) {
  Value* v = *g.add_value(name);
  v->set_constant(std::move(t));
  return v;
}

Value* add_node(Graph& g, const std::string& op, const std::vector<Value*>& ins, const std::string& out,
                int opset = 17, std::map<std::string, Attribute> attrs = {}) {
  const std::string domain = (op == "AddTo" || op == "Less") ? kTestDomain : "";
  Node* n = g.add_node(out + "_node", op, domain, opset);
  n->inputs() = ins;
  Value* v = *g.add_value(out);
  v->set_producer(n);
  n->outputs() = {v};
  n->attrs() = std::move(attrs);
  return v;
}

// Adds a node with several outputs to `g` and checks it against its schema.
Node* add_control_node(Graph& g, const std::string& op, const std::vector<Value*>& ins, int outputs, int opset,
                       std::map<std::string, Attribute> attrs) {
  Node* n = g.add_node(op, op, "", opset);
  n->inputs() = ins;
  for (int i = 0; i < outputs; ++i) {
    Value* v = *g.add_value("out" + std::to_string(i));
    v->set_producer(n);
    n->outputs().push_back(v);
    g.outputs().push_back(v);
  }
  n->attrs() = std::move(attrs);
  const OpSchema* schema = OpRegistry::global().find(op, "");
  n->set_schema(schema);
  EXPECT_TRUE(schema->check_and_fill_defaults(*n).ok());
  return n;
}

void set_schemas(Graph& g) {
  for (const auto& n : g.nodes()) n->set_schema(OpRegistry::global().find(n->op_type(), n->domain()));
}

Tensor scalar_bool(bool b) { return make_tensor<bool>(DataType::kBool, {}, {b}); }
Tensor scalar_i64(int64_t v) { return make_tensor<int64_t>(DataType::kInt64, {}, {v}); }

std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.numel()}; }

class ControlFlow : public ::testing::Test {
 protected:
  void SetUp() override { register_test_ops(); }
};

TEST_F(ControlFlow, IfRunsTheBranchTheConditionPicks) {
  auto then_g = std::make_shared<Graph>();
  then_g->outputs().push_back(constant(*then_g, "t", make_tensor<float>(DataType::kFloat32, {2}, {1.5f, 2.5f})));
  auto else_g = std::make_shared<Graph>();
  else_g->outputs().push_back(constant(*else_g, "e", make_tensor<float>(DataType::kFloat32, {3}, {3.f, 4.f, 5.f})));
  Graph g;
  Value* cond = input(g, "cond", DataType::kBool, Shape::from_dims({}));
  add_control_node(g, "If", {cond}, 1, 17,
                   {{"then_branch", Attribute::of_graph(then_g)}, {"else_branch", Attribute::of_graph(else_g)}});
  auto yes = run_reference(g, {scalar_bool(true)});
  ASSERT_TRUE(yes.ok()) << yes.status().to_string();
  EXPECT_EQ(floats((*yes)[0]), (std::vector<float>{1.5f, 2.5f}));
  auto no = run_reference(g, {scalar_bool(false)});
  ASSERT_TRUE(no.ok()) << no.status().to_string();
  EXPECT_EQ(floats((*no)[0]), (std::vector<float>{3.f, 4.f, 5.f}));

  auto bad = run_reference(g, {make_tensor<float>(DataType::kFloat32, {}, {1.f})});
  EXPECT_FALSE(bad.ok());
}

// Body: (iter, cond, y) -> (cond_out, y + iter, y + iter) where cond_out = iter < limit (captured)
// or the incoming cond.
std::shared_ptr<Graph> accumulate_body(bool stop_at_limit) {
  auto body = std::make_shared<Graph>();
  Value* iter = input(*body, "iter", DataType::kInt64, Shape::from_dims({}));
  Value* cond = input(*body, "cond_in", DataType::kBool, Shape::from_dims({}));
  Value* y = input(*body, "y_in", DataType::kFloat32, Shape::from_dims({2}));
  Value* cond_out = cond;
  if (stop_at_limit) cond_out = add_node(*body, "Less", {iter, capture(*body, "limit")}, "cond_out");
  Value* y_out = add_node(*body, "AddTo", {y, iter}, "y_out");
  body->outputs() = {cond_out, y_out, y_out};
  set_schemas(*body);
  return body;
}

TEST_F(ControlFlow, LoopRunsMTimesAndStacksScanOutputs) {
  Graph g;
  Value* m = input(g, "M", DataType::kInt64, Shape::from_dims({}));
  Value* cond = input(g, "cond", DataType::kBool, Shape::from_dims({}));
  Value* y = input(g, "y", DataType::kFloat32, Shape::from_dims({2}));
  add_control_node(g, "Loop", {m, cond, y}, 2, 13, {{"body", Attribute::of_graph(accumulate_body(false))}});
  auto out = run_reference(g, {scalar_i64(5), scalar_bool(true), make_tensor<float>(DataType::kFloat32, {2}, {0.5f, -1.f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{10.5f, 9.f}));
  EXPECT_EQ((*out)[1].dims(), (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{0.5f, -1.f, 1.5f, 0.f, 3.5f, 2.f, 6.5f, 5.f, 10.5f, 9.f}));

  // A false initial condition runs no iteration: the state passes through, scans are empty.
  auto none = run_reference(g, {scalar_i64(5), scalar_bool(false), make_tensor<float>(DataType::kFloat32, {2}, {0.5f, -1.f})});
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_EQ(floats((*none)[0]), (std::vector<float>{0.5f, -1.f}));
  EXPECT_EQ((*none)[1].dims(), (std::vector<int64_t>{0, 2}));
}

TEST_F(ControlFlow, LoopStopsWhenTheBodyConditionTurnsFalse) {
  Graph g;
  input(g, "limit", DataType::kInt64, Shape::from_dims({}));  // read by the body as a capture
  Value* y = input(g, "y", DataType::kFloat32, Shape::from_dims({2}));
  add_control_node(g, "Loop", {nullptr, nullptr, y}, 2, 11, {{"body", Attribute::of_graph(accumulate_body(true))}});
  auto out = run_reference(g, {scalar_i64(3), make_tensor<float>(DataType::kFloat32, {2}, {1.f, 2.f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // Iterations 0..3 run; iteration 3 computes cond = (3 < 3) = false.
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{7.f, 8.f}));
  EXPECT_EQ((*out)[1].dims(), (std::vector<int64_t>{4, 2}));
}

TEST_F(ControlFlow, LoopRejectsABodyWithTheWrongInputCount) {
  auto body = std::make_shared<Graph>();
  Value* iter = input(*body, "iter", DataType::kInt64, Shape::from_dims({}));
  body->outputs() = {iter};
  Graph g;
  Value* m = input(g, "M", DataType::kInt64, Shape::from_dims({}));
  Value* y = input(g, "y", DataType::kFloat32, Shape::from_dims({2}));
  add_control_node(g, "Loop", {m, nullptr, y}, 1, 13, {{"body", Attribute::of_graph(body)}});
  auto out = run_reference(g, {scalar_i64(2), make_tensor<float>(DataType::kFloat32, {2}, {1.f, 2.f})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("body takes 1 input"), std::string::npos) << out.status().message();
}

// Body: (sum, next) -> (sum + next, sum + next).
std::shared_ptr<Graph> running_sum_body(int width) {
  auto body = std::make_shared<Graph>();
  Value* sum = input(*body, "sum_in", DataType::kFloat32, Shape::from_dims({width}));
  Value* next = input(*body, "next", DataType::kFloat32, Shape::from_dims({width}));
  Value* sum_out = add_node(*body, "AddTo", {sum, next}, "sum_out");
  body->outputs() = {sum_out, sum_out};
  set_schemas(*body);
  return body;
}

TEST_F(ControlFlow, ScanSlicesAlongAxesInEitherDirection) {
  // x is [2 wide, 3 steps] scanned along axis 1 from the end; outputs stacked along axis 1.
  Graph g;
  Value* init = input(g, "init", DataType::kFloat32, Shape::from_dims({2}));
  Value* x = input(g, "x", DataType::kFloat32, Shape::from_dims({2, 3}));
  add_control_node(g, "Scan", {init, x}, 2, 11,
                   {{"body", Attribute::of_graph(running_sum_body(2))},
                    {"num_scan_inputs", Attribute::of_int(1)},
                    {"scan_input_axes", Attribute::of_ints({-1})},
                    {"scan_input_directions", Attribute::of_ints({1})},
                    {"scan_output_axes", Attribute::of_ints({1})}});
  auto out = run_reference(g, {make_tensor<float>(DataType::kFloat32, {2}, {0.5f, 1.f}),
                               make_tensor<float>(DataType::kFloat32, {2, 3}, {1, 2, 3, 10, 20, 30})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{6.5f, 61.f}));
  EXPECT_EQ((*out)[1].dims(), (std::vector<int64_t>{2, 3}));
  // Step order: x[:,2], x[:,1], x[:,0].
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{3.5f, 5.5f, 6.5f, 31.f, 51.f, 61.f}));
}

TEST_F(ControlFlow, Scan8RunsEachBatchEntryForItsSequenceLength) {
  Graph g;
  Value* lens = input(g, "lens", DataType::kInt64, Shape::from_dims({2}));
  Value* init = input(g, "init", DataType::kFloat32, Shape::from_dims({2, 1}));
  Value* x = input(g, "x", DataType::kFloat32, Shape::from_dims({2, 3, 1}));
  add_control_node(g, "Scan", {lens, init, x}, 2, 8,
                   {{"body", Attribute::of_graph(running_sum_body(1))}, {"num_scan_inputs", Attribute::of_int(1)},
                    {"directions", Attribute::of_ints({1})}});
  auto out = run_reference(g, {make_tensor<int64_t>(DataType::kInt64, {2}, {3, 2}),
                               make_tensor<float>(DataType::kFloat32, {2, 1}, {0.f, 100.f}),
                               make_tensor<float>(DataType::kFloat32, {2, 3, 1}, {1, 2, 3, 10, 20, 30})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{6.f, 130.f}));
  EXPECT_EQ((*out)[1].dims(), (std::vector<int64_t>{2, 3, 1}));
  // Batch 1 reads its 2 valid steps backwards (20, 10) and is zero-padded.
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{3.f, 5.f, 6.f, 120.f, 130.f, 0.f}));
}

TEST_F(ControlFlow, ScanRejectsScanInputsOfDifferentLengths) {
  auto body = std::make_shared<Graph>();
  Value* a = input(*body, "a", DataType::kFloat32, Shape::from_dims({}));
  input(*body, "b", DataType::kFloat32, Shape::from_dims({}));
  body->outputs() = {a};
  Graph g;
  Value* x = input(g, "x", DataType::kFloat32, Shape::from_dims({3}));
  Value* z = input(g, "z", DataType::kFloat32, Shape::from_dims({4}));
  add_control_node(g, "Scan", {x, z}, 1, 11, {{"body", Attribute::of_graph(body)}, {"num_scan_inputs", Attribute::of_int(2)}});
  auto out = run_reference(g, {make_tensor<float>(DataType::kFloat32, {3}, {1, 2, 3}),
                               make_tensor<float>(DataType::kFloat32, {4}, {1, 2, 3, 4})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("steps"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace kiln
