// The built-in detection plugins on the CPU: TensorRT-style YoloDecode, BatchedNMS and
// EfficientNMS_TRT nodes import as Kiln's detection ops (symbolic batch kept), build, go through a
// plan and run, matching the reference functions called directly on random inputs.
#include <gtest/gtest.h>

#include <cstring>

#include "detection_plugin_models.h"
#include "kiln/kiln.h"
#include "plugin/plugin_node.h"

namespace kiln {
namespace {

using testing::EfficientNmsOptions;

Expected<std::unique_ptr<Network>> import(const std::string& bytes) { return Network::from_onnx_bytes(bytes.data(), bytes.size()); }

// Builds a CPU engine, writes its plan and loads it back.
Expected<std::unique_ptr<Engine>> build_and_reload(const Network& network) {
  KILN_ASSIGN_OR_RETURN(auto engine, Builder().build(network));
  KILN_ASSIGN_OR_RETURN(auto bytes, engine->serialize());
  return Runtime().deserialize(bytes.data(), bytes.size());
}

Expected<std::vector<Tensor>> run(const Engine& engine, const std::vector<std::pair<std::string, Tensor>>& inputs,
                                  const std::vector<std::string>& outputs) {
  KILN_ASSIGN_OR_RETURN(auto context, engine.create_context());
  for (const auto& [name, t] : inputs) KILN_RETURN_IF_ERROR(context->set_input(name, {t.dtype(), t.dims(), t.raw()}));
  KILN_RETURN_IF_ERROR(context->execute());
  std::vector<Tensor> out;
  for (const std::string& name : outputs) {
    KILN_ASSIGN_OR_RETURN(TensorView v, context->output(name));
    Tensor t(v.dtype, v.dims);
    std::memcpy(t.raw(), v.data, t.nbytes());
    out.push_back(std::move(t));
  }
  return out;
}

void expect_identical(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.dims(), want.dims()) << what;
  EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << what;
}

std::vector<std::string> op_types(const Graph& g) {
  std::vector<std::string> ops;
  for (const auto& n : g.nodes()) ops.push_back((n->domain().empty() ? "" : n->domain() + ".") + n->op_type());
  return ops;
}

TEST(DetectionPlugins, YoloDecodeAndBatchedNmsImportAsKilnOpsWithTheSymbolicBatch) {
  auto network = import(testing::yolo_nms_model_bytes());
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  const Graph& g = (*network)->graph();
  EXPECT_EQ(op_types(g), (std::vector<std::string>{"kiln.YoloDecode", "kiln.BatchedNMS"}));
  EXPECT_TRUE(plugins_used(g).empty());
  EXPECT_EQ(g.find_value("boxes")->shape().to_string(), "[N, 160, 4]");
  EXPECT_EQ(g.find_value("scores")->shape().to_string(), "[N, 160, 3]");
  EXPECT_EQ(g.find_value("num_detections")->shape().to_string(), "[N]");
  EXPECT_EQ(g.find_value("nms_boxes")->shape().to_string(), "[N, 20, 4]");
  EXPECT_EQ(g.find_value("nms_classes")->dtype(), DataType::kInt32);
}

TEST(DetectionPlugins, YoloDecodeThenBatchedNmsMatchTheReferenceFunctionsThroughAPlan) {
  auto network = import(testing::yolo_nms_model_bytes());
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  auto engine = build_and_reload(**network);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  for (int64_t n : {2, 1}) {
    const uint32_t seed = 100 + static_cast<uint32_t>(n);
    const Tensor head0 = testing::uniform_tensor({n, testing::kYoloChannels, 8, 8}, seed, -3.f, 3.f);
    const Tensor head1 = testing::uniform_tensor({n, testing::kYoloChannels, 4, 4}, seed + 7, -3.f, 3.f);
    auto out = run(**engine, {{"head0", head0}, {"head1", head1}},
                   {"boxes", "scores", "num_detections", "nms_boxes", "nms_scores", "nms_classes"});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const std::vector<Tensor> decoded = testing::expected_yolo_decode(head0, head1);
    ASSERT_EQ(decoded.size(), 2u);
    expect_identical((*out)[0], decoded[0], "boxes");
    expect_identical((*out)[1], decoded[1], "scores");
    const std::vector<Tensor> nms = testing::expected_batched_nms(decoded[0], decoded[1], 0.2f, 0.45f, false);
    ASSERT_GT(nms[0].data<int32_t>()[0], 1) << "the inputs should keep several detections";
    const char* names[] = {"num_detections", "nms_boxes", "nms_scores", "nms_classes"};
    for (int i = 0; i < 4; ++i) expect_identical((*out)[2 + i], nms[i], std::string(names[i]) + " at N=" + std::to_string(n));
  }
}

TEST(DetectionPlugins, EfficientNmsTrtMatchesTheReferenceWithTensorRtsOutputShapes) {
  for (const std::string domain : {"TRT", ""}) {
    for (int64_t agnostic : {0, 1}) {
      const std::string what = "domain '" + domain + "', class_agnostic " + std::to_string(agnostic);
      auto network = import(testing::efficient_nms_model_bytes({.domain = domain, .class_agnostic = agnostic}));
      ASSERT_TRUE(network.ok()) << what << ": " << network.status().to_string();
      const Graph& g = (*network)->graph();
      EXPECT_EQ(g.find_value("num_detections")->shape().to_string(), "[N, 1]") << what;
      EXPECT_EQ(g.find_value("detection_boxes")->shape().to_string(), "[N, 20, 4]") << what;
      EXPECT_EQ(g.find_value("detection_classes")->dtype(), DataType::kInt32) << what;
      auto engine = build_and_reload(**network);
      ASSERT_TRUE(engine.ok()) << what << ": " << engine.status().to_string();

      const Tensor boxes = testing::random_boxes(3, 50, 17), scores = testing::uniform_tensor({3, 50, 4}, 18, 0.f, 1.f);
      auto out = run(**engine, {{"boxes", boxes}, {"scores", scores}},
                     {"num_detections", "detection_boxes", "detection_scores", "detection_classes"});
      ASSERT_TRUE(out.ok()) << what << ": " << out.status().to_string();
      std::vector<Tensor> want = testing::expected_batched_nms(boxes, scores, 0.25f, 0.45f, agnostic != 0);
      ASSERT_GT(want[0].data<int32_t>()[0], 1) << "the inputs should keep several detections";
      Tensor num(DataType::kInt32, {3, 1});
      std::memcpy(num.raw(), want[0].raw(), num.nbytes());
      expect_identical((*out)[0], num, what + " num_detections");
      for (int i = 1; i < 4; ++i) expect_identical((*out)[i], want[i], what + " output " + std::to_string(i));
    }
  }
}

TEST(DetectionPlugins, EfficientNmsScoreActivationIsASigmoidOnTheScores) {
  auto activated = import(testing::efficient_nms_model_bytes({.score_activation = 1}));
  auto explicit_sigmoid = import(testing::efficient_nms_model_bytes({.explicit_sigmoid = true}));
  ASSERT_TRUE(activated.ok()) << activated.status().to_string();
  ASSERT_TRUE(explicit_sigmoid.ok()) << explicit_sigmoid.status().to_string();
  auto a = build_and_reload(**activated), b = build_and_reload(**explicit_sigmoid);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  const Tensor boxes = testing::random_boxes(2, 50, 31), logits = testing::uniform_tensor({2, 50, 4}, 32, -4.f, 4.f);
  const std::vector<std::string> names = {"num_detections", "detection_boxes", "detection_scores", "detection_classes"};
  auto got = run(**a, {{"boxes", boxes}, {"scores", logits}}, names);
  auto want = run(**b, {{"boxes", boxes}, {"scores", logits}}, names);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  ASSERT_GT((*want)[0].data<int32_t>()[0], 1) << "the inputs should keep several detections";
  for (size_t i = 0; i < names.size(); ++i) expect_identical((*got)[i], (*want)[i], names[i]);
}

TEST(DetectionPlugins, UnsupportedEfficientNmsSettingsAreRefusedNamingTheNodeAndField) {
  auto expect_refused = [](const EfficientNmsOptions& options, const std::string& message) {
    auto network = import(testing::efficient_nms_model_bytes(options));
    ASSERT_FALSE(network.ok()) << message;
    EXPECT_EQ(network.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(network.status().message().find("node 'efficient_nms' (EfficientNMS_TRT): " + message), std::string::npos)
        << network.status().message();
  };
  expect_refused({.background_class = 0}, "background_class 0: only -1 (no background class) is supported");
  expect_refused({.box_coding = 1}, "box_coding 1: only 0 (corners x1, y1, x2, y2) is supported");
}

TEST(DetectionPlugins, FieldsAreTypedAndCheckedAgainstTheKilnOpsAttributes) {
  // YoloDecode's fields are kiln.YoloDecode's attributes: `strides` is ints.
  testing::OnnxBuilder b;
  b.input("head", onnx::TensorProto::FLOAT, {1, 8, 4, 4}, {"N"});
  onnx::NodeProto& decode = b.node("YoloDecode", {"head"}, {"boxes", "scores"}, "decode");
  testing::OnnxBuilder::int_attr(decode, "num_classes", 4);
  testing::add_attr(decode, "strides", 8.f);
  b.output("boxes").output("scores");
  auto network = import(b.bytes());
  ASSERT_FALSE(network.ok());
  EXPECT_NE(network.status().message().find(
                "plugin 'YoloDecode' (version 1, namespace ''): field 'strides' must be ints, not float"),
            std::string::npos)
      << network.status().message();

  // The plugin layer does not exist: a C++ caller asking for one is told what happens instead.
  const PluginCreator* creator = PluginRegistry::global().find({"EfficientNMS_TRT", "1", "TRT"});
  ASSERT_NE(creator, nullptr);
  auto plugin = creator->create({});
  ASSERT_FALSE(plugin.ok());
  EXPECT_NE(plugin.status().message().find("Kiln imports it as its op kiln.BatchedNMS"), std::string::npos)
      << plugin.status().message();
}

}  // namespace
}  // namespace kiln
