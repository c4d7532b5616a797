// Test helper: write small ONNX models in C++ (for malformed-input tests, where the python
// exporters would refuse to produce the broken model we need).
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace kiln::testing {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset = 17) {
    model_.set_ir_version(8);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  OnnxBuilder& input(const std::string& name, int elem_type, const std::vector<int64_t>& dims,
                     const std::vector<std::string>& dim_params = {}) {
    add_value_info(graph().add_input(), name, elem_type, dims, dim_params);
    return *this;
  }
  OnnxBuilder& output(const std::string& name, int elem_type = onnx::TensorProto::FLOAT) {
    auto* vi = graph().add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
    return *this;
  }
  OnnxBuilder& float_initializer(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<float>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *this;
  }
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  static void int_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  std::string bytes() const { return model_.SerializeAsString(); }

 private:
  static void add_value_info(onnx::ValueInfoProto* vi, const std::string& name, int elem_type,
                             const std::vector<int64_t>& dims, const std::vector<std::string>& dim_params) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = shape->add_dim();
      if (i < dim_params.size() && !dim_params[i].empty()) d->set_dim_param(dim_params[i]);
      else d->set_dim_value(dims[i]);
    }
  }
  onnx::ModelProto model_;
};

}  // namespace kiln::testing
