// oracle.cjs: encodes texts with a peer tokenizer, for lmforge's oracle tests and benchmarks.
//   node oracle.cjs tiktoken ENCODING IN.jsonl OUT.jsonl   npm tiktoken get_encoding(ENCODING)
//                                                         .encode_ordinary(text)
//   node oracle.cjs hf TOKENIZER.json IN.jsonl OUT.jsonl   npm @huggingface/tokenizers
//                                                         encode(text, no special tokens).ids
//   node oracle.cjs hf+special TOKENIZER.json IN OUT       the same with add_special_tokens
//                                                         (the post_processor's template)
// IN.jsonl has one {"text": ...} per line; OUT.jsonl gets one array of ids per line.
// Exit code 77 (ctest's skip code) when tests/oracles/node_modules is absent; 1 under CI=true,
// where a missing peer fails (tests/test_util.h).
"use strict";
const fs = require("fs");
const path = require("path");
const NM = path.resolve(__dirname, "../../oracles/node_modules");

function load(kind, arg) {
  if (!fs.existsSync(path.join(NM, "tiktoken")) || !fs.existsSync(path.join(NM, "@huggingface/tokenizers"))) {
    console.error("oracle.cjs: tests/oracles/node_modules is absent (scripts/install-deps --npm)");
    const ci = process.env.CI || "";
    process.exit(ci !== "" && ci !== "0" && ci !== "false" ? 1 : 77);
  }
  if (kind === "tiktoken") {
    const { get_encoding } = require(path.join(NM, "tiktoken"));
    const enc = get_encoding(arg);
    return (t) => Array.from(enc.encode_ordinary(t));
  }
  if (kind === "hf" || kind === "hf+special") {
    const { Tokenizer } = require(path.join(NM, "@huggingface/tokenizers"));
    const tok = new Tokenizer(JSON.parse(fs.readFileSync(arg, "utf8")), {});
    const add = kind === "hf+special";
    return (t) => tok.encode(t, { add_special_tokens: add }).ids;
  }
  console.error("oracle.cjs: unknown kind " + kind);
  process.exit(2);
}

function main() {
  const [kind, arg, input, output] = process.argv.slice(2);
  if (!output) {
    console.error("usage: oracle.cjs tiktoken|hf ENCODING|TOKENIZER.json IN.jsonl OUT.jsonl");
    process.exit(2);
  }
  const encode = load(kind, arg);
  const texts = fs.readFileSync(input, "utf8").split("\n").filter((l) => l.length > 0)
    .map((l) => JSON.parse(l).text);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const ids = texts.map((t) => encode(t));
  const cpu = process.cpuUsage(c0);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const out = ids.map((x) => JSON.stringify(x));
  const tokens = ids.reduce((s, x) => s + x.length, 0);
  fs.writeFileSync(output, out.join("\n") + (out.length ? "\n" : ""));
  const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t, "utf8"), 0);
  console.error(JSON.stringify({ kind, arg: path.basename(arg), texts: texts.length, bytes, tokens,
    seconds: secs, cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
}

main();
