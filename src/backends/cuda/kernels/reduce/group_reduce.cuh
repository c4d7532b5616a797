// The reduction core: every kernel of this family that folds groups of elements (the Reduce
// ops, ArgMax/ArgMin, the softmax family, the moment and Lp normalizations, the global pools)
// is one of these two kernels with a reducer (reducers.cuh) and an epilogue.
//
// An epilogue says what to write once a group's accumulator is complete:
//   group(g, acc)                  once per group (a reduction's output, a norm's statistics);
//   element(g, r, offset, x, acc)  for every element of the group when kPerElement is true (the
//                                  softmax and normalization outputs), x being the element's value.
//
// Thread mapping follows the layout. When the reduced run is innermost, a team of `team`
// threads (a power of two up to 1024) shares each group, striding over it so loads coalesce
// (many groups per block when groups are short). When a kept axis is innermost, consecutive
// groups are consecutive in memory: threadIdx.x walks 32 groups side by side and threadIdx.y
// splits each group's elements.
#pragma once

#include "backends/cuda/kernels/reduce/device_math.cuh"

namespace kiln::cuda::reduce {

__device__ __forceinline__ uint32_t kept_offset(const GroupLayout& l, uint32_t g) {
  uint32_t off = 0;
  for (int a = l.kept_rank - 1; a > 0; --a) {
    off += (g % l.kept_dims[a]) * l.kept_strides[a];
    g /= l.kept_dims[a];
  }
  return l.kept_rank > 0 ? off + g * l.kept_strides[0] : 0;
}

__device__ __forceinline__ uint32_t reduced_offset(const GroupLayout& l, uint32_t r) {
  uint32_t off = 0;
  for (int a = l.reduced_rank - 1; a > 0; --a) {
    off += (r % l.reduced_dims[a]) * l.reduced_strides[a];
    r /= l.reduced_dims[a];
  }
  return l.reduced_rank > 0 ? off + r * l.reduced_strides[0] : 0;
}

template <class V>
__device__ __forceinline__ V shfl_from(V v, int src_lane) {
  constexpr int kWords = sizeof(V) / 4;
  uint32_t w[kWords];
  memcpy(w, &v, sizeof(V));
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = __shfl_sync(0xffffffffu, w[i], src_lane);
  memcpy(&v, w, sizeof(V));
  return v;
}

// Folds this thread's share of group g: elements first, first + step, ...
template <class T, class Reducer>
__device__ __forceinline__ typename Reducer::Acc fold_share(const GroupLayout& l, const T* x, const Reducer& red,
                                                             uint32_t base, uint32_t first, uint32_t step) {
  using A = AccOf<T>;
  typename Reducer::Acc acc = red.init();
  for (uint32_t r = first; r < l.size; r += step) acc = red.add(acc, load_as<A>(x[base + reduced_offset(l, r)]), r);
  return acc;
}

template <class T, class Reducer, class Epilogue>
__device__ __forceinline__ void finish_share(const GroupLayout& l, const T* x, const Epilogue& epi, uint32_t g,
                                             uint32_t base, uint32_t first, uint32_t step,
                                             const typename Reducer::Acc& acc) {
  using A = AccOf<T>;
  if (first == 0) epi.group(g, acc);
  if constexpr (Epilogue::kPerElement) {
    for (uint32_t r = first; r < l.size; r += step) {
      const uint32_t off = base + reduced_offset(l, r);
      epi.element(g, r, off, load_as<A>(x[off]), acc);
    }
  }
}

// Teams of `team` threads per group; blockDim.x is a multiple of team (or equal to it).
template <class T, class Reducer, class Epilogue>
__global__ void reduce_in_teams(GroupLayout l, const T* __restrict__ x, Reducer red, Epilogue epi, uint32_t team) {
  using Acc = typename Reducer::Acc;
  __shared__ Acc warp_partial[32];
  __shared__ Acc team_total[32];
  const uint32_t lane = threadIdx.x % team;
  const uint32_t team_in_block = threadIdx.x / team;
  const uint32_t g = blockIdx.x * (blockDim.x / team) + team_in_block;
  const bool active = g < l.groups;
  const uint32_t base = active ? kept_offset(l, g) : 0;
  Acc acc = active ? fold_share(l, x, red, base, lane, team) : red.init();

  // Within a warp: lanes of one team (team <= 32) or the whole warp.
  const uint32_t width = team < 32 ? team : 32;
  for (uint32_t d = width / 2; d > 0; d /= 2) acc = red.merge(acc, shfl_down(acc, static_cast<int>(d)));
  const int warp_lane = static_cast<int>(threadIdx.x % 32);
  if (team <= 32) {
    acc = shfl_from(acc, warp_lane - static_cast<int>(lane));  // the team's first lane holds the total
  } else {
    // Across the team's warps, through shared memory (every thread reaches the barriers).
    const uint32_t warp = threadIdx.x / 32, warps_per_team = team / 32;
    if (warp_lane == 0) warp_partial[warp] = acc;
    __syncthreads();
    if (lane == 0) {
      Acc total = warp_partial[warp];
      for (uint32_t w = 1; w < warps_per_team; ++w) total = red.merge(total, warp_partial[warp + w]);
      team_total[team_in_block] = total;
    }
    __syncthreads();
    acc = team_total[team_in_block];
  }
  if (active) finish_share<T, Reducer>(l, x, epi, g, base, lane, team, acc);
}

constexpr uint32_t kColumnGroups = 32;  // blockDim.x of reduce_in_columns
constexpr uint32_t kMaxColumnSplit = 16;  // most threadIdx.y values

// threadIdx.x picks one of 32 consecutive groups, threadIdx.y a share of its elements.
template <class T, class Reducer, class Epilogue>
__global__ void reduce_in_columns(GroupLayout l, const T* __restrict__ x, Reducer red, Epilogue epi) {
  using Acc = typename Reducer::Acc;
  __shared__ Acc partial[kMaxColumnSplit][kColumnGroups];
  const uint32_t g = blockIdx.x * kColumnGroups + threadIdx.x;
  const bool active = g < l.groups;
  const uint32_t base = active ? kept_offset(l, g) : 0;
  Acc acc = active ? fold_share(l, x, red, base, threadIdx.y, blockDim.y) : red.init();
  if (blockDim.y > 1) {
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0) {
      for (uint32_t y = 1; y < blockDim.y; ++y) acc = red.merge(acc, partial[y][threadIdx.x]);
      partial[0][threadIdx.x] = acc;
    }
    __syncthreads();
    acc = partial[0][threadIdx.x];
  }
  if (active) finish_share<T, Reducer>(l, x, epi, g, base, threadIdx.y, blockDim.y, acc);
}

