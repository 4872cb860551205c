#!/usr/bin/env python3
"""cli_test.py LMFORGE WORKDIR: `lmforge emergence` end to end at toy scale (a few seconds of
CPU): a 3-size ladder + one ICL model on a byte-level mixture of generated text and the built-in
task generators, 2 checkpoints each; every row present, metrics within their ranges, p^L recomputed
from the logged per-token accuracies and the answers' token counts, the ICL score from the kept
loss positions, CSV and report written; --resume redoes nothing; an [icl_mixture] study whose
ICL models also train on repeated random halves (Olsson et al.'s repeated tokens) and whose every
checkpoint is scored on held-out ones too (the paired contrast, CSV columns, report plots); bad
input (ladder < 3, a task missing from the held-out set, a folder holding another study or a
sweep, no --resume, repeated halves too short for token 500) fails with exit code 1, the
file/key and a hint, before any training. Exits 1 on any failure."""
import csv, json, math, os, random, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_util import check, fails, finish, run  # noqa: E402

lm, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
env = dict(os.environ, OMP_NUM_THREADS="1")


def lm_run(args, ok=True):
    return run([lm, "--no-progress"] + args, ok, env)


r = random.Random(1)
words = ("the of and to in is that it was for on are as with his they at be this from have or by one had not "
         "but what all were when we there can an your which their said if do will each about how up out").split()
with open(f"{work}/text.jsonl", "w") as f:
    for i in range(240):
        phrases = [" ".join(r.choice(words) for _ in range(6)) for _ in range(5)]
        f.write(json.dumps({"id": f"t{i}", "text": ". ".join(r.choice(phrases) for _ in range(40)) + "."}) + "\n")

LADDER = "".join(f"[[ladder]]\nn_layer = {l}\nn_head = {h}\nn_embd = {e}\n" for l, h, e in [(1, 1, 8), (2, 2, 16), (2, 2, 24)])


def config(name, out, ladder=LADDER, digits="[1, 2]", tasks='["arithmetic_add_1", "arithmetic_add_2", "induction_copy"]'):
    path = f"{work}/{name}.toml"
    with open(path, "w") as f:
        f.write(f'out = "{out}"\ntokenizer = "bytes"\nthreads = 1\nseq_len = 512\nbatch_size = 4\nlr = 3e-3\n'
                f'warmup_steps = 2\nmin_steps = 4\n{ladder}'
                '[[icl_models]]\nn_layer = 1\nn_head = 2\nn_embd = 16\n'
                f'[mixture]\ntext = ["{work}/text.jsonl"]\narithmetic_digits = {digits}\narithmetic_train = 300\n'
                'arithmetic_format = "reversed"\narithmetic_epochs = 2\n'
                'induction_train = 200\nicl_fraction = 0.1\nicl_documents = 8\nval_fraction = 0.05\n'
                '[budget]\nrule = "fixed"\ntokens = 16384\ncheckpoints = 2\n'
                f'[eval]\ntasks = {tasks}\nstrategies = ["zero-shot", "k-shot", "cot", "sc"]\n'
                'k_shot = 2\nlimit = 8\nsc_limit = 3\nsc_samples = 2\n')
    return path


study = f"{work}/study"
cfg = config("tiny", study)
p = lm_run(["emergence", "--config", cfg, "--dry-run"])
check("dry run prints the plan with measured tokens/s", "tok/s" in p.stdout and "estimated training time" in p.stdout
      and not os.path.exists(f"{study}/emergence.json"), p.stdout[-400:])
p = lm_run(["emergence", "--config", cfg])
j = json.load(open(f"{study}/emergence.json"))
rows = j["rows"]
check("one row per model and checkpoint", len(rows) == 4 * 2 and {r["step"] for r in rows} == {4, 8}, str(len(rows)))
keys = ["params", "non_embedding_params", "tokens", "layers", "width"]
check("rows carry params, non_embedding_params, tokens, layers, width",
      all(all(isinstance(r[k], (int, float)) and r[k] > 0 for k in keys) for r in rows))
