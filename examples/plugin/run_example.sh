#!/bin/bash
# The tutorial end to end (docs/plugins.md): build the plugin library, write the model, build a
# plan with the plugin, run it in a fresh process, compare with numpy.
#   examples/plugin/run_example.sh path/to/kiln WORK_DIR
# CTest runs this as the test `example_plugin`.
set -euo pipefail
kiln=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

mkdir -p "$work"
cmake -S "$here" -B "$work/build" -DCMAKE_BUILD_TYPE=Release > "$work/cmake.log"
cmake --build "$work/build" > "$work/build.log"
plugin="$work/build/libscaled_tanh_plugin.so"

"$python" "$here/make_model.py" "$work"
"$kiln" build "$work/scaled_tanh.onnx" -o "$work/scaled_tanh.plan" --plugin "$plugin"
"$kiln" run "$work/scaled_tanh.plan" --plugin "$plugin" --input x="$work/x.npy" --output-dir "$work/out"
"$python" "$here/make_model.py" --check "$work"
