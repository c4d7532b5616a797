#include "backends/reference/rnn_activations.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace kiln {

double RnnActivation::operator()(double x) const {
  switch (kind) {
    case Kind::kRelu: return std::max(0.0, x);
    case Kind::kTanh: return std::tanh(x);
    case Kind::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Kind::kAffine: return alpha * x + beta;
    case Kind::kLeakyRelu: return x >= 0 ? x : alpha * x;
    case Kind::kThresholdedRelu: return x > alpha ? x : 0.0;
    case Kind::kScaledTanh: return alpha * std::tanh(beta * x);
    case Kind::kHardSigmoid: return std::clamp(alpha * x + beta, 0.0, 1.0);
    case Kind::kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
    case Kind::kSoftsign: return x / (1.0 + std::abs(x));
    case Kind::kSoftplus: return std::log1p(std::exp(x));
  }
  return x;
}

namespace {

struct ActivationInfo {
  const char* name;
  RnnActivation::Kind kind;
  bool takes_alpha;
  double default_alpha;
  bool takes_beta;
  double default_beta;
};

constexpr ActivationInfo kActivations[] = {
    {"relu", RnnActivation::Kind::kRelu, false, 0, false, 0},
    {"tanh", RnnActivation::Kind::kTanh, false, 0, false, 0},
    {"sigmoid", RnnActivation::Kind::kSigmoid, false, 0, false, 0},
    {"affine", RnnActivation::Kind::kAffine, true, 1.0, true, 0.0},
    {"leakyrelu", RnnActivation::Kind::kLeakyRelu, true, 0.01, false, 0},
    {"thresholdedrelu", RnnActivation::Kind::kThresholdedRelu, true, 1.0, false, 0},
    {"scaledtanh", RnnActivation::Kind::kScaledTanh, true, 1.0, true, 1.0},
    {"hardsigmoid", RnnActivation::Kind::kHardSigmoid, true, 0.2, true, 0.5},
    {"elu", RnnActivation::Kind::kElu, true, 1.0, false, 0},
    {"softsign", RnnActivation::Kind::kSoftsign, false, 0, false, 0},
    {"softplus", RnnActivation::Kind::kSoftplus, false, 0, false, 0},
};

}  // namespace

Expected<std::vector<RnnActivation>> parse_rnn_activations(const std::vector<std::string>& names,
                                                           const std::vector<float>& alphas,
                                                           const std::vector<float>& betas) {
  std::vector<RnnActivation> out;
  size_t next_alpha = 0, next_beta = 0;
  for (const std::string& name : names) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const ActivationInfo* info = nullptr;
    for (const ActivationInfo& a : kActivations)
      if (lower == a.name) info = &a;
    if (info == nullptr) return invalid_argument("attribute 'activations': unknown activation function '{}'", name);
    RnnActivation f;
    f.kind = info->kind;
    f.alpha = info->default_alpha;
    f.beta = info->default_beta;
    if (info->takes_alpha && next_alpha < alphas.size()) f.alpha = alphas[next_alpha++];
    if (info->takes_beta && next_beta < betas.size()) f.beta = betas[next_beta++];
    out.push_back(f);
  }
  return out;
}

}  // namespace kiln
