#!/usr/bin/env python3
"""Generate ONNX's node conformance test data (model.onnx + test_data_set_0/*.pb).

Usage: /usr/bin/python3 tests/conformance/generate.py OUT_DIR

Equivalent of `python -m onnx.backend.test.cmd_tools generate-data -o OUT_DIR`
restricted to node cases, but:
  * restores numpy aliases removed in numpy >= 1.24 that onnx 1.12's generators
    still use (np.float, np.bool, ...), otherwise whole modules fail to import;
  * runs every `export*` generator in isolation so one crashing generator only
    loses its own cases instead of the whole operator module;
  * writes OUT_DIR/.stamp (onnx version) and skips everything when it matches,
    so repeated CMake/ctest invocations are cheap.
"""
import importlib
import os
import pkgutil
import shutil
import sys
import traceback

import numpy as np

# Must happen before anything from onnx.backend.test is imported: the
# generators evaluate these aliases at import (class-definition) time.
# Checking np.__dict__ (not hasattr) avoids numpy's FutureWarning noise.
for _alias, _target in {
    "float": float, "int": int, "bool": bool, "object": object, "str": str,
    "complex": complex, "long": int, "unicode": str,
}.items():
    if _alias not in np.__dict__:
        setattr(np, _alias, _target)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import onnx.backend.test.case.base as case_base  # noqa: E402

FAILED = []  # "Class.export_name: error" for every generator that crashed


def _robust_exporter_init(cls, name, bases, dct):
    """Replacement for onnx's _Exporter.__init__: same behaviour (seed 0, run
    each export* staticmethod, which calls expect() and records cases), but an
    exception in one generator is recorded instead of aborting the import."""
    for k in dct:
        if not k.startswith("export"):
            continue
        np.random.seed(seed=0)
        try:
            getattr(cls, k)()
        except Exception as e:  # keep going; report at the end
            FAILED.append(f"{name}.{k}: {type(e).__name__}: {e}")
    type.__init__(cls, name, bases, dct)


case_base._Exporter.__init__ = _robust_exporter_init


def _import_all(package):
    """Like onnx's import_recursive, but a module that fails to import
    (e.g. a missing optional dependency) does not stop the others."""
    for _, name, ispkg in pkgutil.iter_modules(package.__path__):
        mod_name = f"{package.__name__}.{name}"
        try:
            mod = importlib.import_module(mod_name)
        except Exception as e:
            FAILED.append(f"import {mod_name}: {type(e).__name__}: {e}")
            continue
        if ispkg:
            _import_all(mod)


def _serialize(value, type_proto, name):
    # Mirrors cmd_tools.generate_data: non-tensor inputs need their own protos.
    if type_proto.HasField("map_type"):
        return numpy_helper.from_dict(value, name).SerializeToString()
    if type_proto.HasField("sequence_type"):
        return numpy_helper.from_list(value, name).SerializeToString()
    if type_proto.HasField("optional_type"):
        return numpy_helper.from_optional(value, name).SerializeToString()
    return numpy_helper.from_array(value, name).SerializeToString()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py OUT_DIR")
    out_dir = sys.argv[1]
    stamp = os.path.join(out_dir, ".stamp")
    if os.path.exists(stamp) and open(stamp).read().strip() == onnx.__version__:
        n = len(os.listdir(os.path.join(out_dir, "node")))
        print(f"conformance data up to date (onnx {onnx.__version__}): {n} node cases")
        return

    import onnx.backend.test.case.node as node_test
    _import_all(node_test)
    cases = node_test._NodeTestCases

    node_root = os.path.join(out_dir, "node")
    if os.path.exists(node_root):
        shutil.rmtree(node_root)  # stale cases from another onnx version
    for case in cases:
        case_dir = os.path.join(node_root, case.name)
        ds_dir = os.path.join(case_dir, "test_data_set_0")
        # onnx 1.12 defines two names twice (last definition wins, as in
        # cmd_tools); wipe the dir so no stale input_N.pb files survive.
        shutil.rmtree(case_dir, ignore_errors=True)
        os.makedirs(ds_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        inputs, outputs = case.data_sets[0]
        g = case.model.graph
        for j, v in enumerate(inputs):
            with open(os.path.join(ds_dir, f"input_{j}.pb"), "wb") as f:
                f.write(_serialize(v, g.input[j].type, g.input[j].name))
        for j, v in enumerate(outputs):
            with open(os.path.join(ds_dir, f"output_{j}.pb"), "wb") as f:
                f.write(_serialize(v, g.output[j].type, g.output[j].name))

    for msg in FAILED:
        print("WARNING: generator failed:", msg, file=sys.stderr)
    with open(stamp, "w") as f:
        f.write(onnx.__version__ + "\n")
    n = len(os.listdir(node_root))
    print(f"generated {n} node conformance cases into {node_root} "
          f"(onnx {onnx.__version__}, {len(FAILED)} generator failures)")


if __name__ == "__main__":
    main()
