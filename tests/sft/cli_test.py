#!/usr/bin/env python3
"""cli_test.py LMFORGE WORKDIR: `lmforge sft` end to end through the CLI at toy scale:
a BPE tokenizer without the chat tokens -> pack -> a tiny base (train) -> `sft synthetic` ->
`sft` (adds the 4 chat tokens and grows the embedding, says so; metrics.jsonl with the loss-mask
fraction and val_loss; tokenizer_config.json with the chat_template beside tokenizer.json);
resume is bit-identical (6 steps + resume to 12 = 12 straight, same weights bytes); MPI (2
ranks x batch B = 1 rank x 2B, to float tolerance) when mpirun exists; `generate --chat` and
`eval tasks` on a synthetic task read the run; `tokenizer train --special-tokens chat` reserves
the markers; bad input fails with a clear message (missing base, bad record with file:line,
too-long conversations counted). Exits 1 on any failure."""
import json, os, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_util import check, fails, finish, in_ci, run  # noqa: E402

lm, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def lm_run(args, ok=True, env=None):
    return run([lm, "--no-progress"] + args, ok, env)


words = ("the of and to in is that it was for on are as with his they at be this from what number "
         "plus minus comes after before is even yes no which larger").split()
with open(f"{work}/docs.jsonl", "w") as f:
    for i in range(400):
        f.write(json.dumps({"id": f"d{i}", "text": " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(40))
                            + f" {i} {i + 1}."}) + "\n")
lm_run(["tokenizer", "train", "--algo", "bpe", "--vocab-size", "400", "--in", f"{work}/docs.jsonl",
     "--out", f"{work}/tok.json", "--threads", "1"])
lm_run(["tokenizer", "train", "--algo", "bpe", "--vocab-size", "400", "--in", f"{work}/docs.jsonl",
     "--out", f"{work}/tok_chat.json", "--threads", "1", "--special-tokens", "chat"])
