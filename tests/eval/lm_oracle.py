#!/usr/bin/env python3
"""lm_oracle.py LMFORGE DRIVER WORK: PyTorch as the oracle for the task harness's model side.

Trains a small model with lmforge (a byte-level BPE tokenizer, pack, a few dozen steps on a
synthetic corpus), then asks lmforge's LanguageModel (via DRIVER) for loglikelihood, multiple
choice (several choices per context: the shared-prefix path), loglikelihood_rolling and greedy
generate_until results, and recomputes every one in PyTorch from the same model.safetensors
with lm-evaluation-harness's rules written out here (trailing whitespace moved into the
continuation, encode whole then split, EOT for an empty context, (ctx+cont)[-(L+1):][:-1],
get_rolling_token_windows + make_disjoint_window, greedy decoding with stop strings cut by
split(term)[0]). Log-likelihoods must agree to 1e-4 relative, is_greedy and the generated
strings exactly. The same weights are then written as a Hugging Face GPT-2 folder (HF names
without "transformer.", attn.bias / masked_bias buffers, lm_head.weight, HF config keys,
tokenizer.json) and must give the same numbers; once more with vocab.json + merges.txt instead
of tokenizer.json (checked against PyTorch on that tokenizer's ids). Token ids come from the driver's `encode`
(the tokenizer has its own oracles); the Python side decodes with tokenizer.json's vocabulary.
Exits 77 (skip) when torch is missing, unless CI=true (then 1)."""
import json
import math
import os
import shutil
import struct
import subprocess
import sys

try:
    import torch
except ImportError:
    print("torch is not installed for", sys.executable, "(Debian: apt-get install python3-torch)")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

# The safetensors reader of the training oracle, one for every PyTorch oracle.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from pytorch_oracle import read_safetensors  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_util import check, fails, finish  # noqa: E402

lm, driver, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
torch.set_num_threads(1)


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        print("FAILED:", " ".join(args), "\n", p.stdout, p.stderr)
        sys.exit(1)
    return p.stdout


# --- a small trained model ---
words = ("the cat sat on a mat and the dog ran to the red barn while birds sang in tall green "
         "trees near old stone walls where children played every summer day").split()
docs = []
for i in range(400):
    n = 20 + i % 30
    docs.append({"id": f"d{i}", "text": " ".join(words[(i * 5 + j * 3 + j * j) % len(words)] for j in range(n)) + "."})
