// The tensor op family (manipulation, indexing, resampling): one file per idea, listed here.
#include "ir/op_schema.h"

namespace kiln {

void register_reshape_schemas(OpRegistry& r);
void register_layout_schemas(OpRegistry& r);
void register_concat_split_schemas(OpRegistry& r);
void register_slice_schemas(OpRegistry& r);
void register_gather_scatter_schemas(OpRegistry& r);
void register_expand_tile_schemas(OpRegistry& r);
void register_pad_schemas(OpRegistry& r);
void register_shape_query_schemas(OpRegistry& r);
void register_generator_schemas(OpRegistry& r);
void register_mask_schemas(OpRegistry& r);
void register_selection_schemas(OpRegistry& r);
void register_topk_argmax_schemas(OpRegistry& r);
void register_scan_schemas(OpRegistry& r);
void register_resize_schemas(OpRegistry& r);

void register_tensor_schemas(OpRegistry& r) {
  register_reshape_schemas(r);
  register_layout_schemas(r);
  register_concat_split_schemas(r);
  register_slice_schemas(r);
  register_gather_scatter_schemas(r);
  register_expand_tile_schemas(r);
  register_pad_schemas(r);
  register_shape_query_schemas(r);
  register_generator_schemas(r);
  register_mask_schemas(r);
  register_selection_schemas(r);
  register_topk_argmax_schemas(r);
  register_scan_schemas(r);
  register_resize_schemas(r);
}

}  // namespace kiln
