// kiln.YoloDecode as a plain function (formulas in ir/ops/kiln_detection_schemas.cc), in double.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ops/yolo_decode_params.h"

namespace kiln::detection {

// heads[l]: head l's values [batch, channels, H_l, W_l]; boxes [batch, num_boxes, 4] and
// scores [batch, num_boxes, num_classes] are written. `p` has every level's size known.
void yolo_decode_reference(const std::vector<const double*>& heads, int64_t batch, const YoloDecodeParams& p,
                           double* boxes, double* scores);

}  // namespace kiln::detection
