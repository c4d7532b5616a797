// The activation functions RNN, GRU and LSTM name in their `activations` attribute, with the
// alpha/beta parameters from `activation_alpha` / `activation_beta`.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace kiln {

struct RnnActivation {
  enum class Kind {
    kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu, kSoftsign, kSoftplus
  };
  Kind kind = Kind::kTanh;
  double alpha = 0.0;
  double beta = 0.0;

  double operator()(double x) const;
};

// Parses activation names (case-insensitive). Alphas and betas are consumed in order by the
// functions that take them; a function given none uses its ONNX operator's default.
Expected<std::vector<RnnActivation>> parse_rnn_activations(const std::vector<std::string>& names,
                                                           const std::vector<float>& alphas,
                                                           const std::vector<float>& betas);

}  // namespace kiln
