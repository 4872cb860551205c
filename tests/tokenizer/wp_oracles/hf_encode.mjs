// hf_encode.mjs MODE MODEL TEXTS OUT: encodes each {"text"} line of TEXTS (JSONL) with HF
// Tokenizers.js (tests/oracles/node_modules/@huggingface/tokenizers, nothing downloaded) and
// writes one JSON array of ids per line to OUT. MODE "vocab": MODEL is a BERT vocab.txt, from
// which this script builds its own tokenizer.json (BertNormalizer lowercase, BertPreTokenizer,
// WordPiece, as bert-base-uncased's); MODE "json": MODEL is a tokenizer.json (BPE or WordPiece).
import fs from "fs";
import path from "path";
import { fileURLToPath } from "url";

const here = path.dirname(fileURLToPath(import.meta.url));
const lib = path.resolve(here, "../../oracles/node_modules/@huggingface/tokenizers/dist/tokenizers.mjs");
const { Tokenizer } = await import(lib);

const [mode, model, textsPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: hf_encode.mjs vocab|json MODEL TEXTS.jsonl OUT.jsonl");
  process.exit(2);
}

function bertFromVocab(file) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const vocab = {};
  lines.forEach((t, i) => { vocab[t] = i; });
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].filter((t) => t in vocab);
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: specials.map((t) => ({ id: vocab[t], content: t, single_word: false,
      lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true,
      strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: null,
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
      max_input_chars_per_word: 100, vocab },
  };
}

const json = mode === "vocab" ? bertFromVocab(model) : JSON.parse(fs.readFileSync(model, "utf8"));
const tok = new Tokenizer(json, {});
const out = [];
for (const line of fs.readFileSync(textsPath, "utf8").split("\n")) {
  if (!line) continue;
  const text = JSON.parse(line).text;
  out.push(JSON.stringify(tok.encode(text, { add_special_tokens: false }).ids));
}
fs.writeFileSync(outPath, out.join("\n") + "\n");
