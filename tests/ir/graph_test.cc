#include "ir/graph.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Graph, TopologicalSortOrdersProducersFirst) {
  Graph g;
  Value* x = *g.add_value("x");
  g.inputs().push_back(x);
  Node* b = g.add_node("b", "Relu", "", 17);
  Node* a = g.add_node("a", "Relu", "", 17);
  Value* y = *g.add_value("y");
  Value* z = *g.add_value("z");
  a->inputs() = {x};
  a->outputs() = {y};
  y->set_producer(a);
  b->inputs() = {y};
  b->outputs() = {z};
  z->set_producer(b);
  g.outputs().push_back(z);
  ASSERT_TRUE(g.topological_sort().ok());
  EXPECT_EQ(g.nodes()[0]->name(), "a");
  EXPECT_EQ(g.nodes()[1]->name(), "b");
}

TEST(Graph, CycleIsReportedWithNodeNames) {
  Graph g;
  Node* a = g.add_node("a", "Relu", "", 17);
  Node* b = g.add_node("b", "Relu", "", 17);
  Value* y = *g.add_value("y");
  Value* z = *g.add_value("z");
  a->inputs() = {z};
  a->outputs() = {y};
  y->set_producer(a);
  b->inputs() = {y};
  b->outputs() = {z};
  z->set_producer(b);
  g.outputs().push_back(z);
  Status s = g.topological_sort();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos);
  EXPECT_NE(s.message().find("'a'"), std::string::npos);
}

TEST(Graph, UndefinedTensorIsReported) {
  Graph g;
  Node* a = g.add_node("a", "Relu", "", 17);
  Value* ghost = *g.add_value("ghost");
  Value* y = *g.add_value("y");
  a->inputs() = {ghost};
  a->outputs() = {y};
  y->set_producer(a);
  g.outputs().push_back(y);
  Status s = g.topological_sort();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'ghost'"), std::string::npos);
  EXPECT_NE(s.message().find("'a'"), std::string::npos);
}

TEST(Graph, DuplicateValueNameIsAnError) {
  Graph g;
  ASSERT_TRUE(g.add_value("x").ok());
  EXPECT_FALSE(g.add_value("x").ok());
}

}  // namespace
}  // namespace kiln