ranges = {"exact_match": (0, 1), "token_accuracy": (0, 1), "acc": (0, 1), "target_logprob": (-1e9, 0),
          "token_edit_distance": (0, 1e9), "brier_score": (0, 2)}
bad, seen = [], set()
for r in rows:
    for t in ["arithmetic_add_1", "arithmetic_add_2", "induction_copy"]:
        strategies = ["zero-shot", "k-shot"] + (["cot", "sc"] if t.startswith("arith") else [])
        for s in strategies:
            ms = r["metrics"].get(t, {}).get(s, {})
            for m in ["exact_match", "token_edit_distance"] + (["target_logprob", "token_accuracy"] if s != "sc" else []):
                if m not in ms or ms[m]["value"] is None:
                    bad.append(f"{r['model']}/{r['step']}/{t}/{s}/{m} missing")
                    continue
                lo, hi = ranges[m]
                if not lo <= ms[m]["value"] <= hi:
                    bad.append(f"{t}/{s}/{m}={ms[m]['value']}")
                seen.add(m)
check("every task x strategy x metric present and in range", not bad, "; ".join(bad[:5]))
# p^L from the logged token accuracy and the answers' byte-token counts (the reversed format:
# no delimiter, the sum's digits least significant first)
docs = [json.loads(l) for l in open(f"{study}/tasks/arithmetic_add_2/test.jsonl")][:8]
check("reversed format: the task data carry the reversed answer",
      all(d["answer_reversed"] == d["answer"][::-1] for d in docs))
yaml = open(f"{study}/eval-tasks/arithmetic_add_2.yaml").read()
check("reversed format: the prompt and target are the mixture's",
      'doc_to_text: "{{a}}+{{b}}="' in yaml and 'doc_to_target: "{{answer_reversed}}"' in yaml
      and 'target_delimiter: ""' in yaml, yaml[:300])
lengths = [len(d["answer"]) for d in docs]
mir = j["analysis"]["mirage"]["arithmetic_add_2"]["zero-shot"]
final = sorted([r for r in rows if r["role"] == "ladder" and r["final"]], key=lambda r: r["non_embedding_params"])
errs = []
for pt, r in zip(mir["points"], final):
    p_tok = r["metrics"]["arithmetic_add_2"]["zero-shot"]["token_accuracy"]["value"]
    want = sum(p_tok ** l for l in lengths) / len(lengths)
    if abs(pt["predicted_pL"] - want) > 1e-9 or abs(pt["token_accuracy"] - p_tok) > 1e-12:
        errs.append(f"{pt['predicted_pL']} vs {want}")
check("p^L is computed from the logged per-token accuracies", len(mir["points"]) == 3 and not errs, str(errs))
check("the mirage test has a fit and a verdict", mir["fit_logit_token_accuracy_vs_log10N"] is not None and mir["verdict"])
icl = [r for r in rows if r["icl_score"] is not None]
check("ICL score at every checkpoint = loss(500) - loss(50)",
      len(icl) == len(rows) and all(abs(r["icl_score"] - (r["loss_token_500"] - r["loss_token_50"])) < 1e-6 for r in icl))
check("ICL curves for 1-layer and 2-layer models",
      {m["layers"] for m in j["analysis"]["icl"] if m["curve"]} >= {1, 2})
# the paired ICL contrast: the 1-layer model minus the 2-layer one of its width, per document
con = j["analysis"]["icl_contrast"]
one = {r["step"]: r["icl_per_document"] for r in rows if r["model"] == "icl-l1-h2-e16"}
two = {r["step"]: r["icl_per_document"] for r in rows if r["model"] == "ladder-l2-h2-e16"}
errs = []
for pt in (con[0]["points"] if len(con) == 1 else []):
    d = [a - b for a, b in zip(one[pt["step"]], two[pt["step"]])]
    m = sum(d) / len(d)
    se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    if abs(pt["contrast"] - m) > 1e-9 or abs(pt["stderr"] - se) > 1e-9 or pt["documents"] != len(d):
        errs.append(f"{pt} vs {m} {se}")
