#!/usr/bin/env python3
"""cli_mpi_test.py LMFORGE WORKDIR: end to end through the CLI on a small byte-tokenized pack:
(1) `mpirun --allow-run-as-root --oversubscribe -np 2 lmforge train` (each rank batch B,
    gradients all-reduced) equals a single-process run with batch 2B, step by step (loss and
    gradient norm to 1e-4 relative) and in the final weights (1e-4 of the largest weight);
(2) `lmforge eval` and `lmforge generate` read the run (greedy generation is deterministic);
(3) bad input fails before any work with a clear message.
Exits 77 (skip, printed) when mpirun is missing; 1 on any mismatch."""
import json, os, shutil, struct, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_util import check, fails, finish, run, skip_missing_peer  # noqa: E402

lm, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


# a small corpus: lines of structured English-like text, one document per line
docs = []
words = "the of and to in is that it was for on are as with his they at be this from".split()
for i in range(600):
    docs.append({"id": f"d{i}", "text": " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(30 + i % 20))})
with open(f"{work}/docs.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
prefix = f"{work}/data"
run([lm, "--no-progress", "pack", "--in", f"{work}/docs.jsonl", "--tokenizer", "bytes", "--out", prefix,
     "--val-fraction", "0.1"])

common = ["train", "--data", prefix, "--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--seq-len", "32",
          "--max-steps", "8", "--warmup-steps", "2", "--lr", "3e-3", "--eval-interval", "4", "--eval-steps", "2",
          "--peak-flops", "1e11", "--seed", "3"]
run([lm, "--no-progress"] + common + ["--batch-size", "4", "--threads", "2", "--out", f"{work}/single"])
if shutil.which("mpirun") is None:
    skip_missing_peer("mpirun not found (Debian openmpi-bin); the MPI comparison did not run")
env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
p = run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", lm, "--no-progress"] + common +
        ["--batch-size", "2", "--threads", "1", "--out", f"{work}/mpi", "--json"], env=env)


def metrics(d):
    return [json.loads(l) for l in open(f"{d}/metrics.jsonl")]


ms, mm = metrics(f"{work}/single"), metrics(f"{work}/mpi")
check("mpi: 8 metrics lines", len(mm) == 8 and len(ms) == 8, f"{len(ms)} {len(mm)}")
check("mpi: same tokens per step", [m["tokens"] for m in ms] == [m["tokens"] for m in mm])
worst = max(abs(a[k] - b[k]) / abs(a[k]) for a, b in zip(ms, mm) for k in ("loss", "grad_norm"))
check("mpi: losses and norms equal single-process", worst < 1e-4, f"max rel diff {worst:.2e}")
vs = [m.get("val_loss") for m in ms]
vm = [m.get("val_loss") for m in mm]
check("mpi: val losses equal", all((a is None) == (b is None) and (a is None or abs(a - b) < 1e-4 * a)
                                   for a, b in zip(vs, vm)), f"{vs} {vm}")


def weights(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    return blob[8 + n:]


ws = weights(f"{work}/single/checkpoint/model.safetensors")
wm = weights(f"{work}/mpi/checkpoint/model.safetensors")
fs_, fm = struct.unpack(f"<{len(ws)//4}f", ws), struct.unpack(f"<{len(wm)//4}f", wm)
big = max(abs(x) for x in fs_)
d = max(abs(a - b) for a, b in zip(fs_, fm)) / big
check("mpi: final weights equal single-process", d < 1e-4, f"max diff / max weight {d:.2e}")

# eval and generate
e = json.loads(run([lm, "eval", "--checkpoint", f"{work}/single", "--data", prefix, "--json"]).stdout)
check("eval: val split, finite loss", e["split"] == "val" and 0 < e["loss"] < 6, str(e))
check("eval: perplexity = e^loss", abs(e["perplexity"] - 2.718281828 ** e["loss"]) < 1e-6 * e["perplexity"])
g1 = json.loads(run([lm, "generate", "--checkpoint", f"{work}/single", "--prompt", "the of", "--temperature", "0",
                     "-n", "20", "--json"]).stdout)
g2 = json.loads(run([lm, "generate", "--checkpoint", f"{work}/single", "--prompt", "the of", "--temperature", "0",
                     "-n", "20", "--json"]).stdout)
check("generate: greedy deterministic", g1["tokens"] == g2["tokens"] and len(g1["tokens"]) > 0, g1["completion"])
s = run([lm, "generate", "--checkpoint", f"{work}/single", "--prompt", "the", "-n", "10", "--seed", "5"]).stdout
check("generate: streams text starting with the prompt", s.startswith("the"), repr(s))

# bad input: each fails before any work, naming the problem
bad = [(["--n-head", "3"], "does not divide"), (["--vocab-size", "100"], "vocabulary"),
       (["--bogus-key", "1"], "bogus"), (["--seq-len", "64", "--n-ctx", "32"], "seq_len")]
for extra, needle in bad:
    out = f"{work}/bad"
    shutil.rmtree(out, ignore_errors=True)
    p = run([lm, "--no-progress"] + common + ["--batch-size", "4", "--out", out] + extra, ok=False)
    check(f"bad input {extra}: error", p.returncode == 1 and needle in (p.stderr + p.stdout)
          and not os.path.exists(f"{out}/metrics.jsonl"), p.stderr.strip()[:200])
with open(f"{work}/bad.toml", "w") as f:
    f.write("n_layer = 2\nlearning_rate = 1e-3\n")
p = run([lm, "--no-progress", "train", "--config", f"{work}/bad.toml", "--data", prefix, "--out", f"{work}/bad2"], ok=False)
check("bad toml key: error names file:line and key", p.returncode == 1 and "bad.toml:2" in p.stderr
      and "learning_rate" in p.stderr, p.stderr.strip()[:200])
finish()
