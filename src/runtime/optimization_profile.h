// Optimization profiles: checked against the network at build time, and against bound input
// shapes at run time.
#pragma once

#include "ir/graph.h"
#include "kiln/kiln.h"

namespace kiln {

// Every range names a graph input, has its rank, min <= opt <= max per dim, and varies only
// dynamic dims; every dynamic input of the graph has a range. Errors name profile and input.
Status check_profile(const Graph& graph, const OptimizationProfile& profile, size_t index);

// Whether `dims` of input `name` lie in the profile's range (inputs with no range pass).
Status check_shape_in_profile(const OptimizationProfile& profile, size_t index, const std::string& name,
                              const std::vector<int64_t>& dims);

// "1x3x224x224" -> {1, 3, 224, 224}
Expected<std::vector<int64_t>> parse_dims(const std::string& text);

// Parses "image=1x3x224x224,mask=1x1x224x224" into name -> dims (trtexec's --minShapes style).
Expected<std::map<std::string, std::vector<int64_t>>> parse_shape_list(const std::string& text);

// Profiles from --min-shapes/--opt-shapes/--max-shapes (one profile) and repeated
// --profile "name=MIN:OPT:MAX,name2=MIN:OPT:MAX" (one profile each).
Expected<std::vector<OptimizationProfile>> profiles_from_flags(const std::string& min, const std::string& opt,
                                                               const std::string& max,
                                                               const std::vector<std::string>& profiles);

}  // namespace kiln
