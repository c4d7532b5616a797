// Graph -> plan bytes: the flatbuffer describes the graph; tensor bytes go to the weight section,
// each on a 64-byte boundary.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "core/error.h"
#include "plan/plan.h"
#include "plan/plan_generated.h"
#include "plan/plan_header.h"

namespace kiln {

namespace {

namespace fb = plan::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

class PlanWriter {
 public:
  // `annotations` is empty or has one entry per node (only the top-level graph has them).
  Expected<Offset<fb::Graph>> write_graph(const Graph& g, const std::vector<NodeAnnotation>& annotations = {});
  FlatBufferBuilder& builder() { return fbb_; }
  const std::vector<uint8_t>& weights() const { return weights_; }

 private:
  Offset<fb::TensorData> write_tensor(const Tensor& t);
  Expected<Offset<fb::Attribute>> write_attribute(const std::string& name, const Attribute& a);
  Offset<fb::Value> write_value(const Value& v);
  // Empty strings are left out, so that reading and re-writing a plan gives the same bytes.
  Offset<flatbuffers::String> optional_string(const std::string& s) { return s.empty() ? 0 : fbb_.CreateString(s); }

  FlatBufferBuilder fbb_;
  std::vector<uint8_t> weights_;
};

Offset<fb::TensorData> PlanWriter::write_tensor(const Tensor& t) {
  const size_t offset = align_up(weights_.size(), kPlanWeightAlignment);
  weights_.resize(offset);
  const auto* bytes = static_cast<const uint8_t*>(t.raw());
  weights_.insert(weights_.end(), bytes, bytes + t.nbytes());
  const fb::WeightRef ref(offset, t.nbytes());
  return fb::CreateTensorData(fbb_, static_cast<fb::DataType>(t.dtype()), fbb_.CreateVector(t.dims()), &ref);
}

Offset<fb::Value> PlanWriter::write_value(const Value& v) {
  Offset<fb::TensorData> constant = v.is_constant() ? write_tensor(v.constant()) : 0;
  std::vector<Offset<fb::Dim>> dims;
  for (const Dim& d : v.shape().dims())
    dims.push_back(fb::CreateDim(fbb_, d.value, optional_string(d.symbol)));
  return fb::CreateValue(fbb_, fbb_.CreateString(v.name()), static_cast<fb::DataType>(v.dtype()),
                         v.shape().rank_known(), fbb_.CreateVector(dims), constant);
}

Expected<Offset<fb::Attribute>> PlanWriter::write_attribute(const std::string& name, const Attribute& a) {
  Offset<flatbuffers::String> s = 0;
  Offset<fb::TensorData> t = 0;
  Offset<fb::Graph> g = 0;
  Offset<flatbuffers::Vector<int64_t>> ints = 0;
  Offset<flatbuffers::Vector<float>> floats = 0;
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> strings = 0;
  switch (a.type) {
    case AttrType::kInt:
    case AttrType::kFloat: break;
    case AttrType::kString: s = fbb_.CreateString(a.s.data(), a.s.size()); break;
    case AttrType::kTensor: t = write_tensor(a.t); break;
    case AttrType::kGraph: {
      if (a.g == nullptr) return internal_error("attribute '{}' has no graph", name);
      KILN_ASSIGN_OR_RETURN(g, write_graph(*a.g));
      break;
    }
    case AttrType::kInts: ints = fbb_.CreateVector(a.ints); break;
    case AttrType::kFloats: floats = fbb_.CreateVector(a.floats); break;
    case AttrType::kStrings: {
      std::vector<Offset<flatbuffers::String>> list;
      for (const std::string& item : a.strings) list.push_back(fbb_.CreateString(item.data(), item.size()));
      strings = fbb_.CreateVector(list);
      break;
    }
    case AttrType::kUndefined: return internal_error("attribute '{}' has no type", name);
  }
  return fb::CreateAttribute(fbb_, fbb_.CreateString(name), static_cast<fb::AttrType>(a.type), a.i, a.f, s, t, g, ints,
                             floats, strings);
}

Expected<Offset<fb::Graph>> PlanWriter::write_graph(const Graph& g, const std::vector<NodeAnnotation>& annotations) {
  std::unordered_map<const Value*, int> index;
  std::vector<Offset<fb::Value>> values;
  for (const auto& v : g.values()) {
    index[v.get()] = static_cast<int>(values.size());
    values.push_back(write_value(*v));
  }
  // Absent optional inputs and outputs are -1; a value from another graph is a bug upstream.
  auto indices = [&](const std::vector<Value*>& list, const std::string& what) -> Expected<std::vector<int>> {
    std::vector<int> out;
    for (const Value* v : list) {
      if (v == nullptr) {
        out.push_back(-1);
        continue;
      }
      auto it = index.find(v);
      if (it == index.end()) return internal_error("{} refers to tensor '{}' of another graph", what, v->name());
      out.push_back(it->second);
    }
    return out;
  };
  std::vector<Offset<fb::Node>> nodes;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node* n = g.nodes()[i].get();
    KILN_ASSIGN_OR_RETURN(std::vector<int> inputs, indices(n->inputs(), n->describe()));
    KILN_ASSIGN_OR_RETURN(std::vector<int> outputs, indices(n->outputs(), n->describe()));
    std::vector<Offset<fb::Attribute>> attrs;
    for (const auto& [name, a] : n->attrs()) {
      auto attr = write_attribute(name, a);
      if (!attr.ok()) return with_context(attr.status(), n->describe());
      attrs.push_back(*attr);
    }
    nodes.push_back(fb::CreateNode(fbb_, fbb_.CreateString(n->name()), fbb_.CreateString(n->op_type()),
                                   fbb_.CreateString(n->domain()), n->opset(), fbb_.CreateVector(inputs),
                                   fbb_.CreateVector(outputs), fbb_.CreateVector(attrs),
                                   optional_string(annotations.empty() ? "" : annotations[i].tactic),
                                   optional_string(annotations.empty() ? "" : annotations[i].precision),
                                   optional_string(annotations.empty() ? "" : annotations[i].provider),
                                   annotations.empty() ? 0 : annotations[i].tactic_id,
                                   annotations.empty() ? 0.f : annotations[i].tactic_ms));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int> inputs, indices(g.inputs(), "a graph input"));
  KILN_ASSIGN_OR_RETURN(std::vector<int> outputs, indices(g.outputs(), "a graph output"));
  KILN_ASSIGN_OR_RETURN(std::vector<int> captures, indices(g.captures(), "a graph capture"));
  return fb::CreateGraph(fbb_, fbb_.CreateString(g.name), fbb_.CreateVector(values), fbb_.CreateVector(nodes),
                         fbb_.CreateVector(inputs), fbb_.CreateVector(outputs), fbb_.CreateVector(captures));
}

}  // namespace

