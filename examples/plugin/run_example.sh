#!/bin/bash
# The tutorial end to end (docs/plugins.md): build the plugin library, write the model, build a
# plan with the plugin, run it in a fresh process, compare with numpy.
#   examples/plugin/run_example.sh path/to/kiln WORK_DIR [cpu|cuda]
# DEVICE (default cpu) is the device the plan is built for; with cuda the plugin layer must run
# its CUDA kernel (--no-host-fallback). PLUGIN_LIB=path/to/libscaled_tanh_plugin.so uses a library
# built elsewhere instead of building one (e.g. on a GPU machine without cmake or nvcc).
# CTest runs this as the test `example_plugin`.
set -euo pipefail
kiln=$1
work=$2
device=${3:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}  # any python3 with numpy and onnx

case "$device" in
  cpu) device_flags=(--device cpu) ;;
  # A CUDA engine is tuned for known shapes: the batch N takes 1 to 64, tuned at the model's 3.
  cuda) device_flags=(--device cuda --no-host-fallback --min-shapes x=1x16 --opt-shapes x=3x16 --max-shapes x=64x16) ;;
  *) echo "run_example.sh: device must be cpu or cuda, not '$device'" >&2; exit 2 ;;
esac

mkdir -p "$work"
plugin=${PLUGIN_LIB:-}
if [ -z "$plugin" ]; then
  cmake -S "$here" -B "$work/build" -DCMAKE_BUILD_TYPE=Release > "$work/cmake.log"
  cmake --build "$work/build" > "$work/build.log"
  plugin="$work/build/libscaled_tanh_plugin.so"
fi

"$python" "$here/make_model.py" "$work"
"$kiln" build "$work/scaled_tanh.onnx" -o "$work/scaled_tanh.plan" --plugin "$plugin" "${device_flags[@]}"
"$kiln" run "$work/scaled_tanh.plan" --plugin "$plugin" --input x="$work/x.npy" --output-dir "$work/out"
"$python" "$here/make_model.py" --check "$work"
