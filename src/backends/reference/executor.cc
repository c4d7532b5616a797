#include "backends/reference/executor.h"

#include <unordered_map>

#include "ir/op_schema.h"

namespace kiln {

namespace {

void collect_missing_kernels(const Graph& graph, std::vector<std::string>& missing) {
  for (const auto& n : graph.nodes()) {
    if (KernelRegistry::global().find(n->op_type(), n->domain()) == nullptr)
      missing.push_back(n->describe());
    for (const auto& [name, a] : n->attrs())
      if (a.type == AttrType::kGraph && a.g) collect_missing_kernels(*a.g, missing);
  }
}

// Names a body reads from enclosing scopes, including through its own nested bodies.
std::vector<std::string> captured_names(const Graph& body) {
  std::vector<std::string> names;
  for (const Value* c : body.captures()) names.push_back(c->name());
  for (const auto& n : body.nodes())
    for (const auto& [attr_name, a] : n->attrs())
      if (a.type == AttrType::kGraph && a.g)
        for (std::string& name : captured_names(*a.g))
          if (!body.find_value(name)) names.push_back(std::move(name));
  return names;
}

}  // namespace

Status check_reference_kernels(const Graph& graph) {
  std::vector<std::string> missing;
  collect_missing_kernels(graph, missing);
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  return unsupported("the reference backend has no kernel for {} node(s):{}", missing.size(), list);
}

Expected<std::vector<Tensor>> run_reference_node(const Node& node, const std::vector<const Tensor*>& inputs,
                                                 const SubgraphRunner* subgraphs) {
  const KernelFn* kernel = KernelRegistry::global().find(node.op_type(), node.domain());
  if (kernel == nullptr) return unsupported("{}: the reference backend has no kernel", node.describe());
  std::vector<InferContext::Input> infer_inputs;
  infer_inputs.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    InferContext::Input in;
    if (t != nullptr) {
      in.present = true;
      in.dtype = t->dtype();
      in.shape = Shape::from_dims(t->dims());
      in.value = t;
    }
    infer_inputs.push_back(std::move(in));
  }
  KILN_ASSIGN_OR_RETURN(auto inferred, infer_node(node, std::move(infer_inputs)));
  std::vector<Tensor> outputs(inferred.size());
  for (size_t i = 0; i < inferred.size(); ++i) {
    if (node.output(static_cast<int>(i)) == nullptr && inferred[i].first == DataType::kUndefined) continue;
    auto dims = inferred[i].second.static_dims();
    if (dims) {
      if (checked_numel(*dims) < 0 ||
          static_cast<uint64_t>(checked_numel(*dims)) > (uint64_t{1} << 40) / std::max<size_t>(1, data_type_size(inferred[i].first)))
        return invalid_argument("{}: output {} would have the impossible shape {}", node.describe(), i,
                                dims_to_string(*dims));
      outputs[i] = Tensor(inferred[i].first, *dims);
    }
  }
  KernelContext ctx(node, inputs, std::move(outputs), subgraphs);
  Status s = (*kernel)(ctx);
  if (!s.ok()) return with_context(s, node.describe());
  std::vector<Tensor>& out = ctx.outputs();
  for (size_t i = 0; i < out.size(); ++i) {
    if (node.output(static_cast<int>(i)) == nullptr) continue;
    if (!out[i].defined())
      return internal_error("{}: the kernel produced no output {}", node.describe(), i);
    if (out[i].dtype() != inferred[i].first)
      return internal_error("{}: output {} is {} but inference said {}", node.describe(), i,
                            data_type_name(out[i].dtype()), data_type_name(inferred[i].first));
  }
  return std::move(out);
}

Expected<std::vector<Tensor>> run_reference(const Graph& graph, const std::vector<Tensor>& inputs,
                                            const ScopeLookup& outer) {
  if (inputs.size() != graph.inputs().size())
    return invalid_argument("graph '{}' takes {} input(s), got {}", graph.name, graph.inputs().size(), inputs.size());
  std::unordered_map<const Value*, Tensor> env;
  for (size_t i = 0; i < inputs.size(); ++i) env[graph.inputs()[i]] = inputs[i];
  for (const Value* c : graph.captures()) {
    const Tensor* t = outer ? outer(c->name()) : nullptr;
    if (t == nullptr) return invalid_argument("subgraph '{}' reads '{}', which no enclosing graph defines",
                                              graph.name, c->name());
    env[c] = *t;
  }

  // After which node each intermediate value is last read, to free it early.
  std::unordered_map<const Value*, size_t> last_use;
  for (size_t i = 0; i < graph.nodes().size(); ++i)
    for (const Value* v : graph.nodes()[i]->inputs())
      if (v) last_use[v] = i;
  for (size_t i = 0; i < graph.nodes().size(); ++i)  // what a node's bodies read counts as its use
    for (const auto& [attr_name, a] : graph.nodes()[i]->attrs())
      if (a.type == AttrType::kGraph && a.g)
        for (const std::string& name : captured_names(*a.g))
          if (const Value* v = graph.find_value(name)) last_use[v] = std::max(last_use[v], i);
  for (const Value* v : graph.outputs()) last_use[v] = SIZE_MAX;

  auto lookup = [&](const Value* v) -> const Tensor* {
    if (v->is_constant()) return &v->constant();
    auto it = env.find(v);
    return it == env.end() ? nullptr : &it->second;
  };
  // Subgraphs see this graph's values by name, then the enclosing scopes'.
  ScopeLookup scope = [&](const std::string& name) -> const Tensor* {
    if (const Value* v = graph.find_value(name))
      if (const Tensor* t = lookup(v)) return t;
    return outer ? outer(name) : nullptr;
  };
  SubgraphRunner runner = [&](const Graph& body, const std::vector<Tensor>& body_inputs) {
    return run_reference(body, body_inputs, scope);
  };

  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = *graph.nodes()[i];
    std::vector<const Tensor*> in;
    in.reserve(node.inputs().size());
    for (const Value* v : node.inputs()) {
      if (v == nullptr) {
        in.push_back(nullptr);
        continue;
      }
      const Tensor* t = lookup(v);
      if (t == nullptr) return internal_error("{}: input '{}' has not been computed", node.describe(), v->name());
      in.push_back(t);
    }
    KILN_ASSIGN_OR_RETURN(auto outs, run_reference_node(node, in, &runner));
    for (size_t k = 0; k < outs.size() && k < node.outputs().size(); ++k)
      if (node.outputs()[k]) env[node.outputs()[k]] = std::move(outs[k]);
    for (const Value* v : node.inputs())
      if (v && !v->is_constant() && last_use[v] == i) env.erase(v);
  }

  std::vector<Tensor> result;
  for (const Value* v : graph.outputs()) {
    const Tensor* t = lookup(v);
    if (t == nullptr) return internal_error("graph output '{}' was not computed", v->name());
    result.push_back(*t);
  }
  return result;
}

}  // namespace kiln
