// mixture.cc: build_mixture and the ICL documents (see mixture.h).
#include "emergence/mixture.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/rng.h"
#include "dataset/packer.h"
#include "emergence/tasks.h"
#include "eval/builtin_tasks.h"
#include "eval/builtin_tasks_internal.h"
#include "io/document.h"

namespace lm::emergence {
namespace {

using eval::builtin::Doc;

template <typename T>
void shuffle(std::vector<T>* v, Rng* rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->below(i)]);
}

// One training instance in the study's format: prompt + delimiter + target (tasks.h).
std::string instance(const std::string& format, const std::string& a, const std::string& b,
                     const std::string& target) {
  return arithmetic_prompt(format, a, b) + arithmetic_delimiter(format) + target;
}

// Rewrites a task-data file (JSON Lines) document by document: `add` sets the extra fields of
// one document (its 1-based line for messages) or fails naming it.
Status add_fields(const std::string& path,
                  const std::function<Status(nlohmann::ordered_json&, int)>& add) {
  LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::string out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) e = text.size();
    const std::string line = text.substr(pos, e - pos);
    pos = e + 1;
    ++line_no;
    if (line.empty()) continue;
    auto j = nlohmann::ordered_json::parse(line, nullptr, false);
    if (j.is_discarded()) return corrupt("{}:{}: not a JSON document", path, line_no);
    LM_RETURN_IF_ERROR(add(j, line_no));
    out += j.dump() + "\n";
  }
  return write_file_atomic(path, out);
}

bool is_string_field(const nlohmann::ordered_json& j, const char* k) {
  return j.contains(k) && j[k].is_string();
}

// The reversed format's target fields added to every document of the arithmetic task data
// (OUT/tasks/arithmetic_add_N/*.jsonl), so the harness reads them: "answer_reversed" (the direct
// target) and "cot_target_reversed" (train: the worked steps ending in the reversed answer, as the
// training instances; validation / test: the reversed answer, which the cot strategy's
// teacher-forced metrics score after the prompt).
Status add_reversed_answers(const std::string& tasks_dir, const std::vector<int>& digits) {
  for (int n : digits)
    for (const char* split : {"test", "validation", "train"}) {
      const std::string path = fmt::format("{}/arithmetic_add_{}/{}.jsonl", tasks_dir, n, split);
      const bool train = std::string(split) == "train";
      LM_RETURN_IF_ERROR(add_fields(path, [&](nlohmann::ordered_json& j, int line) -> Status {
        if (!is_string_field(j, "answer"))
          return corrupt("{}:{}: not a JSON document with an answer", path, line);
        j["answer_reversed"] = arithmetic_target("reversed", j["answer"].get<std::string>());
        if (!is_string_field(j, "a") || !is_string_field(j, "b"))
          return corrupt("{}:{}: not a JSON document with a and b", path, line);
        j["cot_target_reversed"] = train
                                       ? arithmetic_rationale("reversed", j["a"].get<std::string>(),
                                                              j["b"].get<std::string>())
                                       : j["answer_reversed"].get<std::string>();
        return ok_status();
      }));
    }
  return ok_status();
}

// The induction_copy documents' prompt fields of the study (tasks.h, induction_field), in both
// forms whichever mixture writes them: "shifted_prefix" (letters 5-8) and "shifted_continuation"
// (9-16) " " apart, and "<field>_contiguous" of all five without the spaces.
Status add_induction_fields(const std::string& tasks_dir) {
  using eval::builtin::kInductionPrefix;
  for (const char* split : {"test", "validation", "train"}) {
    const std::string path = fmt::format("{}/induction_copy/{}.jsonl", tasks_dir, split);
    LM_RETURN_IF_ERROR(add_fields(path, [&](nlohmann::ordered_json& j, int line) -> Status {
      for (const char* k : {"sequence", "prefix", "continuation"})
        if (!is_string_field(j, k))
          return corrupt("{}:{}: an induction_copy document without \"{}\"", path, line, k);
      std::string letters = j["sequence"].get<std::string>();
      std::erase(letters, ' ');
      if (letters.size() < 3 * kInductionPrefix)
        return corrupt("{}:{}: an induction_copy sequence of {} letters (at least {})", path, line,
                       letters.size(), 3 * kInductionPrefix);
      auto spaced = [](const std::string& x) {
        std::string out;
        for (char ch : x) out += (out.empty() ? "" : " ") + std::string(1, ch);
        return out;
      };
      j["shifted_prefix"] = spaced(letters.substr(kInductionPrefix, kInductionPrefix));
      j["shifted_continuation"] = spaced(letters.substr(2 * kInductionPrefix));
      for (const char* k :
           {"sequence", "prefix", "continuation", "shifted_prefix", "shifted_continuation"}) {
        std::string v = j[k].get<std::string>();
        std::erase(v, ' ');
        j[std::string(k) + "_contiguous"] = v;
      }
      return ok_status();
    }));
  }
  return ok_status();
}

