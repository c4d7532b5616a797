// ScatterElements (and its deprecated name Scatter), ScatterND and GatherND with int32 or int64
// indices read on the device. Negative indices count from the end. A kernel cannot report an
// index out of range: the scatters skip such an update (writing nothing), GatherND clamps it
// (index_math.h), so neither ever touches memory out of bounds.
#include <algorithm>
#include <string>

#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "backends/cuda/kernels/datamove/scatter.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::datamove {

namespace {

// Output 0 = a copy of data (input 0), then the updates (input 2) scattered into it as the map
// (reading the indices, input 1) and the reduction say.
template <class Map>
class ScatterKernel final : public LayerKernel {
 public:
  ScatterKernel(Map map, int64_t count, int64_t dst_count, int elem_bytes, ScatterReduction reduction, ReducedType type)
      : map_(map), count_(count), dst_count_(dst_count), elem_bytes_(elem_bytes), reduction_(reduction), type_(type) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    const auto bytes = static_cast<size_t>(dst_count_) * static_cast<size_t>(elem_bytes_);
    if (bytes > 0 && outputs[0] != inputs[0])
      KILN_CUDA_CHECK(cudaMemcpyAsync(outputs[0], inputs[0], bytes, cudaMemcpyDeviceToDevice, env.stream));
    Map map = map_;
    map.indices = static_cast<decltype(map.indices)>(inputs[1]);
    KILN_CUDA_CHECK(launch_scatter(map, inputs[2], count_, outputs[0], dst_count_, elem_bytes_, reduction_, type_, env.stream));
    return Status::Ok();
  }

 private:
  Map map_;
  int64_t count_, dst_count_;
  int elem_bytes_;
  ScatterReduction reduction_;
  ReducedType type_;
};

Status check_index_type(const LayerSpec& spec) {
  if (!spec.has_input(1)) return unsupported("{} needs its indices", spec.op->op_type());
  const DataType t = spec.inputs[1]->dtype;
  if (t != DataType::kInt32 && t != DataType::kInt64)
    return unsupported("{} indices of type {}; int32 and int64 are supported", spec.op->op_type(), data_type_name(t));
  return Status::Ok();
}

// The scatters' own checks: updates present and typed like data, and a reduction the kernel has.
Status check_updates(const LayerSpec& spec) {
  if (!spec.has_input(2)) return unsupported("{} needs its updates", spec.op->op_type());
  if (spec.inputs[2]->dtype != spec.inputs[0]->dtype || spec.outputs[0].dtype != spec.inputs[0]->dtype)
    return invalid_argument("{} data, updates and output differ in type", spec.op->op_type());
  return Status::Ok();
}

Expected<ScatterReduction> reduction_of(const Node& op) {
  const std::string r = op.attr_string("reduction", "none");  // Scatter has none
  if (r == "none") return ScatterReduction::kNone;
  if (r == "add") return ScatterReduction::kAdd;
  if (r == "mul") return ScatterReduction::kMul;
  if (r == "max") return ScatterReduction::kMax;
  if (r == "min") return ScatterReduction::kMin;
  return invalid_argument("{} reduction '{}'", op.op_type(), r);
}

// The type a reduction combines in. 16-bit floats, 8/16-bit and unsigned integers and bool have
// no reduction kernel (the atomics work on 4- and 8-byte words of the types below).
Expected<ReducedType> reduced_type(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(ScatterReduction r, reduction_of(*spec.op));
  const DataType t = spec.inputs[0]->dtype;
  switch (t) {
    case DataType::kFloat32: return ReducedType::kFloat32;
    case DataType::kFloat64: return ReducedType::kFloat64;
    case DataType::kInt32: return ReducedType::kInt32;
    case DataType::kInt64: return ReducedType::kInt64;
    default:
      if (r == ScatterReduction::kNone) return ReducedType::kFloat32;  // unused by a plain store
      return unsupported("{} with reduction '{}' on {}: the CUDA kernel reduces float32, float64, int32 and int64 only",
                         spec.op->op_type(), spec.op->attr_string("reduction", "none"), data_type_name(t));
  }
}

