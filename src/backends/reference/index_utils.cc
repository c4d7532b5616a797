#include "backends/reference/index_utils.h"

#include "ir/ops/infer_utils.h"

namespace kiln {

Expected<std::vector<int64_t>> read_wrapped_indices(const Tensor& t, int64_t bound, std::string_view what) {
  auto values = tensor_to_int64s(t);
  if (!values.ok()) return invalid_argument("{}: {}", what, values.status().message());
  for (int64_t& v : *values) {
    KILN_ASSIGN_OR_RETURN(v, wrap_index(v, bound, what));
  }
  return values;
}

}  // namespace kiln
