#!/usr/bin/env python3
"""bench_train.py LMFORGE [--configs i,ii,iii,s] [--threads 2] [--steps 8] [--bf16]: training throughput of
lmforge vs PyTorch (Debian python3-torch, /usr/bin/python3) side by side in one run, on the
configs of the training notes, with random tokens: tokens/s (median of the steps after 2
warm-up steps), GFLOP/s (nanoGPT's 6N + 12 L C T per token), MFU vs the measured sgemm peak,
and peak RSS. Prints a Markdown table and the lmforge/PyTorch ratios. Timings are figures, not
tests. --repeats N alternates the two N times per config and reports the medians (tokens/s and
the per-pair ratio), which steadies the ratio on a shared, loaded machine. PyTorch runs with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=threads, OMP_WAIT_POLICY=PASSIVE
and torch.set_num_threads(threads), as in the notes. --bf16: lmforge with --kernels cpu-bf16 (AMX
bf16 products) against PyTorch under torch.autocast("cpu", torch.bfloat16) (oneDNN, AMX where the
CPU has it); MFU is then of the bf16 matmul peak lmforge measures. Config s is make run's model."""
import argparse, json, os, resource, shutil, struct, subprocess, sys, tempfile

CONFIGS = {  # name: (V, L, H, C, T, B)
    "i": (8192, 4, 4, 256, 256, 8),
    "ii": (8192, 6, 6, 384, 256, 4),
    "iii": (50257, 12, 12, 768, 64, 4),
    "s": (8192, 2, 2, 128, 256, 8),  # examples/train-sample.toml
}