// Training instances of n-digit addition: the generator's train split, then fresh pairs from a
// separate seeded stream, never a pair of the test or validation split.
std::vector<std::pair<std::string, std::string>> arithmetic_train(int n, const MixtureConfig& m,
                                                                  uint64_t data_seed,
                                                                  uint64_t seed) {
  eval::builtin::Splits s = eval::builtin::make_arithmetic(n, data_seed);
  std::set<std::pair<int, int>> used;
  for (const auto* split : {&s.test, &s.validation, &s.train})
    for (const Doc& d : *split)
      used.insert({std::stoi(d["a"].get<std::string>()), std::stoi(d["b"].get<std::string>())});
  std::vector<std::pair<std::string, std::string>> out;
  for (const Doc& d : s.train) out.push_back({d["a"], d["b"]});
  int lo = n == 1 ? 0 : 1, hi = 9;
  for (int i = 1; i < n; ++i) {
    lo *= 10;
    hi = hi * 10 + 9;
  }
  const uint64_t span = static_cast<uint64_t>(hi - lo + 1);
  const uint64_t free_pairs = span * span - used.size();
  const uint64_t want = std::min<uint64_t>(
      free_pairs, m.arithmetic_train > (int64_t)out.size() ? m.arithmetic_train - out.size() : 0);
  Rng rng(hash64(fmt::format("emergence-arithmetic-{}", n), seed));
  for (uint64_t k = 0; k < want;) {
    const int a = lo + static_cast<int>(rng.below(span)),
              b = lo + static_cast<int>(rng.below(span));
    if (!used.insert({a, b}).second) continue;
    out.push_back({std::to_string(a), std::to_string(b)});
    ++k;
  }
  if ((int64_t)out.size() > m.arithmetic_train && m.arithmetic_train > 0)
    out.resize(m.arithmetic_train);
  return out;
}

std::vector<std::string> induction_train(const MixtureConfig& m, uint64_t data_seed,
                                         uint64_t seed) {
  using eval::builtin::kInductionLength;
  using eval::builtin::kInductionPrefix;
  eval::builtin::Splits s = eval::builtin::make_induction(data_seed);
  std::unordered_set<std::string> held;
  for (const auto* split : {&s.test, &s.validation})
    for (const Doc& d : *split) held.insert(d["sequence"].get<std::string>());
  std::vector<std::string> out;
  auto add = [&](std::string seq) {
    // the eval prompt "{sequence}\n{prefix}" followed by " {continuation}"
    if (m.induction_separator.empty()) std::erase(seq, ' ');
    out.push_back(seq + "\n" + seq);
  };
  for (const Doc& d : s.train) add(d["sequence"].get<std::string>());
  Rng rng(hash64("emergence-induction", seed));
  const bool ranged = m.induction_lengths.size() == 2;
  while ((int64_t)out.size() < m.induction_train) {
    const int length =
        ranged ? m.induction_lengths[0] + static_cast<int>(rng.below(static_cast<uint64_t>(
                                              m.induction_lengths[1] - m.induction_lengths[0] + 1)))
               : kInductionLength;
    std::string seq;
    for (int i = 0; i < length; ++i) {
      if (i) seq += ' ';
      seq += static_cast<char>('a' + rng.below(26));
    }
    if (held.count(seq)) continue;
    add(seq);
  }
  (void)kInductionPrefix;
  if ((int64_t)out.size() > m.induction_train) out.resize(m.induction_train);
  return out;
}

