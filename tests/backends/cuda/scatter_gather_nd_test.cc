// Kiln's CUDA ScatterElements / Scatter / ScatterND / GatherND kernels
// (src/backends/cuda/kernels/datamove/scatter*) against the reference kernels. Plain scatters and
// gathers must give the reference's bytes; reductions too, except float add/mul, whose atomic
// order differs from the reference's sequential one (relative error <= 1e-5).
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

// The node as a layer, in its own graph.
std::unique_ptr<testing::OwnedNode> build_node(const NodeSpec& ns, const std::vector<Tensor>& inputs) {
  return testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, inputs, ns.num_outputs);
}

NodeSpec node(std::string op, std::map<std::string, Attribute> attrs, int opset = 18) {
  NodeSpec ns;
  ns.op_type = std::move(op);
  ns.attrs = std::move(attrs);
  ns.opset = opset;
  return ns;
}

// Random values, never all zero; integers in a range every integer type holds.
Tensor random_data(DataType dtype, std::vector<int64_t> dims, unsigned seed) {
  if (is_floating(dtype)) return testing::random_tensor(dtype, std::move(dims), -4.f, 4.f, seed);
  return testing::random_tensor(dtype, std::move(dims), 1.f, 120.f, seed);
}

Tensor indices_of(DataType dtype, std::vector<int64_t> dims, const std::vector<int64_t>& values) {
  if (dtype == DataType::kInt32) return testing::make_tensor<int32_t>(dtype, std::move(dims), std::vector<int32_t>(values.begin(), values.end()));
  return testing::make_tensor<int64_t>(dtype, std::move(dims), values);
}

// ScatterElements indices of `dims` into an axis of `bound`: distinct along the axis (so plain
// scatters have one update per target) or random with duplicates; every other one negative.
Tensor element_indices(DataType dtype, const std::vector<int64_t>& dims, int axis, int64_t bound, bool distinct,
                       unsigned seed) {
  std::mt19937 rng(seed);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, along = 0, across = 0;
    for (size_t k = dims.size(); k-- > 0;) {
      const int64_t c = rest % dims[k];
      rest /= dims[k];
      (static_cast<int>(k) == axis ? along : across) += c;
    }
    int64_t v = distinct ? (along + across) % bound : static_cast<int64_t>(rng() % static_cast<uint64_t>(bound));
    if (i % 2 == 1) v -= bound;
    values[static_cast<size_t>(i)] = v;
  }
  return indices_of(dtype, dims, values);
}

// Runs the node through the reference and every CUDA tactic; tolerance 0 means the same bytes.
// Returns the names of the tactics that ran.
std::vector<std::string> expect_matches_reference(const NodeSpec& ns, const std::vector<Tensor>& inputs,
                                                  double tolerance = 0) {
  auto expected = testing::run_node(ns, inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  if (!expected.ok()) return {};
  auto built = build_node(ns, inputs);
  const Tensor& want = (*expected)[0];
  const cuda::LayerSpec spec = testing::make_spec(*built->node, inputs, {want.dims()}, {want.dtype()});
  auto runs = testing::run_all_tactics(spec, inputs);
  EXPECT_TRUE(runs.ok()) << runs.status().to_string();
  if (!runs.ok()) return {};
  EXPECT_FALSE(runs->empty()) << ns.op_type << ": no CUDA provider took the layer";
  std::vector<std::string> names;
  for (const testing::TacticRun& run : *runs) {
    names.push_back(run.tactic);
    const Tensor& got = run.outputs[0];
    EXPECT_LE(testing::relative_error(got, want), tolerance) << ns.op_type << " " << run.tactic;
    if (tolerance == 0) {
      EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << ns.op_type << " " << run.tactic;
    }
  }
  return names;
}

// Float add and mul reduce in the atomics' order.
double reduction_tolerance(DataType dt, const std::string& reduction) {
  return is_floating(dt) && (reduction == "add" || reduction == "mul") ? 1e-5 : 0;
}

const std::vector<DataType> kTypes = {DataType::kFloat32, DataType::kFloat16, DataType::kInt64};
const std::vector<DataType> kIndexTypes = {DataType::kInt64, DataType::kInt32};
const std::vector<std::string> kReductions = {"add", "mul", "max", "min"};

TEST(CudaScatterGatherNDTest, ScatterElementsAxes) {
  KILN_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> data, indices;
    int axis;
  };
  for (const Case& c : {Case{{5, 7}, {3, 4}, 0}, Case{{4, 9}, {3, 5}, 1}, Case{{3, 5, 7}, {2, 4, 3}, -1}}) {
    const int axis = c.axis < 0 ? c.axis + static_cast<int>(c.data.size()) : c.axis;
    for (DataType dt : kTypes) {
      for (DataType it : kIndexTypes) {
        SCOPED_TRACE(std::string(data_type_name(dt)) + " " + std::string(data_type_name(it)) + " axis " + std::to_string(c.axis));
        const Tensor idx = element_indices(it, c.indices, axis, c.data[static_cast<size_t>(axis)], true, 3);
        auto names = expect_matches_reference(node("ScatterElements", {{"axis", Attribute::of_int(c.axis)}}),
                                              {random_data(dt, c.data, 1), idx, random_data(dt, c.indices, 2)});
        EXPECT_EQ(names, std::vector<std::string>{"kiln_scatter_elements_axis" + std::to_string(axis) + "_none"});
      }
    }
  }
}

