// classifier.cc: labelled-document training files, fastText training and language-id
// evaluation (see classifier.h).
#include "langid/classifier.h"

#include <cstdio>

#include "core/file_util.h"
#include "core/hash.h"
#include "uni/utf8.h"

namespace lm::langid {

bool is_held_out(const io::Document& doc, double holdout, uint64_t seed) {
  if (holdout <= 0) return false;
  return static_cast<double>(hash64(doc.id, seed) % 1000000) < holdout * 1000000;
}

std::string document_label(const io::Document& doc, const std::string& field) {
  if (field == "lang") return doc.lang;
  if (field == "source") return doc.source;
  if (doc.extra_json.empty()) return {};
  auto j = nlohmann::json::parse(doc.extra_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains(field)) return {};
  const auto& v = j[field];
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  for (char& c : s)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return s;
}

namespace {

// Calls fn(doc, label) for every labelled document of `data` that passes the source filter.
template <typename Fn>
Status for_each_labelled(const LabelledData& data, Fn fn) {
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(data.inputs, data.read));
  io::Document doc;
  for (;;) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
    if (!more) break;
    if (!data.source_prefix.empty() && !doc.source.starts_with(data.source_prefix)) continue;
    std::string label = document_label(doc, data.label_field);
    if (label.empty()) continue;
    LM_RETURN_IF_ERROR(fn(doc, label));
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<FastTextModel>> train_classifier(const LabelledData& data,
                                                        FastTextTrainOptions ft,
                                                        const std::string& work_file,
                                                        TrainReport* report) {
  LM_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::create(work_file));
  TrainReport r;
  LM_RETURN_IF_ERROR(for_each_labelled(data, [&](const io::Document& d, const std::string& l) {
    if (is_held_out(d, data.holdout, data.seed)) {
      ++r.held_out;
      return ok_status();
    }
    uint64_t& n = r.train_docs[l];
    if (data.max_per_label && n >= data.max_per_label) return ok_status();
    ++n;
    std::string line = fasttext_line(l, uni::utf8_prefix(d.text, data.max_bytes));
    line.push_back('\n');
    return out.write(line);
  }));
  if (r.train_docs.empty()) {
    return invalid_argument("no labelled documents (field \"{}\") to train on", data.label_field)
        .with_hint("check --label-field and --source-prefix");
  }
  LM_RETURN_IF_ERROR(out.commit());
  ft.input = work_file;
  auto model = FastTextModel::train(ft);
  std::remove(work_file.c_str());
  if (report) *report = r;
  return model;
}

Result<EvalReport> evaluate_langid(const LanguageIdentifier& id, const LabelledData& data,
                                   size_t min_chars, bool held_out_only) {
  return evaluate([&id](std::string_view t) { return id.predict(t).lang; }, data, min_chars,
                  held_out_only);
}

Result<EvalReport> evaluate(const std::function<std::string(std::string_view)>& predict,
                            const LabelledData& data, size_t min_chars, bool held_out_only) {
  EvalReport rep;
  LM_RETURN_IF_ERROR(for_each_labelled(data, [&](const io::Document& d, const std::string& l) {
    if (held_out_only && !is_held_out(d, data.holdout, data.seed)) return ok_status();
    if (uni::utf8_length_valid(d.text) < min_chars) return ok_status();
    std::string p = predict(d.text);
    bool ok = p == l;
    auto& row = rep.per_label[l];
    ++row.docs;
    ++rep.all.docs;
    row.correct += ok;
    rep.all.correct += ok;
    ++rep.confusion[l][p];
    return ok_status();
  }));
  return rep;
}

nlohmann::json EvalReport::to_json() const {
  nlohmann::json j = {{"documents", all.docs}, {"accuracy", all.accuracy()}};
  for (const auto& [l, r] : per_label) {
    j["per_label"][l] = {{"documents", r.docs},
                         {"correct", r.correct},
                         {"accuracy", r.accuracy()},
                         {"predicted", confusion.at(l)}};
  }
  return j;
}

std::string EvalReport::table() const {
  std::string t = fmt::format("{:<10} {:>8} {:>8} {:>9}  most common errors\n", "label", "docs",
                              "correct", "accuracy");
  for (const auto& [l, r] : per_label) {
    std::string errors;
    for (const auto& [p, n] : confusion.at(l))
      if (p != l) errors += fmt::format("{}:{} ", p, n);
    t += fmt::format("{:<10} {:>8} {:>8} {:>8.2f}%  {}\n", l, r.docs, r.correct, 100 * r.accuracy(),
                     errors);
  }
  t += fmt::format("{:<10} {:>8} {:>8} {:>8.2f}%\n", "all", all.docs, all.correct,
                   100 * all.accuracy());
  return t;
}

}  // namespace lm::langid
