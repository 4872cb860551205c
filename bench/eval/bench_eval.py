#!/usr/bin/env python3
"""bench_eval.py LMFORGE [DRIVER] [--docs 200] [--threads 2] [--layers 6 --heads 6 --embd 384]
[--vocab 8192 | --tokenizer FILE] [--sc-prompts 4 --sc-paths 8] [--repeats 1] [--sample DIR]:
the task harness's scoring
speed, lmforge vs a PyTorch scorer (Debian python3-torch, /usr/bin/python3) side by side on the
same model and requests, in one run.

The model: random GPT-2 weights (N(0, 0.02), seeded) written as a Hugging Face GPT-2 folder with
a byte-level BPE tokenizer (trained by `lmforge tokenizer train` on the built-in sample corpus,
or --tokenizer FILE). The workload: a multiple-choice task made from KJV verses (context = the
previous verse plus the verse without its last words, 4 choices = the true ending and 3 endings
of other verses, each with a leading space), one loglikelihood request per choice, as the
harness makes them.

- lmforge: DRIVER (tests/eval/lm_driver.cc) over eval::open_model, prefix sharing on (one KV
  prefill per context) and off (each choice on its own, the same engine).
- PyTorch: lm-evaluation-harness's HF backend loop (_loglikelihood_tokens): requests sorted by
  descending token length, batches of 16 right-padded, one full forward per request row,
  log_softmax over the whole (B, T, V) logits, then the continuation's rows; no_grad,
  torch.set_num_threads(threads). Its time excludes tokenization (lmforge's includes it).
- Checks every log-likelihood agrees (1e-4 relative) and is_greedy matches, then prints
  requests/s of each and the ratios.
- Self-consistency generation: --sc-prompts prompts x --sc-paths sampled paths (T=0.7,
  32 tokens), one request with N samples (the paths step together as a batch over the shared
  prompt cache) vs N requests of one sample each run one at a time (--batch-size 1); the strings
  must be identical (path j uses seed + j either way).
DRIVER defaults to tests/eval/lmforge_eval_lm_driver beside LMFORGE's build folder. With
--repeats R each timing is the fastest of R runs (a loaded machine slows some runs more than
others). The last lines print the ratios and whether the issue's target (lmforge >= 3x
PyTorch's requests/s on 2 threads, log-likelihoods within 1e-4) is met.
Timings are figures, not tests; run on an idle machine or compare ratios of the same run."""
import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("lmforge")
ap.add_argument("driver", nargs="?", default="")
ap.add_argument("--docs", type=int, default=200)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--layers", type=int, default=6)
ap.add_argument("--heads", type=int, default=6)
ap.add_argument("--embd", type=int, default=384)
ap.add_argument("--n-ctx", type=int, default=512)
ap.add_argument("--vocab", type=int, default=8192)
ap.add_argument("--tokenizer", default="")
ap.add_argument("--sample", default="")
ap.add_argument("--batch-size", type=int, default=16)
ap.add_argument("--sc-prompts", type=int, default=4)
ap.add_argument("--sc-paths", type=int, default=8)
ap.add_argument("--work", default="")
ap.add_argument("--repeats", type=int, default=1)
a = ap.parse_args()
if not a.driver:
    a.driver = os.path.join(os.path.dirname(os.path.abspath(a.lmforge)), "tests", "eval",
                            "lmforge_eval_lm_driver")

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

torch.set_num_threads(a.threads)
work = a.work or tempfile.mkdtemp(prefix="bench_eval_")
os.makedirs(work, exist_ok=True)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"FAILED: {' '.join(args)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


# --- corpus: KJV verses from the sample corpus ---
sample = a.sample or os.path.join(work, "sample")
if not os.path.exists(os.path.join(sample, "manifest.json")):
    run([a.lmforge, "--no-progress", "corpus", "sample", "--out", sample])
