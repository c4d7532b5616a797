// Box geometry of the NMS ops, shared by the reference kernels and the CUDA kernels so both
// compute every IoU with the same IEEE operations in the same order, and GPU results match the
// reference exactly. Each arithmetic step is one correctly rounded operation: on the device
// through the _rn intrinsics (nvcc would otherwise contract a*b + c into an FMA); the host sources
// that include this header are compiled with -ffp-contract=off (src/CMakeLists.txt).
// min and max are spelled as std::min / std::max define them, so NaNs also behave alike.
#pragma once

#include "core/host_device.h"

namespace kiln::detection {

KILN_HOST_DEVICE inline float rn_add(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
KILN_HOST_DEVICE inline float rn_sub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
KILN_HOST_DEVICE inline float rn_mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
KILN_HOST_DEVICE inline float rn_div(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
KILN_HOST_DEVICE inline double rn_add(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
KILN_HOST_DEVICE inline double rn_sub(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
KILN_HOST_DEVICE inline double rn_mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
KILN_HOST_DEVICE inline double rn_div(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

template <class T>
KILN_HOST_DEVICE inline T min_of(T a, T b) { return b < a ? b : a; }
template <class T>
KILN_HOST_DEVICE inline T max_of(T a, T b) { return a < b ? b : a; }

// An axis-aligned box by its corners, x1 <= x2 and y1 <= y2 (for ordered inputs).
template <class T>
struct Corners {
  T x1, y1, x2, y2;
};

template <class T>
KILN_HOST_DEVICE inline T area(const Corners<T>& b) {
  return rn_mul(rn_sub(b.x2, b.x1), rn_sub(b.y2, b.y1));
}

// Two opposite corners (x1, y1, x2, y2) in either order.
template <class T>
KILN_HOST_DEVICE inline Corners<T> corners_from_xyxy(T x1, T y1, T x2, T y2) {
  return {min_of(x1, x2), min_of(y1, y2), max_of(x1, x2), max_of(y1, y2)};
}

// A center and a size (cx, cy, w, h).
template <class T>
KILN_HOST_DEVICE inline Corners<T> corners_from_center(T cx, T cy, T w, T h) {
  const T half_w = rn_div(w, T(2)), half_h = rn_div(h, T(2));
  return {rn_sub(cx, half_w), rn_sub(cy, half_h), rn_add(cx, half_w), rn_add(cy, half_h)};
}

// Intersection over union; 0 when the boxes do not overlap or either has no area. `candidate`
// is the box being tested, `kept` one already selected (the order the reference uses).
template <class T>
KILN_HOST_DEVICE inline T iou(const Corners<T>& candidate, const Corners<T>& kept) {
  const T w = rn_sub(min_of(candidate.x2, kept.x2), max_of(candidate.x1, kept.x1));
  const T h = rn_sub(min_of(candidate.y2, kept.y2), max_of(candidate.y1, kept.y1));
  const T area_c = area(candidate), area_k = area(kept);
  if (w <= T(0) || h <= T(0) || area_c <= T(0) || area_k <= T(0)) return T(0);
  const T inter = rn_mul(w, h);
  return rn_div(inter, rn_sub(rn_add(area_c, area_k), inter));
}

}  // namespace kiln::detection
