#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

TEST(FuseGelu, EveryAssociationOfTheProducts) {
  for (int form = 0; form < 3; ++form) {
    GraphBuilder b;
    Value* x = b.input("x", {2, 9});
    Value* scaled = form == 1 ? b.node("Mul", "scale", {x, b.scalar("r", 0.70710678f)})
                              : b.node("Div", "scale", {x, b.scalar("r", 1.41421356f)});
    Value* plus_one = b.node("Add", "add", {b.scalar("one", 1.f), b.node("Erf", "erf", {scaled})});
    Value* y = nullptr;
    if (form == 0) {  // (x * (1 + erf)) * 0.5
      y = b.node("Mul", "mul2", {b.node("Mul", "mul1", {x, plus_one}), b.scalar("half", 0.5f)});
    } else if (form == 1) {  // (x * 0.5) * (1 + erf)
      y = b.node("Mul", "mul2", {b.node("Mul", "mul1", {x, b.scalar("half", 0.5f)}), plus_one});
    } else {  // x * ((1 + erf) * 0.5)
      y = b.node("Mul", "mul2", {x, b.node("Mul", "mul1", {plus_one, b.scalar("half", 0.5f)})});
    }
    b.output(y);
    auto o = optimize_and_compare(b, 2);
    ASSERT_EQ(o.graph->nodes().size(), 1u) << form;
    EXPECT_EQ(o.graph->nodes()[0]->op_type(), "Gelu") << form;
    EXPECT_EQ(o.graph->outputs()[0]->name(), "mul2.out");
  }
}

TEST(FuseGelu, OtherConstantsAreNotGelu) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 9});
  Value* e = b.node("Erf", "erf", {b.node("Div", "scale", {x, b.scalar("r", 2.f)})});
  b.output(b.node("Mul", "mul2", {b.node("Mul", "mul1", {x, b.node("Add", "add", {e, b.scalar("one", 1.f)})}),
                                  b.scalar("half", 0.5f)}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "Gelu"), 0);
  EXPECT_EQ(count_ops(*o.graph, "Erf"), 1);
}

}  // namespace
}  // namespace kiln::testing