check("ICL contrast = paired mean difference with its standard error",
      len(con) == 1 and len(con[0]["points"]) == 2 and not errs and len(one[8]) >= 2, str(errs)[:300])
check("per-document ICL scores average to the checkpoint's ICL score",
      all(abs(sum(v) / len(v) - r["icl_score"]) < 1e-6 for r in rows for v in [r["icl_per_document"]]))
check("k-shot gain and CoT gain per size", len(j["analysis"]["kshot_gain"]) == 3 and len(j["analysis"]["cot_gain"]) == 3)
with open(f"{study}/emergence.csv") as f:
    c = list(csv.DictReader(f))
check("emergence.csv: one line per row with the metric columns", len(c) == len(rows)
      and "arithmetic_add_2/zero-shot/token_accuracy_stderr" in c[0])
# held out: no test instance of the tasks appears in the training mixture
mix = open(f"{study}/data/mixture.jsonl").read()
all_test = [json.loads(l) for n in (1, 2) for l in open(f"{study}/tasks/arithmetic_add_{n}/test.jsonl")]
leak = [d for d in all_test if f"\"{d['a']}+{d['b']}=" in mix or f"n{d['a']}+{d['b']}=" in mix]
check("held-out arithmetic instances never in the mixture", not leak, str(leak[:2]))
p = lm_run(["report", study])
html = open(f"{study}/report.html").read()
check("report: an emergence page with plots", "emergence report" in p.stdout and html.count("<svg") >= 7
      and "In-context learning score" in html and "ICL contrast" in html)
# gnuplot's enhanced text: "add_2@sc" must not lose its "@" (a phantom box) or its "_"
check("report: plot keys show task names as written", ">arithmetic_add_2@sc<" in html
      and ">arithmetic_add_2<" in html and ">arithmetic<" not in html)
# resume: nothing is retrained or re-evaluated, same bytes
before = open(f"{study}/emergence.json").read()
p = lm_run(["emergence", "--config", cfg, "--resume"])
check("--resume redoes nothing and gives the same emergence.json", "trained 0, already done 4" in p.stdout
      and open(f"{study}/emergence.json").read() == before, p.stdout[-300:])

# bad input: clear errors, exit code 1, before any training
def fails_with(name, args, want, where=None):
    p = lm_run(args, ok=False)
    check(name, p.returncode == 1 and want in p.stderr and "hint:" in p.stderr
          and (where is None or not os.path.exists(where)), p.stderr.strip()[-300:])

fails_with("no --resume on an existing study", ["emergence", "--config", cfg], "already holds this study")
two = "".join(f"[[ladder]]\nn_layer = 1\nn_head = 1\nn_embd = {e}\n" for e in [8, 16])
fails_with("ladder < 3 sizes", ["emergence", "--config", config("two", f"{work}/two", ladder=two)],
           "two.toml: ladder: has 2 sizes", f"{work}/two")
fails_with("task missing from the held-out set",
           ["emergence", "--config", config("miss", f"{work}/miss", digits="[1]")],
           "not in the mixture's held-out set", f"{work}/miss")
other = config("other", study, ladder=LADDER.replace("n_embd = 24", "n_embd = 32"))
fails_with("a folder holding another study", ["emergence", "--config", other, "--resume"], "holds another emergence study")
# the same plan on another mixture: the kept models were trained on the old one
remix = config("remix", study)
text = open(remix).read().replace("arithmetic_train = 300\n", "arithmetic_train = 300\ntext_fraction = 0.5\n", 1)
open(remix, "w").write(text)
fails_with("kept models trained on another mixture", ["emergence", "--config", remix, "--resume"],
           "ladder-l1-h1-e8 was trained on another mixture")
