#include "runtime/optimization_profile.h"

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

Expected<std::vector<int64_t>> parse_dims(const std::string& text) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  for (;;) {
    const size_t x = text.find('x', pos);
    const std::string part = text.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    if (part.empty() || part.size() > 12 || part.find_first_not_of("0123456789") != std::string::npos)
      return invalid_argument("'{}' is not a shape like 1x3x224x224", text);
    dims.push_back(std::stoll(part));
    if (x == std::string::npos) return dims;
    pos = x + 1;
  }
}

Status check_profile(const Graph& graph, const OptimizationProfile& profile, size_t index) {
  for (const auto& [name, range] : profile.inputs) {
    const Value* input = nullptr;
    for (const Value* v : graph.inputs())
      if (v->name() == name) input = v;
    if (input == nullptr) return not_found("profile {}: the network has no input '{}'", index, name);
    const Shape& shape = input->shape();
    const size_t rank = range.min.size();
    if (range.opt.size() != rank || range.max.size() != rank || (shape.rank_known() && shape.rank() != static_cast<int>(rank)))
      return invalid_argument("profile {}: input '{}' has rank {}, but its min/opt/max have ranks {}/{}/{}", index, name,
                              shape.rank(), range.min.size(), range.opt.size(), range.max.size());
    for (size_t d = 0; d < rank; ++d) {
      if (!(range.min[d] <= range.opt[d] && range.opt[d] <= range.max[d]) || range.min[d] < 0)
        return invalid_argument("profile {}: input '{}' dimension {} needs 0 <= min <= opt <= max, got {}/{}/{}", index,
                                name, d, range.min[d], range.opt[d], range.max[d]);
      const Dim& dim = shape[static_cast<int>(d)];
      if (dim.is_static() && (range.min[d] != dim.value || range.max[d] != dim.value))
        return invalid_argument("profile {}: input '{}' dimension {} is fixed at {} but the profile gives {}..{}", index,
                                name, d, dim.value, range.min[d], range.max[d]);
    }
  }
  for (const Value* v : graph.inputs()) {
    if (v->shape().is_static() || profile.inputs.count(v->name())) continue;
    return invalid_argument("profile {}: input '{}' has dynamic shape {} but no range", index, v->name(),
                            v->shape().to_string());
  }
  return Status::Ok();
}

Status check_shape_in_profile(const OptimizationProfile& profile, size_t index, const std::string& name,
                              const std::vector<int64_t>& dims) {
  auto it = profile.inputs.find(name);
  if (it == profile.inputs.end()) return Status::Ok();
  const ShapeRange& r = it->second;
  if (dims.size() != r.min.size())
    return invalid_argument("input '{}' has rank {}, profile {} expects {}", name, dims.size(), index, r.min.size());
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] < r.min[d] || dims[d] > r.max[d])
      return out_of_range("input '{}' has shape {}: dimension {} is {}, outside profile {}'s range [{}, {}]", name,
                          dims_to_string(dims), d, dims[d], index, r.min[d], r.max[d]);
  return Status::Ok();
}

namespace {

// "a,b,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    if (comma > pos) items.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return items;
}

}  // namespace

Expected<std::map<std::string, std::vector<int64_t>>> parse_shape_list(const std::string& text) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string& item : split_commas(text)) {
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0) return invalid_argument("'{}' is not NAME=DIMS", item);
    KILN_ASSIGN_OR_RETURN(out[item.substr(0, eq)], parse_dims(item.substr(eq + 1)));
  }
  return out;
}

Expected<std::vector<OptimizationProfile>> profiles_from_flags(const std::string& min, const std::string& opt,
                                                               const std::string& max,
                                                               const std::vector<std::string>& profiles) {
  std::vector<OptimizationProfile> out;
  if (!min.empty() || !opt.empty() || !max.empty()) {
    if (min.empty() || max.empty()) return invalid_argument("--min-shapes and --max-shapes go together");
    KILN_ASSIGN_OR_RETURN(auto mins, parse_shape_list(min));
    KILN_ASSIGN_OR_RETURN(auto maxs, parse_shape_list(max));
    KILN_ASSIGN_OR_RETURN(auto opts, parse_shape_list(opt.empty() ? max : opt));
    OptimizationProfile p;
    for (const auto& [name, dims] : mins) {
      if (!maxs.count(name)) return invalid_argument("input '{}' has --min-shapes but no --max-shapes", name);
      p.inputs[name] = {dims, opts.count(name) ? opts[name] : maxs[name], maxs[name]};
    }
    for (const auto& [name, dims] : maxs)
      if (!mins.count(name)) return invalid_argument("input '{}' has --max-shapes but no --min-shapes", name);
    out.push_back(std::move(p));
  }
  for (const std::string& text : profiles) {
    OptimizationProfile p;
    for (const std::string& item : split_commas(text)) {
      const size_t eq = item.rfind('=');
      const size_t c1 = item.find(':', eq == std::string::npos ? 0 : eq);
      const size_t c2 = c1 == std::string::npos ? c1 : item.find(':', c1 + 1);
      if (eq == std::string::npos || c1 == std::string::npos || c2 == std::string::npos)
        return invalid_argument("--profile expects NAME=MIN:OPT:MAX[,NAME=...], got '{}'", item);
      ShapeRange r;
      KILN_ASSIGN_OR_RETURN(r.min, parse_dims(item.substr(eq + 1, c1 - eq - 1)));
      KILN_ASSIGN_OR_RETURN(r.opt, parse_dims(item.substr(c1 + 1, c2 - c1 - 1)));
      KILN_ASSIGN_OR_RETURN(r.max, parse_dims(item.substr(c2 + 1)));
      p.inputs[item.substr(0, eq)] = std::move(r);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace kiln
