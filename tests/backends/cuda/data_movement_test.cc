// Kiln's CUDA data-movement kernels (src/backends/cuda/kernels/datamove) against the reference
// kernels: every tactic of every provider that takes the layer must give the reference's bytes
// (interpolating Resize: its float tolerance).
#include <cstring>
#include <memory>
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

// Random values, never all zero; integers in a range every integer type holds.
Tensor random_data(DataType dtype, std::vector<int64_t> dims, unsigned seed) {
  if (is_floating(dtype)) return testing::random_tensor(dtype, std::move(dims), -4.f, 4.f, seed);
  return testing::random_tensor(dtype, std::move(dims), 1.f, 120.f, seed);
}

Tensor int64s(std::vector<int64_t> dims, const std::vector<int64_t>& values) {
  return testing::make_tensor<int64_t>(DataType::kInt64, std::move(dims), values);
}
Tensor int64s(const std::vector<int64_t>& values) { return int64s({static_cast<int64_t>(values.size())}, values); }

// Runs the node through the reference and every CUDA tactic. Exact (tolerance 0) means the same
// bytes. Returns the names of the tactics that ran.
std::vector<std::string> expect_matches_reference(const NodeSpec& ns, const std::vector<Tensor>& inputs,
                                                  const std::vector<int>& constant_inputs, double tolerance = 0) {
  auto expected = testing::run_node(ns, inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  if (!expected.ok()) return {};
  auto built = build_node(ns, inputs);
  std::vector<std::vector<int64_t>> dims;
  std::vector<DataType> dtypes;
  for (const Tensor& t : *expected) {
    dims.push_back(t.dims());
    dtypes.push_back(t.dtype());
  }
  const cuda::LayerSpec spec = testing::make_spec(*built->node, inputs, dims, dtypes, constant_inputs);
  auto runs = testing::run_all_tactics(spec, inputs);
  EXPECT_TRUE(runs.ok()) << runs.status().to_string();
  if (!runs.ok()) return {};
  EXPECT_FALSE(runs->empty()) << ns.op_type << ": no CUDA provider took the layer";
  std::vector<std::string> names;
  for (const testing::TacticRun& run : *runs) {
    names.push_back(run.tactic);
    for (size_t i = 0; i < expected->size(); ++i) {
      const Tensor& want = (*expected)[i];
      const Tensor& got = run.outputs[i];
      EXPECT_LE(testing::relative_error(got, want), tolerance) << ns.op_type << " " << run.tactic << " output " << i;
      if (tolerance == 0) {
        EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << ns.op_type << " " << run.tactic << " output " << i;
      }
    }
  }
  return names;
}

std::string type_name(DataType dt) { return std::string(data_type_name(dt)); }

bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names)
    if (n == name) return true;
  return false;
}

const std::vector<DataType> kTypes = {DataType::kFloat32, DataType::kFloat16, DataType::kInt64};

NodeSpec node(std::string op, std::map<std::string, Attribute> attrs = {}, int opset = 17, int outputs = 1) {
  NodeSpec ns;
  ns.op_type = std::move(op);
  ns.attrs = std::move(attrs);
  ns.opset = opset;
  ns.num_outputs = outputs;
  return ns;
}

TEST(CudaDataMovementTest, TransposePerms) {
  KILN_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims, perm;
  };
  const std::vector<Case> cases = {{{2, 13, 7, 9}, {0, 2, 3, 1}}, {{2, 7, 9, 13}, {0, 3, 1, 2}},
                                   {{2, 13, 7, 9}, {3, 1, 0, 2}}, {{37, 19}, {1, 0}},
                                   {{3, 17, 33}, {0, 2, 1}},      {{2, 3, 4, 5, 3, 2}, {5, 2, 0, 4, 1, 3}},
                                   {{5, 1, 3}, {}}};
  for (DataType dt : {DataType::kFloat32, DataType::kFloat16, DataType::kInt64, DataType::kUInt8}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(type_name(dt) + " " + dims_to_string(c.dims) + " perm " + dims_to_string(c.perm));
      std::map<std::string, Attribute> attrs;
      if (!c.perm.empty()) attrs["perm"] = Attribute::of_ints(c.perm);
      expect_matches_reference(node("Transpose", attrs), {random_data(dt, c.dims, 3)}, {});
    }
  }
}

