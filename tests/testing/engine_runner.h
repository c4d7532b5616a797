// Running a built engine in tests: one input in, one output back on the host.
#pragma once

#include <string>

#include "core/error.h"
#include "core/tensor.h"
#include "kiln/kiln.h"

namespace kiln::testing {

// Sets `input` to x, executes twice (on CUDA the second run replays a CUDA graph) and returns
// `output` copied to the host.
inline Expected<Tensor> execute_twice(const Engine& engine, const std::string& input, const Tensor& x,
                                      const std::string& output) {
  KILN_ASSIGN_OR_RETURN(auto context, engine.create_context());
  KILN_RETURN_IF_ERROR(context->set_input(input, {x.dtype(), x.dims(), x.raw()}));
  for (int i = 0; i < 2; ++i) KILN_RETURN_IF_ERROR(context->execute());
  KILN_ASSIGN_OR_RETURN(TensorView out, context->output(output));
  Tensor y(out.dtype, out.dims);
  KILN_RETURN_IF_ERROR(copy_to_host(out, y.raw()));
  return y;
}

}  // namespace kiln::testing