info = json.loads(lm_run(["tokenizer", "info", "--tokenizer", f"{work}/tok_chat.json", "--json"]).stdout)
check("tokenizer train --special-tokens chat reserves the markers",
      all(t in json.dumps(info) for t in ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>"]))
lm_run(["pack", "--in", f"{work}/docs.jsonl", "--tokenizer", f"{work}/tok.json", "--out", f"{work}/pack",
     "--val-fraction", "0.05"])
lm_run(["train", "--data", f"{work}/pack", "--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--seq-len", "64",
     "--max-steps", "10", "--batch-size", "4", "--peak-flops", "1e11", "--threads", "2", "--out", f"{work}/base"])
p = lm_run(["sft", "synthetic", "--out", f"{work}/syn.jsonl", "--train-per-type", "60", "--eval-per-type", "10", "--json"])
types = json.loads(p.stdout)["types"]
check("sft synthetic writes every number type", len(types) >= 6, str([t["type"] for t in types]))

common = ["sft", "--checkpoint", f"{work}/base", "--data", f"{work}/syn.jsonl", "--batch-size", "4",
          "--peak-flops", "1e11", "--eval-interval", "3", "--eval-steps", "2", "--seed", "5",
          "--lr-schedule", "constant"]
p = lm_run(common + ["--max-steps", "12", "--threads", "2", "--out", f"{work}/sft", "--json"])
s = json.loads(p.stdout)
check("sft adds the 4 chat tokens and grows the embedding", s["added_tokens"] == 4 and s["vocab"] >= s["base_vocab"] + 4
      and "added 4 special tokens" in p.stderr and "mean embedding" in p.stderr, p.stderr[-600:])
m = [json.loads(l) for l in open(f"{work}/sft/metrics.jsonl")]
check("metrics.jsonl has the loss-mask fraction and val_loss",
      len(m) == 12 and all(0 < x["loss_mask_fraction"] < 0.5 for x in m) and any("val_loss" in x for x in m))
vl = [x["val_loss"] for x in m if "val_loss" in x]
check("SFT learns: the held-out val_loss on replies falls", len(vl) >= 2 and vl[-1] < vl[0] - 0.05, str(vl))
ck = f"{work}/sft/checkpoint"
tc = json.load(open(f"{ck}/tokenizer_config.json"))
check("tokenizer_config.json has the chat_template beside tokenizer.json",
      "chat_template" in tc and os.path.exists(f"{ck}/tokenizer.json"))

# resume: 6 steps, then --resume to 12 == 12 straight
lm_run(common + ["--max-steps", "6", "--threads", "2", "--out", f"{work}/half"])
lm_run(common + ["--max-steps", "12", "--threads", "2", "--out", f"{work}/half", "--resume"])
same = open(f"{work}/half/checkpoint/model.safetensors", "rb").read() == open(f"{ck}/model.safetensors", "rb").read()
check("sft resume is bit-identical (6 + 6 steps = 12 steps, constant lr)", same)

if shutil.which("mpirun"):
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    one = common[:]
    one[one.index("--batch-size") + 1] = "8"
    lm_run(one + ["--max-steps", "4", "--threads", "2", "--out", f"{work}/one"])
    two = common + ["--max-steps", "4", "--threads", "1", "--out", f"{work}/two"]
    p = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", lm, "--no-progress"] + two,
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
    a = [json.loads(l)["loss"] for l in open(f"{work}/one/metrics.jsonl")]
    b = [json.loads(l)["loss"] for l in open(f"{work}/two/metrics.jsonl")] if p.returncode == 0 else []
    check("sft under mpirun -np 2 (batch 4 each) = one process (batch 8)",
          len(a) == len(b) == 4 and all(abs(x - y) <= 1e-4 * abs(x) for x, y in zip(a, b)), f"{a} vs {b}")
else:
    print("note: mpirun not found; the MPI comparison did not run")

p = lm_run(["generate", "--chat", "--checkpoint", f"{work}/sft", "--prompt", "What is 2 plus 3?", "-n", "8",
         "--temperature", "0", "--json"])
check("generate --chat replies", "reply" in json.loads(p.stdout))
yaml = f"{work}/syn_eval/sft_add.yaml"
p = lm_run(["eval", "tasks", "--checkpoint", f"{work}/sft", "--tasks", yaml, "--output", f"{work}/ev", "--json"])
check("eval tasks scores a chat-formatted synthetic task", "sft_add" in p.stdout)
p = lm_run(["eval", "tasks", "--checkpoint", f"{work}/base", "--tasks", yaml, "--output", f"{work}/ev0", "--json"])
check("the base model is scored on the same rendered prompt", "sft_add" in p.stdout)

# the terminal chat under tmux, as a person uses it: a question, the streamed reply, /reset, /quit
if shutil.which("tmux"):
    import time
    sess = f"lmforge_sft_{os.getpid()}"
    def pane():
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", sess], capture_output=True, text=True).stdout
    def wait_for(text, n, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if pane().count(text) >= n:
                return True
            time.sleep(0.3)
        return False
    subprocess.run(["tmux", "new-session", "-d", "-s", sess, "-x", "160", "-y", "40",
                    f"{lm} chat --checkpoint {work}/sft -n 6; echo CHAT-EXITED; sleep 30"], check=True)
    ok = wait_for("you>", 1)
    subprocess.run(["tmux", "send-keys", "-t", sess, "What is 2 plus 3?", "Enter"])
    ok = ok and wait_for("you>", 2)  # capture-pane drops the trailing space
    subprocess.run(["tmux", "send-keys", "-t", sess, "/reset", "Enter"])
    ok = ok and wait_for("(conversation reset)", 1)
    subprocess.run(["tmux", "send-keys", "-t", sess, "/quit", "Enter"])
    ok = ok and wait_for("CHAT-EXITED", 1)
    screen = pane()
    subprocess.run(["tmux", "kill-session", "-t", sess])
    check("lmforge chat under tmux: question, streamed reply, /reset, /quit",
          ok and "model> " in screen and "What is 2 plus 3?" in screen, screen)
else:
    ci = in_ci()
    print("FAIL (CI=true):" if ci else "note:", "tmux not found; the terminal chat test did not run")
    if ci:
        fails.append("tmux missing")

# bad input
p = lm_run(["sft", "--checkpoint", f"{work}/nothere", "--data", f"{work}/syn.jsonl", "--out", f"{work}/x"], ok=False)
check("a base checkpoint that does not exist is an error", p.returncode == 1 and "no base checkpoint" in p.stderr, p.stderr)
with open(f"{work}/bad.jsonl", "w") as f:
    f.write(json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}) + "\n")
    f.write(json.dumps({"messages": [{"role": "user", "content": "q"}]}) + "\n")
    f.write(json.dumps({"prompt": "long " * 200, "completion": "x"}) + "\n")
p = lm_run(["sft", "--checkpoint", f"{work}/base", "--data", f"{work}/bad.jsonl", "--out", f"{work}/bad"], ok=False)
check("a bad record fails naming file:line", p.returncode == 1 and "bad.jsonl:2: the conversation has no assistant turn" in p.stderr, p.stderr)
p = lm_run(["sft", "--checkpoint", f"{work}/base", "--data", f"{work}/bad.jsonl,{work}/syn.jsonl", "--on-error", "skip",
         "--max-steps", "1", "--batch-size", "2", "--peak-flops", "1e11", "--out", f"{work}/skip", "--json"], ok=False)
out = json.loads(p.stdout) if p.returncode == 0 else {}
check("--on-error skip counts the bad and the too-long records",
      out.get("skipped", {}).get("the conversation has no assistant turn") == 1 and
      any("longer than the context" in k for k in out.get("skipped", {})), p.stdout + p.stderr[-400:])
finish()
