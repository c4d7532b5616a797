// The built-in detection plugins on the GPU: the CPU tests' models (tests/plugin/
// detection_plugin_models.h) built for CUDA with no host fallback and run from a reloaded plan.
// The decoded boxes and scores agree with the reference within float tolerance; NMS on the GPU's
// own decoded values agrees with the reference NMS exactly.
#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "../gpu_layer_runner.h"
#include "kiln/kiln.h"
#include "plugin/detection_plugin_models.h"

namespace kiln {
namespace {

Expected<std::unique_ptr<Engine>> build_cuda_plan_and_reload(const std::string& model,
                                                             const std::map<std::string, std::vector<int64_t>>& max_shapes) {
  KILN_ASSIGN_OR_RETURN(auto network, Network::from_onnx_bytes(model.data(), model.size()));
  BuilderConfig config;
  config.device = DeviceKind::kCuda;
  config.allow_host_fallback = false;  // decode and NMS must run on the GPU
  OptimizationProfile profile;
  for (const auto& [name, dims] : max_shapes) {
    std::vector<int64_t> min = dims;
    min[0] = 1;
    profile.inputs[name] = {min, dims, dims};
  }
  config.profiles = {profile};
  KILN_ASSIGN_OR_RETURN(auto engine, Builder(config).build(*network));
  KILN_ASSIGN_OR_RETURN(auto bytes, engine->serialize());
  return Runtime(DeviceKind::kCuda).deserialize(bytes.data(), bytes.size());
}

Expected<std::vector<Tensor>> run(const Engine& engine, const std::vector<std::pair<std::string, Tensor>>& inputs,
                                  const std::vector<std::string>& outputs) {
  KILN_ASSIGN_OR_RETURN(auto context, engine.create_context());
  for (const auto& [name, t] : inputs) KILN_RETURN_IF_ERROR(context->set_input(name, {t.dtype(), t.dims(), t.raw()}));
  for (int i = 0; i < 2; ++i) KILN_RETURN_IF_ERROR(context->execute());  // the second run may replay a CUDA graph
  std::vector<Tensor> out;
  for (const std::string& name : outputs) {
    KILN_ASSIGN_OR_RETURN(TensorView v, context->output(name));
    Tensor t(v.dtype, v.dims);
    KILN_RETURN_IF_ERROR(copy_to_host(v, t.raw()));
    out.push_back(std::move(t));
  }
  return out;
}

void expect_identical(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.dims(), want.dims()) << what;
  EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << what;
}

TEST(DetectionPluginsGpu, YoloDecodeThenBatchedNmsOnTheCudaEngine) {
  KILN_REQUIRE_GPU();
  const int64_t channels = testing::kYoloChannels;
  auto engine = build_cuda_plan_and_reload(testing::yolo_nms_model_bytes(),
                                           {{"head0", {4, channels, 8, 8}}, {"head1", {4, channels, 4, 4}}});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  for (int64_t n : {3, 1}) {
    const uint32_t seed = 200 + static_cast<uint32_t>(n);
    const Tensor head0 = testing::uniform_tensor({n, channels, 8, 8}, seed, -3.f, 3.f);
    const Tensor head1 = testing::uniform_tensor({n, channels, 4, 4}, seed + 7, -3.f, 3.f);
    auto out = run(**engine, {{"head0", head0}, {"head1", head1}},
                   {"boxes", "scores", "num_detections", "nms_boxes", "nms_scores", "nms_classes"});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const std::string at = " at N=" + std::to_string(n);
    // The reference decodes in double, CUDA in float (kernels/detection/yolo_decode.cu).
    const std::vector<Tensor> decoded = testing::expected_yolo_decode(head0, head1);
    ASSERT_EQ(decoded.size(), 2u);
    EXPECT_LE(testing::relative_error((*out)[0], decoded[0]), 1e-5) << "boxes" << at;
    EXPECT_LE(testing::relative_error((*out)[1], decoded[1]), 1e-5) << "scores" << at;
    const std::vector<Tensor> nms = testing::expected_batched_nms((*out)[0], (*out)[1], 0.2f, 0.45f, false);
    ASSERT_GT(nms[0].data<int32_t>()[0], 1) << "the inputs should keep several detections";
    const char* names[] = {"num_detections", "nms_boxes", "nms_scores", "nms_classes"};
    for (int i = 0; i < 4; ++i) expect_identical((*out)[2 + i], nms[i], names[i] + at);
  }
}

TEST(DetectionPluginsGpu, EfficientNmsTrtOnTheCudaEngine) {
  KILN_REQUIRE_GPU();
  for (int64_t agnostic : {0, 1}) {
    const std::string what = "class_agnostic " + std::to_string(agnostic);
    auto engine = build_cuda_plan_and_reload(testing::efficient_nms_model_bytes({.class_agnostic = agnostic}),
                                             {{"boxes", {4, 50, 4}}, {"scores", {4, 50, 4}}});
    ASSERT_TRUE(engine.ok()) << what << ": " << engine.status().to_string();
    const Tensor boxes = testing::random_boxes(3, 50, 41), scores = testing::uniform_tensor({3, 50, 4}, 42, 0.f, 1.f);
    auto out = run(**engine, {{"boxes", boxes}, {"scores", scores}},
                   {"num_detections", "detection_boxes", "detection_scores", "detection_classes"});
    ASSERT_TRUE(out.ok()) << what << ": " << out.status().to_string();
    const std::vector<Tensor> want = testing::expected_batched_nms(boxes, scores, 0.25f, 0.45f, agnostic != 0);
    ASSERT_GT(want[0].data<int32_t>()[0], 1) << "the inputs should keep several detections";
    Tensor num(DataType::kInt32, {3, 1});
    std::memcpy(num.raw(), want[0].raw(), num.nbytes());
    expect_identical((*out)[0], num, what + " num_detections");
    for (int i = 1; i < 4; ++i) expect_identical((*out)[i], want[i], what + " output " + std::to_string(i));
  }
}

}  // namespace
}  // namespace kiln