TEST(CudaDataMovementTest, TransposeNchwNhwcUseTheTiledKernel) {
  KILN_REQUIRE_GPU();
  auto names = expect_matches_reference(node("Transpose", {{"perm", Attribute::of_ints({0, 2, 3, 1})}}),
                                        {random_data(DataType::kFloat16, {2, 13, 7, 9}, 5)}, {});
  EXPECT_TRUE(contains(names, "kiln_transpose_nchw_to_nhwc_2B"));
  EXPECT_TRUE(contains(names, "kiln_transpose_2B"));
  names = expect_matches_reference(node("Transpose", {{"perm", Attribute::of_ints({0, 3, 1, 2})}}),
                                   {random_data(DataType::kFloat32, {2, 7, 9, 13}, 6)}, {});
  EXPECT_TRUE(contains(names, "kiln_transpose_nhwc_to_nchw_4B"));
  // A large batched transpose crosses many tiles and batches.
  names = expect_matches_reference(node("Transpose", {{"perm", Attribute::of_ints({0, 2, 1})}}),
                                   {random_data(DataType::kInt64, {5, 67, 129}, 7)}, {});
  EXPECT_TRUE(contains(names, "kiln_transpose_tiled_8B"));
}

// An RGB image to channels-last (the to-minor kernel's three-row form): full and partial tiles,
// vector and scalar loads, aligned and unaligned output runs, every word size.
TEST(CudaDataMovementTest, TransposeRgbToChannelsLastUsesTheToMinorKernel) {
  KILN_REQUIRE_GPU();
  for (DataType dt : {DataType::kUInt8, DataType::kFloat16, DataType::kFloat32, DataType::kInt64})
    for (const std::vector<int64_t>& dims : {std::vector<int64_t>{2, 3, 224, 224}, {3, 3, 17, 33}, {1, 3, 40, 52}}) {
      SCOPED_TRACE(type_name(dt) + " " + dims_to_string(dims));
      const auto names = expect_matches_reference(node("Transpose", {{"perm", Attribute::of_ints({0, 2, 3, 1})}}),
                                                  {random_data(dt, dims, 9)}, {});
      EXPECT_TRUE(contains(names, "kiln_transpose_to_minor_" + std::to_string(data_type_size(dt)) + "B"));
    }
}

TEST(CudaDataMovementTest, ConcatAxes) {
  KILN_REQUIRE_GPU();
  struct Case {
    int64_t axis;
    std::vector<std::vector<int64_t>> dims;
  };
  const std::vector<Case> cases = {{0, {{2, 5, 7}, {3, 5, 7}, {1, 5, 7}}},
                                   {1, {{3, 5, 7}, {3, 2, 7}, {3, 4, 7}}},
                                   {-1, {{3, 5, 7}, {3, 5, 1}, {3, 5, 6}}},
                                   {2, {{3, 5, 7}, {3, 5, 0}, {3, 5, 3}}}};
  for (DataType dt : kTypes) {
    for (const Case& c : cases) {
      SCOPED_TRACE(type_name(dt) + " axis " + std::to_string(c.axis));
      std::vector<Tensor> inputs;
      for (size_t i = 0; i < c.dims.size(); ++i) inputs.push_back(random_data(dt, c.dims[i], 10 + static_cast<unsigned>(i)));
      auto names = expect_matches_reference(node("Concat", {{"axis", Attribute::of_int(c.axis)}}), inputs, {});
      if (c.axis == 1) {
        EXPECT_TRUE(contains(names, "kiln_concat_axis1"));
      }
    }
  }
}

TEST(CudaDataMovementTest, ConcatManyInputs) {
  KILN_REQUIRE_GPU();
  std::vector<Tensor> inputs;  // more than one launch's worth of parts
  for (unsigned i = 0; i < 41; ++i) inputs.push_back(random_data(DataType::kFloat16, {3, 1 + i % 4, 5}, 20 + i));
  expect_matches_reference(node("Concat", {{"axis", Attribute::of_int(1)}}), inputs, {});
}

