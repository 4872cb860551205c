#!/usr/bin/python3
"""metrics_reference.py: lm-evaluation-harness's metric and filter formulas, rewritten here in
Python's standard library only (re, collections.Counter, math, string, random) exactly as the
harness writes them (lm_eval/api/metrics.py, api/task.py process_results, filters/*.py, HF
evaluate's exact_match), on fixed inputs including the edge cases. Prints one JSON object of
{section: [{inputs..., "expected": ...}]}; metrics_test.cc / filters_test.cc compare lmforge's
answers to it. Non-finite floats are written as the strings "nan", "inf", "-inf".
"""
import json
import math
import random
import re
import string
import sys
from collections import Counter


def enc(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, (list, tuple)):
        return [enc(v) for v in x]
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    return x


# numpy.argmax: first maximal value; NaN counts as the maximum (first NaN wins).
def np_argmax(xs):
    best = 0
    for i, x in enumerate(xs):
        if math.isnan(x):
            return i
        if x > xs[best]:
            best = i
    return best


def np_div(a, b):  # numpy float division
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return float("nan")
        return math.copysign(float("inf"), a)
    return a / b


# utils.softmax
def softmax(x):
    m = max(x)
    e = [math.exp(v - m) for v in x]
    s = sum(e)
    return [v / s for v in e]


# task.py process_results, output_type multiple_choice (the metrics this module computes).
def multiple_choice(lls, choices, gold, unconditional):
    completion_len = [float(len(c)) for c in choices]
    byte_length = [float(len(c.encode("utf-8"))) for c in choices]
    pred = np_argmax(lls)
    pred_norm = np_argmax([np_div(l, n) for l, n in zip(lls, completion_len)])
    pred_byte = np_argmax([np_div(l, n) for l, n in zip(lls, byte_length)])
    out = {
        "acc": 1.0 if pred in gold else 0.0,
        "acc_norm": 1.0 if pred_norm in gold else 0.0,
        "acc_bytes": 1.0 if pred_byte in gold else 0.0,
    }
    if unconditional is not None:
        mi = [c - u for c, u in zip(lls, unconditional)]
        out["acc_mutual_info"] = 1.0 if np_argmax(mi) in gold else 0.0
    if len(gold) == 1:
        # brier_score aggregation, one row: sum((p - onehot)^2)
        p = softmax(lls)
        onehot = [1.0 if i == gold[0] else 0.0 for i in range(len(lls))]
        out["brier_score"] = sum([(a - b) ** 2 for a, b in zip(p, onehot)])
    return out


# HF evaluate exact_match, as the harness's exact_match_hf_evaluate.
def exact_match(predictions, references, regexes_to_ignore=None, ignore_case=False,
                ignore_punctuation=False, ignore_numbers=False):
    if regexes_to_ignore is not None:
        for s in regexes_to_ignore:
            predictions = [re.sub(s, "", x) for x in predictions]
            references = [re.sub(s, "", x) for x in references]
    if ignore_case:
        predictions = [x.lower() for x in predictions]
        references = [x.lower() for x in references]
    if ignore_punctuation:
        repl_table = string.punctuation.maketrans("", "", string.punctuation)
        predictions = [x.translate(repl_table) for x in predictions]
        references = [x.translate(repl_table) for x in references]
    if ignore_numbers:
        repl_table = string.digits.maketrans("", "", string.digits)
        predictions = [x.translate(repl_table) for x in predictions]
        references = [x.translate(repl_table) for x in references]
    score_list = [p == r for p, r in zip(predictions, references)]
    return sum(score_list) / len(score_list)


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1, cur[j - 1] + 1)
        prev = cur
    return prev[len(b)]


# metrics.py aggregations
def mean(arr):
    return sum(arr) / len(arr)