// GatherND's and ScatterND's tuples: the last dim of `indices` is the tuple depth.
Expected<IndexTuples> index_tuples(const std::vector<int64_t>& data, const std::vector<int64_t>& indices,
                                   int batch_dims) {
  const auto r = static_cast<int64_t>(data.size());
  if (indices.empty() || data.empty()) return invalid_argument("data and indices need rank >= 1");
  if (batch_dims < 0 || batch_dims >= static_cast<int>(std::min(data.size(), indices.size())))
    return invalid_argument("batch_dims {} out of range", batch_dims);
  const int64_t depth = indices.back();
  if (depth < 1 || depth > r - batch_dims)
    return invalid_argument("index tuples of depth {} into rank-{} data with batch_dims {}", depth, r, batch_dims);
  if (depth > kMaxDims) return unsupported("index tuples of depth {}; the CUDA kernel handles <= {}", depth, kMaxDims);
  const auto b = static_cast<size_t>(batch_dims);
  for (size_t d = 0; d < b; ++d)
    if (data[d] != indices[d]) return invalid_argument("batch dim {} of data ({}) and indices ({}) differ", d, data[d], indices[d]);
  std::vector<int64_t> strides(data.size(), 1);
  for (size_t k = data.size(); k-- > 1;) strides[k - 1] = strides[k] * data[k];
  IndexTuples t;
  t.depth = static_cast<int>(depth);
  for (size_t j = 0; j < static_cast<size_t>(depth); ++j) {
    t.bounds[j] = data[b + j];
    t.strides[j] = strides[b + j];
  }
  t.slice = element_count(std::vector<int64_t>(data.begin() + static_cast<int64_t>(b) + depth, data.end()));
  const int64_t tuples = element_count(indices) / depth;
  const int64_t batches = element_count(std::vector<int64_t>(indices.begin(), indices.begin() + batch_dims));
  t.tuples_per_batch = std::max<int64_t>(batches > 0 ? tuples / batches : 1, 1);
  t.batch_stride = b > 0 ? strides[b - 1] : 0;
  return t;
}

template <class Map>
Expected<std::unique_ptr<LayerKernel>> make_scatter(const LayerSpec& spec, Map map) {
  KILN_ASSIGN_OR_RETURN(ScatterReduction reduction, reduction_of(*spec.op));
  KILN_ASSIGN_OR_RETURN(ReducedType type, reduced_type(spec));
  return make_kernel<ScatterKernel<Map>>(map, spec.inputs[2]->numel(), spec.inputs[0]->numel(),
                                         static_cast<int>(data_type_size(spec.inputs[0]->dtype)), reduction, type);
}

class ScatterElementsProvider final : public DataMovementProvider {
 public:
  ScatterElementsProvider() : DataMovementProvider("kiln_scatter_elements", {"ScatterElements", "Scatter"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    KILN_RETURN_IF_ERROR(check_index_type(spec));
    KILN_RETURN_IF_ERROR(check_updates(spec));
    KILN_RETURN_IF_ERROR(reduced_type(spec).status());
    const std::vector<int64_t>& data = spec.inputs[0]->dims;
    const std::vector<int64_t>& indices = spec.inputs[1]->dims;
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(spec.op->attr_int("axis"), static_cast<int>(data.size())));
    if (indices.size() != data.size())
      return invalid_argument("{} indices have rank {}, data {}", spec.op->op_type(), indices.size(), data.size());
    if (spec.inputs[2]->dims != indices)
      return invalid_argument("{} updates {} differ from indices {}", spec.op->op_type(), dims_to_string(spec.inputs[2]->dims),
                              dims_to_string(indices));
    for (size_t k = 0; k < data.size(); ++k)
      if (static_cast<int>(k) != axis && indices[k] > data[k])
        return invalid_argument("{} indices {} exceed data {} off the axis", spec.op->op_type(), dims_to_string(indices),
                                dims_to_string(data));
    if (data.size() > static_cast<size_t>(kMaxDims))
      return unsupported("{} of rank {}; the CUDA kernel handles rank <= {}", spec.op->op_type(), data.size(), kMaxDims);
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    const auto axis = *normalize_axis(spec.op->attr_int("axis"), static_cast<int>(spec.inputs[0]->dims.size()));
    return {fmt::format("{}_axis{}_{}", name(), axis, spec.op->attr_string("reduction", "none"))};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    const std::vector<int64_t>& data = spec.inputs[0]->dims;
    const auto axis = static_cast<size_t>(*normalize_axis(spec.op->attr_int("axis"), static_cast<int>(data.size())));
    std::vector<int64_t> strides(data.size(), 1);
    for (size_t k = data.size(); k-- > 1;) strides[k - 1] = strides[k] * data[k];
    return with_index_type<ScatterElementsMap>(spec, [&](auto map) -> Expected<std::unique_ptr<LayerKernel>> {
      std::vector<int64_t> view_strides = strides;
      view_strides[axis] = 0;
      KILN_ASSIGN_OR_RETURN(map.view, exact_view(spec.inputs[1]->dims, view_strides));
      map.bound = data[axis];
      map.axis_stride = strides[axis];
      return make_scatter(spec, map);
    });
  }
};

