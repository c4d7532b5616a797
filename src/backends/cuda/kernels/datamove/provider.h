// The shape shared by the data-movement providers: each runs a few domain-"" ONNX ops on plain
// (not channels-last) tensors, checks the layer in check(), names its tactics, and makes the kernel
// of the tactic the builder picked (tactic ids are positions in tactic_names()).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::datamove {

class DataMovementProvider : public TacticProvider {
 public:
  DataMovementProvider(std::string_view name, std::vector<std::string_view> op_types)
      : name_(name), op_types_(std::move(op_types)) {}
  std::string_view name() const override { return name_; }
  Status supports(const LayerSpec& spec) const final;
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const final;
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const final;

 protected:
  // The op's own checks, after the common ones (op type, layout, output element sizes).
  virtual Status check(const LayerSpec& spec) const = 0;
  virtual std::vector<std::string> tactic_names(const LayerSpec& spec) const = 0;
  virtual Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t tactic) const = 0;

 private:
  std::string name_;
  std::vector<std::string_view> op_types_;
};

// The providers, one per file.
const TacticProvider* transpose_provider();
const TacticProvider* space_depth_provider();
const TacticProvider* concat_provider();
const TacticProvider* split_provider();
const TacticProvider* slice_provider();
const TacticProvider* pad_provider();
const TacticProvider* expand_provider();
const TacticProvider* tile_provider();
const TacticProvider* trilu_provider();
const TacticProvider* gather_provider();
const TacticProvider* gather_elements_provider();
const TacticProvider* gather_nd_provider();
const TacticProvider* scatter_elements_provider();
const TacticProvider* scatter_nd_provider();
const TacticProvider* device_copy_provider();
const TacticProvider* generator_provider();
const TacticProvider* resize_provider();

}  // namespace kiln::cuda::datamove