// One repeated-halves document (config.h, repeat_train): L symbols, then the same L again.
std::string repeat_document(const MixtureConfig& m, Rng* rng) {
  const int lo = m.repeat_lengths[0], hi = m.repeat_lengths[1];
  const int length = lo + static_cast<int>(rng->below(static_cast<uint64_t>(hi - lo + 1)));
  std::string half;
  for (int i = 0; i < length; ++i)
    half += kRepeatSymbols[rng->below(static_cast<uint64_t>(m.repeat_alphabet))];
  return half + half;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// Corpus tasks: their held-out lines (a KJV verse line, a GCIDE definition) and their training
// instances as text.
Status corpus_tasks(const EmergenceConfig& c, std::unordered_set<uint64_t>* held_lines,
                    std::vector<std::string>* train_texts) {
  const std::string dir = c.out + "/tasks";
  for (const char* ds : {"kjv_cloze", "gcide_define"}) {
    for (const char* split : {"test", "validation", "train"}) {
      const std::string path = fmt::format("{}/{}/{}.jsonl", dir, ds, split);
      LM_ASSIGN_OR_RETURN(std::string text, read_file(path));
      size_t pos = 0;
      int line_no = 0;
      while (pos < text.size()) {
        size_t e = text.find('\n', pos);
        if (e == std::string::npos) e = text.size();
        std::string line = text.substr(pos, e - pos);
        pos = e + 1;
        ++line_no;
        if (line.empty()) continue;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded()) return corrupt("{}:{}: not JSON", path, line_no);
        const bool train = std::string(split) == "train";
        if (std::string(ds) == "kjv_cloze") {
          std::string ctx = j.value("context", std::string()), target = j.value("target", "");
          if (train) {
            train_texts->push_back(ctx + target);
          } else {
            size_t nl = ctx.rfind('\n');
            held_lines->insert(
                hash64(trim(ctx.substr(nl == std::string::npos ? 0 : nl + 1) + target)));
          }
        } else {
          const auto& ch = j["choices"];
          const int gold = j.value("gold", 0);
          if (!ch.is_array() || gold < 0 || gold >= (int)ch.size())
            return corrupt("{}:{}: no choices[gold]", path, line_no);
          const std::string def = ch[gold].get<std::string>();
          if (train)
            train_texts->push_back("Word: " + j.value("word", std::string()) +
                                   "\nDefinition: " + def);
          else
            held_lines->insert(hash64(trim(def)));
        }
      }
    }
  }
  return ok_status();
}

bool holds_heldout_line(const std::string& text, const std::unordered_set<uint64_t>& held) {
  if (held.empty()) return false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) e = text.size();
    if (held.count(hash64(trim(text.substr(pos, e - pos))))) return true;
    pos = e + 1;
  }
  return false;
}

}  // namespace

std::string mixture_fingerprint(const EmergenceConfig& c, const MixtureConfig& m) {
  nlohmann::json j = {{"tokenizer", c.tokenizer},
                      {"data_seed", c.data_seed},
                      {"seed", c.seed},
                      {"text", m.text},
                      {"text_fraction", m.text_fraction},
                      {"text_max_documents", m.text_max_documents},
                      {"sample", m.sample},
                      {"arithmetic_digits", m.arithmetic_digits},
                      {"arithmetic_train", m.arithmetic_train},
                      {"arithmetic_epochs", m.arithmetic_epochs},
                      {"arithmetic_format", m.arithmetic_format},
                      {"worked_steps_fraction", m.worked_steps_fraction},
                      {"induction_train", m.induction_train},
                      {"examples_per_document", m.examples_per_document},
                      {"icl_fraction", m.icl_fraction},
                      {"val_fraction", m.val_fraction},
                      {"worked_steps_answer", "in the arithmetic format"}};
  if (!m.induction_lengths.empty()) j["induction_lengths"] = m.induction_lengths;  // else: 16
  if (m.induction_separator != " ") j["induction_separator"] = m.induction_separator;
  if (m.repeat_train > 0)  // (absent otherwise: earlier studies' mixtures stay theirs)
    j["repeat"] = {{"train", m.repeat_train},
                   {"lengths", m.repeat_lengths},
                   {"alphabet", m.repeat_alphabet},
                   {"heldout", "data_seed"}};
  return j.dump();
}

