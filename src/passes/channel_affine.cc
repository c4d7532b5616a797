#include "passes/channel_affine.h"

#include <functional>

#include "backends/reference/store_doubles.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

bool is_constant_float(const Value* v) { return v && v->is_constant() && is_floating(v->dtype()); }

// For Gemm: C as one value per column (absent: zeros), already multiplied by beta.
std::optional<std::vector<double>> gemm_bias(const Node& gemm, int64_t columns) {
  const Value* c = gemm.input(2);
  if (c == nullptr) return std::vector<double>(static_cast<size_t>(columns), 0.0);
  if (!is_constant_float(c)) return std::nullopt;
  // C broadcasts against the [M, N] output.
  auto values = per_channel_values(c->constant(), 2, columns);
  if (!values) return std::nullopt;
  const double beta = gemm.attr_float("beta", 1.f);
  for (double& v : *values) v *= beta;
  return values;
}

}  // namespace

std::optional<std::vector<double>> per_channel_values(const Tensor& c, int rank, int64_t channels) {
  if (c.rank() > rank) return std::nullopt;
  // Right-aligned against the output, the constant's channel dim is at this index (or absent).
  const int channel_dim = c.rank() - (rank - kChannelAxis);
  for (int i = 0; i < c.rank(); ++i)
    if (c.dim(i) != 1 && !(i == channel_dim && c.dim(i) == channels)) return std::nullopt;
  auto values = tensor_to_doubles(c);
  if (!values.ok()) return std::nullopt;
  if (static_cast<int64_t>(values->size()) == channels) return *values;
  return std::vector<double>(static_cast<size_t>(channels), (*values)[0]);
}

std::optional<int64_t> foldable_output_channels(const Node& layer) {
  if (!layer.domain().empty() || layer.outputs().size() != 1) return std::nullopt;
  const std::string& op = layer.op_type();
  if (op != "Conv" && op != "ConvTranspose" && op != "Gemm") return std::nullopt;
  const Value* w = layer.input(1);
  const Value* y = layer.output(0);
  if (!is_constant_float(w) || y == nullptr || !y->shape().is_static() || y->shape().rank() < 2) return std::nullopt;
  const int64_t channels = y->shape()[kChannelAxis].value;
  if (op == "Gemm") return gemm_bias(layer, channels) ? std::optional(channels) : std::nullopt;
  const Value* b = layer.input(2);
  if (b != nullptr && !is_constant_float(b)) return std::nullopt;
  return channels;
}

Expected<Node*> fold_channel_affine(Graph& graph, const Node& layer, const std::vector<const Node*>& folded,
                                    const ChannelAffine& affine, Value* output) {
  const Tensor& w = layer.input(1)->constant();
  const int64_t channels = static_cast<int64_t>(affine.scale.size());
  KILN_ASSIGN_OR_RETURN(std::vector<double> weights, tensor_to_doubles(w));
  // The output channel each weight contributes to.
  std::function<int64_t(int64_t)> channel_of;
  const std::string& op = layer.op_type();
  std::map<std::string, Attribute> attrs = layer.attrs();
  std::vector<double> bias;
  if (op == "Conv") {
    const int64_t per_channel = w.numel() / channels;
    channel_of = [=](int64_t i) { return i / per_channel; };
  } else if (op == "ConvTranspose") {
    // W is [C, M/group, k...]; input channel c's group is c / (C/group).
    const int64_t group = layer.attr_int("group", 1), kernel = w.numel() / (w.dim(0) * w.dim(1));
    const int64_t per_group_in = w.dim(0) / group, per_group_out = w.dim(1);
    channel_of = [=](int64_t i) {
      const int64_t c = i / (per_group_out * kernel), j = (i / kernel) % per_group_out;
      return (c / per_group_in) * per_group_out + j;
    };
  } else {  // Gemm: output column n; B is [K, N], or [N, K] with transB
    const bool trans_b = layer.attr_int("transB") != 0;
    const int64_t cols = w.dim(1);
    channel_of = [=](int64_t i) { return trans_b ? i / cols : i % cols; };
    bias = *gemm_bias(layer, channels);
    attrs["beta"] = Attribute::of_float(1.f);
  }
  if (bias.empty()) {
    bias.assign(static_cast<size_t>(channels), 0.0);
    if (const Value* b = layer.input(2)) {
      KILN_ASSIGN_OR_RETURN(bias, tensor_to_doubles(b->constant()));
    }
  }
  for (size_t i = 0; i < weights.size(); ++i) weights[i] *= affine.scale[static_cast<size_t>(channel_of(static_cast<int64_t>(i)))];
  for (size_t c = 0; c < bias.size(); ++c) bias[c] = bias[c] * affine.scale[c] + affine.shift[c];
  Tensor new_w(w.dtype(), w.dims()), new_b(w.dtype(), {channels});
  KILN_RETURN_IF_ERROR(store_doubles(weights, new_w));
  KILN_RETURN_IF_ERROR(store_doubles(bias, new_b));
  std::vector<const Node*> replaced{&layer};
  replaced.insert(replaced.end(), folded.begin(), folded.end());
  const std::string name = fused_name(replaced);
  std::vector<Value*> inputs{layer.input(0), add_constant(graph, name + ".weight", new_w),
                             add_constant(graph, name + ".bias", new_b)};
  KILN_ASSIGN_OR_RETURN(Node* node, add_replacement(graph, replaced, op, layer.domain(), layer.opset(), inputs,
                                                    {output}, std::move(attrs)));
  graph.erase_nodes(replaced);
  return node;
}

}  // namespace kiln
