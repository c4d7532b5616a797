// The activation memory planner: every node output with a static shape gets a byte range in one
// arena, reused by values whose lifetimes do not overlap.
//
// Lifetimes come from the execution order: a value lives from its producer's step to its last
// consumer's step (graph outputs to the end). Graph inputs and constants are not planned (they
// are the user's and the engine's memory).
//
// Values may share bytes on purpose, which saves both memory and copies:
//  * in-place: a genuinely elementwise node (Relu, Add of same-shape inputs, ...) writes its
//    output over an input of the same shape whose bytes nothing reads afterwards;
//  * views: Reshape, Flatten, Squeeze, Unsqueeze and Identity outputs are their input's bytes, and
//    the node does no work;
//  * concat slices: when a Concat's inputs are contiguous byte ranges of its output (the dims
//    before the axis multiply to 1, as for a channel concat at batch 1), each input is produced
//    straight into its slice and the Concat does no work ("eliminated").
// Values sharing bytes form a group whose root owns them; groups are what the arena places.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "builder/concrete_shapes.h"
#include "ir/graph.h"

namespace kiln {

// Offsets of group roots in the arena are multiples of this (slices inside a concat sit where
// the layout puts them).
inline constexpr size_t kArenaAlignment = 256;

// How a value's bytes relate to the value it shares them with.
enum class Sharing {
  kOwn,          // a group root: the arena places it
  kInPlace,      // written over `alias_of`, an input of its producer that dies there
  kView,         // the bytes of `alias_of` under other dims (Reshape, ...)
  kConcatSlice,  // a slice of `alias_of`, the output of an eliminated Concat
};

struct ValueMemory {
  std::vector<int64_t> dims;
  size_t bytes = 0;
  size_t offset = 0;                 // in the arena
  Sharing sharing = Sharing::kOwn;
  const Value* alias_of = nullptr;   // null when kOwn
  size_t alias_offset = 0;           // where this value starts inside alias_of
  // Steps (node indices) from the producer to the last reader; graph outputs: nodes().size().
  size_t first_step = 0;
  size_t last_step = 0;
};

struct ActivationPlan {
  size_t arena_bytes = 0;
  // The most bytes live at any one step: no arena can be smaller.
  size_t peak_bytes = 0;
  // Every planned value's bytes added up: the memory of giving each tensor its own buffer.
  size_t total_bytes = 0;
  std::unordered_map<const Value*, ValueMemory> values;
  // Nodes that do no work: views and eliminated concats, whose outputs already hold their bytes.
  std::unordered_set<const Node*> skipped_nodes;
  int concats_eliminated = 0;
  int in_place = 0;
  int views = 0;

  // "memory: peak activations X bytes (Y% of Z bytes summed over all activation tensors), ..."
  std::string summary() const;
};

struct PlanOptions {
  // Let elementwise layers write over a dying input. Off when layers run on several streams: a
  // reader on another stream may still be running.
  bool in_place = true;
  // Per node step: bytes read there stay alive until this step (builder/stream_schedule.h);
  // null: until the read itself.
  const std::vector<size_t>* reader_horizon = nullptr;
};

// Plans the outputs of `graph`'s nodes (in node order) that `dims` gives static dims for.
ActivationPlan plan_memory(const Graph& graph, const ConcreteDims& dims, const PlanOptions& options = {});

}  // namespace kiln