def sample_stddev(arr):
    mu = mean(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


def mean_stderr(arr):
    return sample_stddev(arr) / math.sqrt(len(arr))


def perplexity(items):
    return math.exp(-mean(items))


def weighted_mean(items):
    a, b = zip(*items)
    return sum(a) / sum(b)


def weighted_perplexity(items):
    return math.exp(-weighted_mean(items))


def bits_per_byte(items):
    return -weighted_mean(items) / math.log(2)


# metrics.bootstrap_stderr without the process pool (the pool only runs the same chunks);
# chunk i is seeded with seed + i (the harness: i).
def bootstrap_stderr(f, xs, iters, seed):
    res = []
    chunk_size = min(1000, iters)
    for i in range(iters // chunk_size):
        rnd = random.Random()
        rnd.seed(seed + i)
        for _ in range(chunk_size):
            res.append(f(rnd.choices(xs, k=len(xs))))
    return sample_stddev(res)


# filters/extraction.py RegexFilter (ignore_case as later versions' re.IGNORECASE)
def regex_filter(resps, regex_pattern, group_select=0, fallback="[invalid]", ignore_case=False):
    regex = re.compile(regex_pattern, re.IGNORECASE if ignore_case else 0)
    filtered = []
    for resp in resps:
        match = regex.findall(resp)
        if match:
            match = match[group_select]
            if isinstance(match, tuple):
                match = [m for m in match if m]
                if match:
                    match = match[0]
                else:
                    match = fallback
            match = match.strip()
        else:
            match = fallback
        filtered.append(match)
    return filtered


def apply_steps(steps, resps):
    for s in steps:
        fn = s["function"]
        if fn == "regex":
            resps = regex_filter(resps, s.get("regex_pattern", r"#### (\-?[0-9\.\,]+)"),
                                 s.get("group_select", 0), s.get("fallback", "[invalid]"),
                                 s.get("ignore_case", False))
        elif fn == "take_first":
            resps = [resps[0]]
        elif fn == "take_first_k":
            resps = resps[: s["k"]]
        elif fn == "majority_vote":
            resps = [Counter(resps).most_common(1)[0][0]]
        elif fn == "lowercase":
            resps = [r.lower() for r in resps]
        elif fn == "uppercase":
            resps = [r.upper() for r in resps]
        elif fn == "strip":
            resps = [r.strip() for r in resps]
    return resps


def findall_groups(pattern, text, ignore_case=False):
    rx = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    out = []
    for m in rx.findall(text):
        out.append(list(m) if isinstance(m, tuple) else [m])
    return out


def main():
    out = {}
    # argmax: ties (first wins), NaN (first NaN wins), -inf, one value
    out["argmax"] = [{"values": v, "expected": np_argmax(v)} for v in [
        [1.0, 3.0, 3.0, 2.0], [-1.5, -1.5], [5.0], [float("-inf"), -7.0, float("-inf")],
        [float("-inf"), float("-inf")], [0.0, float("nan"), 9.0, float("nan")],
        [-2.25, -0.5, -0.5000000000000001, -0.5],
    ]]

    rng = random.Random(7)
    mc = [
        # ties in the raw lls: the first wins
        ([-4.0, -2.0, -2.0, -9.0], [" cat", " dog", " bird", " fish"], [2], None),
        # acc_norm picks the long choice, acc the short one
        ([-3.0, -5.0], [" a", " elephant"], [1], None),
        # non-ASCII: code points differ from bytes (acc_norm vs acc_bytes disagree)
        ([-6.0, -7.0], [" naïve café", " ü"], [1], None),
        ([-10.0, -12.0], [" 日本語です", " abcdefghijklmn"], [0], None),
        ([-8.0, -8.5, -9.0], [" 🙂🙂", " résumé", " x"], [0], None),
        # mutual information
        ([-5.0, -6.0, -4.0], [" A", " B", " C"], [1], [-5.0, -2.0, -1.0]),
        # several gold indices (a list target)
        ([-1.0, -2.0, -3.0], [" yes", " no", " maybe"], [1, 0], [-0.5, -3.0, -1.0]),
        # -inf logprob
        ([float("-inf"), -1.0], [" x", " y"], [1], None),
    ]
    for _ in range(40):
        n = rng.randint(2, 6)
        choices = [" " + "".join(rng.choice("abcdéü語 🙂") for _ in range(rng.randint(1, 9)))
                   for _ in range(n)]
        lls = [-rng.uniform(0.0, 30.0) for _ in range(n)]
        if rng.random() < 0.3:
            lls[rng.randrange(n)] = lls[0]
        unc = [-rng.uniform(0.0, 30.0) for _ in range(n)]
        mc.append((lls, choices, [rng.randrange(n)], unc))
    out["multiple_choice"] = [
        {"lls": l, "choices": c, "gold": g, "unconditional": u,
         "expected": multiple_choice(l, c, g, u)} for l, c, g, u in mc]

    out["code_points"] = [{"text": t, "expected": len(t)} for t in [
        "", "abc", " naïve", "日本語", "🙂x", "e\u0301", "\u00a0"]]

    em = [
        ("42", "42", {}), ("42 ", "42", {}), ("", "", {}), ("", "x", {}),
        ("The Answer.", "the answer", {"ignore_case": True, "ignore_punctuation": True}),
        ("The Answer.", "the answer", {"ignore_case": True}),
        ("ÉCOLE", "école", {"ignore_case": True}),
        ("ΣΑΣ", "σας", {"ignore_case": True}),
        ("İ", "i̇", {"ignore_case": True}),
        ("Straße", "STRASSE", {"ignore_case": True}),
        ("a1b2", "ab", {"ignore_numbers": True}),
        # regexes applied to both sides first, then case, then punctuation
        ("The answer is 1,234.", "#### 1234", {"regexes_to_ignore": [",", "\\$", "(?s).*#### ",
                                                                     "\\.$"]}),
        ("Natalia sold 48/2 = 24 clips.\n#### 72", "72",
         {"regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]}),
        ("ANSWER: Yes!", "answer yes", {"regexes_to_ignore": ["^ANSWER"], "ignore_case": True,
                                        "ignore_punctuation": True}),
        # the regex runs before lower-casing: "^answer" does not remove "ANSWER"
        ("ANSWER: yes", ": yes", {"regexes_to_ignore": ["^answer"], "ignore_case": True}),
        ("x y", "xy", {"regexes_to_ignore": ["\\s*"]}),
        ("a-b_c", "abc", {"ignore_punctuation": True}),
        ("«a»", "a", {"ignore_punctuation": True}),
    ]
    out["exact_match"] = []
    for p, r, o in em:
        out["exact_match"].append({"prediction": p, "reference": r, "options": o,
                                   "expected": exact_match([p], [r], **{
                                       "regexes_to_ignore": o.get("regexes_to_ignore"),
                                       "ignore_case": o.get("ignore_case", False),
                                       "ignore_punctuation": o.get("ignore_punctuation", False),
                                       "ignore_numbers": o.get("ignore_numbers", False)})})

    ed = [([], []), ([], [1, 2, 3]), ([4, 5], []), ([1, 2, 3], [1, 2, 3]), ([1, 2, 3], [3, 2, 1]),
          ([1, 2, 3, 4], [1, 3, 4, 5]), ([7], [8])]
    for _ in range(30):
        a = [rng.randrange(4) for _ in range(rng.randint(0, 12))]
        b = [rng.randrange(4) for _ in range(rng.randint(0, 12))]
        ed.append((a, b))
    out["edit_distance"] = [{"a": a, "b": b, "expected": levenshtein(a, b)} for a, b in ed]

    vals = [[1.0, 0.0, 1.0, 1.0], [0.5], [0.1, 0.2, 0.3000000000000001],
            [rng.gauss(0.0, 1.0) for _ in range(1000)], [float(rng.random() < 0.3) for _ in range(77)]]
    out["mean"] = [{"values": v, "mean": mean(v),
                    "stderr": mean_stderr(v) if len(v) > 1 else 0.0} for v in vals]
    lls = [[-2.5, -0.25, -7.0], [-rng.uniform(0, 10) for _ in range(200)]]
    out["perplexity"] = [{"lls": l, "expected": perplexity(l)} for l in lls]
    wts = [[(-10.0, 4.0), (-3.5, 1.0)], [(-rng.uniform(0, 500), float(rng.randint(1, 300)))
                                        for _ in range(100)]]
    out["weighted"] = [{"items": w, "perplexity": weighted_perplexity(w),
                        "bits_per_byte": bits_per_byte(w)} for w in wts]
    docs = ["", "one", "two words", "  lead and trail  ", "a\n\nb\tc", "x\u00a0y\u3000z",
            "a\x1cb", "tab\t\t", "über  straße"]
    out["words"] = [{"doc": d, "expected": len(re.split(r"\s+", d))} for d in docs]

    xs = [rng.gauss(0.0, 1.0) for _ in range(50)]
    lls = [-rng.uniform(0, 5) for _ in range(40)]
    wi = [(-rng.uniform(0, 50), float(rng.randint(1, 30))) for _ in range(30)]
    out["bootstrap"] = [
        {"agg": "mean", "items": xs, "iters": 2000, "seed": 0,
         "expected": bootstrap_stderr(mean, xs, 2000, 0)},
        {"agg": "mean", "items": xs, "iters": 2500, "seed": 17,
         "expected": bootstrap_stderr(mean, xs, 2500, 17)},
        {"agg": "perplexity", "items": lls, "iters": 300, "seed": 0,
         "expected": bootstrap_stderr(perplexity, lls, 300, 0)},
        {"agg": "weighted_perplexity", "items": wi, "iters": 1000, "seed": 5,
         "expected": bootstrap_stderr(weighted_perplexity, wi, 1000, 5)},
        {"agg": "bits_per_byte", "items": wi, "iters": 1000, "seed": (1 << 32) + 3,
         "expected": bootstrap_stderr(bits_per_byte, wi, 1000, (1 << 32) + 3)},
    ]
    out["py_random"] = [{"seed": s, "expected": (lambda r: [r.random() for _ in range(5)])(
        random.Random(s))} for s in [0, 1, 1234, (1 << 32) + 3, (1 << 63) + 12345]]

    # filters: hand-picked edge cases, then random strings
    ans = r"The answer is (\-?[0-9]+)"
    flexible = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
    cases = [
        ("default", [{"function": "regex"}], ["so #### 1,234.5 ok", "nothing", "#### -7\n#### 8"]),
        ("last", [{"function": "regex", "regex_pattern": flexible, "group_select": -1}],
         ["a 12 b 3 c", "1,000 and $5 and 7", "no digits", "-4"]),
        ("tuple-empty", [{"function": "regex", "regex_pattern": r"(x)?(y)?", "group_select": 0}],
         ["zz", "y"]),
        ("fallback", [{"function": "regex", "regex_pattern": ans, "fallback": "NONE"}],
         ["The answer is 12.", "the answer is 5", ""]),
        ("caseless", [{"function": "regex", "regex_pattern": ans, "ignore_case": True}],
         ["the ANSWER is 5"]),
        ("strip", [{"function": "regex", "regex_pattern": r"A:(.*)"}], ["A:   spaced\u00a0 "]),
        ("maj", [{"function": "regex", "regex_pattern": ans}, {"function": "majority_vote"},
                 {"function": "take_first"}],
         ["The answer is 3", "junk", "The answer is 4", "The answer is 4", "nope",
          "The answer is 3"]),
        ("maj-invalid", [{"function": "regex", "regex_pattern": ans}, {"function": "majority_vote"},
                         {"function": "take_first"}],
         ["x", "The answer is 1", "y", "The answer is 2", "z"]),
        ("maj-tie-first", [{"function": "majority_vote"}], ["b", "a", "a", "b", "c"]),
        ("maj@2", [{"function": "take_first_k", "k": 2}, {"function": "regex", "regex_pattern": ans},
                   {"function": "majority_vote"}, {"function": "take_first"}],
         ["The answer is 9", "The answer is 8", "The answer is 8"]),
        ("empty-gen", [{"function": "regex", "regex_pattern": ans}, {"function": "take_first"}], [""]),
        ("lower", [{"function": "lowercase"}, {"function": "strip"}], [" ÀB ", "ΣΑΣ"]),
        ("upper", [{"function": "uppercase"}], ["straße", "ﬁ"]),
        ("empty-match", [{"function": "regex", "regex_pattern": r"x*"}], ["abxd"]),
    ]
    alphabet = ["The answer is ", "#### ", "-", ",", ".", "$", " ", "\n", "1", "2", "3", "45",
                "0", "x", "é", "語", "A:", "\u00a0"]
    patterns = [r"#### (\-?[0-9\.\,]+)", ans, flexible, r"\d+", r"x*", r"(é)|(語)", r"[0-9]+\.?",
                r"(?s).*#### "]
    for i in range(1000):
        resps = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                 for _ in range(rng.randint(1, 5))]
        steps = [{"function": "regex", "regex_pattern": patterns[i % len(patterns)],
                  "group_select": rng.choice([0, -1])}]
        if i % 3 == 0:
            steps += [{"function": "majority_vote"}, {"function": "take_first"}]
        cases.append((f"random{i}", steps, resps))
    out["filters"] = []
    for name, steps, resps in cases:
        try:
            expected = apply_steps(steps, resps)
        except IndexError:
            continue  # where Python raises, lmforge answers the fallback; not compared
        out["filters"].append({"name": name, "steps": steps, "responses": resps,
                               "expected": expected})
    fa = []
    for i in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        p = patterns[i % len(patterns)]
        fa.append({"pattern": p, "text": text, "expected": findall_groups(p, text)})
    for p, t in [(r"a|(b)", "ab"), (r"", "abc"), (r"\Z", "ab\n"), (r"$", "ab\n"),
                 (r"(?:x)*", "xxyx"), (r"\w+", "naïve 語 x_1"), (r"\s+", "a\u3000b")]:
        fa.append({"pattern": p, "text": t, "expected": findall_groups(p, t)})
    out["findall"] = fa
    out["remove_all"] = [{"pattern": p, "text": t, "expected": re.sub(p, "", t)} for p, t in [
        (r"x*", "abxd"), (r",", "1,234,5"), (r"(?s).*#### ", "a\nb #### 7"), (r"\.$", "7.\n"),
        (r"\.$", "7."), (r"", "abc"), (r"[aeiou]+", "queueing"), (r"\b", "a b")]]
    json.dump(enc(out), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