namespace {

nlohmann::json stats_json(const MixtureStats& s) {
  return {{"text_documents", s.text_documents},
          {"text_dropped_heldout", s.text_dropped_heldout},
          {"icl_documents", s.icl_documents},
          {"arithmetic_instances", s.arithmetic_instances},
          {"worked_steps_instances", s.worked_steps_instances},
          {"induction_instances", s.induction_instances},
          {"repeat_instances", s.repeat_instances},
          {"corpus_instances", s.corpus_instances},
          {"documents", s.documents},
          {"train_tokens", s.train_tokens},
          {"val_tokens", s.val_tokens},
          {"vocab", s.vocab},
          {"prefix", s.prefix}};
}

// Mixture `m` into OUT/FOLDER; the study's task data (OUT/tasks) first when `write_tasks`.
Result<MixtureStats> build(const EmergenceConfig& c, const MixtureConfig& m,
                           const std::string& folder, bool write_tasks) {
  const std::string data = c.out + "/" + folder;
  const std::string manifest = data + "/mixture.json";
  MixtureStats st;
  st.prefix = data + "/mix";
  const std::string fp = mixture_fingerprint(c, m);
  if (file_exists(manifest)) {
    LM_ASSIGN_OR_RETURN(std::string text, read_file(manifest));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && j.value("fingerprint", std::string()) == fp &&
        file_exists(st.prefix + ".meta.json")) {
      const auto& s = j["stats"];
      st.text_documents = s.value("text_documents", int64_t{0});
      st.text_dropped_heldout = s.value("text_dropped_heldout", int64_t{0});
      st.icl_documents = s.value("icl_documents", int64_t{0});
      st.arithmetic_instances = s.value("arithmetic_instances", int64_t{0});
      st.worked_steps_instances = s.value("worked_steps_instances", int64_t{0});
      st.induction_instances = s.value("induction_instances", int64_t{0});
      st.repeat_instances = s.value("repeat_instances", int64_t{0});
      st.corpus_instances = s.value("corpus_instances", int64_t{0});
      st.documents = s.value("documents", int64_t{0});
      st.train_tokens = s.value("train_tokens", uint64_t{0});
      st.val_tokens = s.value("val_tokens", uint64_t{0});
      st.vocab = s.value("vocab", uint64_t{0});
      return st;
    }
  }
  LM_RETURN_IF_ERROR(make_dirs(data));
  // 1. the built-in task data (held-out splits for evaluation, few-shot pools), the study's:
  // written with [mixture], read by [icl_mixture] (its held-out sets and prompts are [mixture]'s)
  if (write_tasks) {
    eval::MakeDataOptions mo;
    mo.out_dir = c.out + "/tasks";
    mo.sample_dir = m.sample;
    mo.seed = c.data_seed;
    LM_RETURN_IF_ERROR(eval::make_builtin_task_data(mo).with_context("mixture: task data"));
    if (m.arithmetic_format == "reversed")
      LM_RETURN_IF_ERROR(add_reversed_answers(mo.out_dir, m.arithmetic_digits));
    LM_RETURN_IF_ERROR(add_induction_fields(mo.out_dir));
  }
  // 2. training instances: each arithmetic instance (direct or, for worked_steps_fraction of
  // them, with its worked steps) is written arithmetic_epochs times
  Rng rng(hash64("emergence-mixture", c.seed));
  std::vector<std::string> instances, arithmetic;
  for (int n : m.arithmetic_digits) {
    for (const auto& [a, b] : arithmetic_train(n, m, c.data_seed, c.seed)) {
      const std::string sum = std::to_string(std::stoi(a) + std::stoi(b));
      const std::string& f = m.arithmetic_format;
      if (rng.uniform() < m.worked_steps_fraction) {
        arithmetic.push_back(instance(f, a, b, arithmetic_rationale(f, a, b)));
        st.worked_steps_instances++;
      } else {
        arithmetic.push_back(instance(f, a, b, arithmetic_target(f, sum)));
      }
      st.arithmetic_instances++;
    }
  }
  for (int e = 0; e < m.arithmetic_epochs; ++e)
    instances.insert(instances.end(), arithmetic.begin(), arithmetic.end());
  if (m.induction_train > 0)
    for (auto& s : induction_train(m, c.data_seed, c.seed)) {
      instances.push_back(std::move(s));
      st.induction_instances++;
    }
  std::unordered_set<uint64_t> held;
  std::vector<std::string> corpus_texts;
  if (!m.sample.empty()) LM_RETURN_IF_ERROR(corpus_tasks(c, &held, &corpus_texts));
  shuffle(&instances, &rng);
  std::vector<std::string> docs;
  for (size_t i = 0; i < instances.size(); i += m.examples_per_document) {
    std::string d;
    for (size_t k = i; k < std::min(instances.size(), i + m.examples_per_document); ++k)
      d += (k > i ? "\n\n" : "") + instances[k];
    docs.push_back(std::move(d));
  }
  st.corpus_instances = static_cast<int64_t>(corpus_texts.size());
  for (auto& t : corpus_texts) docs.push_back(std::move(t));
  // repeated halves, a document each, none a held-out one
  if (m.repeat_train > 0) {
    std::unordered_set<std::string> held_repeat;
    for (auto& d : heldout_repeat_documents(c)) held_repeat.insert(std::move(d));
    Rng rr(hash64("emergence-repeat", c.seed));
    int64_t rejected = 0;  // draws in a row that were held-out documents
    while (st.repeat_instances < m.repeat_train) {
      std::string d = repeat_document(m, &rr);
      if (held_repeat.count(d)) {
        if (++rejected == 100000)
          return invalid_argument(
                     "{}: mixture.repeat_documents: every repeated-halves document drawn is a "
                     "held-out one ({} held out)",
                     c.path, held_repeat.size())
              .with_hint(
                  "widen mixture.repeat_lengths or repeat_alphabet, or lower "
                  "mixture.repeat_documents");
        continue;
      }
      rejected = 0;
      docs.push_back(std::move(d));
      st.repeat_instances++;
    }
  }
  // 3. text documents: ICL held-out by id hash, held-out corpus-task lines dropped
  std::string icl_text;
  if (!m.text.empty()) {
    LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open(m.text));
    io::Document doc;
    while (true) {
      LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
      if (!more) break;
      if (m.icl_fraction > 0 && dataset::is_validation(doc.id, m.icl_fraction)) {
        // held out for the ICL score (only documents long enough to reach token 500 matter)
        if (doc.text.size() >= 501 && st.icl_documents < 4 * m.icl_documents) {
          icl_text += nlohmann::json({{"id", doc.id}, {"text", doc.text}})
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                      "\n";
          st.icl_documents++;
        }
        continue;
      }
      if (m.text_fraction < 1 &&
          !dataset::is_validation(doc.id + "#emergence-text", m.text_fraction))
        continue;
      if (m.text_max_documents > 0 && st.text_documents >= m.text_max_documents) break;
      if (holds_heldout_line(doc.text, held)) {
        st.text_dropped_heldout++;
        continue;
      }
      docs.push_back(doc.text);
      st.text_documents++;
    }
  }
  shuffle(&docs, &rng);
  std::string mix;
  for (size_t i = 0; i < docs.size(); ++i)
    mix += nlohmann::json({{"id", fmt::format("m{}", i)}, {"text", docs[i]}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  st.documents = static_cast<int64_t>(docs.size());
  if (docs.empty())
    return Status(Code::kInvalidArgument, c.path + ": mixture: no training documents",
                  "give mixture.text or task instances");
  LM_RETURN_IF_ERROR(write_file_atomic(data + "/mixture.jsonl", mix));
  LM_RETURN_IF_ERROR(write_file_atomic(data + "/icl.jsonl", icl_text));
  // 4. pack
  LM_ASSIGN_OR_RETURN(dataset::Encoder enc, dataset::load_encoder(c.tokenizer));
  dataset::PackOptions po;
  po.inputs = {data + "/mixture.jsonl"};
  po.out = st.prefix;
  po.val_fraction = m.val_fraction;
  po.threads = c.threads;
  po.restart = true;
  LM_ASSIGN_OR_RETURN(dataset::PackStats ps, dataset::pack(po, enc));
  st.train_tokens = ps.train_tokens;
  st.val_tokens = ps.val_tokens;
  st.vocab = enc.vocab_size;
  nlohmann::json j = {{"fingerprint", fp}, {"stats", stats_json(st)}};
  LM_RETURN_IF_ERROR(write_file_atomic(manifest, j.dump(1) + "\n"));
  log_info(
      "emergence: mixture {} documents ({} text, {} arithmetic instances ({} with worked "
      "steps), {} induction, {} repeated halves, {} corpus-task), {} train tokens",
      st.documents, st.text_documents, st.arithmetic_instances, st.worked_steps_instances,
      st.induction_instances, st.repeat_instances, st.corpus_instances, st.train_tokens);
  return st;
}

}  // namespace

