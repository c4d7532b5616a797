// Concat and Split: every tensor seen as [outer, axis * inner]; each input (Concat) or output
// (Split) is one block of rows moved between differently pitched tensors. Split's sizes are the
// outputs' dims, so a non-constant 'split' input needs no reading.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::datamove {

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// The pieces: Concat's inputs or Split's outputs, all of the joined tensor's rank.
std::vector<std::vector<int64_t>> pieces(const LayerSpec& spec, bool concat) {
  std::vector<std::vector<int64_t>> dims;
  if (concat)
    for (const auto& in : spec.inputs) dims.push_back(in ? in->dims : std::vector<int64_t>{});
  else
    for (const TensorDesc& out : spec.outputs) dims.push_back(out.dims);
  return dims;
}

class ConcatSplitProvider final : public DataMovementProvider {
 public:
  explicit ConcatSplitProvider(bool concat)
      : DataMovementProvider(concat ? "kiln_concat" : "kiln_split", {concat ? "Concat" : "Split"}), concat_(concat) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    const std::vector<int64_t>& whole = concat_ ? spec.outputs[0].dims : spec.inputs[0]->dims;
    KILN_RETURN_IF_ERROR(axis(spec).status());
    for (const auto& p : pieces(spec, concat_))
      if (p.size() != whole.size())
        return unsupported("{} pieces must all be present with rank {}", spec.op->op_type(), whole.size());
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    return {fmt::format("kiln_{}_axis{}", concat_ ? "concat" : "split", *axis(spec))};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(int a, axis(spec));
    const auto ax = static_cast<size_t>(a);
    const std::vector<int64_t>& whole = concat_ ? spec.outputs[0].dims : spec.inputs[0]->dims;
    const int64_t inner = product(whole, ax + 1, whole.size());
    const int64_t whole_row = whole[ax] * inner;
    std::vector<PartPlan> parts;
    int64_t at = 0;  // elements into each row of the whole tensor
    const std::vector<std::vector<int64_t>> dims = pieces(spec, concat_);
    for (size_t i = 0; i < dims.size(); ++i) {
      const int64_t row = dims[i][ax] * inner;
      if (row > 0) {
        PartPlan p;
        p.cols = row;
        if (concat_) {
          p.src = static_cast<int>(i);
          p.src_pitch = row;
          p.dst_offset = at;
          p.dst_pitch = whole_row;
        } else {
          p.dst = static_cast<int>(i);
          p.src_offset = at;
          p.src_pitch = whole_row;
          p.dst_pitch = row;
        }
        parts.push_back(p);
      }
      at += row;
    }
    return make_kernel<PitchedPartsKernel>(std::move(parts), product(whole, 0, ax),
                                                static_cast<int>(data_type_size(spec.outputs[0].dtype)));
  }

 private:
  Expected<int> axis(const LayerSpec& spec) const {
    const size_t rank = (concat_ ? spec.outputs[0].dims : spec.inputs[0]->dims).size();
    return normalize_axis(spec.op->attr_int("axis"), static_cast<int>(rank));
  }

  bool concat_;
};

}  // namespace

const TacticProvider* concat_provider() {
  static const ConcatSplitProvider provider(true);
  return &provider;
}

const TacticProvider* split_provider() {
  static const ConcatSplitProvider provider(false);
  return &provider;
}

}  // namespace kiln::cuda::datamove
