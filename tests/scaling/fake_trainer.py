#!/usr/bin/env python3
"""fake_trainer.py: stands in for `lmforge train` in the sweep tests. Accepts the trainer's
flags, and writes RUN/metrics.jsonl whose losses follow a known Chinchilla law in the sweep's N
(non-embedding, 12 L h^2 + 13 L h + 2 h) and D (steps x batch x seq), with small seeded noise.
FAKE_TRAINER_FAIL=name makes the run whose --out ends in name fail (exit 3)."""
import argparse, json, math, os, random, sys

E, A, B, ALPHA, BETA = 1.6, 40.0, 90.0, 0.32, 0.30

p = argparse.ArgumentParser()
p.add_argument("cmd")
for f in ("--data", "--out"):
    p.add_argument(f)
for f in ("--n-layer", "--n-head", "--n-embd", "--seq-len", "--batch-size", "--max-steps", "--seed"):
    p.add_argument(f, type=int)
p.add_argument("--lr", type=float)
a, _ = p.parse_known_args()
if os.environ.get("FAKE_TRAINER_FAIL") and a.out.endswith(os.environ["FAKE_TRAINER_FAIL"]):
    print("fake failure", file=sys.stderr)
    sys.exit(3)
L, h = a.n_layer, a.n_embd
N = L * (12 * h * h + 13 * h) + 2 * h
rng = random.Random(hash((L, h, a.max_steps)) & 0xffffffff)
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "metrics.jsonl"), "w") as f:
    k = max(1, a.max_steps // 50)
    for s in list(range(k, a.max_steps, k)) + [a.max_steps]:
        D = s * a.batch_size * a.seq_len
        loss = (E + A / N ** ALPHA + B / D ** BETA) * math.exp(0.002 * rng.gauss(0, 1))
        f.write(json.dumps({"step": s, "tokens": D, "loss": loss, "lr": a.lr}) + "\n")
    D = a.max_steps * a.batch_size * a.seq_len
    f.write(json.dumps({"step": a.max_steps, "tokens": D, "val_loss": E + A / N ** ALPHA + B / D ** BETA}) + "\n")
print("fake trainer done", N, a.max_steps)
