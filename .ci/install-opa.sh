#!/usr/bin/env bash
# Installs the real OPA engine (OPA v1.20.2, Go) for the conformance tests, into a Python virtual
# environment at DIR (default target/opa-venv; the tests look there). It is the PyPI wheel
# `opa-golib-python-bindings` 0.4.4: OPA's Go `rego` package built as a C shared library, driven
# through ctypes by tests/opa/driver.py. Its metadata asks for Python >= 3.14, but it only uses the
# standard library, so `--ignore-requires-python` installs it on older Pythons (3.11 here).
# Idempotent: an environment that already loads the engine is left as it is (no network).
# Usage: .ci/install-opa.sh [DIR]
set -euo pipefail
dir=${1:-"$(dirname "$0")/../target/opa-venv"}
check='from opa_bindings import OpaEngine; OpaEngine().close()'
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then
    echo "OPA engine already installed in $dir"
    exit 0
fi
python3 -m venv "$dir"
"$dir/bin/pip" install -q --disable-pip-version-check --ignore-requires-python opa-golib-python-bindings==0.4.4
"$dir/bin/python" -c "$check"
echo "OPA engine ready in $dir (opa-golib-python-bindings 0.4.4, OPA v1.20.2)"
