// hf_train.cjs TEXT OUT.json: trains HF tokenizers' byte-level BPE (the native node binding,
// npm `tokenizers` 0.23.2, installed by run.sh into its work folder) on a plain-text file, as
// the peer of `lmforge tokenizer train`. The binding only exposes Tokenizer.train(files) with
// the model's default trainer: BpeTrainer, vocabulary 30,000, min_frequency 0, all cores.
"use strict";
const path = require("path");
const modules = process.env.HF_NODE_MODULES || path.join(process.cwd(), "node_modules");
const hf = require(path.join(modules, "tokenizers"));

const [text, out] = process.argv.slice(2);
const tok = new hf.Tokenizer(hf.BPE.empty());
tok.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
const t0 = process.hrtime.bigint();
tok.train([text]);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
tok.save(out);
console.log(JSON.stringify({ tool: "hf-tokenizers-node", vocab: tok.getVocabSize(), seconds: secs }));