Expected<std::vector<uint8_t>> serialize_plan(const Graph& graph, const PlanInfo& info) {
  if (!info.annotations.empty() && info.annotations.size() != graph.nodes().size())
    return internal_error("{} layer annotations for {} nodes", info.annotations.size(), graph.nodes().size());
  PlanWriter w;
  FlatBufferBuilder& fbb = w.builder();
  KILN_ASSIGN_OR_RETURN(Offset<fb::Graph> g, w.write_graph(graph, info.annotations));
  const PlanBuildConfig& b = info.build;
  const auto build = fb::CreateBuildConfig(fbb, b.optimization_level, b.tf32, b.fp16, b.bf16, b.int8, b.fp8,
                                           b.workspace_limit, b.aux_streams, b.host_fallback);
  const PlanTarget& t = info.target;
  const auto target = fb::CreateTarget(fbb, fbb.CreateString(t.backend), fbb.CreateString(t.gpu_name), t.compute_major,
                                       t.compute_minor, t.cuda_runtime_version, t.cudnn_version);
  Offset<fb::MemoryPlan> memory_plan = 0;
  if (info.memory_plan) {
    std::vector<fb::TensorPlacement> placements;
    for (const TensorPlacement& p : info.memory_plan->placements) placements.emplace_back(p.value, p.offset, p.bytes);
    memory_plan = fb::CreateMemoryPlan(fbb, info.memory_plan->arena_bytes, fbb.CreateVectorOfStructs(placements));
  }
  std::vector<Offset<fb::Profile>> profiles;
  for (const OptimizationProfile& profile : info.profiles) {
    std::vector<Offset<fb::ShapeRange>> ranges;
    for (const auto& [name, r] : profile.inputs)
      ranges.push_back(fb::CreateShapeRange(fbb, fbb.CreateString(name), fbb.CreateVector(r.min),
                                            fbb.CreateVector(r.opt), fbb.CreateVector(r.max)));
    profiles.push_back(fb::CreateProfile(fbb, fbb.CreateVector(ranges)));
  }
  fbb.Finish(fb::CreatePlan(fbb, fbb.CreateString(KILN_VERSION), build, target, g, memory_plan,
                            fbb.CreateVector(profiles)),
             fb::PlanIdentifier());

  PlanHeader h;
  h.flatbuffer_offset = kPlanHeaderSize;
  h.flatbuffer_size = fbb.GetSize();
  h.weights_offset = align_up(h.flatbuffer_offset + h.flatbuffer_size, kPlanWeightAlignment);
  h.weights_size = w.weights().size();
  std::vector<uint8_t> out(h.weights_offset + h.weights_size, 0);
  std::memcpy(out.data() + h.flatbuffer_offset, fbb.GetBufferPointer(), fbb.GetSize());
  if (!w.weights().empty()) std::memcpy(out.data() + h.weights_offset, w.weights().data(), w.weights().size());
  encode_plan_header(h, out.data());
  h.checksum = plan_checksum(out.data(), out.size());
  encode_plan_header(h, out.data());
  return out;
}

Status write_plan_file(const std::vector<uint8_t>& bytes, const std::string& path) {
  const std::string temp = path + ".partial";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return io_error("cannot write '{}'", temp);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return io_error("writing '{}' failed (disk full?)", temp);
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return io_error("cannot move '{}' to '{}'", temp, path);
  }
  return Status::Ok();
}

Status write_plan(const Graph& graph, const PlanInfo& info, const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize_plan(graph, info));
  return write_plan_file(bytes, path);
}

}  // namespace kiln
