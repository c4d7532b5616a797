// Kiln's loss kernels (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss; provider kiln_loss)
// against the reference kernels: 2-D and spatial scores, with and without class weights, every
// reduction, ignore_index hitting some labels, int32 and int64 labels, the log_prob output, in
// every float dtype.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/kernels/reduce/providers.h"
#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

constexpr int64_t kIgnore = 1;  // a real class, so ignore_index hits labels drawn at random

double tolerance(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat16: return 1e-2;
    case DataType::kBFloat16: return 2e-2;
    default: return 1e-5;
  }
}

// Labels [N, d...] in [0, classes), the first one kIgnore so that ignore_index always hits.
Tensor random_labels(DataType dtype, const std::vector<int64_t>& score_dims, unsigned seed) {
  std::vector<int64_t> dims = score_dims;
  dims.erase(dims.begin() + 1);
  Tensor t(dtype, dims);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, score_dims[1] - 1);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t label = i == 0 ? kIgnore : pick(rng);
    if (dtype == DataType::kInt32) t.data<int32_t>()[i] = static_cast<int32_t>(label);
    else t.data<int64_t>()[i] = label;
  }
  return t;
}

struct LossCase {
  bool softmax = false;  // SoftmaxCrossEntropyLoss, else NegativeLogLikelihoodLoss
  std::vector<int64_t> dims;  // scores [N, C, d...]
  bool weights = false;
  std::string reduction = "mean";
  bool ignore = false;
  DataType label_dtype = DataType::kInt64;
  bool log_prob = false;  // SoftmaxCrossEntropyLoss's second output

  NodeSpec node() const {
    NodeSpec s;
    s.op_type = softmax ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss";
    s.attrs["reduction"] = Attribute::of_string(reduction);
    if (ignore) s.attrs["ignore_index"] = Attribute::of_int(kIgnore);
    s.num_outputs = log_prob ? 2 : 1;
    s.opset = 13;
    return s;
  }
  std::string describe() const {
    std::string d = node().op_type + " [";
    for (int64_t v : dims) d += std::to_string(v) + ",";
    return d + "] reduction=" + reduction + (weights ? " weights" : "") + (ignore ? " ignore_index" : "") +
           (label_dtype == DataType::kInt32 ? " int32 labels" : " int64 labels") + (log_prob ? " log_prob" : "");
  }
};

// Runs every GPU tactic in `dtype` and compares each output with the reference run on the
// same (rounded) scores and weights. Expects the Kiln tactic among them.
void expect_gpu_matches(const LossCase& c, DataType dtype) {
  SCOPED_TRACE(c.describe() + " in " + std::string(data_type_name(dtype)));
  // NLL reads log-probabilities: negative values, so the summed losses do not cancel.
  const Tensor scores = c.softmax ? testing::random_float(c.dims, 7, -2.f, 2.f) : testing::random_float(c.dims, 7, -3.f, -0.1f);
  std::vector<Tensor> inputs = {testing::convert(scores, dtype), random_labels(c.label_dtype, c.dims, 11)};
  if (c.weights) inputs.push_back(testing::convert(testing::random_float({c.dims[1]}, 13, 0.2f, 2.f), dtype));
  std::vector<Tensor> reference_inputs = inputs;
  reference_inputs[0] = testing::convert(inputs[0], DataType::kFloat32);
  if (c.weights) reference_inputs[2] = testing::convert(inputs[2], DataType::kFloat32);
  const NodeSpec ns = c.node();
  auto expected = testing::run_node(ns, reference_inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();

  Graph graph;
  Node* node = graph.add_node(ns.op_type, ns.op_type, ns.domain, ns.opset);
  const OpSchema* schema = OpRegistry::global().find(ns.op_type, ns.domain);
  ASSERT_NE(schema, nullptr);
  node->set_schema(schema);
  for (size_t i = 0; i < inputs.size(); ++i) node->inputs().push_back(graph.get_or_add_value("in" + std::to_string(i)));
  for (int i = 0; i < ns.num_outputs; ++i) node->outputs().push_back(graph.get_or_add_value("out" + std::to_string(i)));
  node->attrs() = ns.attrs;
  ASSERT_TRUE(schema->check_and_fill_defaults(*node).ok());
  std::vector<std::vector<int64_t>> out_dims;
  for (const Tensor& e : *expected) out_dims.push_back(e.dims());
  const cuda::LayerSpec spec =
      testing::make_spec(*node, inputs, out_dims, std::vector<DataType>(expected->size(), dtype));
  const Status supported = cuda::reduce::loss_provider()->supports(spec);
  ASSERT_TRUE(supported.ok()) << supported.to_string();

  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  bool kiln_ran = false;
  for (const testing::TacticRun& run : *runs) {
    kiln_ran |= run.provider == "kiln_loss";
    ASSERT_EQ(run.outputs.size(), expected->size()) << run.tactic;
    for (size_t i = 0; i < run.outputs.size(); ++i)
      EXPECT_LE(testing::relative_error(run.outputs[i], (*expected)[i]), tolerance(dtype)) << run.tactic << " output " << i;
  }
  EXPECT_TRUE(kiln_ran) << "the kiln_loss tactic did not run";
}

constexpr DataType kDtypes[] = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kFloat64};