def with_loader(name, out, mode):
    path = config(name, out)
    text = open(path).read()
    open(path, "w").write(text.replace('tokenizer = "bytes"\n', f'tokenizer = "bytes"\nloader_mode = "{mode}"\n', 1))
    return path
fails_with("an unknown loader_mode", ["emergence", "--config", with_loader("badloader", f"{work}/badloader", "windows")],
           "loader_mode: concatenate, pad or docmask", f"{work}/badloader")
# loader_mode reaches the trainer of every model (docmask: each document at positions 0..)
dm = f"{work}/docmask"
p = lm_run(["emergence", "--config", with_loader("docmask", dm, "docmask")])
runs = sorted(os.listdir(f"{dm}/models"))
check("loader_mode = docmask: every model trained with it, every row written",
      len(runs) == 4 and all('loader_mode = "docmask"' in open(f"{dm}/models/{m}/run/config.toml").read() for m in runs)
      and len(json.load(open(f"{dm}/emergence.json"))["rows"]) == 8
      and json.load(open(f"{dm}/emergence.json")).get("loader_mode") == "docmask", p.stdout[-300:])
# [icl_mixture] + budget.icl_tokens: the ICL models train on their own data and tokens; their
# copies contiguous (induction_separator = "") while the ladder's stay spaced, so the ICL models
# are prompted from OUT/eval-tasks-icl, the ladder from OUT/eval-tasks
im = f"{work}/iclmix"
path = config("iclmix", im)
text = open(path).read().replace("[[icl_models]]\n", "[[icl_models]]\nn_layer = 2\nn_head = 2\nn_embd = 16\n[[icl_models]]\n", 1)
text = text.replace('"induction_copy"]', '"induction_copy", "induction_copy_shifted"]', 1)
text = text.replace("[budget]\n", "[icl_mixture]\narithmetic_digits = [1]\narithmetic_train = 20\ninduction_train = 600\n"
                    'induction_separator = ""\nrepeat_train = 40\n'
                    "induction_lengths = [4, 12]\n[budget]\nicl_tokens = 24576\nicl_batch_size = 2\n", 1)
# Olsson's repeated random tokens: the ICL models train on 40 repeated-halves documents, and
# every checkpoint gets an ICL score on 4 held-out ones as well
text = text.replace("icl_documents = 8\n", "icl_documents = 8\nrepeat_documents = 4\n", 1)
open(path, "w").write(text)
p = lm_run(["emergence", "--config", path])
j = json.load(open(f"{im}/emergence.json"))
steps = {r["model"]: max(x["step"] for x in j["rows"] if x["model"] == r["model"]) for r in j["rows"]}
icl_cfg = open(f"{im}/models/icl-l1-h2-e16/run/config.toml").read()
ladder_cfg = open(f"{im}/models/ladder-l1-h1-e8/run/config.toml").read()
check("[icl_mixture]: the ICL models train on data-icl for budget.icl_tokens at budget.icl_batch_size, the ladder on data",
      "data-icl/mix" in icl_cfg and "data-icl" not in ladder_cfg and steps["icl-l1-h2-e16"] == 24
      and "batch_size = 2\n" in icl_cfg and "batch_size = 4\n" in ladder_cfg and j["icl_batch_size"] == 2
      and all(r["tokens"] == r["step"] * (2 if r["role"] == "icl" else 4) * 512 for r in j["rows"])
      and steps["ladder-l1-h1-e8"] == 8 and j["icl_mixture"]["induction_instances"] == 600
      and j["mixture"]["induction_instances"] == 200 and "the ICL models' own mixture" in p.stdout,
      f"{steps} {j.get('icl_mixture')} {p.stdout[-300:]}")
contrast = j["analysis"]["icl_contrast"]
check("[icl_mixture]: the 1-layer ICL model is paired with the 2-layer ICL model only",
      [(c["one_layer"], c["multi_layer"]) for c in contrast] == [("icl-l1-h2-e16", "icl-l2-h2-e16")]
      and len(contrast[0]["points"]) == 2, str(contrast)[:300])
