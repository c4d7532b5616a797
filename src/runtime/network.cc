#include <filesystem>

#include "core/error.h"
#include "ir/graph.h"
#include "kiln/kiln.h"
#include "onnx/onnx_importer.h"
#include "runtime/tensor_info.h"

namespace kiln {

Network::Network(std::shared_ptr<Graph> graph) : graph_(std::move(graph)) {}
Network::~Network() = default;

Expected<std::unique_ptr<Network>> Network::from_onnx_file(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(auto g, import_onnx_file(path));
  return std::unique_ptr<Network>(new Network(std::move(g)));
}

Expected<std::unique_ptr<Network>> Network::from_onnx_bytes(const void* data, size_t size,
                                                            const std::string& base_dir) {
  KILN_ASSIGN_OR_RETURN(auto g, import_onnx_bytes(data, size, base_dir));
  return std::unique_ptr<Network>(new Network(std::move(g)));
}

std::vector<TensorInfo> Network::io_tensors() const { return graph_io_tensors(*graph_); }

std::string Network::dump() const { return dump_graph(*graph_); }

const char* version() { return KILN_VERSION; }

}  // namespace kiln
