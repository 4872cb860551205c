// cmd_classifier.cc: `lmforge classifier train|predict`: a fastText document classifier (e.g.
// toxicity) trained from labelled JSONL ({"text": ..., "label": "toxic"}), used by the clean
// recipe's [toxicity] model; predict prints the top labels per document.
#include <fmt/core.h>

#include "cli.h"
#include "langid/classifier.h"

namespace lm::cli {

void add_fasttext_options(CLI::App* sub, langid::FastTextTrainOptions* ft);  // cmd_langid.cc

namespace {

struct ClassifierArgs {
  langid::LabelledData data;
  langid::FastTextTrainOptions ft;
  std::string out, model;
  int k = 2;
  bool json = false;
};

Status train(ClassifierArgs& a) {
  langid::TrainReport rep;
  LM_ASSIGN_OR_RETURN(auto model,
                      langid::train_classifier(a.data, a.ft, a.out + ".train.txt", &rep));
  LM_RETURN_IF_ERROR(model->save(a.out));
  const langid::FastTextModel* m = model.get();
  LM_ASSIGN_OR_RETURN(auto r, langid::evaluate(
                                  [m](std::string_view t) {
                                    auto l = m->predict(t, 1);
                                    return l.empty() ? std::string() : l[0].label;
                                  },
                                  a.data, 0, true));
  if (a.json) {
    nlohmann::json j = r.to_json();
    j["model"] = a.out;
    j["train_documents"] = rep.train_docs;
    print_json(j);
    return ok_status();
  }
  for (const auto& [l, n] : rep.train_docs) fmt::print("trained on {:>8} documents: {}\n", n, l);
  fmt::print("model written to {}; held-out accuracy:\n{}", a.out, r.table());
  return ok_status();
}

Status predict(ClassifierArgs& a) {
  LM_ASSIGN_OR_RETURN(auto model, langid::FastTextModel::load(a.model));
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(a.data.inputs, a.data.read));
  io::Document d;
  for (;;) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&d));
    if (!more) break;
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& l : model->predict(d.text, a.k))
      labels.push_back({{"label", l.label}, {"prob", l.prob}});
    fmt::print("{}\n", nlohmann::json({{"id", d.id}, {"labels", labels}}).dump());
  }
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub = app.add_subcommand("classifier",
                                 "Train and run a fastText document classifier "
                                 "(e.g. toxicity)");
  sub->require_subcommand(1);
  static ClassifierArgs t, p;
  t.data.label_field = "label";
  t.ft.epoch = 25;
  t.ft.minn = 0;
  t.ft.maxn = 0;
  t.ft.word_ngrams = 2;
  auto* tr = sub->add_subcommand("train", "Train from labelled JSONL");
  tr->add_option("--in,inputs", t.data.inputs, "Labelled documents")->required();
  tr->add_option("--out", t.out, "Model file to write (.bin)")->required();
  tr->add_option("--label-field", t.data.label_field, "Member holding the label")
      ->capture_default_str();
  tr->add_option("--holdout", t.data.holdout, "Share held out for evaluation")
      ->capture_default_str();
  tr->add_option("--seed", t.data.seed, "Seed of the held-out split")->capture_default_str();
  add_fasttext_options(tr, &t.ft);
  add_json_flag(tr, &t.json);
  set_action(tr, [] { return train(t); });
  auto* pr = sub->add_subcommand("predict", "Print {id, labels:[{label, prob}]} per document");
  pr->add_option("--in,inputs", p.data.inputs, "Documents")->required();
  pr->add_option("--model", p.model, "fastText model")->required();
  pr->add_option("--k", p.k, "Labels per document")->capture_default_str();
  set_action(pr, [] { return predict(p); });
}

Registrar reg(27, "classifier", setup);

}  // namespace
}  // namespace lm::cli
