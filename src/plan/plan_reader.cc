// Plan bytes -> graph. Nothing in the plan is trusted: the header and checksum are checked, the
// flatbuffer verified, and then every index, size, enum and weight range is checked before it is
// used, so a corrupt or hostile plan is refused with a Status and never read out of bounds.
#include <flatbuffers/flatbuffers.h>

#include <unordered_map>

#include "core/error.h"
#include "ir/op_schema.h"
#include "plan/plan.h"
#include "plan/plan_bytes.h"
#include "plan/plan_generated.h"
#include "plan/plan_header.h"

namespace kiln {

namespace {

namespace fb = plan::fb;

// Bounds on what a plan may declare, far above any real model, so that a corrupt plan cannot make
// the reader allocate absurd amounts of memory or recurse without end.
constexpr size_t kMaxRank = 64;
constexpr int64_t kMaxDim = int64_t{1} << 40;
constexpr int kMaxSubgraphDepth = 16;

template <class... Args>
Status corrupt(fmt::format_string<Args...> f, Args&&... args) {
  return invalid_argument("corrupt plan: {}", fmt::format(f, std::forward<Args>(args)...));
}

std::string str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

template <class T>
size_t count(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? 0 : v->size();
}

bool valid_dtype(fb::DataType t) { return static_cast<unsigned>(t) <= static_cast<unsigned>(fb::DataType::MAX); }

class GraphReader {
 public:
  GraphReader(const uint8_t* weights, uint64_t weights_size, std::shared_ptr<void> owner)
      : weights_(weights), weights_size_(weights_size), owner_(std::move(owner)) {}

  // `annotations` (top-level graph only) receives one entry per node, in final node order.
  Expected<std::shared_ptr<Graph>> read_graph(const fb::Graph& fg, int depth,
                                              std::vector<NodeAnnotation>* annotations);

 private:
  Expected<Tensor> read_tensor(const fb::TensorData& td) const;
  Expected<Shape> read_shape(const fb::Value& fv) const;
  Status read_value(const fb::Value& fv, Graph& g) const;
  Expected<Attribute> read_attribute(const fb::Attribute& fa, int depth);
  Status read_node(const fb::Node& fn, Graph& g, std::vector<bool>& defined, int depth);

