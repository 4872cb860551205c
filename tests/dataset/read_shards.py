#!/usr/bin/python3
"""read_shards.py: an independent numpy reader of the token shards `lmforge pack` writes.

  read_shards.py megatron PREFIX      Megatron .idx/.bin (MMIDIDX layout)
  read_shards.py llmc SHARD...        llm.c shards (256 x int32 header)
  read_shards.py nanogpt FILE DTYPE   nanoGPT raw tokens (uint16 | uint32)

Prints one JSON object: per-document token lists (megatron) or the token stream, plus the
header fields. Exits non-zero (with a message) on any layout violation. Written from the
format descriptions (Megatron-LM indexed_dataset.py, llm.c data_common.py), not from lmforge.
"""
import json
import struct
import sys

import numpy as np

MEGATRON_DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64,
                   6: np.float64, 7: np.float32, 8: np.uint16}


def fail(msg):
    print(f"read_shards: {msg}", file=sys.stderr)
    sys.exit(1)


def read_megatron(prefix):
    with open(prefix + ".idx", "rb") as f:
        idx = f.read()
    if idx[:9] != b"MMIDIDX\x00\x00":
        fail("bad magic")
    version, = struct.unpack("<Q", idx[9:17])
    code, = struct.unpack("<B", idx[17:18])
    seq_count, = struct.unpack("<Q", idx[18:26])
    doc_count, = struct.unpack("<Q", idx[26:34])
    if version != 1:
        fail(f"version {version}")
    dtype = MEGATRON_DTYPES[code]
    off = 34
    lengths = np.frombuffer(idx, dtype=np.int32, count=seq_count, offset=off)
    off += lengths.nbytes
    pointers = np.frombuffer(idx, dtype=np.int64, count=seq_count, offset=off)
    off += pointers.nbytes
    doc_idx = np.frombuffer(idx, dtype=np.int64, count=doc_count, offset=off)
    off += doc_idx.nbytes
    if off != len(idx):
        fail(f".idx has {len(idx)} bytes, layout needs {off}")
    bin_ = np.fromfile(prefix + ".bin", dtype=dtype)
    itemsize = np.dtype(dtype).itemsize
    expect = np.concatenate([[0], np.cumsum(lengths.astype(np.int64))[:-1] * itemsize]) \
        if seq_count else np.zeros(0, np.int64)
    if not np.array_equal(pointers, expect):
        fail("pointers are not the running sum of lengths")
    if int(lengths.sum()) != len(bin_):
        fail(f".bin has {len(bin_)} tokens, .idx describes {int(lengths.sum())}")
    if doc_idx[0] != 0 or doc_idx[-1] != seq_count or np.any(np.diff(doc_idx) < 0):
        fail("document indices do not rise from 0 to the sequence count")
    docs = []
    for d in range(doc_count - 1):
        toks = []
        for s in range(doc_idx[d], doc_idx[d + 1]):
            start = pointers[s] // itemsize
            toks.extend(int(t) for t in bin_[start:start + lengths[s]])
        docs.append(toks)
    return {"dtype": np.dtype(dtype).name, "version": version, "sequences": int(seq_count),
            "documents": docs}


def read_llmc(paths):
    out = {"shards": []}
    for p in paths:
        with open(p, "rb") as f:
            raw = f.read()
        header = np.frombuffer(raw, dtype=np.int32, count=256)
        magic, version, ntok = int(header[0]), int(header[1]), int(header[2])
        if (magic, version) == (20240520, 1):
            dtype = np.uint16
        elif (magic, version) == (20240801, 7):
            dtype = np.uint32
        else:
            fail(f"{p}: magic {magic} version {version}")
        tokens = np.frombuffer(raw, dtype=dtype, offset=1024)
        if len(tokens) != ntok or len(raw) != 1024 + ntok * np.dtype(dtype).itemsize:
            fail(f"{p}: header says {ntok} tokens, file holds {len(tokens)}")
        out["shards"].append({"path": p, "magic": magic, "version": version, "ntok": ntok,
                              "dtype": np.dtype(dtype).name,
                              "tokens": [int(t) for t in tokens]})
    return out


def read_nanogpt(path, dtype):
    tokens = np.fromfile(path, dtype=np.dtype(dtype))
    return {"dtype": dtype, "tokens": [int(t) for t in tokens]}


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    kind = sys.argv[1]
    if kind == "megatron":
        out = read_megatron(sys.argv[2])
    elif kind == "llmc":
        out = read_llmc(sys.argv[2:])
    elif kind == "nanogpt":
        out = read_nanogpt(sys.argv[2], sys.argv[3])
    else:
        fail(f"unknown kind {kind}")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