TEST(CudaScatterGatherNDTest, ScatterElementsReductions) {
  KILN_REQUIRE_GPU();
  for (DataType dt : {DataType::kFloat32, DataType::kInt64}) {
    for (const std::string& r : kReductions) {
      for (int axis : {0, 1}) {
        SCOPED_TRACE(std::string(data_type_name(dt)) + " " + r + " axis " + std::to_string(axis));
        const std::vector<int64_t> data = {5, 6}, indices = {7, 5};  // duplicates: 7 > 5 along axis 0
        const std::vector<int64_t> used = axis == 0 ? indices : std::vector<int64_t>{5, 9};
        const Tensor idx = element_indices(DataType::kInt64, used, axis, data[static_cast<size_t>(axis)], false, 11);
        const NodeSpec ns = node("ScatterElements", {{"axis", Attribute::of_int(axis)}, {"reduction", Attribute::of_string(r)}});
        const Tensor updates = dt == DataType::kInt64 && r == "mul" ? testing::random_tensor(dt, used, 1.f, 4.f, 13)
                                                                    : random_data(dt, used, 13);
        expect_matches_reference(ns, {random_data(dt, data, 12), idx, updates}, reduction_tolerance(dt, r));
      }
    }
  }
}

TEST(CudaScatterGatherNDTest, ScatterOpset10) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor idx = element_indices(DataType::kInt32, {4, 3}, 1, 7, true, 21);
    auto names = expect_matches_reference(node("Scatter", {{"axis", Attribute::of_int(-1)}}, 10),
                                          {random_data(dt, {5, 7}, 22), idx, random_data(dt, {4, 3}, 23)});
    EXPECT_EQ(names, std::vector<std::string>{"kiln_scatter_elements_axis1_none"});
  }
}

TEST(CudaScatterGatherNDTest, ScatterNDDepths) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    for (DataType it : kIndexTypes) {
      SCOPED_TRACE(std::string(data_type_name(dt)) + " " + std::string(data_type_name(it)));
      const Tensor data = random_data(dt, {4, 4, 4}, 31);
      // Depth 1: whole [4, 4] planes; depth 2: rows of 4. Distinct targets, some negative.
      expect_matches_reference(node("ScatterND", {}),
                               {data, indices_of(it, {3, 1}, {1, -1, 0}), random_data(dt, {3, 4, 4}, 32)});
      expect_matches_reference(node("ScatterND", {}),
                               {data, indices_of(it, {2, 3, 2}, {0, 1, -1, 2, 3, -4, 2, 2, -3, 3, 1, 1}),
                                random_data(dt, {2, 3, 4}, 33)});
      // Depth 3: single elements.
      auto names = expect_matches_reference(node("ScatterND", {}),
                                            {data, indices_of(it, {2, 3}, {0, 1, 2, -1, -2, -3}), random_data(dt, {2}, 34)});
      EXPECT_EQ(names, std::vector<std::string>{"kiln_scatter_nd_none"});
    }
  }
}

