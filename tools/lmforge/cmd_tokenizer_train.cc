// cmd_tokenizer_train.cc: `lmforge tokenizer train` trains a byte-level BPE (--algo bpe: 256
// bytes + merges + special tokens, split pattern gpt4/gpt2/o200k/REGEX) or a WordPiece
// vocabulary (--algo wordpiece: BERT basic tokenizer, "##" continuations, [PAD] [UNK] [CLS]
// [SEP] [MASK]) from documents read with any DocumentReader, and saves it as tokenizer.json,
// .tiktoken (BPE) or vocab.txt (WordPiece). Adds `train` to tokbpe's `tokenizer` command.
#include <fmt/core.h>

#include <algorithm>

#include "cli.h"
#include "core/log.h"
#include "core/timer.h"
#include "io/document.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_trainer.h"

namespace lm::cli {
namespace {

struct TrainOptions {
  std::string algo = "bpe", out, pattern = "gpt4", format, text_field = "text", on_error = "fail";
  std::vector<std::string> in, special, special_tokens;
  size_t vocab_size = 32000, max_token_length = 0, limit_alphabet = 1000;
  uint64_t min_frequency = 0;
  int threads = 0;
  bool no_lowercase = false, json = false, special_given = false;
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status check_output(const TrainOptions& o) {
  if (o.algo != "bpe" && o.algo != "wordpiece") {
    return invalid_argument("--algo {}: expected bpe or wordpiece", o.algo);
  }
  std::string fmt = o.format;
  if (fmt.empty())
    fmt = ends_with(o.out, ".tiktoken") ? "tiktoken" : ends_with(o.out, ".txt") ? "vocab" : "json";
  bool ok = (fmt == "json" && ends_with(o.out, ".json")) ||
            (fmt == "tiktoken" && o.algo == "bpe" && ends_with(o.out, ".tiktoken")) ||
            (fmt == "vocab" && o.algo == "wordpiece" && ends_with(o.out, ".txt"));
  if (!ok) {
    return Status(
        Code::kInvalidArgument,
        fmt::format("--out {} does not fit --format {} for --algo {}", o.out, fmt, o.algo),
        "BPE: tokenizer.json (.json) or NAME.tiktoken; WordPiece: tokenizer.json or "
        "vocab.txt");
  }
  return ok_status();
}

Result<tok::TextSource> open_source(const TrainOptions& o) {
  io::ReaderOptions ro;
  ro.text_field = o.text_field;
  if (o.on_error != "fail" && o.on_error != "skip") {
    return invalid_argument("--on-error {}: expected fail or skip", o.on_error);
  }
  ro.on_error = o.on_error == "skip" ? io::OnError::kSkip : io::OnError::kFail;
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(o.in, ro));
  std::shared_ptr<io::DocumentReader> shared(std::move(reader));
  auto doc = std::make_shared<io::Document>();
  return tok::TextSource([shared, doc](std::string* text) -> Result<bool> {
    LM_ASSIGN_OR_RETURN(bool more, shared->next(doc.get()));
    if (more) text->swap(doc->text);
    return more;
  });
}

void report(const TrainOptions& o, const tok::BpeTrainStats& st, size_t vocab, double secs) {
  nlohmann::json j = {{"algo", o.algo},
                      {"out", o.out},
                      {"vocab_size", vocab},
                      {"merges", st.merges},
                      {"documents", st.documents},
                      {"bytes", st.bytes},
                      {"words", st.words},
                      {"distinct_words", st.distinct_words},
                      {"pairs", st.pairs},
                      {"count_seconds", st.count_seconds},
                      {"merge_seconds", st.merge_seconds},
                      {"seconds", secs}};
  if (o.json) {
    print_json(j);
    return;
  }
  fmt::print(
      "trained {} vocabulary of {} tokens ({} merges) from {} documents, {} bytes, {} "
      "distinct words in {:.1f} s (count {:.1f} s, merges {:.1f} s) -> {}\n",
      o.algo, vocab, st.merges, st.documents, st.bytes, st.distinct_words, secs, st.count_seconds,
      st.merge_seconds, o.out);
}

// --special-tokens: "chat" stands for the chat template's markers (tokenizer/chat_template.h).
std::vector<std::string> expand_special_tokens(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& s : list) {
    if (s == "chat")
      for (const auto& c : tok::chat_special_tokens()) out.push_back(c);
    else
      out.push_back(s);
  }
  return out;
}

Status run_train(const TrainOptions& o) {
  LM_RETURN_IF_ERROR(check_output(o));
  LM_ASSIGN_OR_RETURN(tok::TextSource next, open_source(o));
  Timer timer;
  tok::BpeTrainStats st;
  if (o.algo == "bpe") {
    tok::BpeTrainerOptions bo;
    bo.vocab_size = o.vocab_size;
    bo.pattern = tok::bpe_pattern_by_name(o.pattern);
    bo.special_tokens = o.special_given ? o.special : std::vector<std::string>{"<|endoftext|>"};
    for (const auto& s : expand_special_tokens(o.special_tokens))
      if (std::find(bo.special_tokens.begin(), bo.special_tokens.end(), s) ==
          bo.special_tokens.end())
        bo.special_tokens.push_back(s);
    bo.min_frequency = o.min_frequency;
    bo.max_token_length = o.max_token_length;
    bo.threads = o.threads;
    LM_ASSIGN_OR_RETURN(tok::BpeSpec spec, tok::train_bpe(next, bo, &st));
    LM_ASSIGN_OR_RETURN(tok::Tokenizer t, tok::Tokenizer::from_bpe(std::move(spec)));
    LM_RETURN_IF_ERROR(t.save(o.out));
    report(o, st, t.vocab_size(), timer.seconds());
    return ok_status();
  }
  tok::WordPieceTrainerOptions wo;
  wo.vocab_size = o.vocab_size;
  wo.min_frequency = o.min_frequency;
  wo.max_token_length = o.max_token_length;
  wo.limit_alphabet = o.limit_alphabet;
  wo.model.lowercase = !o.no_lowercase;
  std::vector<std::string> wp_special = o.special;
  for (const auto& s : expand_special_tokens(o.special_tokens)) wp_special.push_back(s);
  for (const auto& s : wp_special) {
    if (std::find(wo.special_tokens.begin(), wo.special_tokens.end(), s) ==
        wo.special_tokens.end()) {
      wo.special_tokens.push_back(s);
    }
  }
  wo.threads = o.threads;
  LM_ASSIGN_OR_RETURN(tok::WordPiece wp, tok::train_wordpiece(next, wo, &st));
  LM_RETURN_IF_ERROR(ends_with(o.out, ".txt") ? wp.save_vocab_txt(o.out) : wp.save_json(o.out));
  report(o, st, wp.vocab_size(), timer.seconds());
  return ok_status();
}

void setup(CLI::App& app) {
  CLI::App* tsub = nullptr;
  try {
    tsub = app.get_subcommand("tokenizer");
  } catch (const CLI::Error&) {
    tsub = app.add_subcommand("tokenizer", "Train, apply and inspect tokenizers");
  }
  static TrainOptions o;
  auto* sub = tsub->add_subcommand("train", "Train a BPE or WordPiece vocabulary on documents");
  sub->add_option("--algo", o.algo, "bpe | wordpiece")->capture_default_str();
  sub->add_option("--vocab-size", o.vocab_size, "Tokens in all (bytes/alphabet, merges, specials)")
      ->capture_default_str();
  sub->add_option("--in,-i", o.in, "Documents (jsonl[.gz|.zst], text, sqlite; dirs, globs)")
      ->required();
  sub->add_option("--out,-o", o.out, "tokenizer.json, NAME.tiktoken (BPE) or vocab.txt (WordPiece)")
      ->required();
  sub->add_option("--pattern", o.pattern, "BPE split pattern: gpt4 | gpt2 | r50k | o200k | REGEX")
      ->capture_default_str();
  auto* special = sub->add_option("--special", o.special,
                                  "Special tokens (BPE default: <|endoftext|>; WordPiece: added "
                                  "after [PAD] [UNK] [CLS] [SEP] [MASK])");
  sub->add_option("--special-tokens", o.special_tokens,
                  "More special tokens, reserved after --special's (comma-separated; 'chat' = "
                  "<|system|>,<|user|>,<|assistant|>,<|end|>)")
      ->delimiter(',');
  sub->add_option("--min-frequency", o.min_frequency, "Never merge a pair seen fewer times");
  sub->add_option("--max-token-length", o.max_token_length,
                  "Longest token (BPE: bytes; WordPiece: characters); 0 = unlimited");
  sub->add_option("--format", o.format, "json | tiktoken | vocab (default: from --out)");
  sub->add_option("--text-field", o.text_field, "JSONL member holding the text")
      ->capture_default_str();
  sub->add_option("--on-error", o.on_error, "Malformed input records: fail | skip")
      ->capture_default_str();
  sub->add_option("--limit-alphabet", o.limit_alphabet,
                  "WordPiece: keep this many most frequent characters")
      ->capture_default_str();
  sub->add_flag("--no-lowercase", o.no_lowercase, "WordPiece: keep case and accents (cased BERT)");
  add_threads_option(sub, &o.threads);
  add_json_flag(sub, &o.json);
  set_action(sub, [special] {
    o.special_given = special->count() > 0;
    return run_train(o);
  });
}

Registrar reg(31, "tokenizer train", setup);

}  // namespace
}  // namespace lm::cli
