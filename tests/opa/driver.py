#!/usr/bin/env python3
"""The real OPA engine (OPA v1.20.2, PyPI wheel opa-golib-python-bindings) for the conformance tests.

Run it with the Python of the environment that `.ci/install-opa.sh` makes (target/opa-venv/bin/python).
It loads a bundle folder once and then answers MANY requests, so the engine's start-up is paid once:

  driver.py eval BUNDLE QUERY < inputs.jsonl    one input document per line; prints one line per input:
                                               {"ok": VALUE} | {"undefined": true} | {"error": "..."}
  driver.py test BUNDLE                         every test_* rule of every *_test.rego file, like `opa test`;
                                               prints "PASS|FAIL data.pkg.test_x" lines and "N passed, M failed"

Loading, as `opa eval -b BUNDLE` does: every *.rego file under BUNDLE (*_test.rego only for `test`), and
every data.json placed at its folder's path in `data`. QUERY is a document path (data.hcx.preflight.findings).
Sets come back as arrays in OPA's order; the caller compares them as sets. Exit codes: 0 done (including
evaluation errors reported per line), 1 a test failed, 2 the bundle could not be loaded.
"""
import json
import re
import sys
from pathlib import Path


def load(engine, bundle: Path, with_tests: bool) -> None:
    for p in sorted(bundle.rglob("*.rego")):
        if p.name.endswith("_test.rego") and not with_tests:
            continue
        engine.add_policy(str(p.relative_to(bundle)), p.read_text())
    data = {}
    for p in sorted(bundle.rglob("data.json")):
        node = data
        for part in p.parent.relative_to(bundle).parts:
            node = node.setdefault(part, {})
        node.update(json.loads(p.read_text()))
    if data:
        engine.add_data(data)
    # OPA compiles (and type-checks) lazily: a trivial query makes a refused module a load error.
    engine.eval_query("x := 1", None)


def document_path(query: str) -> str:
    q = query.strip()
    if not re.fullmatch(r"data(\.[A-Za-z_][A-Za-z0-9_]*)*", q):
        raise SystemExit(f"driver: QUERY must be a document path such as data.hcx.preflight.findings, not {q!r}")
    return q[len("data."):] if q != "data" else ""


def run_eval(engine, undefined_error, query: str) -> int:
    path = document_path(query)
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            value = engine.eval_document(path, json.loads(line))
            out.write(json.dumps({"ok": value}, sort_keys=True) + "\n")
        except undefined_error:
            out.write('{"undefined": true}\n')
        except Exception as e:  # an evaluation error of OPA: reported, never read as a result
            out.write(json.dumps({"error": str(e)}) + "\n")
        out.flush()
    return 0


def run_tests(engine, undefined_error, bundle: Path) -> int:
    passed = failed = 0
    for p in sorted(bundle.rglob("*_test.rego")):
        text = p.read_text()
        pkg = re.search(r"^package\s+([\w.]+)", text, re.M).group(1)
        for name in dict.fromkeys(re.findall(r"^(test_\w+)", text, re.M)):
            try:
                ok = engine.eval_document(f"{pkg}.{name}", None) is True
            except undefined_error:
                ok = False
            print(f"{'PASS' if ok else 'FAIL'} data.{pkg}.{name} ({p.relative_to(bundle)})")
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in ("eval", "test") or (sys.argv[1] == "eval") != (len(sys.argv) == 4):
        print(__doc__, file=sys.stderr)
        return 2
    from opa_bindings import OpaEngine, OpaUndefinedError

    bundle = Path(sys.argv[2])
    engine = OpaEngine()
    try:
        load(engine, bundle, with_tests=sys.argv[1] == "test")
    except Exception as e:  # a module OPA refuses (parse or type error), unreadable data
        print(f"driver: OPA cannot load {bundle}: {e}", file=sys.stderr)
        return 2
    try:
        if sys.argv[1] == "eval":
            return run_eval(engine, OpaUndefinedError, sys.argv[3])
        return run_tests(engine, OpaUndefinedError, bundle)
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
