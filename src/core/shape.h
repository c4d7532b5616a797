// Shapes as the IR sees them: each dimension is a known size, a named symbol (a dynamic batch
// "N"), or unknown; the rank itself may be unknown before shape inference reaches a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct Dim {
  int64_t value = -1;  // >= 0 when known
  std::string symbol;  // set for named dynamic dims

  Dim() = default;
  Dim(int64_t v) : value(v) {}  // NOLINT(google-explicit-constructor)
  static Dim symbolic(std::string name) {
    Dim d;
    d.symbol = std::move(name);
    return d;
  }
  bool is_static() const { return value >= 0; }
  bool operator==(const Dim& o) const { return value == o.value && symbol == o.symbol; }
};

class Shape {
 public:
  Shape() : rank_known_(false) {}  // unknown rank
  Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}  // NOLINT(google-explicit-constructor)
  static Shape from_dims(const std::vector<int64_t>& dims);
  static Shape unknown() { return Shape(); }
  // Known rank, every dim unknown.
  static Shape unknown_dims(int rank) { return Shape(std::vector<Dim>(static_cast<size_t>(rank))); }

  bool rank_known() const { return rank_known_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  const std::vector<Dim>& dims() const { return dims_; }
  const Dim& operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  Dim& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  bool is_static() const;
  // Static dims; nullopt unless is_static().
  std::optional<std::vector<int64_t>> static_dims() const;
  bool operator==(const Shape& o) const {
    return rank_known_ == o.rank_known_ && dims_ == o.dims_;
  }
  // "[N, 3, 224, 224]", "[?, 10]", "?"
  std::string to_string() const;

 private:
  std::vector<Dim> dims_;
  bool rank_known_ = true;
};

}  // namespace kiln
