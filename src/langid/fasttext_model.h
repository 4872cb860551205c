// fasttext_model.h: a fastText supervised model (libfasttext, Debian 12) behind lmforge errors:
// load one (a missing or wrong file is an error naming it), predict the top labels of a text,
// and train one from a labelled file ("__label__X text" per line). Used by language id,
// toxicity and the langid/classifier subcommands. fastText exceptions stop here.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace fasttext {
class FastText;
}

namespace lm::langid {

struct FastTextTrainOptions {
  std::string input;  // "__label__<label> <text>" lines
  int dim = 16;
  int epoch = 10;
  double lr = 0.5;
  int minn = 2;
  int maxn = 4;
  int word_ngrams = 1;
  int bucket = 1000000;  // fewer n-gram collisions: en/de confusions drop sharply
  int min_count = 1;
  int threads = 1;  // 1 gives the same model every run
  int seed = 0;
};

struct Label {
  std::string label;  // without the "__label__" prefix
  float prob = 0;
};

class FastTextModel {
 public:
  static Result<std::unique_ptr<FastTextModel>> load(const std::string& path);
  static Result<std::unique_ptr<FastTextModel>> train(const FastTextTrainOptions& options);
  ~FastTextModel();
  Status save(const std::string& path) const;
  // The k most likely labels, best first. Thread-safe. Newlines count as spaces.
  std::vector<Label> predict(std::string_view text, int k = 1) const;
  std::vector<std::string> labels() const;
  const std::string& path() const { return path_; }

 private:
  FastTextModel();
  std::unique_ptr<fasttext::FastText> ft_;
  std::string path_;
};

// Makes one fastText training line: "__label__<label> <text with newlines as spaces>".
std::string fasttext_line(std::string_view label, std::string_view text);

}  // namespace lm::langid
