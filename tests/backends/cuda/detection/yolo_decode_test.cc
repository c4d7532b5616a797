// kiln.YoloDecode on the GPU against the reference kernel: every variant and box format, float32
// and float16 heads, several heads of different sizes.
#include <gtest/gtest.h>

#include "../gpu_layer_runner.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/yolo_decode_params.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

void check_variant(const std::string& variant, bool center, DataType dtype, unsigned seed) {
  const bool v8 = variant == "yolov8";
  const int64_t classes = 6, anchors = v8 ? 1 : 3, batch = 2;
  const std::vector<std::pair<int64_t, int64_t>> grids = {{20, 16}, {10, 8}, {5, 4}};
  std::vector<Tensor> inputs;
  std::vector<float> anchor_sizes;
  for (size_t l = 0; l < grids.size(); ++l) {
    const Tensor head = testing::random_tensor(DataType::kFloat32, {batch, anchors * ((v8 ? 4 : 5) + classes), grids[l].first, grids[l].second},
                                               v8 ? 0.f : -4.f, 4.f, seed + static_cast<unsigned>(l));
    inputs.push_back(testing::convert(head, dtype));
    for (int64_t a = 0; a < (v8 ? 0 : anchors); ++a)
      anchor_sizes.insert(anchor_sizes.end(), {10.f * static_cast<float>(l + 1) + a, 13.f * static_cast<float>(l + 1) + 2 * a});
  }
  std::map<std::string, Attribute> attrs{{"variant", Attribute::of_string(variant)},
                                         {"num_classes", Attribute::of_int(classes)},
                                         {"strides", Attribute::of_ints({8, 16, 32})},
                                         {"box_format", Attribute::of_string(center ? "center" : "corners")}};
  if (!v8) attrs["anchors"] = Attribute::of_floats(anchor_sizes);
  testing::NodeSpec ns;
  ns.op_type = std::string(kYoloDecodeOp);
  ns.domain = std::string(kKilnDomain);
  ns.attrs = attrs;
  ns.num_outputs = 2;
  auto want = testing::run_node(ns, inputs);
  ASSERT_TRUE(want.ok()) << want.status().to_string();

  auto layer = testing::node_in_graph(ns.op_type, ns.domain, 1, attrs, inputs, 2);
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, {(*want)[0].dims(), (*want)[1].dims()}, {dtype, dtype});
  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_FALSE(runs->empty()) << "no GPU tactic for " << variant;
  // The reference computes in double, the GPU in float (expf); 16-bit outputs round once more.
  const double tolerance = dtype == DataType::kFloat32 ? 1e-5 : 2e-3;
  for (const testing::TacticRun& run : *runs) {
    EXPECT_EQ(run.provider, "kiln_yolo_decode");
    EXPECT_LE(testing::relative_error(run.outputs[0], (*want)[0]), tolerance) << run.tactic << " boxes";
    EXPECT_LE(testing::relative_error(run.outputs[1], (*want)[1]), tolerance) << run.tactic << " scores";
  }
}

TEST(YoloDecodeGpu, MatchesTheReferenceForEveryVariant) {
  KILN_REQUIRE_GPU();
  unsigned seed = 1;
  for (const char* variant : {"yolov3", "yolov5", "yolov8"})
    for (bool center : {false, true})
      for (DataType dtype : {DataType::kFloat32, DataType::kFloat16}) check_variant(variant, center, dtype, seed += 7);
}

}  // namespace
}  // namespace kiln
