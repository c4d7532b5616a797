// Text form of a graph for `kiln inspect` and IR dumps.
#include <fmt/format.h>

#include "ir/graph.h"

namespace kiln {

namespace {
std::string value_text(const Value* v) {
  if (v == nullptr) return "<none>";
  return fmt::format("%{}: {}{}", v->name(), data_type_name(v->dtype()), v->shape().to_string());
}
}  // namespace

std::string dump_graph(const Graph& g) {
  std::string out = fmt::format("graph '{}' ({} nodes)\n", g.name, g.nodes().size());
  for (const Value* v : g.inputs()) out += "  input  " + value_text(v) + "\n";
  for (const auto& v : g.values())
    if (v->is_constant()) out += "  const  " + value_text(v.get()) + "\n";
  for (const auto& n : g.nodes()) {
    std::string outs, ins, attrs;
    for (const Value* v : n->outputs()) outs += (outs.empty() ? "" : ", ") + value_text(v);
    for (const Value* v : n->inputs()) ins += (ins.empty() ? "" : ", ") + (v ? "%" + v->name() : std::string("<none>"));
    for (const auto& [k, a] : n->attrs()) attrs += (attrs.empty() ? "" : ", ") + k + "=" + a.to_string();
    out += fmt::format("  {} = {}({}){}  # {}\n", outs, n->op_type(), ins,
                       attrs.empty() ? "" : " {" + attrs + "}", n->name());
  }
  for (const Value* v : g.outputs()) out += "  output " + value_text(v) + "\n";
  return out;
}

}  // namespace kiln