  const uint8_t* weights_;
  uint64_t weights_size_;
  std::shared_ptr<void> owner_;
};

Expected<std::vector<int64_t>> read_dims(const flatbuffers::Vector<int64_t>* dims) {
  if (count(dims) > kMaxRank) return corrupt("rank {} is over the limit of {}", count(dims), kMaxRank);
  std::vector<int64_t> out;
  for (size_t i = 0; i < count(dims); ++i) {
    const int64_t d = dims->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (d < 0 || d > kMaxDim) return corrupt("dimension {} is out of range", d);
    out.push_back(d);
  }
  return out;
}

Expected<Tensor> GraphReader::read_tensor(const fb::TensorData& td) const {
  if (!valid_dtype(td.dtype()) || td.dtype() == fb::DataType::Undefined)
    return corrupt("tensor data type {} is not valid", static_cast<int>(td.dtype()));
  const auto dtype = static_cast<DataType>(td.dtype());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dims, read_dims(td.dims()));
  const int64_t numel = checked_numel(dims);
  const uint64_t elem = data_type_size(dtype);
  if (numel < 0 || static_cast<uint64_t>(numel) > UINT64_MAX / elem)
    return corrupt("tensor of dims {} is too large", dims_to_string(dims));
  const fb::WeightRef& ref = *td.data();  // a required field: the verifier made sure it is there
  if (ref.size() != static_cast<uint64_t>(numel) * elem)
    return corrupt("tensor {} {} needs {} bytes but refers to {}", data_type_name(dtype), dims_to_string(dims),
                   static_cast<uint64_t>(numel) * elem, ref.size());
  if (ref.offset() % kPlanWeightAlignment != 0 || ref.offset() > weights_size_ ||
      ref.size() > weights_size_ - ref.offset())
    return corrupt("tensor bytes [{}, +{}) are misaligned or outside the {}-byte weight section", ref.offset(),
                   ref.size(), weights_size_);
  // The plan's memory is read-only; kernels only read constants.
  return Tensor::wrap(dtype, std::move(dims), const_cast<uint8_t*>(weights_ + ref.offset()), owner_);
}

Expected<Shape> GraphReader::read_shape(const fb::Value& fv) const {
  if (!fv.rank_known()) {
    if (count(fv.dims()) != 0) return corrupt("a shape of unknown rank lists dimensions");
    return Shape::unknown();
  }
  if (count(fv.dims()) > kMaxRank) return corrupt("rank {} is over the limit of {}", count(fv.dims()), kMaxRank);
  std::vector<Dim> dims;
  for (size_t i = 0; i < count(fv.dims()); ++i) {
    const fb::Dim* d = fv.dims()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (d->value() < -1 || d->value() > kMaxDim) return corrupt("dimension {} is out of range", d->value());
    Dim dim(d->value());
    dim.symbol = str(d->symbol());
    dims.push_back(std::move(dim));
  }
  return Shape(std::move(dims));
}

Status GraphReader::read_value(const fb::Value& fv, Graph& g) const {
  const std::string what = "tensor '" + fv.name()->str() + "'";
  if (!valid_dtype(fv.dtype())) return with_context(corrupt("data type {} is not valid", static_cast<int>(fv.dtype())), what);
  auto shape = read_shape(fv);
  if (!shape.ok()) return with_context(shape.status(), what);
  auto v = g.add_value(fv.name()->str());
  if (!v.ok()) return corrupt("{}", v.status().message());
  (*v)->set_type(static_cast<DataType>(fv.dtype()), *shape);
  if (fv.constant() == nullptr) return Status::Ok();
  auto t = read_tensor(*fv.constant());
  if (!t.ok()) return with_context(t.status(), what);
  if (t->dtype() != (*v)->dtype() || !(Shape::from_dims(t->dims()) == *shape))
    return corrupt("{} is declared {} {} but its data is {} {}", what, data_type_name((*v)->dtype()), shape->to_string(),
                   data_type_name(t->dtype()), dims_to_string(t->dims()));
  (*v)->set_constant(std::move(t).value());
  return Status::Ok();
}

Expected<Attribute> GraphReader::read_attribute(const fb::Attribute& fa, int depth) {
  switch (fa.type()) {
    case fb::AttrType::Int: return Attribute::of_int(fa.i());
    case fb::AttrType::Float: return Attribute::of_float(fa.f());
    case fb::AttrType::String: return Attribute::of_string(str(fa.s()));
    case fb::AttrType::Ints:
      return Attribute::of_ints(fa.ints() ? std::vector<int64_t>(fa.ints()->begin(), fa.ints()->end())
                                          : std::vector<int64_t>());
    case fb::AttrType::Floats:
      return Attribute::of_floats(fa.floats() ? std::vector<float>(fa.floats()->begin(), fa.floats()->end())
                                              : std::vector<float>());
    case fb::AttrType::Strings: {
      std::vector<std::string> strings;
      for (size_t i = 0; i < count(fa.strings()); ++i)
        strings.push_back(fa.strings()->Get(static_cast<flatbuffers::uoffset_t>(i))->str());
      return Attribute::of_strings(std::move(strings));
    }
    case fb::AttrType::Tensor: {
      if (fa.t() == nullptr) return corrupt("a tensor attribute has no tensor");
      KILN_ASSIGN_OR_RETURN(Tensor t, read_tensor(*fa.t()));
      return Attribute::of_tensor(std::move(t));
    }
    case fb::AttrType::Graph: {
      if (fa.g() == nullptr) return corrupt("a graph attribute has no graph");
      if (depth >= kMaxSubgraphDepth) return corrupt("subgraphs nest deeper than {} levels", kMaxSubgraphDepth);
      KILN_ASSIGN_OR_RETURN(std::shared_ptr<Graph> g, read_graph(*fa.g(), depth + 1, nullptr));
      return Attribute::of_graph(std::move(g));
    }
  }
  return corrupt("attribute type {} is not valid", static_cast<int>(fa.type()));
}

Status GraphReader::read_node(const fb::Node& fn, Graph& g, std::vector<bool>& defined, int depth) {
  Node* n = g.add_node(fn.name()->str(), fn.op_type()->str(), str(fn.domain()), fn.opset());
  const std::string what = n->describe();
  if (fn.opset() < 1) return corrupt("{}: opset {} is not valid", what, fn.opset());
  const auto& values = g.values();
  auto value_at = [&](int index) -> Expected<Value*> {
    if (index == -1) return static_cast<Value*>(nullptr);
    if (index < 0 || static_cast<size_t>(index) >= values.size())
      return corrupt("{}: tensor index {} is outside the graph's {} tensors", what, index, values.size());
    return values[static_cast<size_t>(index)].get();
  };
  for (size_t i = 0; i < count(fn.inputs()); ++i) {
    KILN_ASSIGN_OR_RETURN(Value * v, value_at(fn.inputs()->Get(static_cast<flatbuffers::uoffset_t>(i))));
    n->inputs().push_back(v);
  }
  for (size_t i = 0; i < count(fn.outputs()); ++i) {
    const int index = fn.outputs()->Get(static_cast<flatbuffers::uoffset_t>(i));
    KILN_ASSIGN_OR_RETURN(Value * v, value_at(index));
    if (v != nullptr) {
      if (defined[static_cast<size_t>(index)])
        return corrupt("{}: output tensor '{}' is already defined elsewhere", what, v->name());
      defined[static_cast<size_t>(index)] = true;
      v->set_producer(n);
    }
    n->outputs().push_back(v);
  }
  for (size_t i = 0; i < count(fn.attributes()); ++i) {
    const fb::Attribute& fa = *fn.attributes()->Get(static_cast<flatbuffers::uoffset_t>(i));
    const std::string name = fa.name()->str();
    if (name.empty() || n->has_attr(name)) return corrupt("{}: attribute name '{}' is empty or repeated", what, name);
    auto a = read_attribute(fa, depth);
    if (!a.ok()) return with_context(a.status(), what + " attribute '" + name + "'");
    n->attrs()[name] = std::move(a).value();
  }
  const OpSchema* schema = OpRegistry::global().find(n->op_type(), n->domain());
  if (schema == nullptr)
    return unsupported("{}: the op is not supported by this runtime (domain '{}')", what,
                       n->domain().empty() ? "ai.onnx" : n->domain());
  n->set_schema(schema);
  return with_context(schema->check_and_fill_defaults(*n), what);
}

Expected<std::shared_ptr<Graph>> GraphReader::read_graph(const fb::Graph& fg, int depth,
                                                         std::vector<NodeAnnotation>* annotations) {
  auto g = std::make_shared<Graph>();
  g->name = str(fg.name());
  for (size_t i = 0; i < count(fg.values()); ++i)
    KILN_RETURN_IF_ERROR(read_value(*fg.values()->Get(static_cast<flatbuffers::uoffset_t>(i)), *g));
  const auto& values = g->values();
  // Which values are defined (as a constant, graph input, capture or node output), to refuse a
  // value defined twice.
  std::vector<bool> defined(values.size(), false);
  for (size_t i = 0; i < values.size(); ++i) defined[i] = values[i]->is_constant();

  // Graph inputs and captures: distinct values, defined nowhere else.
  auto bind = [&](const flatbuffers::Vector<int32_t>* list, std::vector<Value*>& out, const char* role) -> Status {
    for (size_t i = 0; i < count(list); ++i) {
      const int index = list->Get(static_cast<flatbuffers::uoffset_t>(i));
      if (index < 0 || static_cast<size_t>(index) >= values.size())
        return corrupt("{} index {} is outside the graph's {} tensors", role, index, values.size());
      if (defined[static_cast<size_t>(index)])
        return corrupt("{} '{}' is also defined elsewhere", role, values[static_cast<size_t>(index)]->name());
      defined[static_cast<size_t>(index)] = true;
      out.push_back(values[static_cast<size_t>(index)].get());
    }
    return Status::Ok();
  };
  KILN_RETURN_IF_ERROR(bind(fg.inputs(), g->inputs(), "graph input"));
  KILN_RETURN_IF_ERROR(bind(fg.captures(), g->captures(), "graph capture"));

  std::unordered_map<const Node*, NodeAnnotation> annotation_of;
  for (size_t i = 0; i < count(fg.nodes()); ++i) {
    const fb::Node& fn = *fg.nodes()->Get(static_cast<flatbuffers::uoffset_t>(i));
    KILN_RETURN_IF_ERROR(read_node(fn, *g, defined, depth));
    annotation_of[g->nodes().back().get()] = {str(fn.tactic()), str(fn.precision()), str(fn.provider()),
                                              fn.tactic_id(), fn.tactic_ms()};
  }
  for (size_t i = 0; i < count(fg.outputs()); ++i) {
    const int index = fg.outputs()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (index < 0 || static_cast<size_t>(index) >= values.size())
      return corrupt("graph output index {} is outside the graph's {} tensors", index, values.size());
    g->outputs().push_back(values[static_cast<size_t>(index)].get());
  }
  auto sorted = g->topological_sort();
  if (!sorted.ok()) return corrupt("{}", sorted.message());
  if (annotations != nullptr)
    for (const auto& n : g->nodes()) annotations->push_back(annotation_of[n.get()]);
  return g;
}

// Structure only (ranks agree, min <= opt <= max); the engine checks the ranges against the graph.
Expected<OptimizationProfile> read_profile(const fb::Profile* fp, size_t index) {
  OptimizationProfile profile;
  if (fp == nullptr || fp->ranges() == nullptr) return profile;
  for (const fb::ShapeRange* r : *fp->ranges()) {
    if (r == nullptr || r->min() == nullptr || r->opt() == nullptr || r->max() == nullptr)
      return corrupt("profile {} has an incomplete shape range", index);
    ShapeRange range{{r->min()->begin(), r->min()->end()}, {r->opt()->begin(), r->opt()->end()},
                     {r->max()->begin(), r->max()->end()}};
    if (range.opt.size() != range.min.size() || range.max.size() != range.min.size() || range.min.size() > 64)
      return corrupt("profile {} input '{}' has inconsistent ranks", index, r->input()->str());
    for (size_t d = 0; d < range.min.size(); ++d)
      if (range.min[d] < 0 || range.min[d] > range.opt[d] || range.opt[d] > range.max[d])
        return corrupt("profile {} input '{}' has an invalid range", index, r->input()->str());
    if (!profile.inputs.emplace(r->input()->str(), std::move(range)).second)
      return corrupt("profile {} lists input '{}' twice", index, r->input()->str());
  }
  return profile;
}

Expected<MemoryPlan> read_memory_plan(const fb::MemoryPlan& fm, size_t num_values) {
  MemoryPlan plan;
  plan.arena_bytes = fm.arena_bytes();
  for (size_t i = 0; i < count(fm.offsets()); ++i) {
    const fb::TensorPlacement& p = *fm.offsets()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (p.value() < 0 || static_cast<size_t>(p.value()) >= num_values)
      return corrupt("memory plan: tensor index {} is outside the graph's {} tensors", p.value(), num_values);
    if (p.offset() > plan.arena_bytes || p.bytes() > plan.arena_bytes - p.offset())
      return corrupt("memory plan: tensor {} at [{}, +{}) is outside the {}-byte arena", p.value(), p.offset(),
                     p.bytes(), plan.arena_bytes);
    plan.placements.push_back({p.value(), p.offset(), p.bytes()});
  }
  return plan;
}

PlanTarget read_target(const fb::Target& t) {
  return PlanTarget{str(t.backend()), str(t.gpu_name()), t.compute_major(), t.compute_minor(),
                    t.cuda_runtime_version(), t.cudnn_version()};
}

PlanBuildConfig read_build_config(const fb::BuildConfig& b) {
  return PlanBuildConfig{b.optimization_level(), b.tf32(), b.fp16(), b.bf16(), b.int8(), b.fp8(), b.workspace_limit(), b.aux_streams(), b.host_fallback()};
}

Expected<LoadedPlan> read_plan_bytes(const PlanBytes& bytes, const std::optional<PlanTarget>& expected_target) {
  KILN_ASSIGN_OR_RETURN(PlanHeader h, parse_plan_header(bytes.data, bytes.size));
  if (h.flatbuffer_size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return corrupt("the flatbuffer is {} bytes, over flatbuffers' limit", h.flatbuffer_size);
  const uint8_t* buffer = bytes.data + h.flatbuffer_offset;
  flatbuffers::Verifier verifier(buffer, h.flatbuffer_size);
  if (!fb::VerifyPlanBuffer(verifier)) return corrupt("the flatbuffer fails verification");
  const fb::Plan& p = *fb::GetPlan(buffer);

  LoadedPlan out;
  out.kiln_version = p.kiln_version()->str();
  if (out.kiln_version != KILN_VERSION)
    return unsupported("plan was written by Kiln {} but this runtime is Kiln {}; rebuild the plan", out.kiln_version,
                       KILN_VERSION);
  out.info.target = read_target(*p.target());
  if (expected_target) KILN_RETURN_IF_ERROR(check_plan_target(out.info.target, *expected_target));
  out.info.build = read_build_config(*p.build());

  GraphReader reader(bytes.data + h.weights_offset, h.weights_size, bytes.owner);
  KILN_ASSIGN_OR_RETURN(out.graph, reader.read_graph(*p.graph(), 0, &out.info.annotations));
  if (p.memory_plan() != nullptr) {
    KILN_ASSIGN_OR_RETURN(out.info.memory_plan, read_memory_plan(*p.memory_plan(), out.graph->values().size()));
  }
  if (p.profiles() != nullptr) {
    for (const fb::Profile* fp : *p.profiles()) {
      KILN_ASSIGN_OR_RETURN(OptimizationProfile profile, read_profile(fp, out.info.profiles.size()));
      out.info.profiles.push_back(std::move(profile));
    }
  }
  out.weights_bytes = h.weights_size;
  out.file_bytes = bytes.size;
  return out;
}

}  // namespace

Expected<LoadedPlan> read_plan(const std::string& path, const std::optional<PlanTarget>& expected_target) {
  KILN_ASSIGN_OR_RETURN(PlanBytes bytes, map_plan_file(path));
  auto plan = read_plan_bytes(bytes, expected_target);
  if (!plan.ok()) return with_context(plan.status(), path);
  return plan;
}

Expected<LoadedPlan> read_plan(const void* data, size_t size, const std::optional<PlanTarget>& expected_target) {
  return read_plan_bytes(copy_plan_bytes(data, size), expected_target);
}

}  // namespace kiln
