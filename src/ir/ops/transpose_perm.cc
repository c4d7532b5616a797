#include "ir/ops/transpose_perm.h"

namespace kiln {

Expected<std::vector<int64_t>> transpose_perm(const Node& node, int rank) {
  std::vector<int64_t> perm;
  if (const Attribute* a = node.attr("perm")) {
    perm = a->ints;
    if (static_cast<int>(perm.size()) != rank)
      return invalid_argument("attribute 'perm' has {} entries for rank {}", perm.size(), rank);
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t p : perm) {
      if (p < 0 || p >= rank || seen[static_cast<size_t>(p)])
        return invalid_argument("attribute 'perm' {} is not a permutation of [0, {})", dims_to_string(perm), rank);
      seen[static_cast<size_t>(p)] = true;
    }
  } else {
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  return perm;
}

}  // namespace kiln
