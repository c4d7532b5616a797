// KILN_HOST_DEVICE marks a function that both host code and CUDA kernels call: the one source of
// arithmetic that must agree bit for bit on both sides (the NMS box math, the fast divisor).
// Plain inline C++ where a host compiler reads the header. Free of other headers: nvcc includes it
// into kernels.
#pragma once

#if defined(__CUDACC__)
#define KILN_HOST_DEVICE __host__ __device__
#else
#define KILN_HOST_DEVICE
#endif