TORCH_BENCH = r'''
import math, os, sys, time, json, resource, torch
V, L, H, C, T, B, steps, threads, bf16 = [int(x) for x in sys.argv[1:10]]
torch.set_num_threads(threads)
torch.manual_seed(0)
class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        s.attn, s.proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        s.fc, s.fcp = torch.nn.Linear(C, 4 * C), torch.nn.Linear(4 * C, C)
    def forward(s, x):
        q, k, v = s.attn(s.ln1(x)).split(C, dim=2)
        q, k, v = [t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v)]
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(
            torch.nn.functional, "scaled_dot_product_attention") else None
        if y is None:
            a = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
            a = a.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")).softmax(-1)
            y = a @ v
        x = x + s.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + s.fcp(torch.nn.functional.gelu(s.fc(s.ln2(x)), approximate="tanh"))
class Gpt(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = torch.nn.Embedding(V, C), torch.nn.Embedding(T, C)
        s.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        s.lnf = torch.nn.LayerNorm(C)
    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(T))
        for b in s.blocks: x = b(x)
        logits = s.lnf(x) @ s.wte.weight.t()
        return torch.nn.functional.cross_entropy(logits.view(-1, V), tgt.view(-1))
m = Gpt()
# GPT-2's initialisation, as lmforge's (src/model/gpt.cc): weights N(0, 0.02), the residual
# projections N(0, 0.02 / sqrt(2 L)), biases 0. PyTorch's defaults (N(0, 1) embeddings) give
# logits ~11x wider; their tiny softmax tails make denormal gradients that slow fp32 ~20x on (s).
with torch.no_grad():
    for n, p in m.named_parameters():
        if n.endswith("bias"): p.zero_()
        elif p.dim() == 2: p.normal_(0, 0.02 / math.sqrt(2 * L) if n.endswith(("proj.weight", "fcp.weight")) else 0.02)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
times = []
for i in range(steps + 2):
    idx, tgt = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(bf16)):
        loss = m(idx, tgt)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    times.append(time.perf_counter() - t0)
times = sorted(times[2:])
print(json.dumps({"tokens_per_sec": B * T / times[len(times) // 2],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def write_random_pack(prefix, V, n_tokens, seed=1):
    """A Megatron .bin/.idx (uint16) of random tokens plus the meta.json the loader reads."""
    import random
    rnd = random.Random(seed)
    doc_len = 4096
    n_docs = n_tokens // doc_len
    with open(prefix + ".bin", "wb") as f:
        for _ in range(n_docs):
            f.write(struct.pack(f"<{doc_len}H", *[rnd.randrange(V - 1) for _ in range(doc_len)]))
    with open(prefix + ".idx", "wb") as f:
        f.write(b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, n_docs, n_docs + 1))
        f.write(struct.pack(f"<{n_docs}i", *[doc_len] * n_docs))
        f.write(struct.pack(f"<{n_docs}q", *[i * doc_len * 2 for i in range(n_docs)]))
        f.write(struct.pack(f"<{n_docs + 1}q", *range(n_docs + 1)))
    meta = {"lmforge_pack_version": 1,
            "tokenizer": {"path": "random", "hash": "0", "vocab_size": V, "eot_id": V - 1},
            "train": {"documents": n_docs, "tokens": n_docs * doc_len},
            "val": {"documents": 0, "tokens": 0}, "formats": {}}
    json.dump(meta, open(prefix + ".meta.json", "w"))


def run_lmforge(lm, work, name, cfg, steps, threads, bf16):
    V, L, H, C, T, B = cfg
    prefix = f"{work}/{name}"
    write_random_pack(prefix, V, max(B * T * (steps + 3) * 2, 8192))
    out = f"{work}/{name}_run"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    # A fresh wrapper process per run, so RUSAGE_CHILDREN's max RSS is this run's alone.
    wrap = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print('RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(r.returncode)")
    p = subprocess.run(["/usr/bin/python3", "-c", wrap, lm, "--no-progress", "train", "--data", prefix, "--out", out, "--vocab-size", str(V),
                        "--n-layer", str(L), "--n-head", str(H), "--n-embd", str(C), "--seq-len", str(T),
                        "--batch-size", str(B), "--max-steps", str(steps + 2), "--warmup-steps", "1",
                        "--lr", "1e-4", "--threads", str(threads), "--eval-interval", "0",
                        "--kernels", "cpu-bf16" if bf16 else "cpu",
                        "--json"], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"lmforge train failed:\n{p.stderr}")
    rss = float(p.stderr.split("RSS_KB")[-1].split()[0]) / 1024
    rates = sorted(json.loads(l)["tokens_per_sec"] for l in list(open(out + "/metrics.jsonl"))[2:])
    info = json.load(open(out + "/run.json"))
    if bf16 and info.get("kernels_used") != "cpu-bf16":
        sys.exit("--bf16: this CPU has no AMX-BF16 (lmforge ran its fp32 kernels)")
    return {"tokens_per_sec": rates[len(rates) // 2], "rss_mb": rss,
            "peak": info["peak_flops"], "flops_per_token": info["flops_per_token"]}


def run_torch(cfg, steps, threads, bf16):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               OMP_WAIT_POLICY="PASSIVE")
    p = subprocess.run(["/usr/bin/python3", "-c", TORCH_BENCH] + [str(x) for x in cfg] + [str(steps), str(threads), str(int(bf16))],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def median_run(runs):
    """The run with the median tokens/s (its RSS and peak go with it); None if there are none."""
    runs = sorted(runs, key=lambda r: r["tokens_per_sec"])
    return runs[len(runs) // 2] if runs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lmforge")
    ap.add_argument("--configs", default="i,ii,iii")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--bf16", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench_train_")
    rows = []
    for name in a.configs.split(","):
        cfg = CONFIGS[name]
        steps = a.steps if name != "iii" else max(3, a.steps // 2)
        pairs = []
        for _ in range(a.repeats):
            o = run_lmforge(a.lmforge, work, name, cfg, steps, a.threads, a.bf16)
            t = run_torch(cfg, steps, a.threads, a.bf16)
            pairs.append((o, t))
            tt = t["tokens_per_sec"] if t else float("nan")
            print(f"config ({name}): lmforge {o['tokens_per_sec']:.0f} tok/s, PyTorch {tt:.0f} tok/s, "
                  f"ratio {o['tokens_per_sec'] / tt:.2f}x, load {os.getloadavg()[0]:.1f}", flush=True)
        ours, theirs = median_run([p[0] for p in pairs]), median_run([p[1] for p in pairs if p[1]])
        ratio = median([p[0]["tokens_per_sec"] / p[1]["tokens_per_sec"] for p in pairs if p[1]])
        fpt = ours["flops_per_token"]
        rows.append((name, ours, theirs, fpt, ratio))
    kind = "bf16 (AMX) matmul" if a.bf16 else "sgemm"
    print(f"\nthreads {a.threads}; {kind} peak measured by lmforge: {rows[0][1]['peak'] / 1e9:.1f} GFLOP/s\n")
    print(f"| config | lmforge tok/s | PyTorch tok/s | ratio | lmforge GFLOP/s | MFU (of {kind} peak) | "
          "lmforge peak RSS | PyTorch peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for name, o, t, fpt, ratio in rows:
        tt = t["tokens_per_sec"] if t else float("nan")
        gf = o["tokens_per_sec"] * fpt / 1e9
        print(f"| ({name}) | {o['tokens_per_sec']:.0f} | {tt:.0f} | {ratio:.2f}x | {gf:.1f} | "
              f"{100 * gf * 1e9 / o['peak']:.0f}% | {o['rss_mb']:.0f} MB | {t['rss_mb'] if t else float('nan'):.0f} MB |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
