#include "core/npy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kiln {
namespace {

TEST(Npy, RoundTripKeepsTypeShapeAndData) {
  const auto path = (std::filesystem::temp_directory_path() / "kiln_npy_test.npy").string();
  Tensor t(DataType::kInt32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data<int32_t>()[i] = i * 7 - 3;
  ASSERT_TRUE(write_npy(path, t).ok());
  auto back = read_npy(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->dtype(), DataType::kInt32);
  EXPECT_EQ(back->dims(), t.dims());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back->data<int32_t>()[i], i * 7 - 3);
}

TEST(Npy, ScalarAndVectorShapes) {
  for (std::vector<int64_t> dims : {std::vector<int64_t>{}, std::vector<int64_t>{5}}) {
    const auto path = (std::filesystem::temp_directory_path() / "kiln_npy_shape.npy").string();
    Tensor t(DataType::kFloat32, dims);
    ASSERT_TRUE(write_npy(path, t).ok());
    auto back = read_npy(path);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->dims(), dims);
  }
}

TEST(Npy, EveryTruncationIsRejected) {
  const auto path = (std::filesystem::temp_directory_path() / "kiln_npy_trunc.npy").string();
  Tensor t(DataType::kFloat32, {4});
  ASSERT_TRUE(write_npy(path, t).ok());
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(parse_npy(bytes.substr(0, n), "x").ok()) << n;
  EXPECT_TRUE(parse_npy(bytes, "x").ok());
}

TEST(Npy, GarbageIsRejected) {
  EXPECT_EQ(parse_npy("hello world, not numpy", "x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln
