#!/usr/bin/env python3
"""fewshot_reference.py SAMPLES EVAL_JSONL POOL_JSONL SPEC_JSON: the few-shot prompts of
lm-evaluation-harness's ContextSampler, recomputed with the Python standard library only, against
the contexts lmforge logged in SAMPLES (`lmforge eval tasks --log-samples`: arguments[0][0]).

SPEC_JSON: {"k", "seed", "sampler" (default | first_n), "same_split" (the pool is the evaluated
split), "text" and "target" (str.format templates over a document's fields), "description",
"target_delimiter", "fewshot_delimiter"}. The rules, as lm_eval/api/samplers.py applies them:
one random.Random(seed) for the whole task, advanced document after document in doc_id order;
the default sampler draws rnd.sample(pool, n) with n = k + 1 when the pool is the evaluated split
(else k), drops the shots equal to the evaluated document and keeps the first k; first_n takes
pool[:n] the same way. The prompt is description + Σ(text + target_delimiter + target +
fewshot_delimiter) + text. Prints the first mismatch; exits 1 on any."""
import json
import random
import sys

samples_path, eval_path, pool_path, spec = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


docs, pool, logged = read_jsonl(eval_path), read_jsonl(pool_path), read_jsonl(samples_path)
k, rnd = spec["k"], random.Random(spec["seed"])
n = k + 1 if spec["same_split"] else k
bad = 0
for s in logged:
    doc = docs[s["doc_id"]]
    drawn = pool[:n] if spec["sampler"] == "first_n" else rnd.sample(pool, n)
    shots = [x for x in drawn if x != doc][:k]
    ctx = spec["description"]
    for d in shots:
        ctx += (spec["text"].format(**d) + spec["target_delimiter"] + spec["target"].format(**d) +
                spec["fewshot_delimiter"])
    ctx += spec["text"].format(**doc)
    got = s["arguments"][0][0]
    if got != ctx:
        bad += 1
        if bad == 1:
            print(f"doc {s['doc_id']}: lmforge's context\n{got!r}\nthe harness's sampler\n{ctx!r}")
print(f"{len(logged)} prompts, {bad} differ")
sys.exit(1 if bad or not logged else 0)
