#include "passes/epilogue_match.h"

namespace kiln {

namespace {

bool is_op(const Node* n, const char* op) { return n && n->domain().empty() && n->op_type() == op; }

// y * act(y): y read by exactly the activation and the Mul, the activation read only by the Mul.
bool match_gated(const Uses& uses, Value* y, const std::unordered_set<const Node*>& claimed, Epilogue& e) {
  const auto& readers = uses.readers(y);
  if (readers.size() != 2 || uses.is_pinned(y)) return false;
  for (int k = 0; k < 2; ++k) {
    const Node* act = readers[static_cast<size_t>(k)];
    const Node* mul = readers[static_cast<size_t>(1 - k)];
    if (claimed.count(act) || claimed.count(mul) || act->input(0) != y || !is_op(mul, "Mul")) continue;
    const auto activation = activation_of_node(*act);
    Value* gate = act->output(0);
    if (!activation || uses.sole_reader(gate) != mul) continue;
    if (!((mul->input(0) == y && mul->input(1) == gate) || (mul->input(0) == gate && mul->input(1) == y))) continue;
    e.activation = *activation;
    e.activation.gated = true;
    e.nodes.push_back(act);
    e.nodes.push_back(mul);
    e.output = mul->output(0);
    return true;
  }
  return false;
}

}  // namespace

std::string Epilogue::describe() const {
  std::string s;
  if (residual) s = "residual Add";
  if (!activation.none()) s += (s.empty() ? "" : " + ") + activation.describe();
  return s;
}

Epilogue match_epilogue(const Uses& uses, Value* y, const std::unordered_set<const Node*>& claimed,
                        bool allow_residual) {
  Epilogue e;
  e.output = y;
  if (allow_residual) {
    const Node* add = uses.sole_reader(y);
    if (is_op(add, "Add") && !claimed.count(add) && add->inputs().size() == 2) {
      Value* z = add->input(add->input(0) == y ? 1 : 0);
      if (z && z != y && z->dtype() == y->dtype() && same_static_shape(z, y) && same_static_shape(add->output(0), y)) {
        e.residual = z;
        e.nodes.push_back(add);
        e.output = add->output(0);
      }
    }
  }
  if (match_gated(uses, e.output, claimed, e)) return e;
  const Node* act = uses.sole_reader(e.output);
  if (act && !claimed.count(act) && act->input(0) == e.output) {
    if (const auto activation = activation_of_node(*act)) {
      e.activation = *activation;
      e.nodes.push_back(act);
      e.output = act->output(0);
    }
  }
  return e;
}

}  // namespace kiln
