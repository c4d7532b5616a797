#include "backends/cuda/kernels/elementwise/pointwise_codegen.h"

#include <fmt/ranges.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "backends/cuda/kernels/elementwise/device_params.h"
#include "backends/cuda/kernels/elementwise/device_source.h"
#include "backends/cuda/kernels/elementwise/op_attrs.h"
#include "core/error.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::elementwise {

namespace {

// Body ops by how their functor is called; all of them compute in the body's floating type.
bool is_unary(const std::string& op) {
  static const std::unordered_set<std::string> kOps = {
      "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cos", "Cosh", "Sin", "Sinh", "Tan", "Tanh", "Ceil",
      "Floor", "Round", "Exp", "Log", "Reciprocal", "Sqrt", "Abs", "Neg", "Sign", "Erf", "Relu", "Shrink",
      "Sigmoid", "Softplus", "Softsign", "HardSwish", "Mish", "Elu", "Celu", "Selu", "LeakyRelu",
      "ThresholdedRelu", "HardSigmoid", "Gelu"};
  return kOps.count(op) != 0;
}
bool is_binary(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Mod" || op == "PRelu";
}
bool is_variadic(const std::string& op) { return op == "Max" || op == "Min" || op == "Sum" || op == "Mean"; }

Expected<std::string> storage_type(DataType type) {
  switch (type) {
    case DataType::kFloat32: return std::string("float");
    case DataType::kFloat64: return std::string("double");
    case DataType::kFloat16: return std::string("kiln_device::half_t");
    case DataType::kBFloat16: return std::string("kiln_device::bf16_t");
    default: return unsupported("Pointwise on {} (floating types only)", data_type_name(type));
  }
}

// Bit-exact literals of the compute type.
std::string literal(double value, bool is_double) {
  if (is_double) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return fmt::format("__longlong_as_double({:#018x}LL)", bits);
  }
  const float f = static_cast<float>(value);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return fmt::format("__int_as_float({:#010x})", bits);
}

std::string attrs_literal(const kiln_device::OpAttrs& a) {
  return fmt::format("kiln_device::OpAttrs{{{}, {}, {}, {}}}", literal(a.alpha, false), literal(a.beta, false),
                     literal(a.gamma, false), a.flags);
}

}  // namespace

Expected<std::string> generate_pointwise_source(const Graph& body, const std::vector<DataType>& input_types,
                                                DataType output_type) {
  if (body.inputs().size() != input_types.size())
    return invalid_argument("Pointwise body has {} inputs, the layer {}", body.inputs().size(), input_types.size());
  if (body.inputs().empty() || body.inputs().size() > static_cast<size_t>(kiln_device::kMaxInputs))
    return unsupported("Pointwise with {} inputs (1 to {})", body.inputs().size(), kiln_device::kMaxInputs);
  if (body.outputs().size() != 1) return unsupported("Pointwise with {} outputs", body.outputs().size());
  // float computes float, float16 and bfloat16; float64 only mixes with itself.
  const bool is_double = output_type == DataType::kFloat64;
  for (DataType t : input_types)
    if ((t == DataType::kFloat64) != is_double) return unsupported("Pointwise mixing float64 with other types");
  const std::string ct = is_double ? "double" : "float";
  KILN_ASSIGN_OR_RETURN(const std::string out_type, storage_type(output_type));

  std::string code;
  std::unordered_map<const Value*, std::string> names;
  std::vector<std::string> parameters, storage_types{out_type};
  for (size_t k = 0; k < input_types.size(); ++k) {
    KILN_ASSIGN_OR_RETURN(std::string in_type, storage_type(input_types[k]));
    storage_types.push_back(std::move(in_type));
    names[body.inputs()[k]] = fmt::format("x{}", k);
    parameters.push_back(fmt::format("{} x{}", ct, k));
  }
  // The expression of a node input: a formal input, an earlier node's output, or a constant.
  auto operand = [&](const Value* v) -> Expected<std::string> {
    if (v == nullptr) return ct + "(0)";
    if (auto it = names.find(v); it != names.end()) return it->second;
    if (!v->is_constant()) return invalid_argument("Pointwise body value '{}' is used before it is computed", v->name());
    if (v->constant().numel() != 1)
      return unsupported("Pointwise body constant '{}' has {} elements", v->name(), v->constant().numel());
    KILN_ASSIGN_OR_RETURN(auto values, tensor_to_doubles(v->constant()));
    const std::string name = fmt::format("c{}", names.size());
    code += fmt::format("    const {} {} = {};\n", ct, name, literal(values[0], is_double));
    names[v] = name;
    return name;
  };

  int index = 0;
  for (const auto& node : body.nodes()) {
    const std::string& op = node->op_type();
    const std::string var = fmt::format("v{}", index++);
    if (!node->domain().empty() || node->outputs().size() != 1)
      return unsupported("Pointwise body op {} cannot be generated", op);
    const DataType produced = node->output(0)->dtype();
    if (produced != DataType::kUndefined && !is_floating(produced))
      return unsupported("Pointwise body op {} produces {}", op, data_type_name(produced));
    std::vector<std::string> args;
    for (const Value* v : node->inputs()) {
      KILN_ASSIGN_OR_RETURN(std::string arg, operand(v));
      args.push_back(std::move(arg));
    }
    KILN_ASSIGN_OR_RETURN(const kiln_device::OpAttrs attrs, op_attrs(*node));
    const std::string functor = fmt::format("kiln_device::{}{{{}}}", op, attrs_literal(attrs));
    if (op == "Identity" && args.size() == 1) {
      code += fmt::format("    const {} {} = {};\n", ct, var, args[0]);
    } else if ((is_unary(op) && args.size() == 1) || (is_binary(op) && args.size() == 2)) {
      code += fmt::format("    const {} {} = {}({});\n", ct, var, functor, fmt::join(args, ", "));
    } else if (op == "Clip" && !args.empty() && args.size() <= 3) {
      args.resize(3, ct + "(0)");
      code += fmt::format("    const {} {} = {}({});\n", ct, var, functor, fmt::join(args, ", "));
    } else if (is_variadic(op) && !args.empty()) {
      code += fmt::format("    const auto {}_op = {};\n    {} {} = {};\n", var, functor, ct, var, args[0]);
      for (size_t i = 1; i < args.size(); ++i) code += fmt::format("    {} = {}_op.fold({}, {});\n", var, var, var, args[i]);
      code += fmt::format("    {} = {}_op.finish({}, {});\n", var, var, var, args.size());
    } else {
      return unsupported("Pointwise body op {} (with {} inputs) cannot be generated", op, args.size());
    }
    names[node->output(0)] = var;
  }
  KILN_ASSIGN_OR_RETURN(const std::string result, operand(body.outputs()[0]));

  // The body is one more functor over compute values; ApplyOp loads, converts and stores.
  std::string source(device_source());
  source += fmt::format(
      "struct PointwiseBody {{\n"
      "  __device__ {0} operator()({1}) const {{\n"
      "{2}"
      "    return {3};\n"
      "  }}\n"
      "}};\n"
      "extern \"C\" __global__ void __launch_bounds__(kiln_device::kBlockThreads)\n"
      "{4}(kiln_device::ElementwiseParams p) {{\n"
      "  kiln_device::run_elementwise(kiln_device::ApplyOp<PointwiseBody, {5}>{{}}, p);\n"
      "}}\n",
      ct, fmt::join(parameters, ", "), code, result, kPointwiseKernelName, fmt::join(storage_types, ", "));
  return source;
}

}  // namespace kiln::cuda::elementwise