verses = []
for shard in sorted(os.listdir(sample)):
    if not shard.endswith(".jsonl.zst"):
        continue
    out = subprocess.run(["zstdcat", os.path.join(sample, shard)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        d = json.loads(line)
        if d["id"].startswith("kjv/"):
            for v in d["text"].split("\n"):
                v = v.split(" ", 1)[1] if " " in v else v
                if len(v.split()) >= 10:
                    verses.append(v)
    if len(verses) > 20000:
        break

# --- model folder: tokenizer + random weights in HF GPT-2 layout ---
model = os.path.join(work, "model")
os.makedirs(model, exist_ok=True)
tok = os.path.join(model, "tokenizer.json")
if a.tokenizer:
    import shutil
    shutil.copy(a.tokenizer, tok)
elif not os.path.exists(tok):
    with open(os.path.join(work, "verses.jsonl"), "w") as f:
        for i, v in enumerate(verses):
            f.write(json.dumps({"id": str(i), "text": v}) + "\n")
    run([a.lmforge, "--no-progress", "tokenizer", "train", "-i", os.path.join(work, "verses.jsonl"), "-o", tok,
         "--vocab-size", str(a.vocab), "--threads", str(a.threads)])
tj = json.load(open(tok))
V = max(list(tj["model"]["vocab"].values()) + [t["id"] for t in tj.get("added_tokens", [])]) + 1
EOT = next(t["id"] for t in tj.get("added_tokens", []) if t["content"] == "<|endoftext|>")
L, H, C, T = a.layers, a.heads, a.embd, a.n_ctx
g = torch.Generator().manual_seed(0)
W = {"wte.weight": torch.randn(V, C, generator=g) * 0.02, "wpe.weight": torch.randn(T, C, generator=g) * 0.01,
     "ln_f.weight": torch.ones(C), "ln_f.bias": torch.zeros(C)}
for l in range(L):
    p = f"h.{l}."
    for name, shape in [("attn.c_attn", (C, 3 * C)), ("attn.c_proj", (C, C)), ("mlp.c_fc", (C, 4 * C)),
                        ("mlp.c_proj", (4 * C, C))]:
        W[p + name + ".weight"] = torch.randn(*shape, generator=g) * 0.02
        W[p + name + ".bias"] = torch.randn(shape[1], generator=g) * 0.01
    for ln in ("ln_1", "ln_2"):
        W[p + ln + ".weight"] = 1 + torch.randn(C, generator=g) * 0.05
        W[p + ln + ".bias"] = torch.randn(C, generator=g) * 0.01
header, off, blobs = {}, 0, []
for name, t in W.items():
    b = t.contiguous().numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
    off += len(b)
    blobs.append(b)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(model, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
json.dump({"model_type": "gpt2", "vocab_size": V, "n_positions": T, "n_ctx": T, "n_embd": C, "n_layer": L,
           "n_head": H, "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
           "bos_token_id": EOT, "eos_token_id": EOT}, open(os.path.join(model, "config.json"), "w"))
nparams = sum(t.numel() for t in W.values())

# --- requests: 4-way multiple choice from verses ---
rng = random.Random(1234)
docs = []
for i in range(a.docs):
    j = rng.randrange(1, len(verses))
    ws = verses[j].split()
    k = rng.randint(2, 6)
    ctx = verses[j - 1] + " " + " ".join(ws[:-k])
    endings = [" " + " ".join(ws[-k:])]
    while len(endings) < 4:
        o = verses[rng.randrange(len(verses))].split()
        endings.append(" " + " ".join(o[-rng.randint(2, 6):]))
    docs.append((ctx, endings))
reqs = [(c, e) for c, es in docs for e in es]
req_file = os.path.join(work, "mc.jsonl")
with open(req_file, "w") as f:
    for c, e in reqs:
        f.write(json.dumps({"type": "loglikelihood", "context": c, "continuation": e}) + "\n")
enc_file = os.path.join(work, "enc.jsonl")
with open(enc_file, "w") as f:
    for c, e in reqs:
        f.write(json.dumps({"type": "encode", "text": c}) + "\n")
        f.write(json.dumps({"type": "encode", "text": c + e}) + "\n")
run([a.driver, model, enc_file, enc_file + ".out"])
enc = [json.loads(l)["ids"] for l in open(enc_file + ".out")]


def lmforge_score(extra):
    out = os.path.join(work, "lmforge.out.jsonl")
    best = None
    for _ in range(a.repeats):
        t = json.loads(run([a.driver, model, req_file, out, "--threads", str(a.threads), "--batch-size",
                            str(a.batch_size)] + extra))
        best = t["loglikelihood"]["seconds"] if best is None else min(best, t["loglikelihood"]["seconds"])
    return [json.loads(l) for l in open(out)], best


# --- PyTorch scorer in the harness's HF-backend shape ---
def w(n):
    return W[n]


def forward(idx):  # (B, T) -> (B, T, V)
    B, Tn = idx.shape
    x = w("wte.weight")[idx] + w("wpe.weight")[:Tn]
    mask = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (C,), w(p + ".weight"), w(p + ".bias"), 1e-5)
    lin = lambda x, p: torch.addmm(w(p + ".bias"), x.view(-1, x.shape[-1]), w(p + ".weight")).view(
        *x.shape[:-1], -1)
    for l in range(L):
        p = f"h.{l}."
        q, k, v = lin(ln(x, p + "ln_1"), p + "attn.c_attn").split(C, dim=2)
        q, k, v = [t.view(B, Tn, H, C // H).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(dim=-1)
        x = x + lin((att @ v).transpose(1, 2).reshape(B, Tn, C), p + "attn.c_proj")
        x = x + lin(torch.nn.functional.gelu(lin(ln(x, p + "ln_2"), p + "mlp.c_fc"), approximate="tanh"),
                    p + "mlp.c_proj")
    return ln(x, "ln_f") @ w("wte.weight").t()


def torch_score():
    best = None
    for _ in range(a.repeats):
        res, t = torch_score_once()
        best = t if best is None else min(best, t)
    return res, best


def torch_score_once():
    items = []
    for i in range(len(reqs)):
        ctx_enc, whole = enc[2 * i], enc[2 * i + 1]
        cont = whole[len(ctx_enc):]
        items.append((i, ctx_enc, cont))
    # Collator: sort by descending total length (then tokens), batches of batch_size
    items.sort(key=lambda it: (-len(it[1] + it[2]), tuple(it[1] + it[2])))
    res = [None] * len(reqs)
    t0 = time.perf_counter()
    with torch.no_grad():
        for b0 in range(0, len(items), a.batch_size):
            batch = items[b0:b0 + a.batch_size]
            inps = [(c + k)[-(T + 1):][:-1] for _, c, k in batch]
            padlen = max(len(x) for x in inps)
            idx = torch.zeros(len(batch), padlen, dtype=torch.long)
            for r, x in enumerate(inps):
                idx[r, :len(x)] = torch.tensor(x)
            logp = torch.nn.functional.log_softmax(forward(idx), dim=-1)
            for r, (i, c, k) in enumerate(batch):
                n = len(inps[r])
                lp = logp[r, n - len(k):n]
                tgt = torch.tensor(k)
                res[i] = (lp.gather(1, tgt[:, None]).sum().item(), bool((lp.argmax(-1) == tgt).all()))
    return res, time.perf_counter() - t0


ours, t_ours = lmforge_score([])
ours_ns, t_ns = lmforge_score(["--no-share"])
theirs, t_torch = torch_score()
bad = sum(1 for o, (ll, gr) in zip(ours, theirs)
          if abs(o["logprob"] - ll) > 1e-4 * max(1.0, abs(ll)) or o["is_greedy"] != gr)
same_ns = all(x["logprob"] == y["logprob"] for x, y in zip(ours, ours_ns))
maxrel = max(abs(o["logprob"] - ll) / max(1.0, abs(ll)) for o, (ll, _) in zip(ours, theirs))
ctx_toks = sum(len(enc[2 * i]) for i in range(0, len(reqs), 4)) / a.docs
cont_toks = sum(len(enc[2 * i + 1]) - len(enc[2 * i]) for i in range(len(reqs))) / len(reqs)

# --- self-consistency generation: N paths batched vs N sequential ---
sc_b, sc_s = os.path.join(work, "sc_batched.jsonl"), os.path.join(work, "sc_seq.jsonl")
with open(sc_b, "w") as fb, open(sc_s, "w") as fs:
    for p in range(a.sc_prompts):
        ctx = verses[100 + p]
        kw = {"type": "generate", "context": ctx, "until": [], "max_gen_toks": 32, "do_sample": True,
              "temperature": 0.7}
        fb.write(json.dumps(dict(kw, samples=a.sc_paths, seed=7 * p)) + "\n")
        for j in range(a.sc_paths):
            fs.write(json.dumps(dict(kw, samples=1, seed=7 * p + j)) + "\n")
tb = min(json.loads(run([a.driver, model, sc_b, sc_b + ".out", "--threads", str(a.threads)]))["generate"]["seconds"]
         for _ in range(a.repeats))
ts = min(json.loads(run([a.driver, model, sc_s, sc_s + ".out", "--threads", str(a.threads), "--batch-size", "1"]))[
    "generate"]["seconds"] for _ in range(a.repeats))
gb = [s for l in open(sc_b + ".out") for s in json.loads(l)["strings"]]
gs = [json.loads(l)["strings"][0] for l in open(sc_s + ".out")]

n = len(reqs)
print(f"model: L{L} H{H} C{C} V{V} n_ctx {T}, {nparams / 1e6:.1f}M parameters; {a.docs} docs x 4 choices = {n} "
      f"requests; context {ctx_toks:.1f} tokens, continuation {cont_toks:.1f} tokens (means); threads {a.threads}")
print(f"log-likelihoods agree with PyTorch (1e-4 relative, is_greedy equal): {'yes' if bad == 0 else f'NO ({bad} differ)'}"
      f" (max relative difference {maxrel:.2e}); shared == per-choice bytes: {'yes' if same_ns else 'NO'}")
print("| scorer | seconds | requests/s | vs PyTorch |")
print("|---|---:|---:|---:|")
print(f"| PyTorch, harness HF-backend batching (batch {a.batch_size}) | {t_torch:.2f} | {n / t_torch:.1f} | 1.00x |")
print(f"| lmforge, each choice on its own | {t_ns:.2f} | {n / t_ns:.1f} | {t_torch / t_ns:.2f}x |")
print(f"| lmforge, prefix shared per context | {t_ours:.2f} | {n / t_ours:.1f} | {t_torch / t_ours:.2f}x |")
print(f"prefix-sharing gain: {t_ns / t_ours:.2f}x")
print(f"self-consistency: {a.sc_prompts} prompts x {a.sc_paths} paths x 32 tokens: batched {tb:.2f} s, "
      f"sequential {ts:.2f} s, gain {ts / tb:.2f}x; identical strings: {'yes' if gb == gs else 'NO'}")
ratio = t_torch / t_ours
print(f"target: lmforge >= 3x PyTorch requests/s on {a.threads} threads, identical log-likelihoods: "
      f"{'met' if ratio >= 3 and bad == 0 else 'NOT met'} ({ratio:.2f}x)")
sys.exit(0 if bad == 0 and same_ns and gb == gs else 1)
