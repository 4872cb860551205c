#!/usr/bin/env python3
"""cli_mpi_test.py LMFORGE WORKDIR: `lmforge clean` run as one process and as
`mpirun --allow-run-as-root --oversubscribe -np 2` (each rank takes every other input file,
then its part of dedup) writes the same files, byte for byte, in kept/, removed/, filtered/ and
removed-lines/, and the same stats.json. Exits 77 (skip, printed) when mpirun is missing outside
CI; 1 on any difference."""
import json, os, random, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cli_util import check, fails, finish, run, skip_missing_peer  # noqa: E402

lm, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(f"{work}/in")

# Six JSONL files of English-like documents, with exact copies, near copies, short documents
# and repeated boilerplate lines, so that every stage (and dedup across files) removes some.
rng = random.Random(5)
words = ("the river runs past old mill into wide valley below town children walked school along "
         "road while their parents went work market was full of fresh fruit bread from bakery "
         "library opens early morning closes late evening").split()
first = None
for f in range(6):
    with open(f"{work}/in/part-{f}.jsonl", "w") as out:
        for i in range(80):
            lines = [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(6)]
            text = "\n".join(lines)
            first = first or text
            if i % 9 == 4:
                text = first
            if i % 9 == 6:
                text = first.replace("river", "brook", 1)
            if i % 11 == 3:
                text = "Too short."
            if i % 5 == 2:
                text += "\nClick here to subscribe to our newsletter and accept the cookies."
            out.write(json.dumps({"id": f"d{f}-{i}", "text": text,
                                  "source": "odd" if f % 2 else "even"}) + "\n")


common = ["--no-progress", "clean", "--in", f"{work}/in", "--threads", "1"]
run([lm] + common + ["--out", f"{work}/one"])
if shutil.which("mpirun") is None:
    skip_missing_peer("mpirun not found (Debian openmpi-bin); the 2-rank comparison did not run")
env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", lm] + common +
    ["--out", f"{work}/two"], env=env)

def tree(d):
    if not os.path.isdir(d):
        return {}
    return {n: open(f"{d}/{n}", "rb").read() for n in sorted(os.listdir(d))}


check("two ranks ran (rank 1's dedup marker)", os.path.exists(f"{work}/two/dedup-work/s1-r1.done"))
for sub in ("kept", "removed", "filtered", "removed-lines"):
    a, b = tree(f"{work}/one/{sub}"), tree(f"{work}/two/{sub}")
    check(f"{sub}/ is not empty", len(a) > 0)
    check(f"{sub}/: the same file names", sorted(a) == sorted(b), f"{sorted(a)} vs {sorted(b)}")
    differ = [n for n in a if n in b and a[n] != b[n]]
    check(f"{sub}/: the same bytes", not differ, f"differ: {differ}")
sa, sb = (open(f"{work}/{d}/stats.json", "rb").read() for d in ("one", "two"))
check("stats.json: the same bytes", sa == sb)
stats = json.loads(sa)
check("stats: every document counted", stats["input"]["documents"] == 480, stats["input"])
dd = [s for s in stats["stages"] if s["stage"] == "dedup"]
check("stats: dedup removed documents",
      len(dd) == 1 and dd[0]["in"]["documents"] > dd[0]["out"]["documents"], dd)
finish()