TEST(CudaScatterGatherNDTest, ScatterNDReductions) {
  KILN_REQUIRE_GPU();
  for (DataType dt : {DataType::kFloat32, DataType::kInt64}) {
    for (const std::string& r : kReductions) {
      SCOPED_TRACE(std::string(data_type_name(dt)) + " " + r);
      const NodeSpec ns = node("ScatterND", {{"reduction", Attribute::of_string(r)}});
      const Tensor data = random_data(dt, {4, 4, 4}, 41);
      const double tol = reduction_tolerance(dt, r);
      auto updates = [&](std::vector<int64_t> dims, unsigned seed) {
        return dt == DataType::kInt64 && r == "mul" ? testing::random_tensor(dt, std::move(dims), 1.f, 4.f, seed)
                                                    : random_data(dt, std::move(dims), seed);
      };
      // Duplicate tuples, also spelled negative.
      auto names = expect_matches_reference(ns, {data, indices_of(DataType::kInt64, {5, 1}, {1, -3, 2, 1, 3}), updates({5, 4, 4}, 42)}, tol);
      EXPECT_EQ(names, std::vector<std::string>{"kiln_scatter_nd_" + r});
      expect_matches_reference(ns, {data, indices_of(DataType::kInt32, {3, 2, 2}, {0, 1, 0, -3, 3, 3, 2, 2, -1, -1, 0, 1}),
                                    updates({3, 2, 4}, 43)}, tol);
    }
  }
}

TEST(CudaScatterGatherNDTest, GatherNDBatchDims) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    for (DataType it : kIndexTypes) {
      SCOPED_TRACE(std::string(data_type_name(dt)) + " " + std::string(data_type_name(it)));
      const Tensor data = random_data(dt, {3, 5, 7}, 51);
      auto names = expect_matches_reference(node("GatherND", {}),
                                            {data, indices_of(it, {3, 2, 2}, {0, 1, -1, 4, 2, -5, 1, 1, 0, 0, 2, 3})});
      EXPECT_EQ(names, std::vector<std::string>{"kiln_gather_nd"});
      expect_matches_reference(node("GatherND", {}), {data, indices_of(it, {2, 3}, {0, 1, 2, -1, -1, -1})});
      expect_matches_reference(node("GatherND", {}), {data, indices_of(it, {4, 1}, {2, 0, -1, 1})});
      // batch_dims 1: each of the 3 batches has its own tuples.
      const NodeSpec batched = node("GatherND", {{"batch_dims", Attribute::of_int(1)}});
      expect_matches_reference(batched, {data, indices_of(it, {3, 4, 1}, {0, 4, -1, 2, 1, 1, 3, -5, 2, 0, 4, 3})});
      expect_matches_reference(batched, {data, indices_of(it, {3, 2, 2}, {0, 6, 4, -1, 1, 1, 3, 2, -2, 0, 4, 5})});
    }
  }
}

// Returns the named provider's verdict on the layer.
Status support_of(const std::string& provider, const NodeSpec& ns, const std::vector<Tensor>& inputs,
                  const std::vector<int64_t>& out_dims) {
  auto built = build_node(ns, inputs);
  const cuda::LayerSpec spec = testing::make_spec(*built->node, inputs, {out_dims}, {inputs[0].dtype()});
  for (const cuda::TacticProvider* p : cuda::all_providers())
    if (p->name() == provider) return p->supports(spec);
  return not_found("no provider {}", provider);
}

TEST(CudaScatterGatherNDTest, SixteenBitReductionsAreRefused) {
  for (DataType dt : {DataType::kFloat16, DataType::kBFloat16}) {
    const std::vector<Tensor> inputs = {random_data(dt, {4, 4}, 61), element_indices(DataType::kInt64, {2, 4}, 0, 4, false, 62),
                                        random_data(dt, {2, 4}, 63)};
    const Status s = support_of("kiln_scatter_elements", node("ScatterElements", {{"reduction", Attribute::of_string("add")}}),
                                inputs, {4, 4});
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
    EXPECT_NE(s.message().find("reduces float32"), std::string::npos) << s.message();
    // A plain scatter of the same type is taken.
    EXPECT_TRUE(support_of("kiln_scatter_elements", node("ScatterElements", {}), inputs, {4, 4}).ok());
  }
}

}  // namespace
}  // namespace kiln