Result<MixtureStats> build_mixture(const EmergenceConfig& c) {
  return build(c, c.mixture, "data", true);
}

Result<MixtureStats> build_icl_mixture(const EmergenceConfig& c) {
  if (!c.icl_mixture) return invalid_argument("{}: no [icl_mixture]", c.path);
  return build(c, *c.icl_mixture, "data-icl", false);
}

Result<std::vector<int>> token_counts(const EmergenceConfig& c,
                                      const std::vector<std::string>& texts) {
  LM_ASSIGN_OR_RETURN(dataset::Encoder enc, dataset::load_encoder(c.tokenizer));
  std::vector<int> out;
  std::vector<uint32_t> ids;
  for (const auto& t : texts) {
    ids.clear();
    enc.encode(t, &ids);
    out.push_back(static_cast<int>(ids.size()));
  }
  return out;
}

std::vector<std::string> heldout_repeat_documents(const EmergenceConfig& c) {
  std::vector<std::string> out;
  Rng rng(hash64("emergence-repeat-heldout", c.data_seed));
  for (int i = 0; i < c.mixture.repeat_documents; ++i)
    out.push_back(repeat_document(c.mixture, &rng));
  return out;
}

Result<std::vector<std::vector<int>>> load_repeat_documents(const EmergenceConfig& c,
                                                            int min_tokens) {
  std::vector<std::string> texts = heldout_repeat_documents(c);
  std::string file;
  for (size_t i = 0; i < texts.size(); ++i)
    file += nlohmann::json({{"id", fmt::format("repeat{}", i)}, {"text", texts[i]}}).dump() + "\n";
  LM_RETURN_IF_ERROR(make_dirs(c.out + "/data"));
  LM_RETURN_IF_ERROR(write_file_atomic(c.out + "/data/icl-repeat.jsonl", file));
  LM_ASSIGN_OR_RETURN(dataset::Encoder enc, dataset::load_encoder(c.tokenizer));
  std::vector<std::vector<int>> out;
  std::vector<uint32_t> ids;
  for (const auto& t : texts) {
    ids.clear();
    enc.encode(t, &ids);
    if ((int)ids.size() < min_tokens) continue;
    out.emplace_back(ids.begin(), ids.begin() + min_tokens);
  }
  return out;
}

Result<std::vector<std::vector<int>>> load_icl_documents(const EmergenceConfig& c, int min_tokens) {
  const std::string path = c.out + "/data/icl.jsonl";
  LM_ASSIGN_OR_RETURN(dataset::Encoder enc, dataset::load_encoder(c.tokenizer));
  LM_ASSIGN_OR_RETURN(auto reader, io::DocumentReader::open({path}));
  std::vector<std::vector<int>> out;
  io::Document doc;
  std::vector<uint32_t> ids;
  while ((int)out.size() < c.mixture.icl_documents) {
    LM_ASSIGN_OR_RETURN(bool more, reader->next(&doc));
    if (!more) break;
    ids.clear();
    enc.encode(doc.text, &ids);
    if ((int)ids.size() < min_tokens) continue;
    out.emplace_back(ids.begin(), ids.begin() + min_tokens);
  }
  return out;
}

}  // namespace lm::emergence
