#!/usr/bin/python3
# datatrove_signatures.py: the peer for bench/dedup/signatures-bench: datatrove's MinHash
# signature stage (pipeline/dedup/minhash.py, MinhashDedupSignature) re-created with numpy, since
# datatrove itself cannot be installed offline: simplify_text (lowercase, digits -> 0,
# punctuation -> space, NFD + drop Mn, whitespace collapsed), whitespace words, 5-gram shingles
# hashed with sha1 (FineWeb's setting; 64 bits), (a*h + b) mod (2^61 - 1) for 14 x 8 = 112
# permutations, minimum per permutation. Reads JSONL on stdin; prints MB/s of text per CPU second.
import hashlib, json, re, string, sys, time, unicodedata
import numpy as np

MERSENNE = np.uint64((1 << 61) - 1)
PUNCT = re.compile("[" + re.escape(string.punctuation) + "\u2000-\u206f\u3000-\u303f]")
rng = np.random.RandomState(1)
K = 14 * 8
a = rng.randint(1, (1 << 61) - 1, size=(1, K), dtype=np.uint64)
b = rng.randint(0, (1 << 61) - 1, size=(1, K), dtype=np.uint64)


def simplify(text):
    text = text.lower()
    text = re.sub(r"\d", "0", text)
    text = PUNCT.sub(" ", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(text.split())


def signature(text):
    words = simplify(text).split(" ")
    grams = [" ".join(words[i:i + 5]) for i in range(max(len(words) - 4, 1))]
    sh = np.fromiter((int.from_bytes(hashlib.sha1(g.encode()).digest()[:8], "little")
                      for g in grams), dtype=np.uint64, count=len(grams)).reshape(-1, 1)
    phv = (sh * a + b) % MERSENNE
    return np.min(phv, axis=0)


def main():
    total = 0
    cpu = time.process_time()
    for line in sys.stdin:
        text = json.loads(line)["text"]
        total += len(text.encode())
        signature(text)
    cpu = time.process_time() - cpu
    print(json.dumps({"bytes": total, "cpu_s": cpu, "mb_per_s_per_core": total / 1e6 / cpu}))


if __name__ == "__main__":
    main()
