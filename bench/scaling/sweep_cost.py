#!/usr/bin/env python3
"""sweep_cost.py: estimate what a `lmforge scaling sweep` config costs before running it.

    /usr/bin/python3 bench/scaling/sweep_cost.py build/release/lmforge examples/sweep.toml \
        [--steps 40] [--threads 1] [--train-binary OTHER_LMFORGE]

1. `lmforge scaling sweep --dry-run` plans the grid (OUT/plan.json);
2. for each distinct shape in the plan (and each shape that could be the held-out run), trains
   `--steps` steps with the config's seq_len, batch_size and data, and measures the CPU time the
   trainer used (user + sys of the child, so a loaded machine inflates it little), per token;
3. prints the CPU seconds each planned run needs, the total, and the held-out run's range.

CPU time per token includes start-up and one final evaluation, so short measurement runs
overstate it slightly. The estimate is per core; with `threads = 2` the wall time is the total
divided by the second thread's speed-up (between 1 and 2; measure it on an idle machine).
"""
import argparse, json, os, resource, shutil, subprocess, sys, tempfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def load_toml(path):
    if tomllib:
        with open(path, "rb") as f:
            return tomllib.load(f)
    import re
    cfg = {}
    for key in ("data", "out"):
        m = re.search(rf'^{key}\s*=\s*"([^"]*)"', open(path).read(), re.M)
        cfg[key] = m.group(1)
    for key in ("seq_len", "batch_size", "holdout_budget", "max_tokens"):
        m = re.search(rf"^{key}\s*=\s*([0-9.e+]+)", open(path).read(), re.M)
        if m:
            cfg[key] = float(m.group(1))
    text = open(path).read()
    cfg["shapes"] = [dict(n_layer=int(a), n_head=int(b), n_embd=int(c)) for a, b, c in re.findall(
        r"n_layer\s*=\s*(\d+),\s*n_head\s*=\s*(\d+),\s*n_embd\s*=\s*(\d+)", text)]
    m = re.search(r"^budgets\s*=\s*\[([^\]]*)\]", text, re.M)
    cfg["budgets"] = [float(x) for x in m.group(1).split(",")]
    return cfg


def cpu_per_token(lmforge, cfg, shape, steps, threads):
    out = tempfile.mkdtemp(prefix="sweep-cost-")
    seq, batch = int(cfg.get("seq_len", 128)), int(cfg.get("batch_size", 8))
    cmd = [lmforge, "--no-progress", "train", "--data", cfg["data"], "--out", out + "/run",
           "--n-layer", str(shape[0]), "--n-head", str(shape[1]), "--n-embd", str(shape[2]),
           "--seq-len", str(seq), "--batch-size", str(batch), "--max-steps", str(steps),
           "--eval-interval", "100000", "--eval-steps", "10", "--threads", str(threads),
           "--peak-flops", "1e10"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / (steps * seq * batch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lmforge")
    ap.add_argument("config")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--train-binary", help="lmforge used for the measurement runs (default: the "
                    "one given, which plans the sweep)")
    a = ap.parse_args()
    cfg = load_toml(a.config)
    out = subprocess.run([a.lmforge, "scaling", "sweep", "--config", a.config, "--dry-run",
                          "--json"], check=True, capture_output=True, text=True).stdout
    plan = json.loads(out)
    shapes = sorted({(r["n_layer"], r["n_head"], r["n_embd"]) for r in plan})
    hb = cfg.get("holdout_budget") or 4 * max(cfg["budgets"])
    per = int(cfg.get("seq_len", 128)) * int(cfg.get("batch_size", 8))
    hold = []
    for s in cfg["shapes"]:
        L, H, h = s["n_layer"], s["n_head"], s["n_embd"]
        n = L * (12 * h * h + 13 * h) + 2 * h
        d = max(1, round(hb / (6 * n) / per)) * per
        if not cfg.get("max_tokens") or d <= cfg["max_tokens"]:
            hold.append(((L, H, h), d))
    rate = {}
    for s in sorted(set(shapes) | {s for s, _ in hold}):
        rate[s] = cpu_per_token(a.train_binary or a.lmforge, cfg, s, a.steps, a.threads)
        print(f"shape {s}: {rate[s]:.3e} CPU s/token ({1 / rate[s]:.0f} tokens/CPU-s)", flush=True)
    total = 0
    for r in plan:
        s = (r["n_layer"], r["n_head"], r["n_embd"])
        t = r["tokens"] * rate[s]
        total += t
        print(f"  {r['name']:<28} D {r['tokens']:>10.0f}  {t:7.0f} CPU-s")
    hc = [d * rate[s] for s, d in hold]
    print(f"grid: {len(plan)} runs, {sum(r['tokens'] for r in plan) / 1e6:.2f}M tokens, "
          f"{total:.0f} CPU-s at {a.threads} thread(s)")
    print(f"held-out run: {min(hc):.0f}-{max(hc):.0f} CPU-s (depends on the fitted N_opt)")
    print(f"total: {total + min(hc):.0f}-{total + max(hc):.0f} CPU-s "
          f"({(total + max(hc)) / 3600:.2f} h of one core at most)")


if __name__ == "__main__":
    main()
