#include "quantization/accuracy_metric.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace kiln {

namespace {

// A whole-string number (strtod, so "1e-3" works), or nothing.
bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value);
}

}  // namespace

Status OutputDrop::add(const Tensor& reference, const Tensor& quantized) {
  if (reference.dtype() != DataType::kFloat32 || quantized.dtype() != DataType::kFloat32 ||
      reference.dims() != quantized.dims())
    return internal_error("accuracy metric: outputs {} {} and {} {} differ", data_type_name(reference.dtype()),
                          dims_to_string(reference.dims()), data_type_name(quantized.dtype()),
                          dims_to_string(quantized.dims()));
  const float* r = reference.data<float>();
  const float* q = quantized.data<float>();
  const int64_t n = reference.numel();
  switch (metric_) {
    case AccuracyMetric::kTop1: {
      const int64_t classes = reference.dims().empty() ? 1 : reference.dims().back();
      if (classes <= 0) return Status::Ok();
      for (int64_t row = 0; row < n / classes; ++row) {
        const float* rr = r + row * classes;
        const float* qr = q + row * classes;
        int64_t ra = 0, qa = 0;  // the first maximum, as std::max_element
        for (int64_t i = 1; i < classes; ++i) {
          if (rr[i] > rr[ra]) ra = i;
          if (qr[i] > qr[qa]) qa = i;
        }
        a_ += ra != qa;
        b_ += 1;
      }
      break;
    }
    case AccuracyMetric::kMask:
      for (int64_t i = 0; i < n; ++i) {
        const bool rp = r[i] > threshold_, qp = q[i] > threshold_;
        a_ += rp && qp;
        b_ += qp;
        c_ += rp;
      }
      break;
    case AccuracyMetric::kRelL2:
      for (int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(q[i]) - r[i];
        a_ += d * d;
        b_ += static_cast<double>(r[i]) * r[i];
      }
      break;
  }
  return Status::Ok();
}

double OutputDrop::drop() const {
  switch (metric_) {
    case AccuracyMetric::kTop1: return b_ > 0 ? a_ / b_ : 0.0;
    // F = 2PR/(P+R) = 2TP/(predicted + reference positives).
    case AccuracyMetric::kMask: return b_ + c_ > 0 ? 1.0 - 2.0 * a_ / (b_ + c_) : 0.0;
    case AccuracyMetric::kRelL2:
      if (b_ > 0) return std::sqrt(a_ / b_);
      return a_ > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
  return 0.0;
}

Status parse_accuracy_metric(const std::string& text, AccuracyBudgetConfig& config) {
  if (text == "top1") {
    config.metric = AccuracyMetric::kTop1;
    return Status::Ok();
  }
  if (text == "rel-l2") {
    config.metric = AccuracyMetric::kRelL2;
    return Status::Ok();
  }
  double threshold = 0;
  if (text.rfind("mask:", 0) == 0 && parse_number(text.substr(5), threshold)) {
    config.metric = AccuracyMetric::kMask;
    config.mask_threshold = static_cast<float>(threshold);
    return Status::Ok();
  }
  return invalid_argument("unknown accuracy metric '{}': top1, mask:T (T a threshold, e.g. mask:0.3) or rel-l2", text);
}

std::string accuracy_metric_name(const AccuracyBudgetConfig& config) {
  switch (config.metric) {
    case AccuracyMetric::kTop1: return "top1";
    case AccuracyMetric::kMask: return fmt::format("mask:{}", config.mask_threshold);
    case AccuracyMetric::kRelL2: return "rel-l2";
  }
  return "?";
}

Expected<double> parse_accuracy_budget(const std::string& text) {
  const bool percent = !text.empty() && text.back() == '%';
  double value = 0;
  if (!parse_number(percent ? text.substr(0, text.size() - 1) : text, value) || value < 0)
    return invalid_argument("the accuracy budget must be a fraction (0.005) or a percentage (0.5%), not negative; got '{}'",
                            text);
  return percent ? value / 100.0 : value;
}

}  // namespace kiln
