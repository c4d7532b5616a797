#include "builder/memory_planner.h"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <string_view>

namespace kiln {

namespace {

// Ops whose output is their input's bytes under other dims.
bool is_view_op(const Node& n) {
  static const std::set<std::string_view> kOps = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"};
  return n.domain().empty() && kOps.count(n.op_type()) != 0;
}

// Ops whose reference kernel computes output element i from input elements i alone (the unary and
// broadcasting loops of elementwise.h, reading every input before writing), so the output may
// overwrite a same-shape input. Only ONNX ops: a plugin layer (kiln.Plugin) never writes in place,
// since Kiln cannot know how its kernels read.
bool is_elementwise_op(const Node& n) {
  static const std::set<std::string_view> kOps = {
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip",     "Abs",       "Neg",   "Exp",  "Log",
      "Sqrt", "Elu",       "Selu",    "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
      "Mish", "Gelu",      "Erf",     "Reciprocal", "Floor", "Ceil",  "Add",   "Sub",  "Mul",
      "Div",  "PRelu"};
  return n.domain().empty() && kOps.count(n.op_type()) != 0;
}

// A Transpose that moves only size-1 axes (a reformat of [N, 1, 1, C]) leaves every byte
// where it was: a view.
bool keeps_byte_order(const Node& n, const std::vector<int64_t>& in_dims) {
  if (!n.domain().empty() || n.op_type() != "Transpose") return false;
  const auto perm = n.attr_ints("perm");
  if (perm.size() != in_dims.size()) return false;
  int64_t last = -1;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= static_cast<int64_t>(in_dims.size())) return false;
    if (in_dims[static_cast<size_t>(axis)] == 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

size_t align_up(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

class Planner {
 public:
  Planner(const Graph& graph, const ConcreteDims& dims, const PlanOptions& options)
      : graph_(graph), dims_(dims), options_(options) {}

  ActivationPlan run() {
    collect_values();
    const auto& nodes = graph_.nodes();
    for (size_t step = 0; step < nodes.size(); ++step) {
      const Node& node = *nodes[step];
      if (is_view_op(node) || is_byte_order_transpose(node)) {
        if (try_view(node)) plan_.skipped_nodes.insert(&node);
      } else if (node.domain().empty() && node.op_type() == "Concat") {
        if (try_eliminate_concat(node)) plan_.skipped_nodes.insert(&node);
      } else if (options_.in_place && is_elementwise_op(node)) {
        try_in_place(node, step);
      }
    }
    place_groups();
    measure_peak();
    return std::move(plan_);
  }

 private:
  // Every node output with static dims and a nonzero size, with its lifetime.
  void collect_values() {
    const auto& nodes = graph_.nodes();
    for (size_t step = 0; step < nodes.size(); ++step) {
      for (const Value* v : nodes[step]->outputs()) {
        auto it = v ? dims_.find(v) : dims_.end();
        if (it == dims_.end()) continue;
        const int64_t numel = checked_numel(it->second);
        const size_t bytes = static_cast<size_t>(std::max<int64_t>(numel, 0)) * data_type_size(v->dtype());
        if (bytes == 0) continue;
        ValueMemory m;
        m.dims = it->second;
        m.bytes = bytes;
        m.first_step = m.last_step = step;
        plan_.values.emplace(v, std::move(m));
        plan_.total_bytes += bytes;
        members_[v] = {v};
        order_.push_back(v);
      }
    }
    for (size_t step = 0; step < nodes.size(); ++step) {
      std::vector<const Value*> read(nodes[step]->inputs().begin(), nodes[step]->inputs().end());
      for (const std::string& name : captured_names(*nodes[step])) read.push_back(graph_.find_value(name));
      for (const Value* v : read) {
        if (v == nullptr) continue;
        ++reads_[v];
        if (auto it = plan_.values.find(v); it != plan_.values.end())
          it->second.last_step = std::max(it->second.last_step, options_.reader_horizon ? (*options_.reader_horizon)[step] : step);
      }
    }
    for (const Value* v : graph_.outputs())
      if (auto it = plan_.values.find(v); it != plan_.values.end()) it->second.last_step = nodes.size();
  }

  ValueMemory* planned(const Value* v) {
    auto it = v ? plan_.values.find(v) : plan_.values.end();
    return it == plan_.values.end() ? nullptr : &it->second;
  }
  const Value* root_of(const Value* v) const {
    while (const Value* up = plan_.values.at(v).alias_of) v = up;
    return v;
  }
  size_t offset_in_root(const Value* v) const {
    size_t offset = 0;
    for (const ValueMemory* m = &plan_.values.at(v); m->alias_of; m = &plan_.values.at(m->alias_of))
      offset += m->alias_offset;
    return offset;
  }
  // When the bytes of a group are last read: after this step they may be overwritten.
  size_t group_last_step(const Value* root) const {
    size_t last = 0;
    for (const Value* m : members_.at(root)) last = std::max(last, plan_.values.at(m).last_step);
    return last;
  }
  // Puts the group rooted at `child_root` inside `parent`'s bytes at `offset`.
  void attach(const Value* child_root, const Value* parent, size_t offset, Sharing how) {
    const Value* root = root_of(parent);
    ValueMemory& child = plan_.values.at(child_root);
    child.sharing = how;
    child.alias_of = parent;
    child.alias_offset = offset;
    auto& into = members_.at(root);
    auto& from = members_.at(child_root);
    into.insert(into.end(), from.begin(), from.end());
    members_.erase(child_root);
  }

  bool is_byte_order_transpose(const Node& node) {
    const ValueMemory* mi = planned(node.input(0));
    return mi != nullptr && keeps_byte_order(node, mi->dims);
  }

  bool try_view(const Node& node) {
    const Value* in = node.input(0);
    const Value* out = node.output(0);
    const ValueMemory* mi = planned(in);
    const ValueMemory* mo = planned(out);
    if (!mi || !mo || in->dtype() != out->dtype() || mi->bytes != mo->bytes) return false;
    attach(out, in, 0, Sharing::kView);
    ++plan_.views;
    return true;
  }

  // The output may take the bytes of a same-shape input when nothing reads those bytes after
  // this step. Another input in the same group must then sit exactly there (read element by
  // element like the first) or elsewhere.
  bool try_in_place(const Node& node, size_t step) {
    const Value* out = node.output(0);
    const ValueMemory* mo = planned(out);
    if (!mo || node.outputs().size() != 1) return false;
    for (const Value* in : node.inputs()) {
      const ValueMemory* mi = planned(in);
      if (!mi || in->dtype() != out->dtype() || mi->dims != mo->dims) continue;
      const Value* root = root_of(in);
      if (group_last_step(root) != step) continue;
      const size_t begin = offset_in_root(in);
      bool others_ok = true;
      for (const Value* other : node.inputs()) {
        const ValueMemory* mw = planned(other);
        if (!mw || other == in || root_of(other) != root) continue;
        const size_t other_begin = offset_in_root(other);
        const bool same_place = other_begin == begin && mw->dims == mo->dims;
        const bool disjoint = other_begin + mw->bytes <= begin || begin + mi->bytes <= other_begin;
        others_ok = others_ok && (same_place || disjoint);
      }
      if (!others_ok) continue;
      attach(out, in, 0, Sharing::kInPlace);
      ++plan_.in_place;
      return true;
    }
    return false;
  }

  // Each input's whole group moves into its slice of the output, so its producer writes there.
  // An input qualifies when it is computed here (planned), read by this Concat alone, not a graph
  // output, and its group is exactly its own bytes (it is no slice or view of anything bigger).
  bool try_eliminate_concat(const Node& node) {
    const Value* out = node.output(0);
    const ValueMemory* mo = planned(out);
    if (!mo) return false;
    const int rank = static_cast<int>(mo->dims.size());
    int64_t axis = node.attr_int("axis");
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    for (int64_t d = 0; d < axis; ++d)
      if (mo->dims[static_cast<size_t>(d)] != 1) return false;
    std::vector<const Value*> roots;
    size_t bytes = 0;
    for (const Value* in : node.inputs()) {
      const ValueMemory* mi = planned(in);
      if (!mi || reads_[in] != 1 || graph_.is_graph_output(in) || in->dtype() != out->dtype()) return false;
      const Value* root = root_of(in);
      if (offset_in_root(in) != 0 || plan_.values.at(root).bytes != mi->bytes) return false;
      if (std::find(roots.begin(), roots.end(), root) != roots.end()) return false;
      roots.push_back(root);
      bytes += mi->bytes;
    }
    if (bytes != mo->bytes) return false;
    size_t offset = 0;
    for (const Value* root : roots) {
      const size_t slice_bytes = plan_.values.at(root).bytes;
      attach(root, out, offset, Sharing::kConcatSlice);
      offset += slice_bytes;
    }
    ++plan_.concats_eliminated;
    return true;
  }

  struct Group {
    const Value* root;
    size_t first_step, last_step, size;
    size_t offset = 0;
  };

  std::vector<Group> groups() const {
    std::vector<Group> out;
    for (const Value* v : order_) {
      auto it = members_.find(v);
      if (it == members_.end()) continue;  // not a root
      Group g{v, SIZE_MAX, 0, plan_.values.at(v).bytes};
      for (const Value* m : it->second) {
        g.first_step = std::min(g.first_step, plan_.values.at(m).first_step);
        g.last_step = std::max(g.last_step, plan_.values.at(m).last_step);
      }
      out.push_back(g);
    }
    return out;
  }

  // Greedy by size: the largest group first, each at the smallest gap between the groups already
  // placed that are live at the same time, or above them all when no gap fits. Largest-first
  // keeps big blocks from fragmenting the arena; best-fit leaves the larger gaps for later groups.
  void place_groups() {
    std::vector<Group> all = groups();
    std::stable_sort(all.begin(), all.end(), [](const Group& a, const Group& b) {
      return a.size != b.size ? a.size > b.size : a.first_step < b.first_step;
    });
    std::vector<const Group*> placed;
    for (Group& g : all) {
      const size_t size = align_up(g.size);
      std::vector<const Group*> live;
      for (const Group* p : placed)
        if (p->first_step <= g.last_step && g.first_step <= p->last_step) live.push_back(p);
      std::sort(live.begin(), live.end(), [](const Group* a, const Group* b) { return a->offset < b->offset; });
      size_t cursor = 0, best = SIZE_MAX, best_gap = SIZE_MAX;
      for (const Group* p : live) {
        if (p->offset > cursor && p->offset - cursor >= size && p->offset - cursor < best_gap) {
          best = cursor;
          best_gap = p->offset - cursor;
        }
        cursor = std::max(cursor, p->offset + align_up(p->size));
      }
      g.offset = best != SIZE_MAX ? best : cursor;
      plan_.arena_bytes = std::max(plan_.arena_bytes, g.offset + size);
      placed.push_back(&g);
    }
    for (const Group& g : all)
      for (const Value* m : members_.at(g.root)) plan_.values.at(m).offset = g.offset + offset_in_root(m);
  }

  void measure_peak() {
    std::vector<int64_t> change(graph_.nodes().size() + 2, 0);
    for (const Group& g : groups()) {
      change[g.first_step] += static_cast<int64_t>(g.size);
      change[g.last_step + 1] -= static_cast<int64_t>(g.size);
    }
    int64_t live = 0;
    for (int64_t c : change) {
      live += c;
      plan_.peak_bytes = std::max(plan_.peak_bytes, static_cast<size_t>(live));
    }
  }

  const Graph& graph_;
  const ConcreteDims& dims_;
  PlanOptions options_;
  ActivationPlan plan_;
  // Each group root's members (itself included).
  std::unordered_map<const Value*, std::vector<const Value*>> members_;
  // Planned values in definition order, so ties break the same way every run.
  std::vector<const Value*> order_;
  // How many node inputs (and subgraph captures) read each value.
  std::unordered_map<const Value*, int> reads_;
};

}  // namespace

std::string ActivationPlan::summary() const {
  const double percent = total_bytes ? 100.0 * static_cast<double>(peak_bytes) / static_cast<double>(total_bytes) : 0.0;
  return fmt::format(
      "memory: peak activations {} bytes ({:.1f}% of {} bytes summed over all activation tensors), arena {} bytes, "
      "{} concats eliminated, {} in-place, {} aliases",
      peak_bytes, percent, total_bytes, arena_bytes, concats_eliminated, in_place, views);
}

ActivationPlan plan_memory(const Graph& graph, const ConcreteDims& dims, const PlanOptions& options) {
  return Planner(graph, dims, options).run();
}

}  // namespace kiln
