// cmd_langid.cc: `lmforge langid train|predict|eval`: train a fastText language identifier from
// labelled documents (e.g. the sample corpus's fortunes in six languages, label = "lang"),
// predict the language of documents (CLD2 built in, or a fastText model), and report accuracy
// per language on held-out documents.
#include <fmt/core.h>

#include "cli.h"
#include "langid/classifier.h"
#include "langid/langid.h"

namespace lm::cli {

// The fastText training options (defaults from *ft); `lmforge classifier train` uses them too.
void add_fasttext_options(CLI::App* sub, langid::FastTextTrainOptions* ft) {
  sub->add_option("--epoch", ft->epoch, "fastText epochs")->capture_default_str();
  sub->add_option("--dim", ft->dim, "fastText dimension")->capture_default_str();
  sub->add_option("--lr", ft->lr, "fastText learning rate")->capture_default_str();
  sub->add_option("--minn", ft->minn, "Shortest character n-gram (0: none)")->capture_default_str();
  sub->add_option("--maxn", ft->maxn, "Longest character n-gram")->capture_default_str();
  sub->add_option("--word-ngrams", ft->word_ngrams, "Word n-grams")->capture_default_str();
  sub->add_option("--bucket", ft->bucket, "Hash buckets for n-grams")->capture_default_str();
  sub->add_option("--train-threads", ft->threads, "fastText threads (1: same model every run)")
      ->capture_default_str();
}

namespace {

struct LangidArgs {
  langid::LabelledData data;
  langid::FastTextTrainOptions ft;
  std::string out, model;
  size_t min_chars = 200;
  bool json = false;
};

void add_data_options(CLI::App* sub, LangidArgs* a, const char* label_default) {
  a->data.label_field = label_default;
  sub->add_option("--in,inputs", a->data.inputs, "Labelled documents")->required();
  sub->add_option("--label-field", a->data.label_field, "Member holding the label")
      ->capture_default_str();
  sub->add_option("--source-prefix", a->data.source_prefix,
                  "Only documents whose source starts with this (e.g. fortunes)");
  sub->add_option("--holdout", a->data.holdout, "Share held out for evaluation (by id hash)")
      ->capture_default_str();
  sub->add_option("--seed", a->data.seed, "Seed of the held-out split")->capture_default_str();
  sub->add_option("--max-bytes", a->data.max_bytes, "Prefix of each document used")
      ->capture_default_str();
  add_json_flag(sub, &a->json);
}

void add_train_options(CLI::App* sub, LangidArgs* a) {
  sub->add_option("--out", a->out, "Model file to write (.bin)")->required();
  sub->add_option("--max-per-label", a->data.max_per_label, "Training documents per label")
      ->capture_default_str();
  add_fasttext_options(sub, &a->ft);
}

Status print_eval(const langid::EvalReport& r, bool json, nlohmann::json extra = {}) {
  if (json) {
    nlohmann::json j = r.to_json();
    for (auto& [k, v] : extra.items()) j[k] = v;
    print_json(j);
  } else {
    fmt::print("{}", r.table());
  }
  return ok_status();
}

Status train(LangidArgs& a) {
  langid::TrainReport rep;
  LM_ASSIGN_OR_RETURN(auto model,
                      langid::train_classifier(a.data, a.ft, a.out + ".train.txt", &rep));
  LM_RETURN_IF_ERROR(model->save(a.out));
  if (!a.json) {
    for (const auto& [l, n] : rep.train_docs) fmt::print("trained on {:>8} documents: {}\n", n, l);
    fmt::print("model written to {}; held-out accuracy (documents >= {} chars):\n", a.out,
               a.min_chars);
  }
  LM_ASSIGN_OR_RETURN(auto id,
                      langid::make_language_identifier({"fasttext", a.out, a.data.max_bytes}));
  LM_ASSIGN_OR_RETURN(auto r, langid::evaluate_langid(*id, a.data, a.min_chars, true));
  return print_eval(r, a.json, {{"model", a.out}, {"train_documents", rep.train_docs}});
}

Status predict(LangidArgs& a) {
  langid::LangIdOptions o{a.model.empty() ? "cld2" : "fasttext", a.model, a.data.max_bytes};
  LM_ASSIGN_OR_RETURN(auto id, langid::make_language_identifier(o));
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(a.data.inputs, a.data.read));
  io::Document d;
  for (;;) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&d));
    if (!more) break;
    langid::LangPrediction p = id->predict(d.text);
    fmt::print("{}\n", nlohmann::json({{"id", d.id}, {"lang", p.lang}, {"score", p.score}}).dump());
  }
  return ok_status();
}

Status eval(LangidArgs& a) {
  langid::LangIdOptions o{a.model.empty() ? "cld2" : "fasttext", a.model, a.data.max_bytes};
  LM_ASSIGN_OR_RETURN(auto id, langid::make_language_identifier(o));
  LM_ASSIGN_OR_RETURN(auto r,
                      langid::evaluate_langid(*id, a.data, a.min_chars, a.data.holdout > 0));
  return print_eval(r, a.json, {{"identifier", id->name()}, {"min_chars", a.min_chars}});
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("langid", "Train, run and evaluate language identification");
  sub->require_subcommand(1);
  static LangidArgs t, p, e;
  auto* tr = sub->add_subcommand("train", "Train a fastText language identifier");
  add_data_options(tr, &t, "lang");
  add_train_options(tr, &t);
  tr->add_option("--min-chars", t.min_chars, "Evaluate on held-out documents this long")
      ->capture_default_str();
  set_action(tr, [] { return train(t); });
  auto* pr = sub->add_subcommand("predict", "Print {id, lang, score} per document (JSONL)");
  pr->add_option("--in,inputs", p.data.inputs, "Documents")->required();
  pr->add_option("--model", p.model, "fastText model (default: CLD2)");
  pr->add_option("--max-bytes", p.data.max_bytes, "Prefix looked at")->capture_default_str();
  set_action(pr, [] { return predict(p); });
  auto* ev = sub->add_subcommand("eval", "Accuracy per language against the documents' labels");
  add_data_options(ev, &e, "lang");
  e.data.holdout = 0;
  ev->add_option("--model", e.model, "fastText model (default: CLD2)");
  ev->add_option("--min-chars", e.min_chars, "Only documents this long")->capture_default_str();
  set_action(ev, [] { return eval(e); });
}

Registrar reg(26, "langid", setup);

}  // namespace
}  // namespace lm::cli
