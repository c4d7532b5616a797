// Kiln's own data-movement kernels (kernels/datamove/): layout changes, joins and cuts, indexing,
// shape ops and Resize, for every element type (moved as 1/2/4/8-byte words).
#include "backends/cuda/kernels/datamove/provider.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> data_movement_providers() {
  using namespace datamove;
  return {transpose_provider(), space_depth_provider(), concat_provider(), split_provider(), slice_provider(),
          pad_provider(), expand_provider(), tile_provider(), trilu_provider(), gather_provider(),
          gather_elements_provider(), gather_nd_provider(), scatter_elements_provider(), scatter_nd_provider(),
          device_copy_provider(), generator_provider(), resize_provider()};
}

}  // namespace kiln::cuda