with open(f"{work}/docs.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
run([lm, "--no-progress", "tokenizer", "train", "-i", f"{work}/docs.jsonl", "-o", f"{work}/tok.json",
     "--vocab-size", "320"])
run([lm, "--no-progress", "pack", "--in", f"{work}/docs.jsonl", "--tokenizer", f"{work}/tok.json",
     "--out", f"{work}/data", "--val-fraction", "0.1"])
run([lm, "--no-progress", "train", "--data", f"{work}/data", "--n-layer", "2", "--n-head", "2",
     "--n-embd", "32", "--seq-len", "48", "--batch-size", "8", "--max-steps", "150", "--warmup-steps",
     "4", "--lr", "1e-2", "--eval-interval", "150", "--eval-steps", "1", "--peak-flops", "1e11",
     "--seed", "3", "--threads", "2", "--out", f"{work}/run"])
ckpt = f"{work}/run/checkpoint"


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes() if hasattr(t, "numpy") else t
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


cfg = json.load(open(f"{ckpt}/config.json"))
W = read_safetensors(f"{ckpt}/model.safetensors")
L, C, H, NL = cfg["n_positions"], cfg["n_embd"], cfg["n_head"], cfg["n_layer"]


def w(name):
    return W.get("transformer." + name)


def forward(ids):
    """(T,) ids -> (T, V) float32 logits, GPT-2 in float32."""
    idx = torch.tensor(ids, dtype=torch.long)
    T = len(ids)
    x = w("wte.weight")[idx] + w("wpe.weight")[:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (C,), w(p + ".weight"), w(p + ".bias"), 1e-5)
    lin = lambda x, p: x @ w(p + ".weight") + w(p + ".bias")
    for l in range(NL):
        p = f"h.{l}."
        q, k, v = lin(ln(x, p + "ln_1"), p + "attn.c_attn").split(C, dim=1)
        q, k, v = [t.view(T, H, C // H).transpose(0, 1) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        x = x + lin((att @ v).transpose(0, 1).reshape(T, C), p + "attn.c_proj")
        h = torch.nn.functional.gelu(lin(ln(x, p + "ln_2"), p + "mlp.c_fc"), approximate="tanh")
        x = x + lin(h, p + "mlp.c_proj")
    return ln(x, "ln_f") @ w("wte.weight").t()


# --- decoding with tokenizer.json (byte-level BPE) ---
tok = json.load(open(f"{work}/tok.json"))
bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + n)
        n += 1
byte_of = {chr(c): b for b, c in zip(bs, cs)}
id_bytes = {i: bytes(byte_of[ch] for ch in s) for s, i in tok["model"]["vocab"].items()}
for a in tok.get("added_tokens", []):
    id_bytes[a["id"]] = a["content"].encode()
EOT = next(a["id"] for a in tok.get("added_tokens", []) if a["content"] == "<|endoftext|>")


def decode(ids):
    return b"".join(id_bytes[i] for i in ids).decode("utf-8", errors="replace")


# --- requests ---
contexts = ["the cat sat on a", "the dog ran to the red ", "birds sang in tall green trees near old stone",
            "", "   ", "where children played every summer day and the cat sat on a mat and the dog ran to "
            "the red barn while birds sang in tall green trees near old stone walls where children",
            " ".join(d["text"] for d in docs[10:13])]  # longer than the context: left-truncated
choices = [" mat", " barn", " trees", " walls and", "dog"]
ll_reqs = [(c, k) for c in contexts for k in choices]
ll_reqs += [("the cat", " sat on a mat"), ("Zebras", " quietly"), ("the", " the the the")]
for i in range(0, 40, 3):  # the corpus's own next words: a trained model gets many of them greedy
    ws = docs[i]["text"].split(" ")
    ll_reqs.append((" ".join(ws[:8 + i % 5]), " " + ws[8 + i % 5]))
rolling_docs = [docs[i]["text"] for i in (0, 7, 33)] + [" ".join(d["text"] for d in docs[:5])]
gen_reqs = [("the cat sat", ["."], 20), ("the dog ran to the", ["\n", " on"], 12), ("", ["."], 10),
            ("where children played", [], 8)]

# A first pass: lmforge's greedy continuations (checked against PyTorch below) become
# loglikelihood requests too, so that some requests are greedy and is_greedy is tested both ways.
with open(f"{work}/pregen.jsonl", "w") as f:
    for c, _, m in gen_reqs:
        f.write(json.dumps({"type": "generate", "context": c, "until": [], "max_gen_toks": 4}) + "\n")
run([driver, f"{work}/run", f"{work}/pregen.jsonl", f"{work}/pregen.out.jsonl"])
for (c, _, _), l in zip(gen_reqs, open(f"{work}/pregen.out.jsonl")):
    g = json.loads(l)["strings"][0]
    if g.strip() and "\ufffd" not in g:
        ll_reqs.append((c, g))
        ll_reqs.append((c + " ", g.lstrip(" ")))

lines, enc_of = [], {}


def want_enc(text):
    if text not in enc_of:
        enc_of[text] = len(lines)
        lines.append({"type": "encode", "text": text})


for c, k in ll_reqs:
    s = c.rstrip()
    want_enc(s)
    want_enc(c + k)
    want_enc(k)
for d in rolling_docs:
    want_enc(d)
for c, _, _ in gen_reqs:
    want_enc(c)
first_ll = len(lines)
lines += [{"type": "loglikelihood", "context": c, "continuation": k} for c, k in ll_reqs]
first_roll = len(lines)
lines += [{"type": "rolling", "text": d} for d in rolling_docs]
first_gen = len(lines)
lines += [{"type": "generate", "context": c, "until": u, "max_gen_toks": m} for c, u, m in gen_reqs]
with open(f"{work}/requests.jsonl", "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")


def enc(text):
    return got[enc_of[text]]["ids"]


def close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(b))


def logprobs_of(inp):
    return torch.log_softmax(forward(inp).double(), dim=-1)


def check_all(name, got):
    # loglikelihood and multiple choice
    bad, truncated = 0, [0]
    for i, (c, k) in enumerate(ll_reqs):
        r = got[first_ll + i]
        if c == "":
            ctx_enc, cont_enc = [EOT], enc(k)
        else:
            s = c.rstrip()
            whole, ctx_enc = enc(s + c[len(s):] + k), enc(s)  # = enc(context + continuation)
            cont_enc = whole[len(ctx_enc):]
            if not ctx_enc:
                ctx_enc = [EOT]  # lmforge: an all-whitespace context is conditioned on EOT too
        if len(ctx_enc) + len(cont_enc) > L + 1:
            truncated[0] += 1
        full = (ctx_enc + cont_enc)[-(L + 1):]
        inp = full[:-1]
        lp = logprobs_of(inp)[len(inp) - len(cont_enc):]
        tgt = torch.tensor(cont_enc)
        ll = lp.gather(1, tgt[:, None]).sum().item()
        greedy = bool((lp.argmax(dim=-1) == tgt).all())
        ok = close(r["logprob"], ll) and r["is_greedy"] == greedy and r["tokens"] == cont_enc
        if not ok:
            bad += 1
            print(f"  {name} ll {i} {c!r}+{k!r}: lmforge {r['logprob']} {r['is_greedy']} {r['tokens']}, "
                  f"torch {ll} {greedy} {cont_enc}")
    ngreedy = sum(got[first_ll + i]["is_greedy"] for i in range(len(ll_reqs)))
    check(f"{name}: {len(ll_reqs)} loglikelihood/multiple-choice requests equal PyTorch (1e-4), "
          f"is_greedy equal ({ngreedy} greedy, {truncated[0]} truncated)",
          bad == 0 and 0 < ngreedy < len(ll_reqs) and truncated[0] > 0)
    # rolling
    bad = 0
    for i, d in enumerate(rolling_docs):
        toks, total, windows = enc(d), 0.0, 0
        pred = 0
        first = min(L, len(toks))
        pairs = [([EOT] + toks[:first - 1], toks[:first])]
        pred += first
        while pred < len(toks):
            wl = min(len(toks) - pred, L)
            end = pred + wl
            pairs.append((toks[end - L - 1:end - 1], toks[end - wl:end]))
            pred += wl
        for a, b in pairs:
            ctx = a[:len(a) - (len(b) - 1)]
            inp = (ctx + b)[-(L + 1):][:-1]
            lp = logprobs_of(inp)[len(inp) - len(b):]
            total += lp.gather(1, torch.tensor(b)[:, None]).sum().item()
            windows += 1
        r = got[first_roll + i]
        if not (close(r["logprob"], total) and r["windows"] == windows == math.ceil(len(toks) / L)
                and r["tokens"] == len(toks)):
            bad += 1
            print(f"  {name} rolling {i}: lmforge {r}, torch {total} {windows} windows {len(toks)} tokens")
    check(f"{name}: {len(rolling_docs)} rolling documents equal PyTorch (windows = ceil(n/L))", bad == 0)
    # greedy generation
    bad = 0
    for i, (c, until, m) in enumerate(gen_reqs):
        ids = enc(c) or [EOT]
        ids = ids[-(L - m):]
        out = []
        while len(out) < m and len(ids) < L + 1:
            nxt = int(forward(ids)[-1].argmax())
            if nxt == EOT:
                break
            out.append(nxt)
            ids = ids + [nxt]
            if any(u and u in decode(out) for u in until):
                break
        s = decode(out)
        for u in until:
            if u:
                s = s.split(u)[0]
        r = got[first_gen + i]["strings"]
        if r != [s]:
            bad += 1
            print(f"  {name} generate {i} {c!r}: lmforge {r}, torch {[s]}")
    check(f"{name}: {len(gen_reqs)} greedy generate_until strings equal PyTorch's", bad == 0)


def score(folder, tag, extra=()):
    out = f"{work}/{tag}.jsonl"
    info = json.loads(run([driver, folder, f"{work}/requests.jsonl", out, "--threads", "2"] + list(extra)))
    return [json.loads(l) for l in open(out)], info


got, info = score(f"{work}/run", "lmforge")
check("lmforge run folder opens as format lmforge", info["model"]["format"] == "lmforge", str(info["model"]))
check_all("lmforge folder", got)
got_lmforge = got

# --- the same weights as a Hugging Face GPT-2 folder ---
hf = f"{work}/hf-gpt2"
os.makedirs(hf)
tensors = {}
for name, t in W.items():
    tensors[name[len("transformer."):]] = t
for l in range(NL):
    tensors[f"h.{l}.attn.bias"] = torch.tril(torch.ones(L, L)).view(1, 1, L, L)
    tensors[f"h.{l}.attn.masked_bias"] = torch.tensor(-1e4)
tensors["lm_head.weight"] = W["transformer.wte.weight"]
write_safetensors(f"{hf}/model.safetensors", tensors)
json.dump({"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
           "bos_token_id": EOT, "embd_pdrop": 0.1, "eos_token_id": EOT, "initializer_range": 0.02,
           "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": L, "n_embd": C, "n_head": H,
           "n_inner": None, "n_layer": NL, "n_positions": L, "reorder_and_upcast_attn": False,
           "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
           "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
           "summary_type": "cls_index", "summary_use_proj": True, "torch_dtype": "float32",
           "transformers_version": "4.40.0", "use_cache": True, "vocab_size": cfg["vocab_size"]},
          open(f"{hf}/config.json", "w"), indent=2)
shutil.copy(f"{work}/tok.json", f"{hf}/tokenizer.json")
got, info = score(hf, "hf")
check("HF folder opens as format hf-gpt2", info["model"]["format"] == "hf-gpt2", str(info["model"]))
check_all("HF folder", got)
check("HF folder gives the lmforge folder's exact numbers", got == got_lmforge)
# --- the HF folder with GPT-2's slow-tokenizer files (vocab.json + merges.txt) instead ---
# GPT-2's byte-level split replaces tokenizer.json's pre-tokenizer, so the token ids may differ:
# PyTorch scores the ids this folder's tokenizer gives (the driver's encode).
hf2 = f"{work}/hf-gpt2-vocab"
shutil.copytree(hf, hf2)
os.remove(f"{hf2}/tokenizer.json")
tj = json.load(open(f"{work}/tok.json"))
vocab = dict(tj["model"]["vocab"])
for t in tj.get("added_tokens", []):
    vocab[t["content"]] = t["id"]
with open(f"{hf2}/vocab.json", "w") as f:
    json.dump(vocab, f, ensure_ascii=False)
with open(f"{hf2}/merges.txt", "w") as f:
    f.write("#version: 0.2\n" + "".join((m if isinstance(m, str) else " ".join(m)) + "\n"
                                        for m in tj["model"]["merges"]))
got, info = score(hf2, "hf-vocab")
check("HF vocab.json + merges.txt folder opens as format hf-gpt2", info["model"]["format"] == "hf-gpt2",
      str(info["model"]))
check_all("HF vocab.json + merges.txt folder", got)
got, _ = score(f"{work}/run", "noshare", ["--no-share", "--batch-size", "1", "--threads", "1"])
check("per-choice scoring (no prefix sharing, batch 1, 1 thread) gives the same bytes", got == got_lmforge)

finish()
