#include "backends/cuda/cublaslt/lt_matmul_plan.h"

#include <algorithm>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

namespace {

cudaDataType_t cuda_data_type(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat16: return CUDA_R_16F;
    case DataType::kBFloat16: return CUDA_R_16BF;
    default: return CUDA_R_32F;
  }
}

template <class T>
Status set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value) {
  KILN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof(value)));
  return Status::Ok();
}

template <class T>
Status set_pref(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr, const T& value) {
  KILN_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value)));
  return Status::Ok();
}

// A column-major rows x cols matrix with leading dimension `ld`, repeated `batch` times `stride` apart.
Expected<LtLayoutPtr> make_layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
                                  int64_t stride) {
  cublasLtMatrixLayout_t raw = nullptr;
  KILN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&raw, type, static_cast<uint64_t>(rows), static_cast<uint64_t>(cols), ld));
  LtLayoutPtr layout(raw);
  const int32_t count = static_cast<int32_t>(batch);
  KILN_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(raw, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
  KILN_CUBLAS_CHECK(
      cublasLtMatrixLayoutSetAttribute(raw, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  return layout;
}

// The largest power of two up to kAssumedBufferAlignment that divides every call's offset.
template <class Offset>
uint32_t alignment(const std::vector<GemmCallOffsets>& calls, size_t element_bytes, Offset offset) {
  uint32_t align = kAssumedBufferAlignment;
  for (const GemmCallOffsets& call : calls)
    while (static_cast<uint64_t>(offset(call)) * element_bytes % align != 0) align /= 2;
  return align;
}

cublasLtEpilogue_t epilogue(const GemmLayer& layer) {
  const bool bias = layer.bias_input >= 0;
  if (layer.relu_epilogue) return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
}

constexpr int64_t kKeyFieldMask = 0xffff;

}  // namespace

Expected<LtMatmulPlan> LtMatmulPlan::create(const GemmLayer& layer, bool allow_tf32) {
  const GemmShape& s = layer.shape;
  const cudaDataType_t type = cuda_data_type(layer.dtype);
  const cublasComputeType_t compute =
      layer.dtype == DataType::kFloat32 && allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  LtMatmulPlan plan;
  cublasLtMatmulDesc_t desc = nullptr;
  KILN_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, compute, CUDA_R_32F));
  plan.desc_.reset(desc);
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSA, s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N));
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSB, s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N));
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue(layer)));
  if (layer.bias_input >= 0) {
    // The heuristic reads the bias pointer's value only for its alignment; enqueue() sets the real one.
    const void* aligned_placeholder = reinterpret_cast<const void*>(uintptr_t{kAssumedBufferAlignment});
    KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, aligned_placeholder));
  }
  // Row-major B [K, N] is column-major N x K (ld N); row-major B^T, stored [N, K], is K x N (ld K).
  KILN_ASSIGN_OR_RETURN(plan.lt_a_, s.trans_b ? make_layout(type, s.k, s.n, s.k, s.batch, s.stride_b)
                                              : make_layout(type, s.n, s.k, s.n, s.batch, s.stride_b));
  KILN_ASSIGN_OR_RETURN(plan.lt_b_, s.trans_a ? make_layout(type, s.m, s.k, s.m, s.batch, s.stride_a)
                                              : make_layout(type, s.k, s.m, s.k, s.batch, s.stride_a));
  KILN_ASSIGN_OR_RETURN(plan.y_, make_layout(type, s.n, s.m, s.n, s.batch, s.stride_y));
  const size_t bytes = data_type_size(layer.dtype);
  plan.align_lt_a_ = alignment(s.calls, bytes, [](const GemmCallOffsets& c) { return c.b; });
  plan.align_lt_b_ = alignment(s.calls, bytes, [](const GemmCallOffsets& c) { return c.a; });
  plan.align_y_ = alignment(s.calls, bytes, [](const GemmCallOffsets& c) { return c.y; });
  return plan;
}

Expected<LtMatmulPlan> LtMatmulPlan::create_int8(const Int8GemmConfig& g) {
  LtMatmulPlan plan;
  cublasLtMatmulDesc_t desc = nullptr;
  KILN_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, g.int8_output ? CUDA_R_32F : CUDA_R_32I));
  plan.desc_.reset(desc);
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T));
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N));
  if (g.int8_output) {
    KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_POINTER_MODE,
                                  int32_t{CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST}));
    const cublasLtEpilogue_t epilogue = g.relu ? (g.bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU)
                                               : (g.bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT);
    KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue));
    if (g.bias) {
      KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, int32_t{CUDA_R_32F}));
      // The heuristic reads the bias pointer's value only for its alignment; enqueue() sets the real one.
      const void* aligned_placeholder = reinterpret_cast<const void*>(uintptr_t{kAssumedBufferAlignment});
      KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, aligned_placeholder));
    }
  }
  // B^T stored [N, K] is column-major K x N (ld K), transposed by the op; A [M, K] is K x M (ld K).
  KILN_ASSIGN_OR_RETURN(plan.lt_a_, make_layout(CUDA_R_8I, g.k, g.n, g.k, 1, 0));
  KILN_ASSIGN_OR_RETURN(plan.lt_b_, make_layout(CUDA_R_8I, g.k, g.m, g.k, 1, 0));
  KILN_ASSIGN_OR_RETURN(plan.y_, make_layout(g.int8_output ? CUDA_R_8I : CUDA_R_32I, g.n, g.m, g.n, 1, 0));
  plan.align_lt_a_ = plan.align_lt_b_ = plan.align_y_ = kAssumedBufferAlignment;
  return plan;
}