TEST(CudaDataMovementTest, SplitUneven) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor x = random_data(dt, {4, 11, 3}, 30);
    expect_matches_reference(node("Split", {{"axis", Attribute::of_int(1)}}, 13, 3), {x, int64s({2, 5, 4})}, {1});
    expect_matches_reference(node("Split", {{"axis", Attribute::of_int(-1)}, {"split", Attribute::of_ints({1, 2})}}, 11, 2),
                             {x}, {});
    expect_matches_reference(node("Split", {{"axis", Attribute::of_int(0)}}, 13, 2), {x}, {});
  }
}

TEST(CudaDataMovementTest, SliceNegativeStepsAndClamping) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor x = random_data(dt, {7, 9, 5}, 40);
    // Reversed axis 0 from the end, every third of axis 1 backwards, clamped ends.
    expect_matches_reference(node("Slice", {}, 13),
                             {x, int64s({-1, 8, 1}), int64s({-100, 0, 100}), int64s({0, 1, 2}), int64s({-1, -3, 2})},
                             {1, 2, 3, 4});
    // Negative axes, default steps.
    expect_matches_reference(node("Slice", {}, 13), {x, int64s({1, -4}), int64s({-1, 1000}), int64s({-1, -2})}, {1, 2, 3});
    // Opset 1: attributes.
    expect_matches_reference(node("Slice", {{"starts", Attribute::of_ints({2, -3})},
                                            {"ends", Attribute::of_ints({5, 100})},
                                            {"axes", Attribute::of_ints({1, 2})}}, 1),
                             {x}, {});
    // An empty result.
    expect_matches_reference(node("Slice", {}, 13), {x, int64s({3}), int64s({3}), int64s({1})}, {1, 2, 3});
  }
}

TEST(CudaDataMovementTest, SliceWithNonConstantStartsIsRefused) {
  NodeSpec ns = node("Slice", {}, 13);
  const std::vector<Tensor> inputs = {random_data(DataType::kFloat32, {7, 9}, 41), int64s({1}), int64s({5}),
                                      int64s({0})};
  auto built = build_node(ns, inputs);
  const cuda::LayerSpec spec = testing::make_spec(*built->node, inputs, {{4, 9}}, {DataType::kFloat32}, {2, 3});
  bool found = false;
  for (const cuda::TacticProvider* p : cuda::all_providers()) {
    if (p->name() != "kiln_slice") continue;
    found = true;
    const Status s = p->supports(spec);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
    EXPECT_NE(s.message().find("'starts'"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(found);
}

TEST(CudaDataMovementTest, PadModes) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor x = random_data(dt, {2, 3, 5, 7}, 50);
    const Tensor pads = int64s({0, 1, 2, 3, 0, 0, 4, 2});
    for (const char* mode : {"reflect", "edge"}) {
      SCOPED_TRACE(mode);
      expect_matches_reference(node("Pad", {{"mode", Attribute::of_string(mode)}}, 13), {x, pads}, {1});
    }
    Tensor value = random_data(dt, {}, 51);
    expect_matches_reference(node("Pad", {}, 13), {x, pads, value}, {1, 2});
    // Negative pads crop.
    expect_matches_reference(node("Pad", {}, 13), {x, int64s({0, 0, -1, 2, 1, 0, 1, -3})}, {1});
    // Zero channels appended to a channels-last image (the rows tactic).
    expect_matches_reference(node("Pad", {}, 13), {random_data(dt, {2, 5, 7, 3}, 52), int64s({0, 0, 0, 0, 0, 0, 0, 5})}, {1});
    // Opset 2: attributes.
    expect_matches_reference(node("Pad", {{"mode", Attribute::of_string("reflect")},
                                          {"pads", Attribute::of_ints({0, 0, 1, 2, 0, 0, 3, 1})}}, 2),
                             {x}, {});
  }
}

TEST(CudaDataMovementTest, ExpandAndTile) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    expect_matches_reference(node("Expand"), {random_data(dt, {3, 1, 5}, 60), int64s({2, 3, 4, 5})}, {1});
    expect_matches_reference(node("Expand"), {random_data(dt, {1, 7}, 61), int64s({5, 1})}, {1});
    expect_matches_reference(node("Tile"), {random_data(dt, {3, 2, 5}, 62), int64s({2, 3, 1})}, {1});
  }
}

