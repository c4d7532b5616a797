// Index values read from tensors (Gather indices, sequence lengths, ...) are data: they are
// checked here before they address anything, so a bad model gives an error, never a wild read.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

// Maps index into [0, bound): negative values count from the end. out_of_range naming `what`
// when outside [-bound, bound).
inline Expected<int64_t> wrap_index(int64_t index, int64_t bound, std::string_view what) {
  if (index < -bound || index >= bound)
    return out_of_range("{} has the index {}, outside [-{}, {})", what, index, bound, bound);
  return index < 0 ? index + bound : index;
}

// Every value of an int32/int64 tensor wrapped into [0, bound).
Expected<std::vector<int64_t>> read_wrapped_indices(const Tensor& t, int64_t bound, std::string_view what);

}  // namespace kiln