TEST(LossGpuTest, NllLossEveryReductionWeightIgnoreIndexAndLabelType) {
  KILN_REQUIRE_GPU();
  for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3, 5}, std::vector<int64_t>{2, 4, 3, 2}})
    for (bool weights : {false, true})
      for (const char* reduction : {"none", "sum", "mean"})
        for (bool ignore : {false, true})
          for (DataType labels : {DataType::kInt64, DataType::kInt32})
            for (DataType dtype : kDtypes)
              expect_gpu_matches({false, dims, weights, reduction, ignore, labels, false}, dtype);
}

TEST(LossGpuTest, NllLossLargeOddSizes) {
  KILN_REQUIRE_GPU();
  // More elements than one block of the reduction folds in one pass; C not a multiple of 8.
  for (const char* reduction : {"none", "mean"})
    for (DataType dtype : {DataType::kFloat32, DataType::kFloat16})
      expect_gpu_matches({false, {37, 13, 61}, true, reduction, true, DataType::kInt64, false}, dtype);
}

TEST(LossGpuTest, SoftmaxCrossEntropyEveryReductionWeightIgnoreIndexAndLogProb) {
  KILN_REQUIRE_GPU();
  for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3, 5}, std::vector<int64_t>{2, 4, 3, 2}})
    for (bool weights : {false, true})
      for (const char* reduction : {"none", "sum", "mean"})
        for (bool ignore : {false, true})
          for (bool log_prob : {false, true})
            for (DataType labels : {DataType::kInt64, DataType::kInt32})
              for (DataType dtype : kDtypes)
                expect_gpu_matches({true, dims, weights, reduction, ignore, labels, log_prob}, dtype);
}

TEST(LossGpuTest, SoftmaxCrossEntropyLongRowsAndStridedClasses) {
  KILN_REQUIRE_GPU();
  // Long rows take many threads per row ([N, C]); spatial dims make the class axis strided.
  for (const std::vector<int64_t>& dims :
       {std::vector<int64_t>{5, 3001}, std::vector<int64_t>{3, 1000, 7}, std::vector<int64_t>{4, 37, 9, 5}})
    for (const char* reduction : {"none", "mean"})
      for (DataType dtype : {DataType::kFloat32, DataType::kFloat16})
        expect_gpu_matches({true, dims, true, reduction, true, DataType::kInt64, true}, dtype);
}

// A spec that make_loss_plan must refuse: labels or scores of a type it does not take, or
// channels-last layout.
Status supports_modified(DataType scores_dtype, DataType labels_dtype, bool channels_last) {
  NodeSpec ns = LossCase{true, {2, 3}}.node();
  Graph graph;
  Node* node = graph.add_node(ns.op_type, ns.op_type, ns.domain, ns.opset);
  node->set_schema(OpRegistry::global().find(ns.op_type, ns.domain));
  node->inputs() = {graph.get_or_add_value("scores"), graph.get_or_add_value("labels")};
  node->outputs() = {graph.get_or_add_value("loss")};
  node->attrs() = ns.attrs;
  std::vector<Tensor> inputs = {testing::random_tensor(scores_dtype, {2, 3}), testing::random_tensor(labels_dtype, {2}, 0, 2)};
  cuda::LayerSpec spec = testing::make_spec(*node, inputs, {std::vector<int64_t>{}}, {scores_dtype});
  spec.channels_last = channels_last;
  return cuda::reduce::loss_provider()->supports(spec);
}

TEST(LossGpuTest, RefusesWhatItDoesNotCompute) {
  EXPECT_TRUE(supports_modified(DataType::kFloat32, DataType::kInt64, false).ok());
  EXPECT_EQ(supports_modified(DataType::kFloat32, DataType::kFloat32, false).code(), StatusCode::kUnsupported);
  EXPECT_EQ(supports_modified(DataType::kInt32, DataType::kInt64, false).code(), StatusCode::kUnsupported);
  EXPECT_EQ(supports_modified(DataType::kFloat32, DataType::kInt64, true).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kiln
