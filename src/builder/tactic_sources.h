// --tactic-sources: which tactic providers a CUDA build may time, as TensorRT's --tacticSources
// lets a user rule out cuDNN or cuBLAS. Rules are "-prefix" (providers whose name starts with it
// are not used) and "+prefix" (they are used again); the last rule matching a provider wins and
// every provider is used by default. "-cudnn,+cudnn_s2d" keeps only the space-to-depth cuDNN
// convolution, "-cublaslt" leaves GEMMs to Kiln's own kernels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln {

class TacticSources {
 public:
  // From rules such as {"-cudnn", "+cudnn_s2d"}; an entry without its sign or prefix is an error.
  static Expected<TacticSources> parse(const std::vector<std::string>& rules);

  bool allows(std::string_view provider) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    bool use;
    std::string prefix;
  };
  std::vector<Rule> rules_;
};

}  // namespace kiln