class ScatterNDProvider final : public DataMovementProvider {
 public:
  ScatterNDProvider() : DataMovementProvider("kiln_scatter_nd", {"ScatterND"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    KILN_RETURN_IF_ERROR(check_index_type(spec));
    KILN_RETURN_IF_ERROR(check_updates(spec));
    KILN_RETURN_IF_ERROR(reduced_type(spec).status());
    const std::vector<int64_t>& data = spec.inputs[0]->dims;
    const std::vector<int64_t>& indices = spec.inputs[1]->dims;
    KILN_ASSIGN_OR_RETURN(IndexTuples t, index_tuples(data, indices, 0));
    std::vector<int64_t> updates(indices.begin(), indices.end() - 1);
    updates.insert(updates.end(), data.begin() + t.depth, data.end());
    if (spec.inputs[2]->dims != updates)
      return invalid_argument("ScatterND updates {}, expected {}", dims_to_string(spec.inputs[2]->dims), dims_to_string(updates));
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    return {fmt::format("{}_{}", name(), spec.op->attr_string("reduction", "none"))};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(IndexTuples t, index_tuples(spec.inputs[0]->dims, spec.inputs[1]->dims, 0));
    return with_index_type<ScatterNDMap>(spec, [&](auto map) -> Expected<std::unique_ptr<LayerKernel>> {
      map.tuples = t;
      return make_scatter(spec, map);
    });
  }
};

class GatherNDProvider final : public DataMovementProvider {
 public:
  GatherNDProvider() : DataMovementProvider("kiln_gather_nd", {"GatherND"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    KILN_RETURN_IF_ERROR(check_index_type(spec));
    KILN_ASSIGN_OR_RETURN(IndexTuples t, tuples(spec));
    // Clamping needs a non-empty axis to clamp into.
    for (int j = 0; j < t.depth; ++j)
      if (t.bounds[j] == 0 && spec.outputs[0].numel() > 0) return invalid_argument("GatherND indexes an empty dim");
    return Status::Ok();
  }

  std::vector<std::string> tactic_names(const LayerSpec&) const override { return {std::string(name())}; }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(IndexTuples t, tuples(spec));
    const int elem = static_cast<int>(data_type_size(spec.outputs[0].dtype));
    return with_index_type<GatherNDMap>(spec, [&](auto map) -> Expected<std::unique_ptr<LayerKernel>> {
      map.tuples = t;
      return make_kernel<MapCopyKernel<decltype(map)>>(map, elem, spec.outputs[0].numel(), spec.inputs[0]->numel());
    });
  }

 private:
  static Expected<IndexTuples> tuples(const LayerSpec& spec) {
    return index_tuples(spec.inputs[0]->dims, spec.inputs[1]->dims, static_cast<int>(spec.op->attr_int("batch_dims")));
  }
};

}  // namespace

const TacticProvider* scatter_elements_provider() {
  static const ScatterElementsProvider provider;
  return &provider;
}

const TacticProvider* scatter_nd_provider() {
  static const ScatterNDProvider provider;
  return &provider;
}

const TacticProvider* gather_nd_provider() {
  static const GatherNDProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
