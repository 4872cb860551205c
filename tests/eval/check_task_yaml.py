#!/usr/bin/python3
"""check_task_yaml.py TASKS_DIR [NAME=PATH ...]: every task file under TASKS_DIR (*.yaml and the
harness's included *_yaml templates) parses with PyYAML (python3-yaml, an independent YAML
parser) and uses only the keys of lm-evaluation-harness's format that lmforge supports; each
NAME=PATH (from builtin_tasks()) exists and, with its include merged, says `task: NAME` and has
a dataset_path, an output_type and a metric_list. Prints "ok N files" or the problems; exit 1
on any problem, 77 when PyYAML is missing.
"""
import os
import sys

try:
    import yaml
except ImportError:
    print("python3-yaml is missing (apt-get install python3-yaml)")
    sys.exit(77)

TOP = {"task", "tag", "dataset_path", "training_split", "validation_split", "test_split",
       "fewshot_split", "description", "doc_to_text", "doc_to_target", "doc_to_choice",
       "target_delimiter", "fewshot_delimiter", "num_fewshot", "fewshot_config", "output_type",
       "generation_kwargs", "repeats", "filter_list", "metric_list", "include", "metadata"}
FEWSHOT = {"sampler", "samples"}
GEN = {"until", "max_gen_toks", "do_sample", "temperature", "top_k", "top_p"}
FILTER = {"name", "filter"}
STEP = {"function", "regex_pattern", "group_select", "fallback", "k"}
METRIC = {"metric", "aggregation", "higher_is_better", "ignore_case", "ignore_punctuation",
          "regexes_to_ignore"}
META = {"version"}
OUTPUT_TYPES = {"loglikelihood", "multiple_choice", "generate_until", "loglikelihood_rolling"}

problems = []


def check_keys(where, d, allowed):
    if not isinstance(d, dict):
        problems.append(f"{where}: expected a mapping")
        return
    for k in d:
        if k not in allowed:
            problems.append(f"{where}: key '{k}' is not in the supported subset")


def check_file(path):
    with open(path, encoding="utf-8") as f:
        c = yaml.safe_load(f)
    check_keys(path, c, TOP)
    if "fewshot_config" in c:
        check_keys(f"{path}: fewshot_config", c["fewshot_config"], FEWSHOT)
    if "generation_kwargs" in c:
        check_keys(f"{path}: generation_kwargs", c["generation_kwargs"], GEN)
        until = c["generation_kwargs"].get("until", [])
        for u in until:
            if "\\n" in u:
                problems.append(f"{path}: until {u!r} holds a backslash-n, not a newline")
    for i, fl in enumerate(c.get("filter_list", [])):
        check_keys(f"{path}: filter_list[{i}]", fl, FILTER)
        for j, st in enumerate(fl.get("filter", [])):
            check_keys(f"{path}: filter_list[{i}].filter[{j}]", st, STEP)
    for i, m in enumerate(c.get("metric_list", [])):
        check_keys(f"{path}: metric_list[{i}]", m, METRIC)
    if "metadata" in c:
        check_keys(f"{path}: metadata", c["metadata"], META)
    for k in ("doc_to_text", "description"):
        if isinstance(c.get(k), str) and "\\n" in c[k]:
            problems.append(f"{path}: {k} holds a backslash-n, not a newline (YAML footgun)")
    if "output_type" in c and c["output_type"] not in OUTPUT_TYPES:
        problems.append(f"{path}: output_type {c['output_type']}")
    return c


def merged(path):
    c = check_file(path)
    if "include" in c:
        inc = os.path.join(os.path.dirname(path), c["include"])
        if not os.path.exists(inc):
            problems.append(f"{path}: include {c['include']} does not exist")
            return c
        base = merged(inc)
        base.update({k: v for k, v in c.items() if k != "include"})
        return base
    return c


def main():
    root = sys.argv[1]
    n = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if f.endswith(".yaml") or f.endswith("_yaml"):
                check_file(os.path.join(dirpath, f))
                n += 1
    for arg in sys.argv[2:]:
        name, path = arg.split("=", 1)
        if not os.path.exists(path):
            problems.append(f"{name}: {path} does not exist")
            continue
        c = merged(path)
        if c.get("task") != name:
            problems.append(f"{path}: task is {c.get('task')!r}, builtin_tasks() says {name!r}")
        for k in ("dataset_path", "output_type", "metric_list"):
            if k not in c:
                problems.append(f"{path}: no {k}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"ok {n} files")


if __name__ == "__main__":
    main()
