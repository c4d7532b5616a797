// Dimension expressions (include/kiln/plugin.h) and how Kiln evaluates them on symbolic and
// concrete input shapes (src/plugin/plugin_shapes.h).
#include "plugin/plugin_shapes.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

std::optional<int64_t> eval(const DimExpr& e, const std::vector<std::vector<int64_t>>& dims) {
  return e.evaluate([&](int i, int j) -> std::optional<int64_t> {
    const int64_t d = dims[static_cast<size_t>(i)][static_cast<size_t>(j)];
    return d >= 0 ? std::optional<int64_t>(d) : std::nullopt;
  });
}

TEST(DimExpr, ConstantsFoldAsExpressionsAreBuilt) {
  const DimExpr e = (DimExpr(6) + 2) * 3 / 4 - 1;
  ASSERT_TRUE(e.is_constant());
  EXPECT_EQ(e.constant(), 5);
  const DimExpr n = DimExpr::input_dim(0, 0);
  EXPECT_EQ((n * 1 + 0).kind(), DimExpr::Kind::kInputDim);
  EXPECT_EQ((n / 1 - 0).kind(), DimExpr::Kind::kInputDim);
  EXPECT_EQ((n * 2).kind(), DimExpr::Kind::kMul);
  EXPECT_EQ((DimExpr(-7) / 2).constant(), -4);  // floor division, like Python's //
}

TEST(DimExpr, EvaluatesOverInputDims) {
  const DimExpr n = DimExpr::input_dim(0, 0), k = DimExpr::input_dim(1, 1);
  const DimExpr e = (n * k + 3) / 2 - n;
  EXPECT_EQ(eval(e, {{5}, {0, 7}}), (5 * 7 + 3) / 2 - 5);
  EXPECT_EQ(eval(e, {{-1}, {0, 7}}), std::nullopt);          // n unknown
  EXPECT_EQ(eval(n / (k - 7), {{5}, {0, 7}}), std::nullopt);  // division by zero
  EXPECT_EQ(e.to_string(), "((in0.d0 * in1.d1 + 3) / 2 - in0.d0)");
}

TEST(PluginShapes, StaticInputDimsReachThePluginAsConstants) {
  const auto exprs = shape_exprs_of({Shape({Dim::symbolic("N"), Dim(4)})});
  ASSERT_EQ(exprs.size(), 1u);
  ASSERT_EQ(exprs[0].dims.size(), 2u);
  EXPECT_EQ(exprs[0].dims[0].kind(), DimExpr::Kind::kInputDim);
  ASSERT_TRUE(exprs[0].dims[1].is_constant());
  EXPECT_EQ(exprs[0].dims[1].constant(), 4);
}

TEST(PluginShapes, SymbolicDimsKeepTheirSymbolOnlyWhenPassedThrough) {
  const std::vector<Shape> inputs = {Shape({Dim::symbolic("N"), Dim(4)}), Shape({Dim(3)})};
  const auto in = shape_exprs_of(inputs);
  ShapeExpr out;
  out.dims = {in[0].dims[0], in[0].dims[1] * in[1].dims[0] + 1, in[0].dims[0] * 2};
  auto shape = evaluate_shape_expr(out, inputs);
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ((*shape)[0], Dim::symbolic("N"));
  EXPECT_EQ((*shape)[1], Dim(13));
  EXPECT_FALSE((*shape)[2].is_static());
  EXPECT_TRUE((*shape)[2].symbol.empty());
  EXPECT_EQ(shape->to_string(), "[N, 13, ?]");

  // The same expressions on concrete shapes, as at run time.
  const std::vector<Shape> concrete = {Shape::from_dims({6, 4}), Shape::from_dims({3})};
  shape = evaluate_shape_expr(out, concrete);
  ASSERT_TRUE(shape.ok());
  EXPECT_EQ(shape->static_dims(), (std::vector<int64_t>{6, 13, 12}));
}

TEST(PluginShapes, BadExpressionsAreErrorsNamingTheDim) {
  const std::vector<Shape> inputs = {Shape::from_dims({2, 3})};
  auto check = [&](const DimExpr& e, const std::string& message) {
    ShapeExpr out;
    out.dims = {DimExpr(1), e};
    auto shape = evaluate_shape_expr(out, inputs);
    ASSERT_FALSE(shape.ok());
    EXPECT_NE(shape.status().message().find("dim 1: " + message), std::string::npos) << shape.status().message();
  };
  check(DimExpr::input_dim(1, 0), "in1.d0 refers to input 1, but there are 1");
  check(DimExpr::input_dim(0, 2), "in0.d2 refers to axis 2 of a rank-2 input");
  check(DimExpr::input_dim(0, 0) - 5, "(in0.d0 - 5) is -3, a negative size");
  check(DimExpr::input_dim(0, 0) / (DimExpr::input_dim(0, 1) - 3), "in0.d0 / (in0.d1 - 3) divides by zero");
}

}  // namespace
}  // namespace kiln
