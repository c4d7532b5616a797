#include "ir/ops/attr_or_input.h"

#include "ir/ops/infer_utils.h"

namespace kiln {

Expected<IntList> int_list_attr_or_input(const Node& node, const char* attr, int first_input_opset,
                                         bool input_present, const Tensor* input_value) {
  IntList list;
  if (node.opset() < first_input_opset) {
    if (const Attribute* a = node.attr(attr)) {
      list.given = list.known = true;
      list.values = a->type == AttrType::kInt ? std::vector<int64_t>{a->i} : a->ints;
    }
    return list;
  }
  list.given = input_present;
  if (input_present && input_value != nullptr) {
    auto values = tensor_to_int64s(*input_value);
    if (!values.ok()) return invalid_argument("input '{}': {}", attr, values.status().message());
    list.known = true;
    list.values = std::move(*values);
  }
  return list;
}

}  // namespace kiln
