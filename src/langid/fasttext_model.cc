// fasttext_model.cc: the libfasttext wrapper (see fasttext_model.h). Every call into fastText
// is wrapped in try/catch: its errors are exceptions, ours are Status values.
#include "langid/fasttext_model.h"

#include <fasttext/fasttext.h>

#include <cstdio>
#include <exception>
#include <sstream>

#include "core/file_util.h"

namespace lm::langid {
namespace {

constexpr std::string_view kPrefix = "__label__";

std::string strip_prefix(const std::string& s) {
  if (s.compare(0, kPrefix.size(), kPrefix) == 0) return s.substr(kPrefix.size());
  return s;
}

// A fastText .bin/.ftz starts with the magic 793712314 (int32, little endian).
Status check_magic(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return not_found("fastText model {}: cannot open it", path)
        .with_hint("check the path given for the model (a .bin or .ftz file)");
  }
  int32_t magic = 0;
  size_t n = std::fread(&magic, 4, 1, f);
  std::fclose(f);
  if (n != 1 || magic != 793712314) {
    return Status(Code::kCorrupt, fmt::format("fastText model {}: not a fastText model file", path),
                  "give a model saved by fastText or `lmforge langid|classifier train`");
  }
  return ok_status();
}

}  // namespace

FastTextModel::FastTextModel() : ft_(std::make_unique<fasttext::FastText>()) {}
FastTextModel::~FastTextModel() = default;

Result<std::unique_ptr<FastTextModel>> FastTextModel::load(const std::string& path) {
  LM_RETURN_IF_ERROR(check_magic(path));
  std::unique_ptr<FastTextModel> m(new FastTextModel());
  try {
    m->ft_->loadModel(path);
  } catch (const std::exception& e) {
    return Status(Code::kCorrupt, fmt::format("fastText model {}: {}", path, e.what()),
                  "the file is damaged or from an incompatible fastText version");
  }
  if (m->ft_->getArgs().model != fasttext::model_name::sup) {
    return invalid_argument("fastText model {}: a word-vector model, not a classifier", path);
  }
  m->path_ = path;
  return m;
}

Result<std::unique_ptr<FastTextModel>> FastTextModel::train(const FastTextTrainOptions& o) {
  if (!file_exists(o.input)) return not_found("fastText training file {} not found", o.input);
  fasttext::Args a;
  a.input = o.input;
  a.output = "";
  a.model = fasttext::model_name::sup;
  a.loss = fasttext::loss_name::softmax;
  a.dim = o.dim;
  a.epoch = o.epoch;
  a.lr = o.lr;
  a.minn = o.minn;
  a.maxn = o.maxn;
  a.wordNgrams = o.word_ngrams;
  a.bucket = o.bucket;
  a.minCount = o.min_count;
  a.thread = o.threads;
  a.seed = o.seed;
  a.verbose = 0;
  std::unique_ptr<FastTextModel> m(new FastTextModel());
  try {
    m->ft_->train(a);
  } catch (const std::exception& e) {
    return invalid_argument("fastText training on {} failed: {}", o.input, e.what());
  }
  return m;
}

Status FastTextModel::save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  try {
    ft_->saveModel(tmp);
  } catch (const std::exception& e) {
    return io_error("cannot write fastText model {}: {}", path, e.what());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return io_error("cannot rename {} to {}", tmp, path);
  }
  return ok_status();
}

std::vector<Label> FastTextModel::predict(std::string_view text, int k) const {
  std::string line(text);
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  line.push_back('\n');
  std::istringstream in(line);
  std::vector<std::pair<fasttext::real, std::string>> preds;
  std::vector<Label> out;
  try {
    ft_->predictLine(in, preds, k, 0.0);
  } catch (const std::exception&) {
    return out;
  }
  for (auto& [p, l] : preds) out.push_back({strip_prefix(l), static_cast<float>(p)});
  return out;
}

std::vector<std::string> FastTextModel::labels() const {
  std::vector<std::string> out;
  auto dict = ft_->getDictionary();
  for (int32_t i = 0; i < dict->nlabels(); ++i) out.push_back(strip_prefix(dict->getLabel(i)));
  return out;
}

std::string fasttext_line(std::string_view label, std::string_view text) {
  std::string line = "__label__";
  line += label;
  line.push_back(' ');
  for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return line;
}

}  // namespace lm::langid
