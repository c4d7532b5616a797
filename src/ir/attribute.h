// Node attributes, typed as ONNX types them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace kiln {

class Graph;

enum class AttrType { kUndefined, kInt, kFloat, kString, kTensor, kGraph, kInts, kFloats, kStrings };

const char* attr_type_name(AttrType t);

struct Attribute {
  AttrType type = AttrType::kUndefined;
  int64_t i = 0;
  float f = 0.f;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;

  static Attribute of_int(int64_t v) { Attribute a; a.type = AttrType::kInt; a.i = v; return a; }
  static Attribute of_float(float v) { Attribute a; a.type = AttrType::kFloat; a.f = v; return a; }
  static Attribute of_string(std::string v) {
    Attribute a; a.type = AttrType::kString; a.s = std::move(v); return a;
  }
  static Attribute of_ints(std::vector<int64_t> v) {
    Attribute a; a.type = AttrType::kInts; a.ints = std::move(v); return a;
  }
  static Attribute of_floats(std::vector<float> v) {
    Attribute a; a.type = AttrType::kFloats; a.floats = std::move(v); return a;
  }
  static Attribute of_strings(std::vector<std::string> v) {
    Attribute a; a.type = AttrType::kStrings; a.strings = std::move(v); return a;
  }
  static Attribute of_tensor(Tensor v) { Attribute a; a.type = AttrType::kTensor; a.t = std::move(v); return a; }
  static Attribute of_graph(std::shared_ptr<Graph> v) {
    Attribute a; a.type = AttrType::kGraph; a.g = std::move(v); return a;
  }

  // Short text for dumps: "3", "[1, 1]", "'NOTSET'", "<tensor float32 [3]>".
  std::string to_string() const;
};

}  // namespace kiln
