#!/usr/bin/env python3
"""The real OPA engine (Go, via the PyPI wheel that .ci/install-opa.sh or
../shared/tools/opa/install.sh installs) for the differential tests and the benchmark.

  opa_driver.py eval  QUERY                 stdin: {"bundles": {NAME: DIR}, "evals": [[NAME, INPUT_FILE], ...]}
                                            stdout: one JSON result per eval, in order:
                                            {"value": V} | {"undefined": true} | {"error": MESSAGE}
  opa_driver.py time  QUERY BUNDLE INPUT N  stdout: {"median_ms": M, "min_ms": M, "runs": N}

A bundle is what `hcx-preflight policy export` writes: every *.rego file (tests
excluded) and every data.json at its folder's path in `data`. `time` measures the Go
side only (OpaEvalDocument of the loaded library: parsing the input, evaluating, writing
the result), not Python's JSON work, like the measurements in the issue.
"""
import ctypes
import json
import statistics
import sys
import time
from pathlib import Path

from opa_bindings import OpaEngine, OpaUndefinedError


def load(bundle: Path) -> OpaEngine:
    engine = OpaEngine()
    for p in sorted(bundle.rglob("*.rego")):
        if not p.name.endswith("_test.rego"):
            engine.add_policy(str(p.relative_to(bundle)), p.read_text())
    data = {}
    for p in sorted(bundle.rglob("data.json")):
        node = data
        for part in p.parent.relative_to(bundle).parts:
            node = node.setdefault(part, {})
        node.update(json.loads(p.read_text()))
    if data:
        engine.add_data(data)
    return engine


def document(query: str) -> str:
    if not query.startswith("data."):
        sys.exit(f"opa_driver: QUERY must be a document path such as data.hcx.preflight.report, not {query}")
    return query[len("data."):]


def cmd_eval(query: str):
    request = json.load(sys.stdin)
    engines = {name: load(Path(d)) for name, d in request["bundles"].items()}
    out = []
    for name, input_file in request["evals"]:
        try:
            out.append({"value": engines[name].eval_document(document(query), json.loads(Path(input_file).read_text()))})
        except OpaUndefinedError:
            out.append({"undefined": True})
        except Exception as e:  # an evaluation error is a result to compare, not a crash
            out.append({"error": str(e)})
    json.dump(out, sys.stdout)


def cmd_time(query: str, bundle: str, input_file: str, runs: int):
    engine = load(Path(bundle))
    lib, handle = engine._lib, engine._handle
    path = document(query).encode()
    inp = Path(input_file).read_bytes()
    samples = []
    for i in range(runs + 5):
        start = time.perf_counter()
        ptr = lib.OpaEvalDocument(handle, path, inp, 0, 0)
        elapsed = time.perf_counter() - start
        raw = ctypes.string_at(ptr)
        lib.OpaFreeString(ptr)
        if i == 0:
            envelope = json.loads(raw)
            if envelope.get("error"):
                sys.exit(f"opa_driver: {envelope['error']}")
        if i >= 5:  # the first runs warm OPA's caches
            samples.append(elapsed * 1e3)
    json.dump({"median_ms": statistics.median(samples), "min_ms": min(samples), "runs": runs}, sys.stdout)


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "eval":
        cmd_eval(args[1])
    elif len(args) == 5 and args[0] == "time":
        cmd_time(args[1], args[2], args[3], int(args[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
