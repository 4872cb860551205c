// make_vocab.cjs OUTDIR: writes the vocabulary files lmforge's tests load, made from the rank
// tables inside npm tiktoken 1.0.22 (tests/oracles/node_modules; nothing is downloaded):
// r50k_base/p50k_base/cl100k_base/o200k_base.tiktoken (base64 token + rank per line) and GPT-2's
// encoder.json + vocab.bpe (the merges implied by r50k's ranks, in rank order).
"use strict";
const fs = require("fs");
const path = require("path");
const ORACLES = path.resolve(__dirname, "../../oracles/node_modules");

function parseRanks(enc) {
  const d = JSON.parse(fs.readFileSync(path.join(ORACLES, "tiktoken/encoders", enc + ".json")));
  const ranks = [];  // rank -> Buffer
  for (const line of d.bpe_ranks.split("\n")) {
    if (!line) continue;
    const parts = line.split(" ");
    if (parts[0] === "!") {
      const off = parseInt(parts[1], 10);
      for (let i = 2; i < parts.length; i++) ranks[off + i - 2] = Buffer.from(parts[i], "base64");
    } else {
      ranks[parseInt(parts[1], 10)] = Buffer.from(parts[0], "base64");
    }
  }
  return { ranks, special: d.special_tokens, pat: d.pat_str };
}

function writeTiktoken(file, ranks) {
  const out = [];
  ranks.forEach((b, r) => { if (b) out.push(b.toString("base64") + " " + r); });
  fs.writeFileSync(file, out.join("\n") + "\n");
}

// GPT-2's bytes_to_unicode.
function byteMap() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const m = new Array(256);
  bs.forEach((b, i) => { m[b] = String.fromCodePoint(cs[i]); });
  return m;
}

// tiktoken's merge loop restricted to ranks < maxRank; returns the parts (Buffers).
function bpeParts(bytes, rankOf, maxRank) {
  let parts = [];
  for (let i = 0; i < bytes.length; i++) parts.push(bytes.subarray(i, i + 1));
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rankOf.get(Buffer.concat([parts[i], parts[i + 1]]).toString("latin1"));
      if (r !== undefined && r < maxRank && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) break;
    parts.splice(best, 2, Buffer.concat([parts[best], parts[best + 1]]));
  }
  return parts;
}

function writeGpt2(dir, ranks) {
  const m = byteMap();
  const uni = (b) => Array.from(b, (x) => m[x]).join("");
  const rankOf = new Map();
  ranks.forEach((b, r) => rankOf.set(b.toString("latin1"), r));
  const encoder = {};
  const merges = ["#version: 0.2"];
  ranks.forEach((b, r) => {
    encoder[uni(b)] = r;
    if (b.length < 2) return;
    const p = bpeParts(b, rankOf, r);
    if (p.length !== 2) throw new Error("rank " + r + " is not reachable by one merge");
    merges.push(uni(p[0]) + " " + uni(p[1]));
  });
  encoder["<|endoftext|>"] = 50256;
  fs.writeFileSync(path.join(dir, "encoder.json"), JSON.stringify(encoder));
  fs.writeFileSync(path.join(dir, "vocab.bpe"), merges.join("\n") + "\n");
}

function main() {
  const out = process.argv[2];
  if (!out) { console.error("usage: make_vocab.cjs OUTDIR"); process.exit(2); }
  fs.mkdirSync(out, { recursive: true });
  let r50k = null;
  for (const enc of ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]) {
    const { ranks } = parseRanks(enc);
    writeTiktoken(path.join(out, enc + ".tiktoken"), ranks);
    if (enc === "r50k_base") r50k = ranks;
  }
  fs.mkdirSync(path.join(out, "gpt2"), { recursive: true });
  writeGpt2(path.join(out, "gpt2"), r50k);
}

main();
