#include "ir/attribute.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kiln {

const char* attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::kUndefined: return "undefined";
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kString: return "string";
    case AttrType::kTensor: return "tensor";
    case AttrType::kGraph: return "graph";
    case AttrType::kInts: return "ints";
    case AttrType::kFloats: return "floats";
    case AttrType::kStrings: return "strings";
  }
  return "undefined";
}

std::string Attribute::to_string() const {
  switch (type) {
    case AttrType::kInt: return std::to_string(i);
    case AttrType::kFloat: return fmt::format("{}", f);
    case AttrType::kString: return "'" + s + "'";
    case AttrType::kTensor:
      return fmt::format("<tensor {} {}>", data_type_name(t.dtype()), dims_to_string(t.dims()));
    case AttrType::kGraph: return "<graph>";
    case AttrType::kInts: return fmt::format("[{}]", fmt::join(ints, ", "));
    case AttrType::kFloats: return fmt::format("[{}]", fmt::join(floats, ", "));
    case AttrType::kStrings: return fmt::format("['{}']", fmt::join(strings, "', '"));
    case AttrType::kUndefined: break;
  }
  return "?";
}

}  // namespace kiln
