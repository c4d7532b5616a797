#include "ir/ops/body_types.h"

#include <unordered_map>

#include "ir/op_schema.h"

namespace kiln {

std::vector<std::pair<DataType, Shape>> body_output_types(const Graph& body, const std::vector<DataType>& input_types) {
  std::vector<std::pair<DataType, Shape>> types;
  bool complete = true;
  for (const Value* v : body.outputs()) {
    types.emplace_back(v->dtype(), v->shape());
    complete = complete && v->dtype() != DataType::kUndefined && v->shape().rank_known();
  }
  if (complete) return types;

  std::unordered_map<const Value*, std::pair<DataType, Shape>> known;
  for (size_t i = 0; i < body.inputs().size(); ++i) {
    const Value* v = body.inputs()[i];
    const DataType t = v->dtype() == DataType::kUndefined && i < input_types.size() ? input_types[i] : v->dtype();
    known[v] = {t, v->shape()};
  }
  for (const auto& node : body.nodes()) {
    if (node->schema() == nullptr) continue;
    std::vector<InferContext::Input> inputs;
    for (const Value* v : node->inputs()) {
      InferContext::Input in;
      if (v != nullptr) {
        in.present = true;
        auto it = known.find(v);
        in.dtype = it != known.end() ? it->second.first : v->dtype();
        in.shape = it != known.end() ? it->second.second : v->shape();
        in.value = v->is_constant() ? &v->constant() : nullptr;
      }
      inputs.push_back(std::move(in));
    }
    auto outs = infer_node(*node, std::move(inputs));
    if (!outs.ok()) continue;  // its outputs stay untyped; a declared type may still cover them
    for (size_t i = 0; i < outs->size() && i < node->outputs().size(); ++i)
      if (node->outputs()[i] != nullptr) known[node->outputs()[i]] = (*outs)[i];
  }
  for (size_t i = 0; i < types.size(); ++i) {
    auto it = known.find(body.outputs()[i]);
    if (it == known.end()) continue;
    if (types[i].first == DataType::kUndefined) types[i].first = it->second.first;
    if (!types[i].second.rank_known()) types[i].second = it->second.second;
  }
  return types;
}

}  // namespace kiln
