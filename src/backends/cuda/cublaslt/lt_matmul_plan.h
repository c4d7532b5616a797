// cuBLASLt's description of a GemmLayer (operation and matrix layouts) and the algorithms its
// heuristic offers for it.
//
// Row-major Y = op(A) op(B) is computed as column-major Y^T = op(B)^T op(A)^T, which needs no
// copies: a row-major matrix read in column-major order is its transpose. So cuBLASLt's "A" is
// the layer's B, its "B" the layer's A, and the bias (along N) runs along the rows of cuBLASLt's
// D, which is where its bias epilogue adds it.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "backends/cuda/cublaslt/gemm_layer.h"

namespace kiln::cuda {

// Device buffers handed to kernels are assumed aligned to this many bytes (cudaMalloc gives 256;
// 16 is what Hopper's TMA loads need). The heuristic is told so; enqueue() checks it.
inline constexpr uint32_t kAssumedBufferAlignment = 16;

// How many algorithms tactics() asks cuBLASLt's heuristic for.
inline constexpr int kRequestedAlgorithms = 8;

template <class Opaque, cublasStatus_t (*Destroy)(Opaque*)>
struct LtDestroyer {
  void operator()(Opaque* p) const { Destroy(p); }
};
using LtMatmulDescPtr = std::unique_ptr<cublasLtMatmulDescOpaque_t,
                                        LtDestroyer<cublasLtMatmulDescOpaque_t, cublasLtMatmulDescDestroy>>;
using LtLayoutPtr = std::unique_ptr<cublasLtMatrixLayoutOpaque_t,
                                    LtDestroyer<cublasLtMatrixLayoutOpaque_t, cublasLtMatrixLayoutDestroy>>;
using LtPreferencePtr =
    std::unique_ptr<cublasLtMatmulPreferenceOpaque_t,
                    LtDestroyer<cublasLtMatmulPreferenceOpaque_t, cublasLtMatmulPreferenceDestroy>>;

// An int8 product Y [M, N] = A [M, K] B [K, N] in the form cuBLASLt's IMMA kernels take ("TN":
// cuBLASLt's A is B^T, stored [N, K]; its B is A): exact int32 results (alpha 1, beta 0), or int8
// results relu?(alpha[n] * acc + beta * C + bias[n]) rounded and saturated, with a per-column
// alpha vector on the device, beta on the host, C int8 and a float32 bias.
struct Int8GemmConfig {
  int64_t m = 0, n = 0, k = 0;
  bool int8_output = false;
  bool bias = false;
  bool relu = false;
};

class LtMatmulPlan {
 public:
  // FP32 data computes in TF32 only when allow_tf32; 16-bit data computes in FP32.
  static Expected<LtMatmulPlan> create(const GemmLayer& layer, bool allow_tf32);
  static Expected<LtMatmulPlan> create_int8(const Int8GemmConfig& config);
  // An E4M3 product Y [M, N] = A [M, K] B [K, N] with float32 results (alpha 1, beta 0), in the
  // "TN" form cuBLASLt's FP8 kernels require (as create_int8's), computing in FP32 without
  // "fast accumulation" (partial sums are promoted to FP32 as the kernels go).
  static Expected<LtMatmulPlan> create_fp8(int64_t m, int64_t n, int64_t k);

  // The heuristic's algorithms, best first, each needing at most `workspace_limit` bytes.
  Expected<std::vector<cublasLtMatmulHeuristicResult_t>> algorithms(cublasLtHandle_t handle,
                                                                    size_t workspace_limit) const;

  cublasLtMatmulDesc_t desc() const { return desc_.get(); }
  // cuBLASLt's A: the layer's B.
  cublasLtMatrixLayout_t lt_a() const { return lt_a_.get(); }
  // cuBLASLt's B: the layer's A.
  cublasLtMatrixLayout_t lt_b() const { return lt_b_.get(); }
  // C and D: Y (and whatever input is added as beta * C, which is shaped like it).
  cublasLtMatrixLayout_t y() const { return y_.get(); }

 private:
  LtMatmulDescPtr desc_;
  LtLayoutPtr lt_a_, lt_b_, y_;
  // Bytes each matrix of each call is surely aligned to (buffer alignment and call offsets).
  uint32_t align_lt_a_ = 0, align_lt_b_ = 0, align_y_ = 0;
};

// What names one heuristic result in a Tactic id, so create() finds the algorithm tactics()
// offered: its rank in the heuristic's list and its configuration (algorithm, tile, stages).
struct LtAlgorithmKey {
  int rank = 0;
  int32_t algo_id = 0;
  uint32_t tile_id = 0;
  uint32_t stages_id = 0;

  static Expected<LtAlgorithmKey> of(const cublasLtMatmulAlgo_t& algo, int rank);
  int64_t encode() const;
  static LtAlgorithmKey decode(int64_t id);
  bool same_config(const LtAlgorithmKey& other) const;
};

// The result `key` names: the one at its rank when its configuration matches, else the first
// with that configuration; unsupported when the heuristic no longer offers it.
Expected<cublasLtMatmulHeuristicResult_t> find_algorithm(const std::vector<cublasLtMatmulHeuristicResult_t>& results,
                                                         const LtAlgorithmKey& key);

}  // namespace kiln::cuda