inline uint32_t pow2_at_least(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p *= 2;
  return p;
}

// Launches the kernel the layout calls for: about 8 elements per thread, as many threads as
// that takes up to one 1024-thread team (or 16 threads per column).
template <class T, class Reducer, class Epilogue>
cudaError_t launch_groups(const GroupLayout& l, const void* x, const Reducer& red, const Epilogue& epi,
                          cudaStream_t stream) {
  if (l.groups == 0) return cudaSuccess;
  const T* in = static_cast<const T*>(x);
  const uint32_t per_thread = 8;
  if (l.kept_innermost) {
    const uint32_t split = pow2_at_least(ceil_div(l.size, per_thread)) < kMaxColumnSplit
                               ? pow2_at_least(ceil_div(l.size, per_thread))
                               : kMaxColumnSplit;
    reduce_in_columns<T, Reducer, Epilogue>
        <<<ceil_div(l.groups, kColumnGroups), dim3(kColumnGroups, split), 0, stream>>>(l, in, red, epi);
  } else {
    const uint32_t team = pow2_at_least(ceil_div(l.size, per_thread)) < 1024 ? pow2_at_least(ceil_div(l.size, per_thread)) : 1024;
    const uint32_t block = team < 256 ? 256 : team;
    reduce_in_teams<T, Reducer, Epilogue><<<ceil_div(l.groups, block / team), block, 0, stream>>>(l, in, red, epi, team);
  }
  return cudaGetLastError();
}

}  // namespace kiln::cuda::reduce
