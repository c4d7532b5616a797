// Malformed and unsupported models are rejected with one clear message naming what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kiln/kiln.h"
#include "onnx/onnx_importer.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

using testing::OnnxBuilder;
constexpr int kFloat = onnx::TensorProto::FLOAT;

Status import_status(const std::string& bytes) {
  auto g = import_onnx_bytes(bytes.data(), bytes.size(), "");
  return g.ok() ? Status::Ok() : g.status();
}

void expect_error(const Status& s, StatusCode code, const std::vector<std::string>& fragments) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), code) << s.to_string();
  for (const auto& f : fragments) EXPECT_NE(s.message().find(f), std::string::npos) << "'" << f << "' not in: " << s.message();
}

OnnxBuilder relu_model() {
  OnnxBuilder b;
  b.input("x", kFloat, {2, 3});
  b.node("Relu", {"x"}, {"y"}, "relu1");
  b.output("y");
  return b;
}

TEST(ImporterErrors, GarbageBytesAreNotAModel) {
  expect_error(import_status("this is not a protobuf \xff\xff\xff\xff"), StatusCode::kInvalidArgument,
               {"not a valid ONNX model"});
}

TEST(ImporterErrors, EveryTruncationIsRejectedOrValid) {
  const std::string full = relu_model().bytes();
  ASSERT_TRUE(import_status(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    Status s = import_status(full.substr(0, n));
    EXPECT_FALSE(s.ok()) << "truncated to " << n << " bytes was accepted";
  }
}

TEST(ImporterErrors, MissingFileIsAnIoError) {
  auto n = Network::from_onnx_file("/nonexistent/model.onnx");
  expect_error(n.status(), StatusCode::kIoError, {"/nonexistent/model.onnx"});
}

TEST(ImporterErrors, AllUnsupportedNodesAreListedAtOnce) {
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  b.node("FancyOp", {"x"}, {"y"}, "first");
  b.node("OtherOp", {"y"}, {"z"}, "second").set_domain("com.example");
  b.output("z");
  expect_error(import_status(b.bytes()), StatusCode::kUnsupported,
               {"2 node(s)", "'first' (op FancyOp, domain 'ai.onnx')", "'second' (op OtherOp, domain 'com.example')"});
}

TEST(ImporterErrors, DanglingTensorNamesTheTensorAndTheNode) {
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  b.node("Relu", {"nowhere"}, {"y"}, "relu1");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"'nowhere'", "'relu1'"});
}

TEST(ImporterErrors, CycleNamesItsNodes) {
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  b.node("Add", {"x", "b"}, {"a"}, "n1");
  b.node("Relu", {"a"}, {"b"}, "n2");
  b.output("b");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"cycle", "'n1'", "'n2'"});
}

TEST(ImporterErrors, TensorDefinedTwice) {
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  b.node("Relu", {"x"}, {"y"}, "n1");
  b.node("Relu", {"x"}, {"y"}, "n2");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"'y'", "'n2'"});
}

TEST(ImporterErrors, InitializerWithTooFewValues) {
  OnnxBuilder b;
  b.input("x", kFloat, {2, 3});
  b.float_initializer("w", {2, 3}, {1, 2, 3});
  b.node("Add", {"x", "w"}, {"y"}, "add1");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"initializer 'w'", "3 values", "6"});
}

TEST(ImporterErrors, ExternalDataMayNotLeaveTheModelFolder) {
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  auto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(kFloat);
  t->add_dims(2);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value("../../etc/passwd");
  b.node("Add", {"x", "w"}, {"y"}, "add1");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"initializer 'w'", "leaves the model's folder"});
}

TEST(ImporterErrors, ExternalDataIsRead) {
  const auto dir = std::filesystem::temp_directory_path() / "kiln_external_data_test";
  std::filesystem::create_directories(dir);
  const float values[2] = {1.5f, -2.f};
  std::ofstream(dir / "weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(values), sizeof values);
  OnnxBuilder b;
  b.input("x", kFloat, {2});
  auto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(kFloat);
  t->add_dims(2);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  b.node("Add", {"x", "w"}, {"y"}, "add1");
  b.output("y");
  const std::string bytes = b.bytes();
  auto g = import_onnx_bytes(bytes.data(), bytes.size(), dir.string());
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  const Value* w = (*g)->find_value("w");
  ASSERT_TRUE(w && w->is_constant());
  EXPECT_EQ(w->constant().data<float>()[0], 1.5f);
  EXPECT_EQ(w->constant().data<float>()[1], -2.f);
  // A file that is too short is refused.
  std::ofstream(dir / "weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(values), 4);
  auto short_g = import_onnx_bytes(bytes.data(), bytes.size(), dir.string());
  expect_error(short_g.status(), StatusCode::kInvalidArgument, {"initializer 'w'", "outside"});
}

TEST(ImporterErrors, OutOfRangeAttributeNamesTheNode) {
  OnnxBuilder b;
  b.input("x", kFloat, {2, 3});
  OnnxBuilder::int_attr(b.node("Softmax", {"x"}, {"y"}, "soft"), "axis", 5);
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"'soft'", "axis"});
}

TEST(ImporterErrors, WrongAttributeTypeIsReported) {
  OnnxBuilder b;
  b.input("x", kFloat, {2, 3});
  auto& n = b.node("Softmax", {"x"}, {"y"}, "soft");
  auto* a = n.add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(1.f);
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"'soft'", "'axis'", "int"});
}

TEST(ImporterErrors, InputWithoutTypeIsReported) {
  OnnxBuilder b;
  b.graph().add_input()->set_name("x");
  b.node("Relu", {"x"}, {"y"}, "r");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"graph input 'x'", "no type"});
}

TEST(ImporterErrors, ShapeMismatchBetweenInputsNamesTheNode) {
  OnnxBuilder b;
  b.input("x", kFloat, {2, 3});
  b.input("z", kFloat, {4, 5});
  b.node("Add", {"x", "z"}, {"y"}, "add1");
  b.output("y");
  expect_error(import_status(b.bytes()), StatusCode::kInvalidArgument, {"'add1'", "broadcast"});
}

}  // namespace
}  // namespace kiln