TEST(CudaDataMovementTest, DepthToSpaceAndSpaceToDepth) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    for (const char* mode : {"DCR", "CRD"})
      expect_matches_reference(node("DepthToSpace", {{"blocksize", Attribute::of_int(2)}, {"mode", Attribute::of_string(mode)}}),
                               {random_data(dt, {2, 12, 3, 5}, 70)}, {});
    expect_matches_reference(node("SpaceToDepth", {{"blocksize", Attribute::of_int(3)}}),
                             {random_data(dt, {2, 5, 6, 9}, 71)}, {});
  }
}

TEST(CudaDataMovementTest, Trilu) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor x = random_data(dt, {2, 5, 7}, 80);
    expect_matches_reference(node("Trilu", {{"upper", Attribute::of_int(1)}}), {x, int64s({}, {1})}, {1});
    expect_matches_reference(node("Trilu", {{"upper", Attribute::of_int(0)}}), {x, int64s({}, {-1})}, {1});
    expect_matches_reference(node("Trilu"), {x}, {});
  }
}

TEST(CudaDataMovementTest, GatherNegativeIndices) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor data = random_data(dt, {6, 7, 5}, 90);
    expect_matches_reference(node("Gather", {{"axis", Attribute::of_int(0)}}),
                             {data, int64s({3, 2}, {-1, 2, 0, -6, 5, 3})}, {});
    expect_matches_reference(node("Gather", {{"axis", Attribute::of_int(1)}}),
                             {data, testing::make_tensor<int32_t>(DataType::kInt32, {4}, {-7, 3, 6, -1})}, {});
    expect_matches_reference(node("Gather", {{"axis", Attribute::of_int(-1)}}), {data, int64s({}, {-2})}, {});
  }
}

TEST(CudaDataMovementTest, GatherElements) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor data = random_data(dt, {4, 6, 3}, 100);
    std::vector<int64_t> idx;
    for (int i = 0; i < 4 * 5 * 3; ++i) idx.push_back((i * 7) % 12 - 6);  // in [-6, 6)
    expect_matches_reference(node("GatherElements", {{"axis", Attribute::of_int(1)}}), {data, int64s({4, 5, 3}, idx)}, {});
    std::vector<int32_t> idx32;
    for (int i = 0; i < 3 * 6 * 2; ++i) idx32.push_back((i * 5) % 8 - 4);  // in [-4, 4)
    expect_matches_reference(node("GatherElements", {{"axis", Attribute::of_int(0)}}),
                             {data, testing::make_tensor<int32_t>(DataType::kInt32, {3, 6, 2}, idx32)}, {});
  }
}

TEST(CudaDataMovementTest, ReshapeFamilyAndIdentity) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    SCOPED_TRACE(data_type_name(dt));
    const Tensor x = random_data(dt, {3, 1, 7}, 110);
    expect_matches_reference(node("Reshape"), {x, int64s({7, -1})}, {1});
    expect_matches_reference(node("Flatten", {{"axis", Attribute::of_int(2)}}), {x}, {});
    expect_matches_reference(node("Squeeze"), {x, int64s({1})}, {1});
    expect_matches_reference(node("Unsqueeze"), {x, int64s({0, -1})}, {1});
    expect_matches_reference(node("Identity"), {x}, {});
  }
}