Expected<LtMatmulPlan> LtMatmulPlan::create_fp8(int64_t m, int64_t n, int64_t k) {
  LtMatmulPlan plan;
  cublasLtMatmulDesc_t desc = nullptr;
  KILN_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  plan.desc_.reset(desc);
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T));
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N));
  KILN_RETURN_IF_ERROR(set_desc(desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, int8_t{0}));
  // B^T stored [N, K] is column-major K x N (ld K), transposed by the op; A [M, K] is K x M (ld K).
  KILN_ASSIGN_OR_RETURN(plan.lt_a_, make_layout(CUDA_R_8F_E4M3, k, n, k, 1, 0));
  KILN_ASSIGN_OR_RETURN(plan.lt_b_, make_layout(CUDA_R_8F_E4M3, k, m, k, 1, 0));
  KILN_ASSIGN_OR_RETURN(plan.y_, make_layout(CUDA_R_32F, n, m, n, 1, 0));
  plan.align_lt_a_ = plan.align_lt_b_ = plan.align_y_ = kAssumedBufferAlignment;
  return plan;
}

Expected<std::vector<cublasLtMatmulHeuristicResult_t>> LtMatmulPlan::algorithms(cublasLtHandle_t handle,
                                                                               size_t workspace_limit) const {
  cublasLtMatmulPreference_t raw = nullptr;
  KILN_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&raw));
  LtPreferencePtr pref(raw);
  KILN_RETURN_IF_ERROR(set_pref(raw, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64_t{workspace_limit}));
  KILN_RETURN_IF_ERROR(set_pref(raw, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_lt_a_));
  KILN_RETURN_IF_ERROR(set_pref(raw, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_lt_b_));
  KILN_RETURN_IF_ERROR(set_pref(raw, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_y_));
  KILN_RETURN_IF_ERROR(set_pref(raw, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_y_));
  std::vector<cublasLtMatmulHeuristicResult_t> results(kRequestedAlgorithms);
  int returned = 0;
  KILN_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(handle, desc(), lt_a(), lt_b(), y(), y(), raw,
                                                   kRequestedAlgorithms, results.data(), &returned));
  results.resize(static_cast<size_t>(std::max(returned, 0)));
  std::erase_if(results, [&](const cublasLtMatmulHeuristicResult_t& r) {
    return r.state != CUBLAS_STATUS_SUCCESS || r.workspaceSize > workspace_limit;
  });
  return results;
}

Expected<LtAlgorithmKey> LtAlgorithmKey::of(const cublasLtMatmulAlgo_t& algo, int rank) {
  LtAlgorithmKey key;
  key.rank = rank;
  KILN_CUBLAS_CHECK(cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_ID, &key.algo_id,
                                                         sizeof(key.algo_id), nullptr));
  KILN_CUBLAS_CHECK(cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &key.tile_id,
                                                         sizeof(key.tile_id), nullptr));
  KILN_CUBLAS_CHECK(cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &key.stages_id,
                                                         sizeof(key.stages_id), nullptr));
  // The id packs each field in 16 bits (the rank in 8); the enums cuBLASLt uses are far smaller.
  return decode(key.encode());
}

int64_t LtAlgorithmKey::encode() const {
  return (int64_t{rank} & 0xff) | ((int64_t{algo_id} & kKeyFieldMask) << 8) |
         ((int64_t{tile_id} & kKeyFieldMask) << 24) | ((int64_t{stages_id} & kKeyFieldMask) << 40);
}

LtAlgorithmKey LtAlgorithmKey::decode(int64_t id) {
  return {static_cast<int>(id & 0xff), static_cast<int32_t>((id >> 8) & kKeyFieldMask),
          static_cast<uint32_t>((id >> 24) & kKeyFieldMask), static_cast<uint32_t>((id >> 40) & kKeyFieldMask)};
}

bool LtAlgorithmKey::same_config(const LtAlgorithmKey& other) const {
  return algo_id == other.algo_id && tile_id == other.tile_id && stages_id == other.stages_id;
}

Expected<cublasLtMatmulHeuristicResult_t> find_algorithm(const std::vector<cublasLtMatmulHeuristicResult_t>& results,
                                                         const LtAlgorithmKey& key) {
  std::vector<LtAlgorithmKey> keys;
  for (size_t i = 0; i < results.size(); ++i) {
    KILN_ASSIGN_OR_RETURN(LtAlgorithmKey k, LtAlgorithmKey::of(results[i].algo, static_cast<int>(i)));
    if (k.rank == key.rank && k.same_config(key)) return results[i];
    keys.push_back(k);
  }
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i].same_config(key)) return results[i];
  return unsupported("cuBLASLt's heuristic no longer offers algorithm {} (tile {}, stages {})", key.algo_id,
                     key.tile_id, key.stages_id);
}

}  // namespace kiln::cuda
