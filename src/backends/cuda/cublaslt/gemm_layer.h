// What a MatMul, Gemm or kiln.FusedMatMul layer asks of cuBLASLt: the products (GemmShape), the
// scales, which input is added how, and the activation. Reading a LayerSpec into this is also
// the provider's supports(): a layer it cannot describe exactly is refused with the reason.
#pragma once

#include <string>

#include "backends/cuda/cublaslt/gemm_shape.h"
#include "backends/cuda/cudnn/conv_epilogue.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

// Y = act(alpha * op(A) op(B) + bias + beta * C), inputs 0 and 1 being A and B.
struct GemmLayer {
  DataType dtype = DataType::kUndefined;  // of every input and of Y
  GemmShape shape;
  float alpha = 1.f;
  float beta = 0.f;  // of C; 0 when there is none
  // An [N] vector broadcast over the rows, added by cuBLASLt's bias epilogue; -1 for none.
  int bias_input = -1;
  // The input shaped like Y that cuBLASLt adds as beta * C; -1 for none.
  int c_input = -1;
  // The input (Gemm's C) broadcast from [fill_rows, fill_cols] into Y before the product, which
  // then adds beta * Y in place; -1 for none.
  int fill_input = -1;
  int64_t fill_rows = 1;
  int64_t fill_cols = 1;
  // The activation: Relu in cuBLASLt's epilogue; any other in Kiln's epilogue kernel (the cuDNN
  // family's, which with neither bias nor residual is act(y) in place) after the product.
  ActivationSpec activation;
  bool relu_epilogue = false;
  bool has_activation_kernel = false;
  // "bias_relu", "c_gelu": what the tactic names show.
  std::string epilogue_name;
};

// The layer as cuBLASLt computes it, or why not (unsupported, with the reason).
Expected<GemmLayer> describe_gemm_layer(const LayerSpec& spec);

}  // namespace kiln::cuda
