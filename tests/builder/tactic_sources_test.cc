#include "builder/tactic_sources.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(TacticSourcesTest, EveryProviderByDefault) {
  auto s = TacticSources::parse({});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->empty());
  EXPECT_TRUE(s->allows("cudnn_conv"));
}

TEST(TacticSourcesTest, LastMatchingRuleWins) {
  auto s = TacticSources::parse({"-cudnn", "+cudnn_s2d", "-cublaslt"});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_FALSE(s->allows("cudnn_conv"));
  EXPECT_TRUE(s->allows("cudnn_s2d_conv"));
  EXPECT_FALSE(s->allows("cublaslt_qmatmul"));
  EXPECT_TRUE(s->allows("kiln_igemm_int8_conv"));
  auto again = TacticSources::parse({"+cudnn_s2d", "-cudnn"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->allows("cudnn_s2d_conv"));
}

TEST(TacticSourcesTest, RuleWithoutSignOrPrefixIsAnError) {
  for (const char* bad : {"cudnn", "-", "", "*cudnn"}) {
    auto s = TacticSources::parse({bad});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find("tactic source"), std::string::npos) << s.status().message();
  }
}

}  // namespace
}  // namespace kiln
