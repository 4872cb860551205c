# compression_table.py VOCAB: run by compression.sh in its work folder. Reads lines.txt, the
# ids of lmforge (lmVOCAB.ids, text format: one line per document) and of spm (spmVOCAB.ids, one
# line per input line) and prints tokens and bytes per token overall and by kind of line.
import re, sys
v = sys.argv[1]
webster = re.compile(r"^\s*\[1913 Webster\]\s*$")
rows = {k: [0, 0, 0] for k in ("[1913 Webster] lines", "other lines with a digit",
                               "lines without a digit", "all lines")}
with open("lines.txt", encoding="utf-8", newline="\n") as t, open(f"lm{v}.ids") as a, open(f"spm{v}.ids") as b:
    for line, la, lb in zip(t, a, b):
        line = line.rstrip("\n")
        k = ("[1913 Webster] lines" if webster.match(line) else
             "other lines with a digit" if re.search(r"\d", line) else "lines without a digit")
        for key in (k, "all lines"):
            r = rows[key]
            r[0] += len(line.encode("utf-8")); r[1] += len(la.split()); r[2] += len(lb.split())
def t(name):
    s, kb = open(name).read().split()
    return f"{float(s):.1f} s, {int(kb) // 1024} MB"
print(f"vocab {v}: train lmforge (1 thread) {t(f'lm{v}.time')}; spm_train (1 thread) {t(f'spm{v}.time')}")
print(f"  {'lines':26s} {'bytes':>11s} {'lmforge':>11s} {'spm':>11s} {'B/tok lm':>9s} {'B/tok spm':>9s} {'tokens':>8s}")
for k, (by, a, b) in rows.items():
    if b:
        print(f"  {k:26s} {by:11d} {a:11d} {b:11d} {by / a:9.3f} {by / b:9.3f} {100 * (a - b) / b:+7.2f}%")
