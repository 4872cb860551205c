// classifier.h: training and evaluating fastText document classifiers from labelled documents:
// a language identifier (label = the document's "lang", e.g. the sample corpus's six fortune
// languages) or a toxicity classifier (label = a JSONL member such as "label"). A deterministic
// hash of the document id holds out a share of documents for evaluation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/document.h"
#include "langid/fasttext_model.h"
#include "langid/langid.h"

namespace lm::langid {

struct LabelledData {
  std::vector<std::string> inputs;
  io::ReaderOptions read;
  std::string label_field = "lang";  // lang | source | any other JSONL member
  std::string source_prefix;         // only documents whose source starts with this
  double holdout = 0.1;              // share held out for evaluation (by hash of the id)
  uint64_t seed = 0;
  uint64_t max_per_label = 0;  // training documents per label; 0 = all
  size_t max_bytes = 2048;     // prefix of each document used
};

// True when `doc` belongs to the held-out share.
bool is_held_out(const io::Document& doc, double holdout, uint64_t seed);
// The label of `doc` under `field` (empty when it has none).
std::string document_label(const io::Document& doc, const std::string& field);

struct TrainReport {
  std::map<std::string, uint64_t> train_docs;  // per label
  uint64_t held_out = 0;
};

// Writes the training file `work_file` from `data` (not held out) and trains a model on it.
Result<std::unique_ptr<FastTextModel>> train_classifier(const LabelledData& data,
                                                        FastTextTrainOptions ft,
                                                        const std::string& work_file,
                                                        TrainReport* report);

struct EvalReport {
  struct Row {
    uint64_t docs = 0, correct = 0;
    double accuracy() const { return docs ? static_cast<double>(correct) / docs : 0; }
  };
  std::map<std::string, Row> per_label;
  Row all;
  std::map<std::string, std::map<std::string, uint64_t>> confusion;  // truth -> predicted -> n
  nlohmann::json to_json() const;
  std::string table() const;
};

// Accuracy of `predict` (text -> label) on the held-out documents of `data` with at least
// `min_chars` code points (held_out_only = false: on all documents).
Result<EvalReport> evaluate(const std::function<std::string(std::string_view)>& predict,
                            const LabelledData& data, size_t min_chars, bool held_out_only);
// Accuracy of `id` on the held-out documents of `data` with at least `min_chars` code points
// (held_out_only = false: on all documents).
Result<EvalReport> evaluate_langid(const LanguageIdentifier& id, const LabelledData& data,
                                   size_t min_chars, bool held_out_only);

}  // namespace lm::langid