TEST(CudaDataMovementTest, Generators) {
  KILN_REQUIRE_GPU();
  const Tensor x = random_data(DataType::kFloat16, {3, 5, 7, 2}, 120);
  expect_matches_reference(node("Shape"), {x}, {});
  expect_matches_reference(node("Shape", {{"start", Attribute::of_int(1)}, {"end", Attribute::of_int(-1)}}, 15), {x}, {});
  expect_matches_reference(node("Size"), {x}, {});
  expect_matches_reference(node("ConstantOfShape"), {int64s({3, 5})}, {0});
  expect_matches_reference(node("ConstantOfShape", {{"value", Attribute::of_tensor(int64s({1}, {-7}))}}), {int64s({4, 3, 2})}, {0});
  expect_matches_reference(node("ConstantOfShape", {{"value", Attribute::of_tensor(random_data(DataType::kFloat16, {1}, 121))}}),
                           {int64s({5, 3})}, {0});
  expect_matches_reference(node("Range"), {int64s({}, {10}), int64s({}, {-7}), int64s({}, {-3})}, {0, 1, 2});
  expect_matches_reference(node("Range"),
                           {testing::make_tensor<float>(DataType::kFloat32, {}, {0.5f}),
                            testing::make_tensor<float>(DataType::kFloat32, {}, {4.2f}),
                            testing::make_tensor<float>(DataType::kFloat32, {}, {0.3f})},
                           {0, 1, 2});
  for (DataType dt : kTypes)
    expect_matches_reference(node("EyeLike", {{"k", Attribute::of_int(2)}}), {random_data(dt, {5, 9}, 122)}, {});
  expect_matches_reference(node("EyeLike", {{"k", Attribute::of_int(-1)}, {"dtype", Attribute::of_int(10)}}),
                           {random_data(DataType::kFloat32, {6, 4}, 123)}, {});
}

// Resize opset 13: X, roi (absent), scales or sizes.
NodeSpec resize(const char* mode, const char* coordinates, const char* nearest = "round_prefer_floor") {
  return node("Resize", {{"mode", Attribute::of_string(mode)},
                         {"coordinate_transformation_mode", Attribute::of_string(coordinates)},
                         {"nearest_mode", Attribute::of_string(nearest)}},
              13);
}

Tensor floats(const std::vector<float>& v) {
  return testing::make_tensor<float>(DataType::kFloat32, {static_cast<int64_t>(v.size())}, v);
}

TEST(CudaDataMovementTest, ResizeNearest) {
  KILN_REQUIRE_GPU();
  for (DataType dt : kTypes) {
    const Tensor x = random_data(dt, {2, 3, 5, 7}, 130);
    for (const char* coord : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn"}) {
      for (const char* nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
        // tf_half_pixel_for_nn samples N and C at c + 0.5, which rounding up moves: not an H/W resize.
        if (std::string(coord) == "tf_half_pixel_for_nn" && std::string(nearest).find("ceil") != std::string::npos) continue;
        SCOPED_TRACE(type_name(dt) + " " + coord + " " + nearest);
        expect_matches_reference(resize("nearest", coord, nearest), {x, Tensor(), floats({1, 1, 2, 1.5f})}, {2});
        expect_matches_reference(resize("nearest", coord, nearest), {x, Tensor(), Tensor(), int64s({2, 3, 3, 11})}, {3});
      }
    }
  }
}

TEST(CudaDataMovementTest, ResizeLinear) {
  KILN_REQUIRE_GPU();
  for (DataType dt : {DataType::kFloat32, DataType::kFloat16}) {
    const double tolerance = dt == DataType::kFloat32 ? 1e-5 : 1e-2;
    const Tensor x = random_data(dt, {2, 3, 5, 7}, 140);
    for (const char* coord : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"}) {
      SCOPED_TRACE(type_name(dt) + " " + coord);
      expect_matches_reference(resize("linear", coord), {x, Tensor(), floats({1, 1, 2, 1.5f})}, {2}, tolerance);
      expect_matches_reference(resize("linear", coord), {x, Tensor(), Tensor(), int64s({2, 3, 3, 11})}, {3}, tolerance);
    }
    SCOPED_TRACE("cubic");
    expect_matches_reference(resize("cubic", "half_pixel"), {x, Tensor(), floats({1, 1, 1.6f, 2})}, {2}, tolerance);
  }
}

TEST(CudaDataMovementTest, ResizeTfCropAndResizeExtrapolates) {
  KILN_REQUIRE_GPU();
  NodeSpec ns = resize("linear", "tf_crop_and_resize");
  ns.attrs["extrapolation_value"] = Attribute::of_float(-2.5f);
  const Tensor x = random_data(DataType::kFloat32, {1, 2, 6, 5}, 150);
  expect_matches_reference(ns, {x, floats({0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f}), Tensor(), int64s({1, 2, 4, 7})}, {1, 3}, 1e-5);
}

}  // namespace
}  // namespace kiln