copies = [json.loads(l)["text"] for l in open(f"{im}/data-icl/mixture.jsonl")]
copies = [c for t in copies for c in t.split("\n\n") if set(c) <= set("abcdefghijklmnopqrstuvwxyz\n")]
ladder_copies = [c for t in open(f"{im}/data/mixture.jsonl") for c in json.loads(t)["text"].split("\n\n")
                 if set(c) <= set("abcdefghijklmnopqrstuvwxyz \n") and " " in c]
doc = json.loads(open(f"{im}/tasks/induction_copy/test.jsonl").readline())
yaml = open(f"{im}/eval-tasks-icl/induction_copy.yaml").read()
ladder_yaml = open(f"{im}/eval-tasks/induction_copy.yaml").read()
check("induction_separator = \"\" in [icl_mixture]: contiguous ICL copies and prompts, the ladder's spaced",
      len(copies) >= 500 and all(t == t.split("\n")[0] + "\n" + t.split("\n")[0] for t in copies)
      and len(ladder_copies) == 200
      and doc["sequence_contiguous"] == doc["sequence"].replace(" ", "")
      and "{{sequence_contiguous}}" in yaml and 'target_delimiter: ""' in yaml
      and "{{sequence}}" in ladder_yaml and 'target_delimiter: " "' in ladder_yaml
      and "induction_copy exact match icl-l2-h2-e16:" in p.stdout
      and "induction_copy_shifted exact match icl-l2-h2-e16:" in p.stdout
      and all(r["metrics"]["induction_copy_shifted"]["zero-shot"]["exact_match"]["value"] is not None for r in j["rows"]),
      yaml[:300])
