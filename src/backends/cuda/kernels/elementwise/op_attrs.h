// The attributes of an elementwise node as its functor takes them (kiln_device::OpAttrs), for the
// precompiled kernels and the generated Pointwise code alike.
#pragma once

#include <string_view>

#include "backends/cuda/kernels/elementwise/device_params.h"
#include "ir/graph.h"

namespace kiln::cuda::elementwise {

// Unsupported for attribute values no functor implements (a Gelu approximation other than
// none/tanh, a BitShift direction other than LEFT/RIGHT). Attribute defaults must be filled in.
Expected<kiln_device::OpAttrs> op_attrs(const Node& node);

// How tactic names spell a dtype: fp32, fp16, bf16, fp64, int8 ... uint64, bool.
std::string_view dtype_tag(DataType type);

}  // namespace kiln::cuda::elementwise
