// A plan that is damaged in any way is refused with a Status: never a crash, never a read out of
// bounds (run these under the asan preset). The exhaustive tests flip every byte and cut the
// file at every length.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "plan/plan.h"
#include "plan/plan_header.h"
#include "plan/plan_test_graph.h"

namespace kiln {
namespace {

std::vector<uint8_t> test_plan() {
  auto bytes = serialize_plan(*testing::make_plan_test_graph(), {});
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

// Stores a valid checksum again, so the damage reaches the checks behind the checksum.
void fix_checksum(std::vector<uint8_t>& bytes) {
  const uint64_t sum = plan_checksum(bytes.data(), bytes.size());
  for (size_t i = 0; i < 8; ++i) bytes[kPlanChecksumOffset + i] = static_cast<uint8_t>(sum >> (8 * i));
}

Status read(const std::vector<uint8_t>& bytes, size_t size) {
  return read_plan(bytes.data(), size, PlanTarget::cpu()).status();
}

TEST(PlanCorruption, TestPlanIsSmallAndValid) {
  const std::vector<uint8_t> bytes = test_plan();
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_LT(bytes.size(), 8000u);
  EXPECT_TRUE(read(bytes, bytes.size()).ok());
}

TEST(PlanCorruption, EveryByteFlipIsRefused) {
  const std::vector<uint8_t> original = test_plan();
  std::vector<uint8_t> bytes = original;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}}) {
      bytes[i] ^= mask;
      Status s = read(bytes, bytes.size());
      EXPECT_FALSE(s.ok()) << "byte " << i << " ^ " << int{mask} << " was accepted";
      bytes[i] = original[i];
    }
  }
}

TEST(PlanCorruption, EveryTruncationIsRefused) {
  const std::vector<uint8_t> bytes = test_plan();
  for (size_t size = 0; size < bytes.size(); ++size)
    EXPECT_FALSE(read(bytes, size).ok()) << "truncated to " << size << " bytes was accepted";
}

TEST(PlanCorruption, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = test_plan();
  bytes.push_back(0);
  Status s = read(bytes, bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("truncated or extended"), std::string::npos) << s.message();
}

// With the checksum recomputed, damage reaches the flatbuffer verifier and the semantic checks.
// Some damage still makes a valid plan (a changed weight value or name), so this only requires
// that every read returns; the sanitizers catch any out-of-bounds read.
TEST(PlanCorruption, FlipsBehindAValidChecksumNeverCrash) {
  const std::vector<uint8_t> original = test_plan();
  std::vector<uint8_t> bytes = original;
  size_t refused = 0, flips = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i >= kPlanChecksumOffset && i < kPlanHeaderSize) continue;
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
      bytes[i] ^= mask;
      fix_checksum(bytes);
      refused += !read(bytes, bytes.size()).ok();
      ++flips;
      bytes[i] = original[i];
    }
  }
  // Header and flatbuffer damage is mostly caught; weight bytes are data.
  EXPECT_GT(refused, flips / 3);
}

TEST(PlanCorruption, WrongMagicIsNamed) {
  std::vector<uint8_t> bytes = test_plan();
  bytes[0] = 'X';
  Status s = read(bytes, bytes.size());
  EXPECT_NE(s.message().find("does not start with 'KILNPLAN'"), std::string::npos) << s.message();
}

TEST(PlanCorruption, FormatVersionMismatchNamesBothVersions) {
  std::vector<uint8_t> bytes = test_plan();
  bytes[8] = 7;
  fix_checksum(bytes);
  Status s = read(bytes, bytes.size());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("plan format version 7 differs from this runtime's format version " + std::to_string(kPlanFormatVersion)), std::string::npos)
      << s.message();
}

TEST(PlanCorruption, KilnVersionMismatchNamesBothVersions) {
  std::vector<uint8_t> bytes = test_plan();
  const std::string version = KILN_VERSION;
  auto it = std::search(bytes.begin(), bytes.end(), version.begin(), version.end());
  ASSERT_NE(it, bytes.end());
  *it = '9';  // "0.1.0" -> "9.1.0"
  fix_checksum(bytes);
  Status s = read(bytes, bytes.size());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("written by Kiln 9" + version.substr(1) + " but this runtime is Kiln " + version),
            std::string::npos)
      << s.message();
}

TEST(PlanCorruption, ChecksumMismatchIsNamed) {
  std::vector<uint8_t> bytes = test_plan();
  bytes.back() ^= 1;
  Status s = read(bytes, bytes.size());
  EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos) << s.message();
}

TEST(PlanCorruption, UnknownOpIsRefused) {
  auto g = testing::make_plan_test_graph();
  g->add_node("mystery", "NoSuchOp", "", 17);
  auto bytes = serialize_plan(*g, {});
  ASSERT_TRUE(bytes.ok());
  Status s = read(*bytes, bytes->size());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("node 'mystery' (NoSuchOp): the op is not supported"), std::string::npos) << s.message();
}

TEST(PlanCorruption, CycleIsRefused) {
  testing::register_plan_test_op();
  Graph g;
  Value* p = testing::plan_test_value(g, "p", Shape({1}));
  Value* q = testing::plan_test_value(g, "q", Shape({1}));
  testing::plan_test_node(g, "first", {q}, p);
  testing::plan_test_node(g, "second", {p}, q);
  g.outputs() = {q};
  auto bytes = serialize_plan(g, {});
  ASSERT_TRUE(bytes.ok());
  Status s = read(*bytes, bytes->size());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(PlanCorruption, SchemaViolationIsRefused) {
  auto g = testing::make_plan_test_graph();
  g->nodes()[0]->attrs()["alpha"] = Attribute::of_int(2);  // declared as a float
  auto bytes = serialize_plan(*g, {});
  ASSERT_TRUE(bytes.ok());
  Status s = read(*bytes, bytes->size());
  EXPECT_NE(s.message().find("alpha"), std::string::npos) << s.message();
}

TEST(PlanCorruption, FilesThatAreNotPlansAreRefused) {
  const auto dir = std::filesystem::temp_directory_path();
  EXPECT_EQ(read_plan((dir / "kiln_no_such.plan").string(), PlanTarget::cpu()).status().code(), StatusCode::kIoError);
  EXPECT_EQ(read_plan(dir.string(), PlanTarget::cpu()).status().code(), StatusCode::kIoError);
  const std::string empty = (dir / "kiln_empty.plan").string();
  std::ofstream(empty).close();
  Status s = read_plan(empty, PlanTarget::cpu()).status();
  EXPECT_NE(s.message().find("shorter than the 64-byte plan header"), std::string::npos) << s.message();
  std::filesystem::remove(empty);
}

}  // namespace
}  // namespace kiln