# the repeated halves: trained by the ICL models only, held out from data_seed, scored on every row
held = [json.loads(l)["text"] for l in open(f"{im}/data/icl-repeat.jsonl")]
trained = [json.loads(l)["text"] for l in open(f"{im}/data-icl/mixture.jsonl")]
trained = [t for t in trained if len(t) >= 512 and t[:len(t) // 2] == t[len(t) // 2:]]
check("repeat_train in [icl_mixture]: 40 repeated-halves documents in data-icl, none in data, none held out",
      j["icl_mixture"]["repeat_instances"] == 40 and j["mixture"]["repeat_instances"] == 0
      and len(trained) == 40 and all(256 <= len(t) // 2 <= 320 for t in trained)
      and not set(trained) & set(held), f"{j['icl_mixture'].get('repeat_instances')} {len(trained)}")
check("repeat_documents: 4 held-out documents of L symbols then the same L",
      len(held) == 4 and all(t[:len(t) // 2] == t[len(t) // 2:] and 256 <= len(t) // 2 <= 320 for t in held)
      and j["mixture"]["icl_repeat_documents"] == 4, str(len(held)))
check("ICL score on repeated halves at every checkpoint = loss(500) - loss(50), the mean of its documents",
      all(len(r["icl_repeat_per_document"]) == 4
          and abs(r["icl_repeat_score"] - (r["repeat_loss_token_500"] - r["repeat_loss_token_50"])) < 1e-6
          and abs(sum(r["icl_repeat_per_document"]) / 4 - r["icl_repeat_score"]) < 1e-6 for r in j["rows"])
      and all(len(r["repeat_loss_by_position"]) == len(r["loss_by_position"]) for r in j["rows"]),
      str([r.get("icl_repeat_score") for r in j["rows"]]))
one = {r["step"]: r["icl_repeat_per_document"] for r in j["rows"] if r["model"] == "icl-l1-h2-e16"}
two = {r["step"]: r["icl_repeat_per_document"] for r in j["rows"] if r["model"] == "icl-l2-h2-e16"}
errs = []
for pt in contrast[0]["points"]:
    d = [a - b for a, b in zip(one[pt["step"]], two[pt["step"]])]
    m = sum(d) / len(d)
    se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    if abs(pt["repeat_contrast"] - m) > 1e-9 or abs(pt["repeat_stderr"] - se) > 1e-9 or pt["repeat_documents"] != 4:
        errs.append(f"{pt} vs {m} {se}")
check("ICL contrast on repeated halves = the paired mean difference with its standard error",
      len(contrast[0]["points"]) == 2 and not errs and "on repeated halves (4 documents)" in p.stdout
      and "on repeated halves icl-l2-h2-e16:" in p.stdout, str(errs)[:300] + p.stdout[-400:])
with open(f"{im}/emergence.csv") as f:
    c = list(csv.DictReader(f))
check("emergence.csv: mlp and the repeated-halves ICL score per row",
      len(c) == len(j["rows"]) and all(c[i]["mlp"] == "1" and abs(float(c[i]["icl_repeat_score"])
                                       - j["rows"][i]["icl_repeat_score"]) < 1e-5 for i in range(len(c))))
lm_run(["report", im])
html = open(f"{im}/report.html").read()
check("report: ICL score and contrast plots on the repeated halves too",
      "ICL score on repeated random halves against training tokens" in html
      and "ICL contrast on repeated random halves" in html and "text / repeated halves" in html, html[:200])
# resumed with another held-out set of repeated halves: nothing retrained, every checkpoint scored
# again on the new set; resumed without one: no repeated-halves score is reported
trained_line = [l for l in p.stdout.splitlines() if l.startswith("trained ")]
open(path, "w").write(text.replace("repeat_documents = 4\n", "repeat_documents = 3\n", 1))
p = lm_run(["emergence", "--config", path, "--resume"])
j3 = json.load(open(f"{im}/emergence.json"))
check("--resume with repeat_documents changed: the checkpoints rescored on the new set, none retrained",
      p.stdout.count("trained 0, already done") == 1 and len(j3["rows"]) == len(j["rows"])
      and all(len(r["icl_repeat_per_document"]) == 3 for r in j3["rows"])
      and [r["icl_score"] for r in j3["rows"]] == [r["icl_score"] for r in j["rows"]]
      and len(open(f"{im}/data/icl-repeat.jsonl").readlines()) == 3, p.stdout[-300:] + str(trained_line))
open(path, "w").write(text.replace("repeat_documents = 4\n", "", 1))
p = lm_run(["emergence", "--config", path, "--resume"])
j0 = json.load(open(f"{im}/emergence.json"))
check("--resume without repeat_documents: no repeated-halves score in the rows",
      "trained 0, already done" in p.stdout and len(j0["rows"]) == len(j["rows"])
      and not any(k.startswith("icl_repeat") or k.startswith("repeat_loss") for r in j0["rows"] for k in r)
      and "on repeated halves" not in p.stdout, p.stdout[-300:])
rep = config("badrep", f"{work}/badrep")
text = open(rep).read().replace("icl_documents = 8\n", "icl_documents = 8\nrepeat_documents = 4\n"
                                "repeat_lengths = [64, 80]\n", 1)
open(rep, "w").write(text)
fails_with("repeated halves too short to reach token 500", ["emergence", "--config", rep],
           "mixture.repeat_lengths: [64, 80] with repeat_documents", f"{work}/badrep")
bad = config("badiclmix", f"{work}/badiclmix").replace(".toml", "") + ".toml"
open(bad, "a").write("[icl_mixture]\nicl_fraction = 0.2\n")
fails_with("icl_mixture may not change the held-out ICL set",
           ["emergence", "--config", bad], "icl_mixture.icl_fraction: is set in [mixture] only", f"{work}/badiclmix")
os.makedirs(f"{work}/sweep")
open(f"{work}/sweep/runs.csv", "w").write("params,tokens,loss\n")
fails_with("a folder holding a sweep", ["emergence", "--config", cfg, "--out", f"{work}/sweep"], "a scaling sweep")
finish()
