#!/bin/bash
# Runs Kiln's GPU tests from an installed package (cmake --install build --prefix PKG) on a
# machine with a GPU and no build tree: the CUDA provider tests, the torchvision models on the GPU
# in FP32/TF32/FP16, and the ONNX conformance suite on the CUDA backend.
#
#   scripts/run_gpu_tests.sh PKG CONFORMANCE_DATA MODELS_DIR LOG_DIR [PYTHON]
#
# MODELS_DIR is filled by tests/models/export_torchvision.py (run with PYTHON, default python3,
# which needs torch and torchvision) when it is empty. Each part writes LOG_DIR/<part>.log and a
# one-line summary to LOG_DIR/summary.txt.
set -u
pkg=$1 data=$2 models=$3 logs=$4 python=${5:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$logs" "$models"
summary=$logs/summary.txt
: >"$summary"

"$pkg/bin/kiln_gpu_tests" --gtest_brief=1 >"$logs/gpu_tests.log" 2>&1
echo "gpu provider tests: exit $? ; $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$logs/gpu_tests.log" | tr '\n' ' ')" >>"$summary"

"$python" "$here/tests/models/export_torchvision.py" "$models" >"$logs/export.log" 2>&1
echo "model export: exit $?" >>"$summary"
pass=0 fail=0
: >"$logs/models.log"
for m in resnet50 googlenet mobilenet_v2 mobilenet_v3_small efficientnet_b0 squeezenet1_1 vit_b_16; do
  for mode in fp32:1e-4 tf32:3e-3 fp16:2e-2; do
    if "$pkg/bin/kiln_model_test" --dir "$models/$m" --device cuda --precision "${mode%%:*}" \
         --tolerance "${mode##*:}" >>"$logs/models.log" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED $m ${mode%%:*}" >>"$logs/models.log"; fi
  done
done
echo "gpu model tests: $pass passed, $fail failed" >>"$summary"

"$pkg/bin/kiln_conformance" --data "$data" --device cuda --no-host-fallback --jobs 12 \
  --write-expected "$logs/expected_failures_cuda.txt" >"$logs/conformance_cuda.log" 2>&1
echo "conformance (cuda, no host fallback): $(tail -2 "$logs/conformance_cuda.log" | head -1)" >>"$summary"
cat "$summary"
