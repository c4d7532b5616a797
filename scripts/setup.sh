#!/usr/bin/env bash
# Installs the Debian 12 packages Kiln needs to build and test. Idempotent, and silent when
# nothing is missing. Run as root (or it will try sudo).
set -euo pipefail

PACKAGES=(
  # build
  g++ cmake ninja-build make pkg-config
  # libraries (DESIGN.md section 3)
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libflatbuffers-dev flatbuffers-compiler libxxhash-dev
  libstb-dev  # INT8 calibration images (stb_image)
  # tests
  libgtest-dev
  # conformance data and model exports (Debian's python, not a pyenv)
  python3 python3-numpy python3-onnx python3-torch python3-torchvision
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
