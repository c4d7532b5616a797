#include "core/shape.h"

namespace kiln {

Shape Shape::from_dims(const std::vector<int64_t>& dims) {
  std::vector<Dim> d(dims.begin(), dims.end());
  return Shape(std::move(d));
}

bool Shape::is_static() const {
  if (!rank_known_) return false;
  for (const Dim& d : dims_)
    if (!d.is_static()) return false;
  return true;
}

std::optional<std::vector<int64_t>> Shape::static_dims() const {
  if (!is_static()) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(dims_.size());
  for (const Dim& d : dims_) out.push_back(d.value);
  return out;
}

std::string Shape::to_string() const {
  if (!rank_known_) return "?";
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    if (dims_[i].is_static()) s += std::to_string(dims_[i].value);
    else if (!dims_[i].symbol.empty()) s += dims_[i].symbol;
    else s += "?";
  }
  return s + "]";
}

}  // namespace kiln
