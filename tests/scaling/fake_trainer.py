#!/usr/bin/env python3
"""fake_trainer.py: stands in for `lmforge train` in the sweep tests. Accepts the trainer's
flags, and writes RUN/metrics.jsonl whose losses follow a known Chinchilla law in the sweep's N
(non-embedding, 12 L h^2 + 13 L h + 2 h) and D (steps x batch x seq), with small seeded noise.
Like the real trainer it refuses a directory that already holds metrics.jsonl unless --resume,
and --resume continues from RUN/checkpoint/train_state.json.
FAKE_TRAINER_FAIL=name makes the run whose --out ends in name fail (exit 3).
FAKE_TRAINER_INTERRUPT=name:ckpt (or name:nockpt) makes that run stop half-way with exit 4,
after saving a checkpoint (or not), as an interrupted sweep would leave it.
Each invocation appends its --threads value and whether it resumed to RUN/invocations.txt."""
import argparse, json, math, os, random, sys

E, A, B, ALPHA, BETA = 1.6, 40.0, 90.0, 0.32, 0.30

p = argparse.ArgumentParser()
p.add_argument("cmd")
for f in ("--data", "--out"):
    p.add_argument(f)
for f in ("--n-layer", "--n-head", "--n-embd", "--seq-len", "--batch-size", "--max-steps", "--seed",
          "--threads"):
    p.add_argument(f, type=int)
p.add_argument("--lr", type=float)
p.add_argument("--resume", action="store_true")
a, _ = p.parse_known_args()
if os.environ.get("FAKE_TRAINER_FAIL") and a.out.endswith(os.environ["FAKE_TRAINER_FAIL"]):
    print("fake failure", file=sys.stderr)
    sys.exit(3)
metrics = os.path.join(a.out, "metrics.jsonl")
state = os.path.join(a.out, "checkpoint", "train_state.json")
if not a.resume and os.path.exists(metrics):
    print(f"{a.out}: already holds a run (metrics.jsonl)", file=sys.stderr)
    sys.exit(1)
start = 0
if a.resume:
    if not os.path.exists(state):
        print(f"{a.out}: no checkpoint to resume from", file=sys.stderr)
        sys.exit(1)
    start = json.load(open(state))["step"]
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "invocations.txt"), "a") as f:
    f.write(f"threads={a.threads} resume={int(a.resume)} start={start}\n")
stop, ckpt = None, False
intr = os.environ.get("FAKE_TRAINER_INTERRUPT", "")
if intr and not a.resume and a.out.endswith(intr.split(":")[0]):
    stop, ckpt = a.max_steps // 2, intr.endswith(":ckpt")
L, h = a.n_layer, a.n_embd
N = L * (12 * h * h + 13 * h) + 2 * h
rng = random.Random(hash((L, h, a.max_steps)) & 0xffffffff)
with open(metrics, "a") as f:
    k = max(1, a.max_steps // 50)
    for s in list(range(k, a.max_steps, k)) + [a.max_steps]:
        noise = math.exp(0.002 * rng.gauss(0, 1))  # drawn for every step: resumes are identical
        if s <= start:
            continue
        if stop is not None and s > stop:
            if ckpt:
                os.makedirs(os.path.dirname(state), exist_ok=True)
                json.dump({"step": stop}, open(state, "w"))
            print("fake interruption at step", stop, file=sys.stderr)
            sys.exit(4)
        D = s * a.batch_size * a.seq_len
        loss = (E + A / N ** ALPHA + B / D ** BETA) * noise
        f.write(json.dumps({"step": s, "tokens": D, "loss": loss, "lr": a.lr}) + "\n")
    D = a.max_steps * a.batch_size * a.seq_len
    f.write(json.dumps({"step": a.max_steps, "tokens": D, "val_loss": E + A / N ** ALPHA + B / D ** BETA}) + "\n")
print("fake trainer done", N, a.max_steps, "resumed from", start if a.resume else "-")
