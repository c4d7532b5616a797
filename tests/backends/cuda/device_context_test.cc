#include "backends/cuda/device_context.h"

#include "gpu_layer_runner.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(DeviceContextTest, NoGpuIsAnErrorNotACrash) {
  auto h = cuda::DeviceHandles::create(0);
  EXPECT_EQ(h.ok(), cuda::gpu_available()) << (h.ok() ? "" : h.status().to_string());
}

TEST(DeviceContextTest, HandlesExistOnTheGpu) {
  KILN_REQUIRE_GPU();
  const cuda::DeviceContext& dev = testing::test_device();
  EXPECT_NE(dev.cudnn, nullptr);
  EXPECT_NE(dev.cublaslt, nullptr);
  EXPECT_GE(dev.props.major, 7);
}

}  // namespace
}  // namespace kiln
